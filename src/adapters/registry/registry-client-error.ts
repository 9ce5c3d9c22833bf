/**
 * What the registry client raises: `RegistryClientError`, a `DctError` with the HTTP status
 * and the registry's `errors[]` (the distribution spec's error body), and the mapping of an
 * unexpected answer to a stable code. (The registry the server runs answers with its own
 * `RegistryApiError`, in src/server/registry/registry-api-error.ts.)
 */
import { DctError } from '../../core/errors.js';
import type { RegistryClientErrorCode } from '../errors.js';
import { DOCKER_HUB_REGISTRY } from './endpoints.js';
import { decodeErrorBody, readErrorBody } from '../http/transport/error-body.js';
import { header, type TransportResponse } from '../http/transport/send.js';

/** One entry of a registry's `{"errors":[…]}` */
export interface RegistryErrorDetail {
  code: string;
  message: string;
  detail?: unknown;
}

/** A failure the registry reported (or a protocol violation), with the HTTP status and its `errors[]`. */
export class RegistryClientError extends DctError {
  declare readonly code: RegistryClientErrorCode;

  constructor(
    code: RegistryClientErrorCode,
    message: string,
    readonly status?: number,
    readonly errors: readonly RegistryErrorDetail[] = [],
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** The codes the client raises are `RegistryClientErrorCode` (adapters/errors.ts). */

/** What was asked for, for the 404 codes: MANIFEST_NOT_FOUND, BLOB_NOT_FOUND, REPOSITORY_UNKNOWN. */
export type FailureKind = 'manifest' | 'blob' | 'repository';

/** The error for an unexpected answer of `host`, with the registry's `errors[]`. */
export async function registryFailure(res: TransportResponse, what: string, kind: FailureKind, host: string): Promise<RegistryClientError> {
  let body: Buffer = Buffer.alloc(0);
  if (res.body.readable) {
    try {
      body = await readErrorBody(res);
    } catch {
      // the status says enough
    }
  }
  const errors = registryErrors(body);
  const said =
    errors.length > 0
      ? `: ${errors
          .map((e) => `${e.code}: ${e.message}${detailText(e.detail)}`)
          .join('; ')
          .slice(0, 500)}`
      : '';
  const status = res.status;
  const where = `${what} (${res.url.origin}, HTTP ${status}${said})`;
  const codes = new Set(errors.map((e) => e.code));
  if (status === 401) {
    const login = host === DOCKER_HUB_REGISTRY ? 'docker login' : `docker login ${host}`;
    return new RegistryClientError(
      'REGISTRY_UNAUTHORIZED',
      `authentication required for ${where}: log in with \`${login}\``,
      status,
      errors,
    );
  }
  if (status === 403) return new RegistryClientError('REGISTRY_DENIED', `access denied to ${where}`, status, errors);
  if (status === 404) {
    if (kind === 'manifest')
      return new RegistryClientError(
        'MANIFEST_NOT_FOUND',
        `${what} not found on ${res.url.origin}${said || ': manifest unknown'}`,
        status,
        errors,
      );
    if (kind === 'blob' && !codes.has('NAME_UNKNOWN') && !codes.has('BLOB_UPLOAD_UNKNOWN'))
      return new RegistryClientError('BLOB_NOT_FOUND', `${what} not found on ${res.url.origin}${said || ': blob unknown'}`, status, errors);
    if (codes.has('BLOB_UPLOAD_UNKNOWN'))
      return new RegistryClientError('UPLOAD_UNKNOWN', `${where}: the upload session is gone`, status, errors);
    return new RegistryClientError(
      'REPOSITORY_UNKNOWN',
      `${what}: the repository is not known to ${res.url.origin}${said}`,
      status,
      errors,
    );
  }
  if (status === 429) {
    const after = header(res, 'retry-after');
    return new RegistryClientError(
      'REGISTRY_TOO_MANY_REQUESTS',
      `${where}: too many requests${after !== undefined ? ` (retry after ${after.slice(0, 40)})` : ''}`,
      status,
      errors,
    );
  }
  if (status === 413) return new RegistryClientError('REGISTRY_REJECTED', `${where}: too large for the registry`, status, errors);
  if (status >= 400 && status < 500) return new RegistryClientError('REGISTRY_REJECTED', `the registry refused ${where}`, status, errors);
  if (status >= 500) return new RegistryClientError('REGISTRY_SERVER_ERROR', `the registry failed on ${where}`, status, errors);
  if (status >= 300 && status < 400)
    return new RegistryClientError('REGISTRY_BAD_RESPONSE', `unexpected redirect for ${where}`, status, errors);
  return new RegistryClientError('REGISTRY_BAD_RESPONSE', `unexpected answer to ${where}`, status, errors);
}

/** The registry's `errors[]` (the first 10, codes and messages cut short). */
function registryErrors(body: Buffer): RegistryErrorDetail[] {
  return decodeErrorBody(body, 10).map((e) => ({
    code: e.code?.slice(0, 100) ?? 'UNKNOWN',
    message: e.message?.slice(0, 300) ?? '',
    ...(e.detail !== undefined ? { detail: e.detail } : {}),
  }));
}

function detailText(detail: unknown): string {
  if (detail === undefined || detail === null) return '';
  const text = typeof detail === 'string' ? detail : JSON.stringify(detail);
  return text === '' || text === '{}' ? '' : ` (${text.slice(0, 200)})`;
}
