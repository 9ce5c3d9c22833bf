/**
 * The Notary Project's verification vocabulary, shared by the trust policy (which says what
 * to enforce) and the envelope verifier (which checks one signature): the five validations,
 * their actions, the verification levels, and one signature's outcome.
 */
import type { X509Certificate } from 'node:crypto';
import type { Descriptor } from '../oci/descriptor.js';

/** The validations of the trust policy specification, in the order they run. */
export const NOTATION_CHECKS = ['integrity', 'authenticity', 'authenticTimestamp', 'expiry', 'revocation'] as const;
export type NotationCheck = (typeof NOTATION_CHECKS)[number];

/** `enforce`: a failure fails the signature; `log`: a failure is a warning; `skip`: not run. */
export type CheckAction = 'enforce' | 'log' | 'skip';

export type VerificationLevelName = 'strict' | 'permissive' | 'audit' | 'skip';

/** The actions of each level (trust policy spec, "Signature Verification details"). */
export const VERIFICATION_LEVELS: Readonly<Record<VerificationLevelName, Readonly<Record<NotationCheck, CheckAction>>>> = {
  strict: { integrity: 'enforce', authenticity: 'enforce', authenticTimestamp: 'enforce', expiry: 'enforce', revocation: 'enforce' },
  permissive: { integrity: 'enforce', authenticity: 'enforce', authenticTimestamp: 'log', expiry: 'log', revocation: 'log' },
  audit: { integrity: 'enforce', authenticity: 'log', authenticTimestamp: 'log', expiry: 'log', revocation: 'log' },
  skip: { integrity: 'skip', authenticity: 'skip', authenticTimestamp: 'skip', expiry: 'skip', revocation: 'skip' },
};

/** The certificates of the trust stores a policy statement names, by store type. */
export interface TrustAnchors {
  ca: X509Certificate[];
  signingAuthority: X509Certificate[];
  tsa: X509Certificate[];
}

/** What the envelope verifier is told by the policy statement that applies. */
export interface EnvelopeVerificationInput {
  /** the envelope bytes as stored (the signature manifest's layer) */
  envelope: Uint8Array;
  /** `application/jose+json` or `application/cose` */
  mediaType: string;
  anchors: TrustAnchors;
  /** `*` or `x509.subject:<DN>` entries */
  trustedIdentities: readonly string[];
  actions: Readonly<Record<NotationCheck, CheckAction>>;
  /** `always` (default) or `afterCertExpiry` */
  verifyTimestamp: 'always' | 'afterCertExpiry';
  /** the verification time */
  now: Date;
  /** the artifact the signature must be for (digest, size, media type); absent for `inspect` */
  expectedSubject?: Descriptor;
}

export interface CheckOutcome {
  check: NotationCheck;
  action: CheckAction;
  /** true when it passed (or was skipped) */
  ok: boolean;
  /** why it failed, in notation's words */
  error?: string;
}

export interface EnvelopeVerificationOutcome {
  /** `verified` when no enforced check failed; `skipped` at level skip */
  verdict: 'verified' | 'failed' | 'skipped';
  checks: CheckOutcome[];
  /** the signed payload's target artifact */
  targetArtifact?: Descriptor;
  signingScheme?: 'notary.x509' | 'notary.x509.signingAuthority';
  /** the signer's claimed (or authentic) signing time, ISO */
  signingTime?: string;
  expiry?: string;
  /** the envelope's certificate chain, leaf first */
  chain: X509Certificate[];
  /** RFC 3161 countersignature time, ISO, when one verified */
  timestamp?: string;
  /** the payload's user metadata (annotations of the target artifact) */
  userMetadata?: Record<string, string>;
}
