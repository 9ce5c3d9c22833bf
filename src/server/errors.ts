/**
 * The error codes of the server: its own start-up and command failures here, and the two
 * wire tables — the trust API's (api-errors.ts, notary-server's codes) and the registry
 * API's (registry/registry-api-error.ts, the distribution spec's codes). Each union joins `DctErrorCode`
 * (see core/errors.ts); the README's table of error codes is tested against these lists.
 */
import type { ApiErrorCode } from './api-errors.js';
import type { RegistryApiErrorCode } from './registry/registry-api-error.js';

/** Configuration and start-up failures, and the registry's gc command. */
export const SERVER_ERROR_CODES = ['INVALID_CONFIG', 'AUTH_REQUIRED', 'INVALID_PARAMETERS'] as const;

export type ServerErrorCode = (typeof SERVER_ERROR_CODES)[number];

declare module '../core/errors.js' {
  interface ErrorCodesByModule {
    server: ServerErrorCode;
    trustApi: ApiErrorCode;
    registryApi: RegistryApiErrorCode;
  }
}
