/**
 * The bottom of the transport family: one streaming HTTP(S) exchange on node:http(s), so
 * that the bytes on the wire are exactly the ones asked for. The request body may be a
 * stream (opened by a factory, so the request can be replayed), the response body is
 * handed over as a stream. Deadlines, each optional: `timeoutMs` for the response head
 * (counted from the end of the request body), `idleTimeoutMs` of socket silence at any
 * point (upload, wait, download), `deadlineMs` for the whole exchange up to the end of
 * the response body. Errors are DctError NETWORK_ERROR, TIMEOUT or ABORTED; messages
 * carry the method and the URL without its query (upload URLs carry state).
 *
 * The wrappers around it (retry, auth, redirect, user agent) are in this folder.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { pipeline, type Readable } from 'node:stream';
import { DctError } from '../../../core/errors.js';
import { tlsConnectOptions } from '../tls-options.js';
import type { TlsSettings } from '../tls-settings.js';

export interface StreamBody {
  /** the exact number of bytes `open()` yields (sent as Content-Length) */
  length: number;
  open: () => Readable;
}

export interface TransportRequest {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  body?: Buffer | StreamBody;
  tls?: TlsSettings;
  agent?: http.Agent;
  /** deadline of the response head, from the end of the request body (none when absent) */
  timeoutMs?: number;
  /** longest silence of the socket (none when absent) */
  idleTimeoutMs?: number;
  /** deadline of the whole exchange, up to the end of the response body (none when absent) */
  deadlineMs?: number;
  signal?: AbortSignal;
}

export interface TransportResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  headersDistinct: Record<string, string[]>;
  /** the URL that answered */
  url: URL;
  body: http.IncomingMessage;
  /** why the body stream failed (TIMEOUT…), when the transport knows better than the stream error */
  failure(): DctError | undefined;
}

export function describeUrl(method: string, url: URL): string {
  return `${method} ${url.origin}${url.pathname}`;
}

/** what a server closing an idle keep-alive connection looks like to the next request on it */
const STALE_SOCKET_CODES = new Set(['ECONNRESET', 'EPIPE']);
const staleFailures = new WeakSet<DctError>();

/** True for a failure of a request sent on a reused keep-alive connection the server had closed (see reconnect.ts). */
export function isStaleConnection(err: unknown): boolean {
  return err instanceof DctError && staleFailures.has(err);
}

export function send(r: TransportRequest): Promise<TransportResponse> {
  const where = describeUrl(r.method, r.url);
  return new Promise<TransportResponse>((resolve, reject) => {
    let failure: DctError | undefined;
    let responded = false;
    let headTimer: NodeJS.Timeout | undefined;
    let deadline: NodeJS.Timeout | undefined;
    const fail = (err: DctError) => {
      failure ??= err;
      if (headTimer) clearTimeout(headTimer);
      if (!responded && deadline) clearTimeout(deadline);
      req.destroy(failure);
      if (!responded) reject(failure);
    };
    const headers: Record<string, string> = { ...(r.headers ?? {}) };
    if (r.body !== undefined) headers['Content-Length'] = String(r.body.length);
    else if (r.method === 'POST' || r.method === 'PUT' || r.method === 'PATCH') headers['Content-Length'] = '0';
    const options: https.RequestOptions = {
      method: r.method,
      headers,
      agent: r.agent ?? false,
      ...(r.signal ? { signal: r.signal } : {}),
      ...(r.url.protocol === 'https:' ? tlsConnectOptions(r.tls) : {}),
    };
    const request = r.url.protocol === 'https:' ? https.request : r.url.protocol === 'http:' ? http.request : undefined;
    if (!request) {
      reject(new DctError('INVALID_REQUEST', `unsupported URL scheme ${r.url.protocol} in ${where}`));
      return;
    }
    const startHeadTimer = () => {
      if (responded || failure || r.timeoutMs === undefined) return;
      headTimer = setTimeout(() => fail(new DctError('TIMEOUT', `${where}: no answer within ${r.timeoutMs} ms`)), r.timeoutMs);
    };
    const req = request(r.url, options, (res) => {
      responded = true;
      if (headTimer) clearTimeout(headTimer);
      const distinct: Record<string, string[]> = {};
      for (const [k, v] of Object.entries(res.headersDistinct)) if (v) distinct[k] = v;
      res.on('error', () => {
        // reported to whoever reads the body
      });
      if (deadline) res.on('close', () => clearTimeout(deadline));
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        headersDistinct: distinct,
        url: r.url,
        body: res,
        failure: () => failure,
      });
    });
    const idle = r.idleTimeoutMs;
    if (idle !== undefined) req.setTimeout(idle, () => fail(new DctError('TIMEOUT', `${where}: no data for ${idle} ms`)));
    const whole = r.deadlineMs;
    if (whole !== undefined)
      deadline = setTimeout(() => fail(new DctError('TIMEOUT', `${where}: no complete response within ${whole} ms`)), whole);
    req.on('error', (err) => {
      if (failure) return fail(failure);
      if ((err as { name?: string }).name === 'AbortError') return fail(new DctError('ABORTED', `${where}: aborted`, { cause: err }));
      if (err instanceof DctError) return fail(err);
      const wrapped = new DctError('NETWORK_ERROR', `${where}: ${err.message}`, { cause: err });
      if (req.reusedSocket && STALE_SOCKET_CODES.has((err as NodeJS.ErrnoException).code ?? '')) staleFailures.add(wrapped);
      fail(wrapped);
    });
    const body = r.body;
    if (body === undefined) {
      req.end();
      startHeadTimer();
    } else if (Buffer.isBuffer(body)) {
      req.end(body, startHeadTimer);
    } else {
      let source: Readable;
      try {
        source = body.open();
      } catch (err) {
        fail(
          err instanceof DctError
            ? err
            : new DctError('UPLOAD_SOURCE_FAILED', `${where}: cannot read the content to send: ${(err as Error).message}`, { cause: err }),
        );
        return;
      }
      req.on('finish', startHeadTimer);
      pipeline(source, req, (err) => {
        if (!err) return;
        if (err instanceof DctError) fail(err);
        else if (!failure && !responded) fail(new DctError('UPLOAD_SOURCE_FAILED', `${where}: ${err.message}`, { cause: err }));
      });
    }
  });
}

export interface ReadBodyOptions {
  /** stop reading after this many bytes and return them (the rest is dropped with the connection) */
  truncateAt?: number;
}

/**
 * Reads a (small) response body, failing with `tooLarge()` past `max` bytes (declared or
 * received) and with the transport's failure or NETWORK_ERROR when the stream breaks.
 * With `truncateAt`, a body reaching that many bytes is cut there instead (a declared
 * length over `max` still fails).
 */
export async function readBody(
  res: TransportResponse,
  max: number,
  tooLarge: (size: number | undefined) => DctError,
  opts: ReadBodyOptions = {},
): Promise<Buffer> {
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) {
    res.body.destroy();
    throw tooLarge(declared);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      if (opts.truncateAt !== undefined && size + chunk.length >= opts.truncateAt) {
        chunks.push(chunk.subarray(0, opts.truncateAt - size));
        size = opts.truncateAt;
        res.body.destroy();
        break;
      }
      size += chunk.length;
      if (size > max) {
        res.body.destroy();
        throw tooLarge(undefined);
      }
      chunks.push(chunk);
    }
  } catch (err) {
    throw streamError(res, err);
  }
  return Buffer.concat(chunks, size);
}

/** What a broken response stream means, as a DctError. */
export function streamError(res: TransportResponse, err: unknown): DctError {
  if (err instanceof DctError) return err;
  const known = res.failure();
  if (known) return known;
  if ((err as { name?: string }).name === 'AbortError')
    return new DctError('ABORTED', `${describeUrl('GET', res.url)}: aborted`, { cause: err });
  return new DctError(
    'NETWORK_ERROR',
    `${res.url.origin}${res.url.pathname}: the connection broke while reading the answer: ${(err as Error).message}`,
    { cause: err },
  );
}

/** Reads and drops a body we do not need (small ones keep the connection reusable, large ones close it). */
export async function discard(res: TransportResponse, max = 64 * 1024): Promise<void> {
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) {
    res.body.destroy();
    return;
  }
  try {
    let size = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > max) {
        res.body.destroy();
        return;
      }
    }
  } catch {
    // nothing to keep
  }
}

export function header(res: { headers: http.IncomingHttpHeaders }, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
