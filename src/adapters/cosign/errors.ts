/**
 * Stable error codes of cosign key files
 * (`DctError.code`). Callers match on these; the messages are for humans.
 */
export const COSIGN_KEY_ERROR_CODES = [] as const;

export type CosignKeyErrorCode = (typeof COSIGN_KEY_ERROR_CODES)[number];

declare module '../../core/errors.js' {
  interface ErrorCodesByModule {
    cosignKeys: CosignKeyErrorCode;
  }
}
