/** Prepared HTTP responses: built once, written many times. */
import { ApiError } from './api-errors.js';

export interface PreparedResponse {
  status: number;
  headers: Record<string, string | number>;
  body: Buffer;
  /** epoch ms after which the response must be rebuilt (e.g. a timestamp near expiry) */
  validUntil?: number;
}

export const CURRENT_CACHE_CONTROL = 'public, max-age=300, s-maxage=300, must-revalidate';
export const CONSISTENT_CACHE_CONTROL = 'public, max-age=2592000, s-maxage=2592000';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Go's RFC1123 with the zone name, as notary-server writes Last-Modified (`… 11:07:29 UTC`). */
export function rfc1123(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return (
    `${DAYS[date.getUTCDay()]}, ${p(date.getUTCDate())} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()} ` +
    `${p(date.getUTCHours())}:${p(date.getUTCMinutes())}:${p(date.getUTCSeconds())} UTC`
  );
}

export function metadataResponse(data: Buffer, lastModified: Date, consistent: boolean, validUntil?: number): PreparedResponse {
  const res: PreparedResponse = {
    status: 200,
    headers: {
      'Cache-Control': consistent ? CONSISTENT_CACHE_CONTROL : CURRENT_CACHE_CONTROL,
      'Last-Modified': rfc1123(lastModified),
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': data.length,
    },
    body: data,
  };
  if (validUntil !== undefined) res.validUntil = validUntil;
  return res;
}

export function jsonResponse(text: string, contentType = 'application/json; charset=utf-8', status = 200): PreparedResponse {
  const body = Buffer.from(text);
  return { status, headers: { 'Content-Type': contentType, 'Content-Length': body.length }, body };
}

export function emptyResponse(status = 200): PreparedResponse {
  return { status, headers: { 'Content-Length': 0 }, body: Buffer.alloc(0) };
}

export function errorResponse(err: ApiError): PreparedResponse {
  const body = err.body();
  return {
    status: err.status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length, ...err.headers },
    body,
  };
}
