/**
 * The error codes `dct signer` answers with (and raises at start); the union joins
 * `DctErrorCode` (see core/errors.ts). The remote key service passes them through to its
 * callers. The README's table of error codes is tested against this list.
 */

export const SIGNER_ERROR_CODES = [
  'INVALID_ARGUMENT',
  'INVALID_REQUEST',
  'CLIENT_NOT_ALLOWED',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'UNSUPPORTED_MEDIA_TYPE',
  'BODY_TOO_LARGE',
  'KEY_NOT_FOUND',
] as const;

export type SignerErrorCode = (typeof SIGNER_ERROR_CODES)[number];

declare module '../core/errors.js' {
  interface ErrorCodesByModule {
    signer: SignerErrorCode;
  }
}
