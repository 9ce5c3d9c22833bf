/**
 * Stable error codes of cosign image signatures
 * (`DctError.code`). Callers match on these; the messages are for humans.
 */
export const COSIGN_ERROR_CODES = [] as const;

export type CosignErrorCode = (typeof COSIGN_ERROR_CODES)[number];

declare module '../../core/errors.js' {
  interface ErrorCodesByModule {
    cosign: CosignErrorCode;
  }
}
