/**
 * The HTTP(S) edge of the trust server: node:http(s) with a read path that
 * answers cached metadata synchronously (no JSON, crypto, database or logging
 * per request while nothing changed) and everything else through `handleRoute`.
 *
 * With token auth, one authorization hook runs before dispatch (cached
 * answers included): a verified token is remembered by its text, so a cached
 * read costs a map lookup more. The built-in issuer answers `/auth/token`.
 *
 * The audit feed (`/_dct/audit…`, audit-api.ts) is served after the same
 * authorization hook: pages as prepared answers, live follows as streams, posts
 * as writes (write limit, unauthenticated-write guard).
 *
 * The dashboard (`/ui/…`, dashboard/dashboard-http.ts) is answered before route matching: its
 * page loads without a token, and its API runs the same bearer check itself.
 *
 * With the embedded registry, paths the trust API does not know go to it
 * (`/v2/<name>/blobs|manifests|tags|referrers/…`, `/v2/_catalog`); its bodies
 * stream, so node's whole-request timeout is off and the trust API's own
 * bodies get the same deadline from a timer instead.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { Counter, Registry } from 'prom-client';
import { ApiError, routeNotFound } from './api-errors.js';
import { errorResponse, type PreparedResponse } from './responses.js';
import { ClientRateLimiter } from './rate-limiter.js';
import { isWriteRequest, type UnauthenticatedWriteGuard } from './unauthenticated-writes.js';
import { TOKEN_PATH, type ServerAuth } from './auth/server-auth.js';
import { ClientAddresses } from './client-address.js';
import { applyConnectionLimits, type ConnectionLimits } from './connection-limits.js';
import { AuditApi, auditSource, MAX_AUDIT_BODY_BYTES } from './audit-api.js';
import { answerClientError } from './client-errors.js';
import type { DashboardHttp } from './dashboard/dashboard-http.js';
import { lingerOnClose } from './lingering-close.js';
import { registerReadCacheMetrics } from './read-cache-metrics.js';
import { matchRoute, type Route } from './routes.js';
import { cacheKey, handleRoute, type TrustApiContext } from './trust-api.js';
import type { RegistryHttp } from './registry/embedded-registry.js';
import { RegistryApiError } from './registry/registry-api-error.js';
import type { RegistryRoute } from './registry/routes.js';

export interface HttpOptions {
  tls?: { cert: Buffer | string; key: Buffer | string };
  /** whole request body limit (multipart uploads) */
  maxBodyBytes: number;
  /** per client address: write requests (POST/DELETE/PUT) per second, and burst */
  writeRate: { perSecond: number; burst: number };
  /** per client address: failed logins at the built-in token issuer per second, and burst (default 1/s, 10) */
  loginRate?: { perSecond: number; burst: number };
  /** without auth: who may write (Host, Origin, Sec-Fetch-Site checks) */
  writeGuard?: UnauthenticatedWriteGuard;
  /** proxies whose X-Forwarded-For names the client (see client-address.ts); none by default */
  trustedProxies?: readonly string[];
  requestTimeoutMs: number;
  /** token auth; absent = every route is open */
  auth?: ServerAuth;
  /** the embedded registry (OCI distribution API) on the same port */
  registry?: RegistryHttp;
  /** idle timeout and caps of connections (node's defaults when absent: no idle timeout, no caps) */
  connections?: ConnectionLimits;
  /** the audit feed's API (`/_dct/audit…`); absent = those paths are route misses */
  audit?: AuditApi;
  /** the dashboard (`/ui/…`: its API checks tokens itself, its page loads without one); absent = route misses */
  dashboard?: DashboardHttp;
}

export interface TrustHttpServer {
  server: Server;
  metrics: Registry;
}

export function createTrustHttpServer(ctx: TrustApiContext, opts: HttpOptions, log: Logger): TrustHttpServer {
  const metrics = new Registry();
  // the hot path only bumps a number; Prometheus reads the totals when scraped
  const counts = new Map<string, number>();
  const reported = new Map<string, number>();
  new Counter({
    name: 'dct_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['route', 'status'],
    registers: [metrics],
    collect() {
      for (const [key, n] of counts) {
        const delta = n - (reported.get(key) ?? 0);
        if (delta === 0) continue;
        const [route, status] = key.split(' ') as [string, string];
        this.inc({ route, status }, delta);
        reported.set(key, n);
      }
    },
  });
  registerReadCacheMetrics(ctx.cache, metrics);
  /** GET paths seen recently → their route and its response-cache key (matching costs several regexes) */
  const routeMemo = new Map<string, { route: Route; key: string | undefined }>();
  const limiter = new ClientRateLimiter(opts.writeRate.perSecond, opts.writeRate.burst);
  // token requests with credentials cost a bcrypt comparison each: failed ones are limited per client
  const logins = new ClientRateLimiter(opts.loginRate?.perSecond ?? 1, opts.loginRate?.burst ?? 10);
  const auth = opts.auth;
  auth?.passwordChecks?.registerMetrics(metrics);
  const writeGuard = auth ? undefined : opts.writeGuard;
  /** without auth: refuses a write from a browser or to a foreign host name (true when refused) */
  const refusedWrite = (req: IncomingMessage, res: ServerResponse, routeName: string, extraHeaders: Record<string, string> = {}) => {
    const refused = writeGuard?.check(req.headers);
    if (!refused) return false;
    req.resume();
    const prepared = errorResponse(refused);
    Object.assign(prepared.headers, extraHeaders);
    send(res, routeName, prepared);
    log.warn({ route: routeName, client: clientOf(req), reason: refused.message }, 'write refused');
    return true;
  };
  const registry = opts.registry;
  const clients = new ClientAddresses(opts.trustedProxies ?? []);
  const clientOf = (req: IncomingMessage) => clients.of(req.socket.remoteAddress, req.headers['x-forwarded-for']);

  const send = (res: ServerResponse, routeName: string, prepared: PreparedResponse) => {
    res.writeHead(prepared.status, prepared.headers);
    res.end(prepared.body);
    count(routeName, prepared.status);
  };
  /** route name → status → metric key, so counting a request builds no string */
  const metricKeys = new Map<string, Map<number, string>>();
  const count = (routeName: string, status: number) => {
    let byStatus = metricKeys.get(routeName);
    if (!byStatus) metricKeys.set(routeName, (byStatus = new Map<number, string>()));
    let key = byStatus.get(status);
    if (key === undefined) byStatus.set(status, (key = `${routeName} ${status}`));
    counts.set(key, (counts.get(key) ?? 0) + 1);
  };

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    let path = q < 0 ? url : url.slice(0, q);
    try {
      if (path.includes('%')) path = decodeURIComponent(path);
    } catch {
      send(res, 'notFound', errorResponse(routeNotFound()));
      return;
    }
    const method = req.method ?? 'GET';
    if (auth?.issuer && path === TOKEN_PATH && (method === 'GET' || method === 'POST')) {
      void serveToken(req, res, q < 0 ? '' : url.slice(q + 1)).catch((err: unknown) => {
        log.error({ err, route: 'token' }, 'request failed');
        if (!res.headersSent) send(res, 'token', errorResponse(new ApiError('UNKNOWN', {})));
        else res.destroy();
      });
      return;
    }
    if (opts.dashboard && (path === '/ui' || path.startsWith('/ui/'))) {
      opts.dashboard.serve(req, res, path, q < 0 ? '' : url.slice(q + 1)).then(
        (status) => status > 0 && count('dashboard', status),
        (err: unknown) => {
          log.error({ err, route: 'dashboard' }, 'request failed');
          if (!res.headersSent) send(res, 'dashboard', errorResponse(new ApiError('UNKNOWN', {})));
          else res.destroy();
        },
      );
      return;
    }
    let memo = method === 'GET' ? routeMemo.get(path) : undefined;
    if (!memo) {
      const matched = matchRoute(method, path);
      memo = { route: matched, key: cacheKey(matched) };
      if (method === 'GET') {
        if (routeMemo.size >= 10_000) routeMemo.delete(routeMemo.keys().next().value as string);
        routeMemo.set(path, memo);
      }
    }
    const route = memo.route;
    if (writeGuard && isWriteRequest(method, route.name) && route.name !== 'notFound' && refusedWrite(req, res, route.name)) return;
    if (registry && route.name === 'notFound') {
      const registryRoute = registry.match(path);
      if (registryRoute) {
        serveRegistry(req, res, registryRoute, method, q < 0 ? '' : url.slice(q + 1));
        return;
      }
    }
    // the authorization hook: every route but health and metrics, before any answer
    if (auth) {
      const denied = auth.bearer.check(route, {
        authorization: req.headers.authorization,
        host: req.headers.host,
        forwardedProto: req.headers['x-forwarded-proto'],
      });
      if (denied) {
        req.resume();
        send(res, route.name, denied);
        return;
      }
    }
    if (route.name === 'auditFeed' || route.name === 'auditPost') {
      void serveAudit(req, res, route.name, q < 0 ? '' : url.slice(q + 1)).catch((err: unknown) => {
        log.error({ err, route: route.name }, 'request failed');
        if (!res.headersSent) send(res, route.name, errorResponse(new ApiError('UNKNOWN', {})));
        else res.destroy();
      });
      return;
    }
    // the hot path: a prepared answer, written synchronously
    if (method === 'GET') {
      const key = memo.key;
      const hit = key !== undefined ? ctx.cache.get(key, Date.now()) : undefined;
      if (hit) {
        send(res, route.name, hit);
        return;
      }
    }
    void serveSlow(req, res, route, q < 0 ? '' : url.slice(q + 1)).catch((err: unknown) => {
      log.error({ err, route: route.name }, 'request failed');
      if (!res.headersSent) send(res, route.name, errorResponse(new ApiError('UNKNOWN', {})));
      else res.destroy();
    });
  };

  /** The embedded registry: its own access needs, then it answers (streaming) by itself. */
  const serveRegistry = (req: IncomingMessage, res: ServerResponse, route: RegistryRoute, method: string, rawQuery: string) => {
    const reg = registry as RegistryHttp;
    const name = `registry_${route.kind}`;
    const query = new URLSearchParams(rawQuery);
    if (writeGuard && isWriteRequest(method) && refusedWrite(req, res, name, { 'Docker-Distribution-API-Version': 'registry/2.0' })) return;
    let publisher = false;
    let user: string | undefined;
    if (auth) {
      const info = { authorization: req.headers.authorization, host: req.headers.host, forwardedProto: req.headers['x-forwarded-proto'] };
      const denied = auth.bearer.checkAccess(reg.access(route, method, query), info);
      if (denied) {
        req.resume();
        denied.headers['Docker-Distribution-API-Version'] = 'registry/2.0';
        send(res, name, denied);
        return;
      }
      // a reader of a manifest whose token also holds push is the repository's publisher (the pull gate lets it through)
      if (route.kind === 'manifest' && (method === 'GET' || method === 'HEAD')) {
        publisher =
          auth.bearer.checkAccess({ access: [{ type: 'repository', name: route.name, action: 'push' }], anyToken: false }, info) ===
          undefined;
        // (the pull gate's audit records name the user)
        const token = auth.bearer.verified((req.headers.authorization ?? '').slice(7));
        if ('subject' in token && token.subject !== '') user = token.subject;
      }
    }
    // uploads, manifest pushes and deletions are writes: the per-client write limit applies
    const client = clientOf(req);
    if (method !== 'GET' && method !== 'HEAD' && !limiter.take(client)) {
      lingerOnClose(req.socket);
      req.resume();
      const refused = new RegistryApiError('TOOMANYREQUESTS', undefined, undefined, { 'Retry-After': '1', Connection: 'close' }).response();
      refused.headers['Docker-Distribution-API-Version'] = 'registry/2.0';
      send(res, name, refused);
      return;
    }
    reg.serve(req, res, route, query, { publisher, address: client, ...(user !== undefined ? { user } : {}) }).then(
      (status) => count(name, status),
      (err: unknown) => {
        log.error({ err, route: name }, 'request failed');
        if (!res.headersSent) send(res, name, errorResponse(new ApiError('UNKNOWN', {})));
        else res.destroy();
      },
    );
  };

  /** The audit feed: a page or a live follow of it, or records posted by a remote enforcement point. */
  const serveAudit = async (req: IncomingMessage, res: ServerResponse, name: 'auditFeed' | 'auditPost', rawQuery: string) => {
    const token = auth?.bearer.tokenOf({ authorization: req.headers.authorization });
    try {
      if (!opts.audit) {
        req.resume();
        throw routeNotFound();
      }
      if (name === 'auditFeed') {
        const query = new URLSearchParams(rawQuery);
        if (!AuditApi.wantsStream(req)) {
          send(res, name, await opts.audit.page(query));
          return;
        }
        // the stream ends when the token it was opened with expires
        await opts.audit.follow(req, res, query, token?.expiresAt);
        count(name, 200);
        return;
      }
      const client = clientOf(req);
      if (!limiter.take(client)) throw new ApiError('TOO_MANY_REQUESTS', undefined, undefined, { 'Retry-After': '1' });
      const body = await readBody(req, MAX_AUDIT_BODY_BYTES, registry ? opts.requestTimeoutMs : undefined);
      const source = auditSource(token?.subject, client);
      const prepared = await opts.audit.post(req.headers, body, source);
      send(res, name, prepared);
      log.debug({ route: name, source, status: prepared.status }, 'audit records posted');
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (res.headersSent) {
        res.end();
        return;
      }
      send(res, name, errorResponse(err));
      if (err.status >= 500) log.warn({ route: name, code: err.code, reason: err.message }, 'audit request refused');
      else log.info({ route: name, code: err.code, status: err.status, reason: err.message.slice(0, 300) }, 'audit request refused');
    }
  };

  /** The built-in token issuer (docker registry token auth realm). */
  const serveToken = async (req: IncomingMessage, res: ServerResponse, query: string) => {
    const issuer = auth?.issuer;
    if (!issuer) throw new Error('no token issuer');
    const client = clientOf(req);
    const withCredentials = req.method === 'POST' || req.headers.authorization !== undefined;
    let prepared: PreparedResponse;
    try {
      if (withCredentials && !logins.take(client)) {
        throw new ApiError('TOO_MANY_REQUESTS', undefined, 'too many failed logins', { 'Retry-After': String(logins.retryAfter(client)) });
      }
      let body: Buffer | undefined;
      if (req.method === 'POST') body = await readBody(req, 64 * 1024);
      else req.resume();
      const result = await issuer.handle({
        method: req.method ?? 'GET',
        query: new URLSearchParams(query),
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        body,
      });
      prepared = result.response;
      // only failed logins count
      if (withCredentials && prepared.status !== 401) logins.refund(client);
      if (result.refused !== undefined)
        log.info({ route: 'token', client, status: prepared.status, reason: result.refused }, 'token refused');
      else if (result.grant)
        log.debug({ route: 'token', client, user: result.grant.user ?? '(anonymous)', access: result.grant.access }, 'token issued');
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      prepared = errorResponse(err);
      log.info({ route: 'token', client, code: err.code, status: err.status }, 'token refused');
    }
    send(res, 'token', prepared);
  };

  const serveSlow = async (req: IncomingMessage, res: ServerResponse, route: Route, query: string) => {
    let prepared: PreparedResponse;
    try {
      if (route.name === 'metrics') {
        const text = await metrics.metrics();
        prepared = {
          status: 200,
          headers: { 'Content-Type': metrics.contentType, 'Content-Length': Buffer.byteLength(text) },
          body: Buffer.from(text),
        };
      } else if (route.name === 'notFound') {
        prepared = errorResponse(routeNotFound());
        req.resume();
      } else {
        const write = req.method !== 'GET';
        if (write && !limiter.take(clientOf(req))) {
          throw new ApiError('TOO_MANY_REQUESTS', undefined, undefined, { 'Retry-After': '1' });
        }
        const body = write ? await readBody(req, opts.maxBodyBytes, registry ? opts.requestTimeoutMs : undefined) : undefined;
        // (GET /v2/ stays notary's exactly, registry or not: docker, containerd and skopeo only look at its status)
        // a read that writes (GET of a server key that must be created) takes from the write limit then
        const countWrite = write ? undefined : () => limiter.take(clientOf(req));
        prepared = await handleRoute(ctx, route, {
          headers: req.headers,
          query: new URLSearchParams(query),
          ...(body ? { body } : {}),
          ...(countWrite ? { countWrite } : {}),
        });
        if (write) log.info({ route: route.name, gun: 'gun' in route ? route.gun : undefined, status: prepared.status }, 'write');
      }
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      prepared = errorResponse(err);
      if (err.status >= 500) log.error({ err, route: route.name }, 'request failed');
      else if (req.method !== 'GET') log.info({ route: route.name, code: err.code, status: err.status }, 'write refused');
    }
    send(res, route.name, prepared);
  };

  const timeouts = {
    // registry uploads may take long: their bodies have an idle timeout instead (trust API bodies: readBody's deadline)
    requestTimeout: registry ? 0 : opts.requestTimeoutMs,
    headersTimeout: Math.min(opts.requestTimeoutMs, 60_000),
    // node checks request timeouts on this interval (30 s by default)
    connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(opts.requestTimeoutMs / 4))),
  };
  const server = opts.tls
    ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key, minVersion: 'TLSv1.2', ...timeouts }, handler)
    : createHttpServer(timeouts, handler);
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => answerClientError(err, socket));
  server.keepAliveTimeout = 30_000;
  if (opts.connections) applyConnectionLimits(server, opts.connections, clients, log);
  return { server, metrics };
}

/**
 * Reads a request body up to `limit` bytes; TOO_LARGE (without reading the rest) beyond.
 * With `timeoutMs`, a body still incomplete that long after the request began is TIMEOUT (408, connection closed).
 */
function readBody(req: IncomingMessage, limit: number, timeoutMs?: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(new ApiError('TOO_LARGE', { limit }));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            req.removeAllListeners('data');
            req.resume();
            reject(new ApiError('TIMEOUT', undefined, undefined, { Connection: 'close' }));
          }, timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('end', () => clearTimeout(timer));
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
    // a client that goes away mid-body is not a server error
    req.on('error', () => reject(new ApiError('TIMEOUT')));
    req.on('aborted', () => reject(new ApiError('TIMEOUT')));
  });
}
