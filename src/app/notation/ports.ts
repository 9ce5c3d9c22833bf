/**
 * What the notation use cases need from the outside, wired by the CLI: a signer that makes an
 * envelope with the configured key, a verifier and an inspector of envelopes, and the trust
 * policy statement that applies to an artifact (with its trust stores).
 */
import type { X509Certificate } from 'node:crypto';
import type { Descriptor } from '../../core/oci/descriptor.js';
import type {
  CheckAction,
  EnvelopeVerificationInput,
  EnvelopeVerificationOutcome,
  NotationCheck,
  TrustAnchors,
  VerificationLevelName,
} from '../../core/notation/verification-types.js';

export type EnvelopeFormat = 'jws' | 'cose';

export interface SignRequest {
  /** the artifact signed; its `annotations` are the user metadata */
  targetArtifact: Descriptor;
  format: EnvelopeFormat;
  signingTime: Date;
  expiry?: Date;
}

export interface SignedEnvelope {
  bytes: Uint8Array;
  /** `application/jose+json` or `application/cose` */
  mediaType: string;
  /** the signing certificate chain, leaf first (its thumbprints annotate the signature manifest) */
  chain: X509Certificate[];
}

/** Signs with the key the user chose (`--key`, else the default key). */
export interface EnvelopeSigner {
  sign(request: SignRequest): Promise<SignedEnvelope>;
}

/** Checks one envelope against what the policy statement enforces. */
export interface EnvelopeVerifier {
  verify(input: EnvelopeVerificationInput): Promise<EnvelopeVerificationOutcome> | EnvelopeVerificationOutcome;
}

/** A certificate as `notation inspect` shows it. */
export interface InspectedCertificate {
  sha256Fingerprint: string;
  issuedTo: string;
  issuedBy: string;
  /** notAfter */
  expiry: Date;
}

/** An envelope's content, unverified, as `notation inspect` shows it. */
export interface InspectedEnvelope {
  /** `RSASSA-PSS-SHA-256`, `ECDSA-SHA-384`, … */
  signatureAlgorithm: string;
  /** `application/vnd.cncf.notary.payload.v1+json` */
  contentType: string;
  signingScheme: string;
  signingTime: Date;
  expiry?: Date;
  /** extended signed attributes, as text */
  extendedAttributes?: Record<string, string>;
  signingAgent?: string;
  /** the RFC 3161 countersignature: its time range and certificates, or why it does not parse */
  timestamp?: { error: string } | { range: [Date, Date]; certificates: InspectedCertificate[] };
  certificates: InspectedCertificate[];
  /** the payload's target artifact, annotations (the user metadata) included */
  signedArtifact: Descriptor;
}

export interface EnvelopeInspector {
  inspect(bytes: Uint8Array, mediaType: string): InspectedEnvelope;
}

/** The trust policy statement that applies to one artifact. */
export interface AppliedTrustPolicy {
  name: string;
  level: VerificationLevelName;
  actions: Readonly<Record<NotationCheck, CheckAction>>;
  trustedIdentities: readonly string[];
  verifyTimestamp: 'always' | 'afterCertExpiry';
  /** the certificates of the trust stores it names (read when first needed) */
  anchors(): Promise<TrustAnchors>;
}

export interface TrustPolicySource {
  /** the statement for `host/repo@sha256:…` (or the `--scope` given); throws a DctError when none applies or the policy is bad */
  statementFor(artifactReference: string): Promise<AppliedTrustPolicy>;
}
