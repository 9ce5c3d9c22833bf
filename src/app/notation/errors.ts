/**
 * Stable error codes of Notation image signatures
 * (`DctError.code`). Callers match on these; the messages are for humans.
 */
export const NOTATION_ERROR_CODES = [] as const;

export type NotationErrorCode = (typeof NOTATION_ERROR_CODES)[number];

declare module '../../core/errors.js' {
  interface ErrorCodesByModule {
    notation: NotationErrorCode;
  }
}
