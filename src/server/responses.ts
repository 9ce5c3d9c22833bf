/** Prepared HTTP responses: built once, written many times. */
import { ApiError } from './api-errors.js';

export interface PreparedResponse {
  status: number;
  headers: Record<string, string | number>;
  body: Buffer;
  /** epoch ms after which the response must be rebuilt (e.g. a timestamp near expiry) */
  validUntil?: number;
}

/**
 * notary's cache headers for a max age (`N:utils/http.go` NewCacheControlConfig):
 * public with max-age and s-maxage (current metadata: must-revalidate too), or, for
 * 0, `max-age=0, no-cache, no-store` with `Pragma: no-cache`.
 */
export function cacheHeaders(maxAgeSeconds: number, mustRevalidate: boolean): Record<string, string> {
  if (maxAgeSeconds <= 0) return { 'Cache-Control': 'max-age=0, no-cache, no-store', Pragma: 'no-cache' };
  return { 'Cache-Control': `public, max-age=${maxAgeSeconds}, s-maxage=${maxAgeSeconds}${mustRevalidate ? ', must-revalidate' : ''}` };
}

/** Cache headers of current metadata (`<role>.json`) and of consistent metadata (by checksum or version). */
export interface MetadataCaching {
  current: Record<string, string>;
  consistent: Record<string, string>;
}

/** notary-server's defaults: 5 minutes and 30 days (`caching.max_age`). */
export const DEFAULT_CURRENT_MAX_AGE = 300;
export const DEFAULT_CONSISTENT_MAX_AGE = 30 * 24 * 3600;
/** notary refuses a longer max age: a year */
export const MAX_CACHE_MAX_AGE = 365 * 24 * 3600;

export function metadataCaching(currentMaxAge = DEFAULT_CURRENT_MAX_AGE, consistentMaxAge = DEFAULT_CONSISTENT_MAX_AGE): MetadataCaching {
  return { current: cacheHeaders(currentMaxAge, true), consistent: cacheHeaders(consistentMaxAge, false) };
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Go's RFC1123 with the zone name, as notary-server writes Last-Modified (`… 11:07:29 UTC`). */
export function rfc1123(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  // joined, not concatenated: one flat string rather than a chain of pieces (read caches hold many)
  return [
    DAYS[date.getUTCDay()],
    ', ',
    p(date.getUTCDate()),
    ' ',
    MONTHS[date.getUTCMonth()],
    ' ',
    date.getUTCFullYear(),
    ' ',
    p(date.getUTCHours()),
    ':',
    p(date.getUTCMinutes()),
    ':',
    p(date.getUTCSeconds()),
    ' UTC',
  ].join('');
}

/**
 * A stored metadata file; `caching`: the headers of its kind (`MetadataCaching.current` or `.consistent`).
 * The headers are object literals with fixed keys, so that the many a read cache holds share one shape.
 */
export function metadataResponse(data: Buffer, lastModified: Date, caching: Record<string, string>, validUntil?: number): PreparedResponse {
  const cacheControl = caching['Cache-Control'] as string;
  const pragma = caching['Pragma'];
  const modified = rfc1123(lastModified);
  const type = 'text/plain; charset=utf-8';
  const res: PreparedResponse = {
    status: 200,
    headers:
      pragma === undefined
        ? { 'Cache-Control': cacheControl, 'Last-Modified': modified, 'Content-Type': type, 'Content-Length': data.length }
        : { 'Cache-Control': cacheControl, Pragma: pragma, 'Last-Modified': modified, 'Content-Type': type, 'Content-Length': data.length },
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
