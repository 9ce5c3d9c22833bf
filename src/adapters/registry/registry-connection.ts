/**
 * How the registry client talks to one registry host: the endpoint (https, or http for
 * insecure hosts) found by pinging `/v2/`, pooled connections, and for each endpoint a
 * transport of the family in src/adapters/http/transport: auth (a `RegistryAuth` token
 * for the request's scopes, one answer to a 401, only to the registry's origin),
 * redirects (where a request asks for them; never carrying `Authorization` nor client
 * certificates to another origin, never from https to plain http) and retries
 * (idempotent requests, on 429, 5xx and network failures, honouring `Retry-After`).
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { DctError } from '../../core/errors.js';
import type { RegistryAuth } from '../http/registry-auth.js';
import type { TlsSettings } from '../http/tls-settings.js';
import { abortableSleep, backoffDelay, type BackoffOptions } from '../http/transport/retry.js';
import type { RoundTripper, RoundTripRequest } from '../http/transport/round-tripper.js';
import { discard, header, type StreamBody, type TransportResponse } from '../http/transport/send.js';
import { createTransport } from '../http/transport/transport.js';
import {
  isInsecureHost,
  registryEndpoints,
  registryHostFor,
  registryTls,
  type RegistryEndpoint,
  type RegistryTlsOptions,
} from './endpoints.js';
import { RegistryClientError, registryFailure, type FailureKind } from './registry-client-error.js';

export interface RegistryConnectionOptions extends RegistryTlsOptions, BackoffOptions {
  auth?: RegistryAuth;
  /** skip endpoint discovery: e.g. `http://127.0.0.1:5000` (plain http still only for loopback / insecure hosts) */
  endpoint?: string;
  /** deadline for the answer to a request, once it is sent (default 30 s) */
  timeoutMs?: number;
  /** longest silence on a connection while sending or receiving (default 60 s) */
  idleTimeoutMs?: number;
  /** retries after a failed attempt (default 4) */
  retries?: number;
  /** a `Retry-After` longer than this fails at once instead of waiting (default 60 s) */
  maxRetryAfterMs?: number;
  maxRedirects?: number;
  /** parallel connections per origin (default 16) */
  maxSockets?: number;
  userAgent?: string;
  /** waits between retries (tests) */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface PingResult {
  /** the endpoint in use, e.g. `https://registry.example.com` */
  endpoint: string;
  status: number;
  /** `Docker-Distribution-API-Version` */
  apiVersion?: string;
}

/** One request to the registry. */
export interface RegistryRequest {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  url: URL;
  /** the token scopes it needs (`repository:<name>:pull`…) */
  scopes: readonly string[];
  headers?: Record<string, string>;
  /** the same bytes for each attempt (a stream body is opened again for each) */
  body?: Buffer | StreamBody;
  /** `idempotent`: sent again on 429, 5xx and network failures */
  retry: 'idempotent' | 'never';
  /** follow redirects (GET and HEAD) */
  redirects?: boolean;
  signal?: AbortSignal | undefined;
}

export class RegistryConnection {
  /** `host[:port]` as requests go to it (`docker.io` is served by `registry-1.docker.io`) */
  readonly host: string;
  /** retries after a failed attempt */
  readonly retries: number;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly timeoutMs: number;
  private readonly idleTimeoutMs: number;
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly transports = new Map<RegistryEndpoint, RoundTripper>();
  private endpointPromise: Promise<{ endpoint: RegistryEndpoint; ping: PingResult }> | undefined;

  constructor(
    host: string,
    readonly options: RegistryConnectionOptions = {},
  ) {
    this.host = registryHostFor(host);
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
    this.retries = options.retries ?? 4;
    this.sleep = options.sleep ?? abortableSleep;
    const maxSockets = options.maxSockets ?? 16;
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets });
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets });
  }

  /** Closes idle connections. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  /** `GET /v2/`: picks the endpoint (https, or http for insecure hosts) and learns the auth challenge. */
  async ping(opts: CallOptions = {}): Promise<PingResult> {
    return (await this.endpoint(opts.signal)).ping;
  }

  /** The base URL in use (after a ping). */
  async baseUrl(): Promise<string> {
    return (await this.endpoint()).endpoint.base;
  }

  /** A path on the registry's endpoint. */
  async url(path: string): Promise<URL> {
    const { endpoint } = await this.endpoint();
    return new URL(path, endpoint.base);
  }

  /** The back-off before retry number `attempt + 1` (for the retries of the upload and download protocols). */
  backoff(attempt: number): number {
    return backoffDelay(attempt, this.options);
  }

  /** Sends a request: auth, redirects and (for idempotent requests) retries. */
  async exchange(req: RegistryRequest): Promise<TransportResponse> {
    const { endpoint } = await this.endpoint(req.signal);
    return this.roundTrip(req, endpoint);
  }

  /** The error for an unexpected answer, with the registry's `errors[]`. */
  failure(res: TransportResponse, what: string, kind: FailureKind): Promise<RegistryClientError> {
    return registryFailure(res, what, kind, this.host);
  }

  private endpoint(signal?: AbortSignal): Promise<{ endpoint: RegistryEndpoint; ping: PingResult }> {
    if (!this.endpointPromise) {
      this.endpointPromise = this.discover(signal);
      // a failed discovery is tried again next time
      this.endpointPromise.catch(() => (this.endpointPromise = undefined));
    }
    return this.endpointPromise;
  }

  private async discover(signal: AbortSignal | undefined): Promise<{ endpoint: RegistryEndpoint; ping: PingResult }> {
    let candidates: RegistryEndpoint[];
    if (this.options.endpoint !== undefined) {
      const u = new URL(this.options.endpoint);
      if (u.protocol !== 'https:' && u.protocol !== 'http:')
        throw new DctError('INVALID_ARGUMENT', `registry endpoint ${this.options.endpoint} is not an http(s) URL`);
      const insecure = isInsecureHost(u.host, this.options.insecureRegistries);
      if (u.protocol === 'http:' && !insecure) {
        throw new DctError(
          'INSECURE_REGISTRY',
          `refusing plain http to ${u.host}: only loopback registries and those in the dct config's insecureRegistries may be reached without TLS`,
        );
      }
      const tls = u.protocol === 'https:' ? await registryTls(u.host, this.options) : undefined;
      candidates = [
        { base: u.origin, tls: insecure && u.protocol === 'https:' ? { ...(tls ?? {}), rejectUnauthorized: false } : tls, insecure },
      ];
    } else {
      candidates = await registryEndpoints(this.host, this.options);
    }
    let last: unknown;
    for (const [i, endpoint] of candidates.entries()) {
      const url = new URL('/v2/', endpoint.base);
      try {
        const req: RegistryRequest = { method: 'GET', url, scopes: [], retry: candidates.length > 1 ? 'never' : 'idempotent', signal };
        const res = await this.roundTrip(req, endpoint);
        if (res.status === 401 && this.options.auth) this.options.auth.noteChallenges(url, res.headersDistinct['www-authenticate']);
        const apiVersion = header(res, 'docker-distribution-api-version');
        await discard(res);
        return { endpoint, ping: { endpoint: endpoint.base, status: res.status, ...(apiVersion !== undefined ? { apiVersion } : {}) } };
      } catch (err) {
        last = err;
        const network = err instanceof DctError && (err.code === 'NETWORK_ERROR' || err.code === 'TIMEOUT');
        if (!network || i === candidates.length - 1) break;
      }
    }
    if (last instanceof DctError && (last.code === 'NETWORK_ERROR' || last.code === 'TIMEOUT')) {
      throw new RegistryClientError(
        'REGISTRY_UNREACHABLE',
        `cannot reach the registry ${this.host} (${candidates.map((c) => c.base).join(', ')}): ${last.message}`,
        undefined,
        [],
        { cause: last },
      );
    }
    throw last;
  }

  /** The transport to one endpoint: send → user agent → auth (its own origin) → redirects → retry. */
  private transportFor(endpoint: RegistryEndpoint): RoundTripper {
    const cached = this.transports.get(endpoint);
    if (cached) return cached;
    const origin = new URL(endpoint.base).origin;
    const o = this.options;
    const rt = createTransport({
      userAgent: o.userAgent ?? 'dct',
      ...(o.auth ? { auth: { auth: o.auth, origin, ...(endpoint.tls ? { tls: endpoint.tls } : {}) } } : {}),
      redirects: {
        max: o.maxRedirects ?? 5,
        allowPlainHttp: (host) => isInsecureHost(host, o.insecureRegistries),
        crossOrigin: (req, to) => this.hop(req, to, endpoint),
        error: (code, message, status) => new RegistryClientError(code, message, status),
      },
      retry: {
        retries: this.retries,
        sleep: this.sleep,
        ...pick(o, 'backoffMs', 'maxBackoffMs', 'jitter', 'random', 'maxRetryAfterMs'),
      },
    });
    this.transports.set(endpoint, rt);
    return rt;
  }

  private roundTrip(req: RegistryRequest, endpoint: RegistryEndpoint): Promise<TransportResponse> {
    const request: RoundTripRequest = {
      method: req.method,
      url: req.url,
      scopes: req.scopes,
      retry: req.retry === 'idempotent',
      redirects: req.redirects === true,
      ...(req.headers ? { headers: req.headers } : {}),
      ...(req.body !== undefined ? { body: req.body } : {}),
      timeoutMs: this.timeoutMs,
      idleTimeoutMs: this.idleTimeoutMs,
      ...(req.signal ? { signal: req.signal } : {}),
    };
    return this.transportFor(endpoint)(this.hop(request, req.url, endpoint));
  }

  /** The request as sent to `to`: the agent of its scheme, and client certificates only to the registry itself. */
  private hop(req: RoundTripRequest, to: URL, endpoint: RegistryEndpoint): RoundTripRequest {
    const { tls: _tls, agent: _agent, ...rest } = req;
    const tls = to.origin === new URL(endpoint.base).origin ? endpoint.tls : foreignTls(endpoint.tls);
    return { ...rest, ...(tls ? { tls } : {}), agent: to.protocol === 'https:' ? this.httpsAgent : this.httpAgent };
  }
}

function pick<T extends object, K extends keyof T>(o: T, ...keys: K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/** Client certificates stay with the registry; the CAs it trusts are kept. */
function foreignTls(tls: TlsSettings | undefined): TlsSettings | undefined {
  if (tls?.ca !== undefined) return { ca: tls.ca };
  return tls?.extraCa !== undefined ? { extraCa: tls.extraCa } : undefined;
}
