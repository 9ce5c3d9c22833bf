/**
 * Stable error codes of Notation signature envelopes
 * (`DctError.code`). Callers match on these; the messages are for humans.
 */
export const NOTATION_ENVELOPE_ERROR_CODES = [
  // reading an envelope
  'NOTATION_ENVELOPE_MALFORMED',
  'NOTATION_ENVELOPE_TOO_LARGE',
  'NOTATION_ENVELOPE_UNSUPPORTED',
  'NOTATION_CRITICAL_HEADER_UNSUPPORTED',
  'NOTATION_VERIFICATION_PLUGIN_UNSUPPORTED',
  // signing
  'NOTATION_SIGNING_KEY_UNSUPPORTED',
  // the checks of one signature
  'NOTATION_SIGNATURE_INVALID',
  'NOTATION_SUBJECT_MISMATCH',
  'NOTATION_CERTIFICATE_CHAIN_INVALID',
  'NOTATION_UNTRUSTED_SIGNER',
  'NOTATION_IDENTITY_MISMATCH',
  'NOTATION_CERTIFICATE_NOT_VALID_NOW',
  'NOTATION_TIMESTAMP_INVALID',
  'NOTATION_SIGNATURE_EXPIRED',
  'NOTATION_REVOCATION_NOT_CHECKED',
] as const;

export type NotationEnvelopeErrorCode = (typeof NOTATION_ENVELOPE_ERROR_CODES)[number];

declare module '../../core/errors.js' {
  interface ErrorCodesByModule {
    notationEnvelope: NotationEnvelopeErrorCode;
  }
}
