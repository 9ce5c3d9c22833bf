/**
 * Stable error codes of Sigstore bundles
 * (`DctError.code`). Callers match on these; the messages are for humans.
 */
export const SIGSTORE_ERROR_CODES = [] as const;

export type SigstoreErrorCode = (typeof SIGSTORE_ERROR_CODES)[number];

declare module '../../core/errors.js' {
  interface ErrorCodesByModule {
    sigstore: SigstoreErrorCode;
  }
}
