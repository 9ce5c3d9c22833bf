/**
 * A whole small exchange in one call (token requests, pings, manifest probes): `send`
 * with a deadline over the whole exchange, on its own connection, and the body read in
 * full up to a size cap. Fails with DctError NETWORK_ERROR, TIMEOUT or RESPONSE_TOO_LARGE;
 * messages carry the method and URL without its query (which may name accounts) and
 * never a body.
 */
import type * as http from 'node:http';
import { DctError } from '../../../core/errors.js';
import type { TlsSettings } from '../tls-settings.js';
import { describeUrl, readBody, send } from './send.js';

export interface ExchangeOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer;
  /** deadline for the whole exchange */
  timeoutMs: number;
  /** a larger body (declared or received) fails with RESPONSE_TOO_LARGE */
  maxBytes: number;
  tls?: TlsSettings;
}

export interface ExchangeResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** every header as a list (repeated `WWW-Authenticate` lines stay apart) */
  headersDistinct: Record<string, string[]>;
  body: Buffer;
}

export async function exchange(url: URL, opts: ExchangeOptions): Promise<ExchangeResult> {
  const method = opts.method ?? 'GET';
  const where = describeUrl(method, url);
  const res = await send({
    method,
    url,
    ...(opts.headers ? { headers: opts.headers } : {}),
    ...(opts.body ? { body: opts.body } : {}),
    ...(opts.tls ? { tls: opts.tls } : {}),
    deadlineMs: opts.timeoutMs,
  });
  const body = await readBody(res, method === 'HEAD' ? Infinity : opts.maxBytes, (declared) =>
    declared !== undefined
      ? new DctError('RESPONSE_TOO_LARGE', `${where}: the response declares ${declared} bytes, more than the limit of ${opts.maxBytes}`)
      : new DctError('RESPONSE_TOO_LARGE', `${where}: the response exceeds the limit of ${opts.maxBytes} bytes`),
  );
  return { status: res.status, headers: res.headers, headersDistinct: res.headersDistinct, body };
}
