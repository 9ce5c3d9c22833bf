/**
 * Stable error codes of cosign key files, keyed and keyless Sigstore signing and blob
 * signatures (`DctError.code`). Callers match on these; the messages are for humans.
 */
export const COSIGN_KEY_ERROR_CODES = [
  // key files
  'COSIGN_KEY_INVALID_PEM',
  'COSIGN_KEY_UNSUPPORTED_PEM_TYPE',
  'COSIGN_KEY_MALFORMED',
  'COSIGN_KEY_WRONG_PASSWORD',
  'COSIGN_KEY_NOT_ALLOWED',
  'COSIGN_KEY_FILE_EXISTS',
  'COSIGN_PASSWORD_MISMATCH',
  // signing
  'COSIGN_TLOG_UPLOAD_FAILED',
  'COSIGN_TLOG_UNSUPPORTED_KEY',
  'COSIGN_KEYLESS_FAILED',
  'COSIGN_IDENTITY_TOKEN_REQUIRED',
  // blob signatures
  'COSIGN_BLOB_SIGNATURE_INVALID',
  'COSIGN_BLOB_DIGEST_MISMATCH',
  'COSIGN_BUNDLE_MALFORMED',
  'COSIGN_BUNDLE_KEY_MISMATCH',
  'COSIGN_TLOG_REQUIRED',
  'COSIGN_VERIFY_UNSUPPORTED',
  'COSIGN_FLAGS_INVALID',
] as const;

export type CosignKeyErrorCode = (typeof COSIGN_KEY_ERROR_CODES)[number];

declare module '../../core/errors.js' {
  interface ErrorCodesByModule {
    cosignKeys: CosignKeyErrorCode;
  }
}
