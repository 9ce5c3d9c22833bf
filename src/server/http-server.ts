/**
 * The HTTP(S) edge of the trust server: node:http(s) with a read path that
 * answers cached metadata synchronously (no JSON, crypto, database or logging
 * per request while nothing changed) and everything else through `handleRoute`.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Logger } from 'pino';
import { Counter, Registry } from 'prom-client';
import { ApiError, routeNotFound } from './api-errors.js';
import { errorResponse, type PreparedResponse } from './responses.js';
import { matchRoute, type Route } from './routes.js';
import { cacheKey, handleRoute, type TrustApiContext } from './trust-api.js';

export interface HttpOptions {
  tls?: { cert: Buffer | string; key: Buffer | string };
  /** whole request body limit (multipart uploads) */
  maxBodyBytes: number;
  /** per client address: write requests (POST/DELETE/PUT) per second, and burst */
  writeRate: { perSecond: number; burst: number };
  requestTimeoutMs: number;
}

export interface TrustHttpServer {
  server: Server;
  metrics: Registry;
}

export function createTrustHttpServer(ctx: TrustApiContext, opts: HttpOptions, log: Logger): TrustHttpServer {
  const metrics = new Registry();
  const requests = new Counter({
    name: 'dct_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['route', 'status'],
    registers: [metrics],
  });
  const limiter = new WriteRateLimiter(opts.writeRate.perSecond, opts.writeRate.burst);

  const send = (res: ServerResponse, route: Route, prepared: PreparedResponse) => {
    res.writeHead(prepared.status, prepared.headers);
    res.end(prepared.body);
    requests.inc({ route: route.name, status: prepared.status });
  };

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    let path: string;
    try {
      path = decodeURIComponent(q < 0 ? url : url.slice(0, q));
    } catch {
      send(res, { name: 'notFound' }, errorResponse(routeNotFound()));
      return;
    }
    const method = req.method ?? 'GET';
    const route = matchRoute(method, path);
    // the hot path: a prepared answer, written synchronously
    if (method === 'GET') {
      const key = cacheKey(route);
      const hit = key !== undefined ? ctx.cache.get(key, Date.now()) : undefined;
      if (hit) {
        send(res, route, hit);
        return;
      }
    }
    void serveSlow(req, res, route, q < 0 ? '' : url.slice(q + 1)).catch((err: unknown) => {
      log.error({ err, route: route.name }, 'request failed');
      if (!res.headersSent) send(res, route, errorResponse(new ApiError('UNKNOWN', {})));
      else res.destroy();
    });
  };

  const serveSlow = async (req: IncomingMessage, res: ServerResponse, route: Route, query: string) => {
    let prepared: PreparedResponse;
    try {
      if (route.name === 'metrics') {
        const text = await metrics.metrics();
        prepared = { status: 200, headers: { 'Content-Type': metrics.contentType, 'Content-Length': Buffer.byteLength(text) }, body: Buffer.from(text) };
      } else if (route.name === 'notFound') {
        prepared = errorResponse(routeNotFound());
        req.resume();
      } else {
        const write = req.method !== 'GET';
        if (write && !limiter.take(req.socket.remoteAddress ?? '?')) {
          throw new ApiError('TOO_MANY_REQUESTS', undefined, undefined, { 'Retry-After': '1' });
        }
        const body = write ? await readBody(req, opts.maxBodyBytes) : undefined;
        prepared = await handleRoute(ctx, route, { headers: req.headers, query: new URLSearchParams(query), ...(body ? { body } : {}) });
        if (write) log.info({ route: route.name, gun: 'gun' in route ? route.gun : undefined, status: prepared.status }, 'write');
      }
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      prepared = errorResponse(err);
      if (err.status >= 500) log.error({ err, route: route.name }, 'request failed');
      else if (req.method !== 'GET') log.info({ route: route.name, code: err.code, status: err.status }, 'write refused');
    }
    send(res, route, prepared);
  };

  const server = opts.tls ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key, minVersion: 'TLSv1.2' }, handler) : createHttpServer(handler);
  server.requestTimeout = opts.requestTimeoutMs;
  server.headersTimeout = Math.min(opts.requestTimeoutMs, 60_000);
  server.keepAliveTimeout = 30_000;
  return { server, metrics };
}

/** Reads a request body up to `limit` bytes; TOO_LARGE (without reading the rest) beyond. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(new ApiError('TOO_LARGE', { limit }));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new ApiError('TOO_LARGE', { limit }));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** A token bucket per client address for write requests. */
class WriteRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {}

  take(client: string): boolean {
    const now = Date.now();
    const b = this.buckets.get(client) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.perSecond);
    b.at = now;
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    this.buckets.set(client, b);
    if (this.buckets.size > 10_000) this.buckets.delete(this.buckets.keys().next().value as string);
    return ok;
  }
}
