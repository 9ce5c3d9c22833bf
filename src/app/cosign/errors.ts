/**
 * Stable error codes of cosign image signatures
 * (`DctError.code`). Callers match on these; the messages are for humans.
 */
export const COSIGN_ERROR_CODES = [
  // finding signatures
  'COSIGN_IMAGE_NOT_FOUND',
  'COSIGN_NO_SIGNATURES',
  'COSIGN_TOO_MANY_SIGNATURES',
  // what is stored
  'COSIGN_INVALID_SIGNATURE_MANIFEST',
  'COSIGN_INVALID_BUNDLE_REFERRER',
  'COSIGN_INVALID_PAYLOAD',
  'COSIGN_INVALID_STATEMENT',
  // verification
  'COSIGN_SIGNATURE_INVALID',
  'COSIGN_NO_CERTIFICATE',
  'COSIGN_DIGEST_MISMATCH',
  'COSIGN_ANNOTATION_MISMATCH',
  'COSIGN_NO_MATCHING_SIGNATURES',
  'COSIGN_NO_MATCHING_ATTESTATIONS',
  'COSIGN_PREDICATE_TYPE_MISMATCH',
] as const;

export type CosignErrorCode = (typeof COSIGN_ERROR_CODES)[number];

declare module '../../core/errors.js' {
  interface ErrorCodesByModule {
    cosign: CosignErrorCode;
  }
}
