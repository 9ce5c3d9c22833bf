/**
 * notary-server's error table (server/errors/errors.go, docker/distribution errcode):
 * every error reaches the wire as `{"errors":[{"code","message","detail"?}]}` + "\n".
 */
import { DctError } from '../core/errors.js';

export const API_ERRORS = {
  METADATA_NOT_FOUND: { status: 404, message: 'You have requested metadata that does not exist.' },
  MALFORMED_UPLOAD: { status: 400, message: 'The body of your request is malformed.' },
  NO_FILENAME: { status: 400, message: 'No file/role name provided.' },
  INVALID_ROLE: { status: 400, message: 'The role you are attempting to operate on is invalid.' },
  MALFORMED_JSON: { status: 400, message: 'JSON sent by the client could not be parsed by the server' },
  INVALID_UPDATE: { status: 400, message: 'Update sent by the client is invalid.' },
  VERSION: { status: 400, message: 'A newer version of metadata is already available.' },
  INVALID_GUN: { status: 400, message: 'The server does not support actions on images of this name.' },
  INVALID_PARAMETERS: { status: 400, message: 'The parameters provided are not valid.' },
  UPDATING: { status: 500, message: 'An error has occurred while updating the TUF repository.' },
  UNKNOWN: { status: 500, message: 'unknown error' },
  UNAUTHORIZED: { status: 401, message: 'authentication required' },
  DENIED: { status: 403, message: 'requested access to the resource is denied' },
  // dct's own limits (notary 0.7 has none): same envelope, distinct codes
  TOO_LARGE: { status: 413, message: 'The request body is larger than the server accepts.' },
  TOO_MANY_REQUESTS: { status: 429, message: 'Too many requests: slow down and retry later.' },
  TIMEOUT: { status: 408, message: 'The request took too long to arrive.' },
  UNAVAILABLE: { status: 503, message: 'The server is busy: retry later.' },
  // the audit feed (audit-api.ts)
  AUDIT_RECORD_INVALID: { status: 400, message: 'An audit record sent by the client is invalid.' },
  // the dashboard's API (dashboard/dashboard-http.ts)
  DASHBOARD_BAD_QUERY: { status: 400, message: 'The dashboard query is not valid.' },
  DASHBOARD_NOT_FOUND: { status: 404, message: 'The dashboard has no such page or repository.' },
} as const;

export type ApiErrorCode = keyof typeof API_ERRORS;

/**
 * An error the server answers with; `detail` is written only when defined (notary omits nil).
 * `message` and `cause` are for the server's log only: the body carries notary's fixed message.
 */
export class ApiError extends DctError {
  declare readonly code: ApiErrorCode;

  constructor(
    code: ApiErrorCode,
    readonly detail?: unknown,
    message?: string,
    readonly headers: Record<string, string> = {},
    options?: { cause?: unknown },
  ) {
    super(code, message ?? API_ERRORS[code].message, options);
  }

  get status(): number {
    return API_ERRORS[this.code].status;
  }

  body(): Buffer {
    const entry: Record<string, unknown> = { code: this.code, message: API_ERRORS[this.code].message };
    if (this.detail !== undefined) entry['detail'] = this.detail;
    return Buffer.from(JSON.stringify({ errors: [entry] }) + '\n');
  }
}

/** METADATA_NOT_FOUND with the `{}` detail storage misses carry. */
export const notFound = (): ApiError => new ApiError('METADATA_NOT_FOUND', {});
/** METADATA_NOT_FOUND without detail: what a route miss answers. */
export const routeNotFound = (): ApiError => new ApiError('METADATA_NOT_FOUND');
