/**
 * The one decoder of error bodies (go-containerregistry `transport/error.go`): the
 * distribution API and the Notary API both answer `{"errors":[{"code","message","detail"}]}`;
 * token servers may answer OAuth's `{"error","error_description"}` instead. Each client
 * turns the entries into its own error (codes, messages) — this file only reads them.
 */
import type { TransportResponse } from './send.js';
import { readBody } from './send.js';
import { DctError } from '../../../core/errors.js';

/** One entry of an `errors[]` body, as the server wrote it (fields of the wrong type are left out). */
export interface ErrorBodyEntry {
  code?: string;
  message?: string;
  detail?: unknown;
}

/** The most of an error body read: enough for any message, never a reason to fail. */
export const MAX_ERROR_BODY = 64 * 1024;

/** The body as a JSON object, or undefined (not JSON, or not an object). */
export function jsonObject(body: Buffer | string): Record<string, unknown> | undefined {
  let json: unknown;
  try {
    json = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch {
    return undefined;
  }
  return typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined;
}

/** The entries of `errors[]` that are objects, at most `limit` of the list; none when the body is not such a body. */
export function decodeErrorBody(body: Buffer | string, limit = Infinity): ErrorBodyEntry[] {
  const list = jsonObject(body)?.['errors'];
  if (!Array.isArray(list)) return [];
  const out: ErrorBodyEntry[] = [];
  for (const e of list.slice(0, limit)) {
    if (typeof e !== 'object' || e === null) continue;
    const { code, message, detail } = e as Record<string, unknown>;
    out.push({
      ...(typeof code === 'string' ? { code } : {}),
      ...(typeof message === 'string' ? { message } : {}),
      ...(detail !== undefined ? { detail } : {}),
    });
  }
  return out;
}

/** What the server said, in one line: the first `errors[].message`, else OAuth's `error_description`, `details` or `error`. */
export function errorBodyMessage(body: Buffer | string): string | undefined {
  const o = jsonObject(body);
  if (!o) return undefined;
  const first = decodeErrorBody(body, 1)[0];
  if (first?.message !== undefined) return first.message;
  for (const key of ['error_description', 'details', 'error']) {
    const v = o[key];
    if (typeof v === 'string' && v !== '') return v;
  }
  return undefined;
}

/** Reads an error response's body up to `max` bytes (the rest is dropped, never refused); a broken stream fails as in `readBody`. */
export async function readErrorBody(res: TransportResponse, max = MAX_ERROR_BODY): Promise<Buffer> {
  return readBody(res, Infinity, () => new DctError('RESPONSE_TOO_LARGE', 'error body too large'), { truncateAt: max });
}
