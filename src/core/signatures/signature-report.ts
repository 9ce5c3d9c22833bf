/**
 * What a verification of one signature found, in every format dct reads (DCT/Notary
 * trust data, cosign, Notation): who signed which digest, with which key or identity,
 * when (and on whose word), where the signature was found, and the verdict. The policy
 * (issue 13) combines reports across formats; `dct verify` prints them.
 */
import type { DctErrorCode } from '../errors.js';

export type SignatureFormat = 'dct' | 'cosign' | 'notation';

/** `verified`: every enforced check passed; `failed`: one did (see `code`); `skipped`: a policy said not to verify. */
export type SignatureVerdict = 'verified' | 'failed' | 'skipped';

/** Who signed: a key, a certificate (Fulcio or X.509 chain) or a DCT role. Fields that do not apply are absent. */
export interface SignerIdentity {
  kind: 'key' | 'certificate' | 'role';
  /** `sha256:<hex>` of the signer's SubjectPublicKeyInfo DER (cosign, Notation), or the TUF key ID (DCT) */
  keyId?: string;
  /** a certificate's subject DN in RFC 4514 order as notation prints it (`CN=…,O=…,L=…,ST=…,C=…`) */
  subject?: string;
  /** Fulcio: the certificate's SAN (email, URI) */
  san?: string;
  /** Fulcio: the OIDC issuer extension */
  issuer?: string;
  /** DCT: the role that signed (`targets`, `targets/releases`, `targets/alice`) */
  role?: string;
  /** DCT signer name (`alice` for `targets/alice`), or a Notation/cosign friendly name when known */
  name?: string;
}

/** Where a signature lives. */
export interface SignatureLocation {
  /**
   * `referrers-api`: OCI 1.1 referrers of the subject; `referrers-tag`: the `sha256-<hex>` index
   * (tag schema fallback); `cosign-tag`: cosign's legacy `sha256-<hex>.sig` tag; `tuf`: DCT trust
   * data; `file`: a local bundle or signature file.
   */
  via: 'referrers-api' | 'referrers-tag' | 'cosign-tag' | 'tuf' | 'file';
  /** e.g. `registry/repo@sha256:…` of the signature manifest, `registry/repo:sha256-….sig`, the trust server URL, a path */
  reference: string;
}

/** One signature's report. */
export interface SignatureReport {
  format: SignatureFormat;
  /** the digest the signature covers (`sha256:…`) as the signature says it */
  subject: string;
  verdict: SignatureVerdict;
  /** when failed: the stable code of the first enforced check that failed */
  code?: DctErrorCode;
  /** when failed (or a logged check failed): why, in words */
  reason?: string;
  signer?: SignerIdentity;
  /** ISO 8601 time of signing */
  signedAt?: string;
  /** whose word `signedAt` is: a transparency log, an RFC 3161 authority, the signer's own claim, TUF metadata */
  timeSource?: 'tlog' | 'tsa' | 'claimed' | 'tuf';
  foundAt: SignatureLocation;
  /** format-specific facts worth printing (tlog index, signature media type, DCT tag name, warnings of logged checks) */
  details?: Record<string, unknown>;
}

/** The image whose signatures are looked for: always by digest. */
export interface ImageSubject {
  /** `host[:port]` as in the image reference (`docker.io` for Docker Hub) */
  registry: string;
  /** repository path in the registry (`library/alpine`) */
  repository: string;
  /** the manifest digest */
  digest: string;
  /** the tag it was resolved from, when it was */
  tag?: string;
}

/**
 * One signature format's finder and verifier, as `dct verify` calls it: every signature of
 * that format on `subject`, each with its report. A format that finds none returns `[]`;
 * one that cannot look (registry unreachable) throws a DctError.
 */
export interface FormatVerifier {
  format: SignatureFormat;
  verify(subject: ImageSubject, opts?: { signal?: AbortSignal }): Promise<SignatureReport[]>;
}
