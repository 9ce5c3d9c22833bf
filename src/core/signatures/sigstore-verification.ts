/**
 * The port through which cosign's use cases verify a Sigstore bundle (implemented over
 * `@sigstore/verify` in `src/adapters/sigstore/`), and what it proves.
 */
import type { SignerIdentity } from './signature-report.js';

/**
 * An exact string or a regular expression (Go RE2 syntax as cosign takes it; unanchored, as
 * Go's `Regexp.MatchString`, unless the pattern anchors itself).
 */
export type StringMatcher = { exact: string } | { regexp: string };

/** Who must have signed: a public key, or a Fulcio certificate identity and OIDC issuer. */
export type SigstorePolicy =
  | { kind: 'key'; /** PEM SubjectPublicKeyInfo */ publicKeyPem: string }
  | { kind: 'identity'; identity: StringMatcher; issuer: StringMatcher };

/** What was signed: the artifact's bytes, or only its SHA-256 (`sha256:<hex>`). DSSE bundles match it against the statement's subjects. */
export type SignedArtifact = { bytes: Uint8Array } | { digest: string };

export interface BundleVerificationOptions {
  /** trusted_root.json content (parsed JSON); absent: the production root dct ships */
  trustedRoot?: unknown;
  /** cosign's `--insecure-ignore-tlog`: accept a bundle without a transparency log entry */
  ignoreTlog?: boolean;
}

export interface BundleVerification {
  signer: SignerIdentity;
  /** ISO time from the log's integrated time or an RFC 3161 timestamp (absent when neither) */
  signedAt?: string;
  timeSource?: 'tlog' | 'tsa';
  /** message signature or DSSE */
  content: 'message-signature' | 'dsse-envelope';
  /** DSSE: the verified payload and its type (the in-toto statement) */
  payload?: { type: string; bytes: Uint8Array };
  /** the transparency log entries that were checked */
  tlog: Array<{ logIndex: string; logId: string; integratedTime?: string }>;
}

/** Verifies a Sigstore bundle (parsed JSON of any supported version). Throws a DctError (with a stable code) on any failure. */
export interface BundleVerifier {
  verify(bundle: unknown, artifact: SignedArtifact, policy: SigstorePolicy, opts?: BundleVerificationOptions): Promise<BundleVerification>;
}
