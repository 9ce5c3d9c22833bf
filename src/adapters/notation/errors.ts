/**
 * Stable error codes of Notation signature envelopes
 * (`DctError.code`). Callers match on these; the messages are for humans.
 */
export const NOTATION_ENVELOPE_ERROR_CODES = [] as const;

export type NotationEnvelopeErrorCode = (typeof NOTATION_ENVELOPE_ERROR_CODES)[number];

declare module '../../core/errors.js' {
  interface ErrorCodesByModule {
    notationEnvelope: NotationEnvelopeErrorCode;
  }
}
