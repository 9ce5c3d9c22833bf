/**
 * What the headers of a registry's answer say, read strictly: `Docker-Content-Digest`,
 * an upload's `Location` and `Range`, `Link: <…>; rel="next"` pages, `Content-Range` of a
 * resumed download, `Content-Length`, `OCI-Chunk-Min-Length`. A malformed value is
 * REGISTRY_BAD_RESPONSE; a `Location` that leaves https for plain http is INSECURE_REDIRECT.
 */
import { parseDigest } from '../../core/oci/digest.js';
import { isInsecureHost } from './endpoints.js';
import { RegistryClientError } from './registry-client-error.js';
import { header, type TransportResponse } from '../http/transport/send.js';

/** The `Docker-Content-Digest` of an answer, when it has one. */
export function servedDigest(res: TransportResponse): string | undefined {
  const value = header(res, 'docker-content-digest');
  if (value === undefined || value.trim() === '') return undefined;
  try {
    return parseDigest(value.trim()).digest;
  } catch {
    throw new RegistryClientError(
      'REGISTRY_BAD_RESPONSE',
      `${res.url.origin} sent an invalid Docker-Content-Digest ${JSON.stringify(value.slice(0, 100))}`,
      res.status,
    );
  }
}

/** The `Location` of an upload answer, resolved against the request (it may be relative). */
export function uploadLocation(
  res: TransportResponse,
  what: string,
  insecureRegistries: readonly string[] | undefined,
  fallback?: URL,
): URL {
  const value = header(res, 'location');
  if (value === undefined || value === '') {
    if (fallback) return fallback;
    throw new RegistryClientError('REGISTRY_BAD_RESPONSE', `${res.url.origin} gave no upload location when ${what}`, res.status);
  }
  let u: URL;
  try {
    u = new URL(value, res.url);
  } catch {
    throw new RegistryClientError('REGISTRY_BAD_RESPONSE', `${res.url.origin} gave an invalid upload location when ${what}`, res.status);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    throw new RegistryClientError('REGISTRY_BAD_RESPONSE', `${res.url.origin} gave a ${u.protocol} upload location`, res.status);
  if (res.url.protocol === 'https:' && u.protocol === 'http:' && !isInsecureHost(u.host, insecureRegistries)) {
    throw new RegistryClientError(
      'INSECURE_REDIRECT',
      `${res.url.origin} sends the upload to plain http (${u.origin}): refusing to leave https`,
      res.status,
    );
  }
  return u;
}

/** The next page of a paginated answer (same origin only), or undefined on the last page. */
export function nextLink(res: TransportResponse): URL | undefined {
  const next = parseNextLink(res.headersDistinct['link'] ?? []);
  if (next === undefined) return undefined;
  let u: URL;
  try {
    u = new URL(next, res.url);
  } catch {
    throw new RegistryClientError('REGISTRY_BAD_RESPONSE', `${res.url.origin} sent an invalid Link header`, res.status);
  }
  if (u.origin !== res.url.origin)
    throw new RegistryClientError(
      'REGISTRY_BAD_RESPONSE',
      `${res.url.origin} links the next page to another server (${u.origin})`,
      res.status,
    );
  return u;
}

/** The target of `rel="next"` in `Link` header values. */
export function parseNextLink(values: readonly string[]): string | undefined {
  for (const value of values) {
    for (const m of value.matchAll(/<([^>]*)>\s*((?:;\s*[^;,]*)*)/g)) {
      const params = m[2] ?? '';
      if (/;\s*rel\s*=\s*"?(?:[^";,]*\s)?next(?:\s[^";,]*)?"?/i.test(params)) return m[1];
    }
  }
  return undefined;
}

export function parseContentRange(value: string | undefined): { start: number; end: number; total: number | undefined } | undefined {
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec((value ?? '').trim());
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) return undefined;
  return { start, end, total: m[3] === '*' ? undefined : Number(m[3]) };
}

/** An upload's `Range: 0-<last>` → bytes held (`0-0` is ambiguous: distribution sends it for an empty upload too). */
export function parseUploadRange(value: string | undefined): number | undefined {
  const m = /^(?:bytes=)?0-(\d+)$/.exec((value ?? '').trim());
  if (!m) return undefined;
  const last = Number(m[1]);
  return last === 0 ? undefined : last + 1;
}

export function chunkMinLength(res: TransportResponse): number | undefined {
  const v = Number(header(res, 'oci-chunk-min-length'));
  return Number.isSafeInteger(v) && v > 0 ? v : undefined;
}

export function contentLength(res: TransportResponse): number | undefined {
  const v = header(res, 'content-length');
  if (v === undefined || !/^\d+$/.test(v.trim())) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : undefined;
}
