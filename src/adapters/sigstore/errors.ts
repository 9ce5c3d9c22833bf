/**
 * Stable error codes of Sigstore bundles
 * (`DctError.code`). Callers match on these; the messages are for humans.
 */
export const SIGSTORE_ERROR_CODES = [
  // the bundle itself
  'SIGSTORE_BUNDLE_MALFORMED',
  'SIGSTORE_BUNDLE_UNSUPPORTED',
  'SIGSTORE_BUNDLE_TOO_LARGE',
  // what verification checks
  'SIGSTORE_SIGNATURE_INVALID',
  'SIGSTORE_CERTIFICATE_INVALID',
  'SIGSTORE_IDENTITY_MISMATCH',
  'SIGSTORE_KEY_MISMATCH',
  'SIGSTORE_TLOG_INVALID',
  'SIGSTORE_TLOG_MISSING',
  'SIGSTORE_TIMESTAMP_INVALID',
  'SIGSTORE_ARTIFACT_MISMATCH',
  'SIGSTORE_DIGEST_UNSUPPORTED',
  'SIGSTORE_POLICY_INVALID',
  // trust material
  'SIGSTORE_TRUSTED_ROOT_INVALID',
  'SIGSTORE_TUF_UPDATE_FAILED',
  // signing
  'SIGSTORE_SIGNING_FAILED',
  'SIGSTORE_SIGNING_CONFIG_INVALID',
] as const;

export type SigstoreErrorCode = (typeof SIGSTORE_ERROR_CODES)[number];

declare module '../../core/errors.js' {
  interface ErrorCodesByModule {
    sigstore: SigstoreErrorCode;
  }
}
