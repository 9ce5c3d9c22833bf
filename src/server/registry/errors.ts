/**
 * The OCI distribution spec's error codes (docker/distribution errcode): every
 * refusal reaches the wire as `{"errors":[{"code","message","detail"?}]}`.
 * The message may be more specific than the spec's default (the pull gate's
 * denials name the rule); clients show it.
 */
import { DctError } from '../../core/errors.js';
import type { PreparedResponse } from '../responses.js';

export const REGISTRY_ERRORS = {
  BLOB_UNKNOWN: { status: 404, message: 'blob unknown to registry' },
  BLOB_UPLOAD_INVALID: { status: 400, message: 'blob upload invalid' },
  BLOB_UPLOAD_UNKNOWN: { status: 404, message: 'blob upload unknown to registry' },
  DIGEST_INVALID: { status: 400, message: 'provided digest did not match uploaded content' },
  MANIFEST_BLOB_UNKNOWN: { status: 400, message: 'manifest references a manifest or blob unknown to registry' },
  MANIFEST_INVALID: { status: 400, message: 'manifest invalid' },
  MANIFEST_UNKNOWN: { status: 404, message: 'manifest unknown' },
  NAME_INVALID: { status: 400, message: 'invalid repository name' },
  NAME_UNKNOWN: { status: 404, message: 'repository name not known to registry' },
  SIZE_INVALID: { status: 400, message: 'provided length did not match content length' },
  TAG_INVALID: { status: 400, message: 'manifest tag did not match URI' },
  RANGE_INVALID: { status: 416, message: 'invalid content range' },
  PAGINATION_NUMBER_INVALID: { status: 400, message: 'invalid number of results requested' },
  UNAUTHORIZED: { status: 401, message: 'authentication required' },
  DENIED: { status: 403, message: 'requested access to the resource is denied' },
  UNSUPPORTED: { status: 405, message: 'The operation is unsupported.' },
  TOOMANYREQUESTS: { status: 429, message: 'too many requests' },
  UNKNOWN: { status: 500, message: 'unknown error' },
} as const;

export type RegistryApiErrorCode = keyof typeof REGISTRY_ERRORS;

export class RegistryError extends DctError {
  declare readonly code: RegistryApiErrorCode;

  constructor(
    code: RegistryApiErrorCode,
    message?: string,
    readonly detail?: unknown,
    readonly headers: Record<string, string> = {},
    /** a status other than the code's usual one (a blob over the size limit: SIZE_INVALID with 413) */
    private readonly statusOverride?: number,
  ) {
    super(code, message ?? REGISTRY_ERRORS[code].message);
  }

  get status(): number {
    return this.statusOverride ?? REGISTRY_ERRORS[this.code].status;
  }

  response(): PreparedResponse {
    const entry: Record<string, unknown> = { code: this.code, message: this.message };
    if (this.detail !== undefined) entry['detail'] = this.detail;
    const body = Buffer.from(JSON.stringify({ errors: [entry] }) + '\n');
    return {
      status: this.status,
      headers: { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length, ...this.headers },
      body,
    };
  }
}
