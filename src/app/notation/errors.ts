/**
 * Stable error codes of Notation image signatures
 * (`DctError.code`). Callers match on these; the messages are for humans.
 */
export const NOTATION_ERROR_CODES = [
  'NOTATION_ARTIFACT_NOT_FOUND',
  'NOTATION_BAD_REFERENCE',
  'NOTATION_BAD_SIGNATURE_MANIFEST',
  'NOTATION_CHECK_AUTHENTICITY_FAILED',
  'NOTATION_CHECK_EXPIRY_FAILED',
  'NOTATION_CHECK_INTEGRITY_FAILED',
  'NOTATION_CHECK_REVOCATION_FAILED',
  'NOTATION_CHECK_TIMESTAMP_FAILED',
  'NOTATION_DIGEST_MISMATCH',
  'NOTATION_INVALID_OPTION',
  'NOTATION_NO_SIGNATURE',
  'NOTATION_TOO_MANY_SIGNATURES',
  'NOTATION_USER_METADATA_MISMATCH',
  'NOTATION_VERIFICATION_FAILED',
] as const;

export type NotationErrorCode = (typeof NOTATION_ERROR_CODES)[number];

declare module '../../core/errors.js' {
  interface ErrorCodesByModule {
    notation: NotationErrorCode;
  }
}
