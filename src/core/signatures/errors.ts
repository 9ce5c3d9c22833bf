/**
 * Stable error codes of the signature formats' shared verification (dct verify)
 * (`DctError.code`). Callers match on these; the messages are for humans.
 */
export const SIGNATURE_ERROR_CODES = [] as const;

export type SignatureErrorCode = (typeof SIGNATURE_ERROR_CODES)[number];
