/**
 * Stable error codes of the signature formats' shared verification (dct verify)
 * (`DctError.code`). Callers match on these; the messages are for humans.
 */
export const SIGNATURE_ERROR_CODES = [
  // no signature of the image verified, in any format (dct verify's verdict)
  'NO_VERIFIED_SIGNATURE',
  // a format's report names another digest than the one it was asked about
  'SIGNATURE_SUBJECT_MISMATCH',
  // an index lists more manifests than dct verify checks one by one
  'INDEX_TOO_LARGE',
] as const;

export type SignatureErrorCode = (typeof SIGNATURE_ERROR_CODES)[number];
