/**
 * A minimal HTTP client for a Notary v1 server (notary `storage/httpstore.go`):
 * metadata GETs (current, by checksum, by version), server key GET/POST, the
 * atomic multipart publish, repository deletion and a reachability ping.
 *
 * Built on the transport family (src/adapters/http/transport): node:http(s) with a
 * keep-alive agent, so a private CA, a client certificate or docker's "skip
 * verification for loopback registries" rule can be given per client. Every request
 * has a deadline and every response a size cap; failures are `NotaryHttpError`s with
 * a stable `code` (notary-errors.ts).
 *
 * With an `auth` (a `RegistryAuth`), a 401 carrying a challenge is answered once:
 * a token for `repository:<gun>:pull` (reads), `repository:<gun>:push,pull`
 * (publish, server key GET) or `repository:<gun>:*` (key rotation, delete) is
 * fetched and the request retried; a second 401 is UNAUTHORIZED. Idempotent GETs
 * can be retried on network errors and 5xx (`retries`).
 */
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { DctError } from '../../core/errors.js';
import { PublicKey } from '../../core/keys/public-key.js';
import { isValidRoleName } from '../../core/tuf/roles.js';
import { repositoryScope, type RegistryAuth } from '../http/registry-auth.js';
import { tlsConnectOptions } from '../http/tls-options.js';
import type { TlsSettings } from '../http/tls-settings.js';
import { readErrorBody, MAX_ERROR_BODY } from '../http/transport/error-body.js';
import type { RoundTripper } from '../http/transport/round-tripper.js';
import { readBody, type TransportResponse } from '../http/transport/send.js';
import { createTransport } from '../http/transport/transport.js';
import { goEscapedPath } from './go-path-escape.js';
import { encodeMultipart } from './multipart.js';
import { errorFromResponse, NotaryHttpError } from './notary-errors.js';

export { encodeMultipart, type MultipartPart } from './multipart.js';
import type { NotaryClientErrorCode } from '../errors.js';
export type { NotaryClientErrorCode } from '../errors.js';
export { errorFromResponse, NotaryHttpError, type ServerErrorEntry, type ValidationFailure } from './notary-errors.js';

export interface NotaryClientOptions {
  /** e.g. `https://notary.example.com:4443` (a path prefix is kept) */
  baseUrl: string;
  /** PEM CA bundle to trust instead of the system roots (`caFile` is read once) */
  ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  caFile?: string;
  /** PEM CAs to trust besides the system roots (docker's `~/.docker/tls/<host>/*.crt`); ignored with `ca`/`caFile` */
  extraCa?: ReadonlyArray<string>;
  /** client certificate and key (PEM), for servers that want mutual TLS */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** false skips certificate verification (docker does for loopback registries) */
  rejectUnauthorized?: boolean;
  /** per-request deadline in milliseconds (default 30 s) */
  timeoutMs?: number;
  /** deadline of `ping()` (default 5 s, as docker) */
  pingTimeoutMs?: number;
  /** cap for metadata responses (default 100 MiB, notary's MaxDownloadSize) */
  maxMetadataBytes?: number;
  /** cap for timestamp.json (default 1 MiB, notary's MaxTimestampSize) */
  maxTimestampBytes?: number;
  /** cap for key responses (default 256 KiB) */
  maxKeyBytes?: number;
  /** extra headers on every request, e.g. `Authorization` */
  headers?: Record<string, string>;
  userAgent?: string;
  /** answers 401 challenges (docker registry token auth, Basic) */
  auth?: RegistryAuth;
  /** extra attempts for GETs after a transient failure (transport/retry.ts: a network error, a timeout, 408, 429 or 5xx; default 0) */
  retries?: number;
  /** back-off before the first retry, doubled each time, unless the server's Retry-After says otherwise (default 200 ms) */
  retryDelayMs?: number;
}

/** Per-call options of `getMetadata`. */
export interface GetMetadataOptions {
  /**
   * The caller's size limit for this file. A response declaring more (Content-Length)
   * is refused with RESPONSE_TOO_LARGE ("trust server returned a bad response.", as
   * notary). A longer body without a declared length is cut when `maxBytes` is below the
   * client's own limit for the role: at most `maxBytes + 1` bytes are read and returned,
   * so the caller sees the file is too large (the `MetadataSource` contract); at or above
   * that limit, the client's limit applies and a longer body fails with RESPONSE_TOO_LARGE.
   */
  maxBytes?: number;
}

/** What `ping()` learnt. */
export type PingResult = { reachable: true; status: number } | { reachable: false; error: string; code: string };

export type ServerKeyRole = 'timestamp' | 'snapshot';

/** Which stored version to fetch: the current one, one by sha256 (hex) of its bytes, or one by version. */
export type MetadataSelector = { sha256: string } | { version: number };

const MiB = 1024 * 1024;
const HEX64 = /^[0-9a-f]{64}$/;

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  headersDistinct: Record<string, string[]>;
  body: Buffer;
}

interface RequestOptions {
  body?: Buffer;
  headers?: Record<string, string>;
  /** cap for a 200 body: larger ones fail with RESPONSE_TOO_LARGE */
  maxBytes: number;
  /** cut a 200 body at this many bytes instead of failing (a declared larger length still fails) */
  truncateAt?: number;
  /** the access the request needs, for token auth */
  scope: string;
}

/** the codes of the transport's own failures, raised again as NotaryHttpErrors */
const TRANSPORT_CODES: ReadonlySet<string> = new Set<NotaryClientErrorCode>(['NETWORK_ERROR', 'TIMEOUT', 'ABORTED', 'INVALID_REQUEST']);

function isTransportCode(code: string): code is NotaryClientErrorCode {
  return TRANSPORT_CODES.has(code);
}
const BAD_RESPONSE_TEXT = 'trust server returned a bad response.';

export class NotaryClient {
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly tls: TlsSettings;
  private readonly timeoutMs: number;
  private readonly pingTimeoutMs: number;
  private readonly maxMetadataBytes: number;
  private readonly maxTimestampBytes: number;
  private readonly maxKeyBytes: number;
  private readonly headers: Record<string, string>;
  private readonly auth: RegistryAuth | undefined;
  private readonly transport: RoundTripper;

  constructor(options: NotaryClientOptions) {
    let base: URL;
    try {
      base = new URL(options.baseUrl);
    } catch (err) {
      throw new NotaryHttpError('INVALID_REQUEST', `invalid notary server URL ${JSON.stringify(options.baseUrl)}`, { cause: err });
    }
    if (base.protocol !== 'https:' && base.protocol !== 'http:') {
      throw new NotaryHttpError('INVALID_REQUEST', `unsupported notary server URL scheme ${base.protocol}`);
    }
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    this.base = base;
    const ca = options.ca ?? (options.caFile ? readFileSync(options.caFile) : undefined);
    this.tls = {
      ...(ca !== undefined ? { ca } : {}),
      ...(ca === undefined && options.extraCa !== undefined ? { extraCa: options.extraCa } : {}),
      ...(options.cert !== undefined ? { cert: options.cert } : {}),
      ...(options.key !== undefined ? { key: options.key } : {}),
      ...(options.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
    };
    this.agent =
      base.protocol === 'https:'
        ? new https.Agent({ keepAlive: true, ...tlsConnectOptions(this.tls) })
        : new http.Agent({ keepAlive: true });
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.pingTimeoutMs = options.pingTimeoutMs ?? 5_000;
    this.maxMetadataBytes = options.maxMetadataBytes ?? 100 * MiB;
    this.maxTimestampBytes = options.maxTimestampBytes ?? 1 * MiB;
    this.maxKeyBytes = options.maxKeyBytes ?? 256 * 1024;
    this.headers = { ...(options.headers ?? {}) };
    this.auth = options.auth;
    const retries = Math.max(0, Math.floor(options.retries ?? 0));
    this.transport = createTransport({
      userAgent: options.userAgent ?? 'dct',
      ...(this.auth ? { auth: { auth: this.auth, tls: this.tls } } : {}),
      ...(retries > 0 ? { retry: { retries, backoffMs: options.retryDelayMs ?? 200, maxBackoffMs: Infinity, jitter: false } } : {}),
    });
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.agent.destroy();
  }

  /**
   * `GET /v2/` with a short deadline (docker's ping before trust operations): any HTTP
   * answer means the server is reachable (a 401 challenge is remembered by `auth`);
   * a transport failure or timeout means offline.
   */
  async ping(timeoutMs: number = this.pingTimeoutMs): Promise<PingResult> {
    const url = new URL('v2/', this.base);
    try {
      const res = await this.send('GET', url, { maxBytes: MAX_ERROR_BODY, truncateAt: MAX_ERROR_BODY, scope: '' }, timeoutMs);
      if (res.status === 401) this.auth?.noteChallenges(url, res.headersDistinct['www-authenticate']);
      return { reachable: true, status: res.status };
    } catch (err) {
      const e = err as NotaryHttpError;
      return { reachable: false, error: e.message, code: e.code ?? 'NETWORK_ERROR' };
    }
  }

  /** `GET /v2/<gun>/_trust/tuf/<role>.key`: the server's public key for the role (created on first use). */
  async getKey(gun: string, role: ServerKeyRole): Promise<PublicKey> {
    return this.keyRequest('GET', gun, role);
  }

  /** `POST /v2/<gun>/_trust/tuf/<role>.key`: asks the server for a new key (rotation). */
  async rotateKey(gun: string, role: ServerKeyRole): Promise<PublicKey> {
    return this.keyRequest('POST', gun, role);
  }

  /**
   * The bytes of a metadata file: `<role>.json` (current), `<role>.<sha256>.json`
   * or `<version>.<role>.json`. See `GetMetadataOptions.maxBytes` for the caller's size limit.
   */
  async getMetadata(gun: string, role: string, which?: MetadataSelector, opts: GetMetadataOptions = {}): Promise<Buffer> {
    assertRole(role);
    let file: string;
    if (which === undefined) file = `${role}.json`;
    else if ('sha256' in which) {
      const hex = which.sha256.toLowerCase();
      if (!HEX64.test(hex)) throw new NotaryHttpError('INVALID_REQUEST', `invalid sha256 checksum ${JSON.stringify(which.sha256)}`);
      file = `${role}.${hex}.json`;
    } else {
      if (!Number.isSafeInteger(which.version) || which.version < 0) {
        throw new NotaryHttpError('INVALID_REQUEST', `invalid metadata version ${String(which.version)}`);
      }
      file = `${which.version}.${role}.json`;
    }
    const clientCap = role === 'timestamp' ? this.maxTimestampBytes : this.maxMetadataBytes;
    const url = this.tufUrl(gun, file);
    const scope = repositoryScope(gun, 'pull');
    if (opts.maxBytes !== undefined) {
      if (!Number.isSafeInteger(opts.maxBytes) || opts.maxBytes < 0)
        throw new NotaryHttpError('INVALID_REQUEST', `invalid size limit ${String(opts.maxBytes)}`);
      if (opts.maxBytes < clientCap) {
        return (await this.request('GET', url, { maxBytes: opts.maxBytes, truncateAt: opts.maxBytes + 1, scope })).body;
      }
    }
    return (await this.request('GET', url, { maxBytes: clientCap, scope })).body;
  }

  /**
   * `POST /v2/<gun>/_trust/tuf/`: one atomic update. Each file becomes a
   * multipart part `name="files"; filename="<role>"` with the exact bytes; no
   * files is an update too (notary sends one when nothing changed: the server
   * re-signs what it signs).
   */
  async publish(gun: string, files: ReadonlyArray<{ role: string; bytes: Uint8Array }>): Promise<void> {
    for (const f of files) assertRole(f.role);
    const { contentType, body } = encodeMultipart(files.map((f) => ({ field: 'files', filename: f.role, bytes: f.bytes })));
    await this.request('POST', this.tufUrl(gun, ''), {
      body,
      headers: { 'Content-Type': contentType },
      maxBytes: MAX_ERROR_BODY,
      scope: repositoryScope(gun, 'push,pull'),
    });
  }

  /** `DELETE /v2/<gun>/_trust/tuf/`: removes all of the GUN's metadata on the server. */
  async deleteRepository(gun: string): Promise<void> {
    await this.request('DELETE', this.tufUrl(gun, ''), { maxBytes: MAX_ERROR_BODY, scope: repositoryScope(gun, '*') });
  }

  private async keyRequest(method: 'GET' | 'POST', gun: string, role: ServerKeyRole): Promise<PublicKey> {
    if (role !== 'timestamp' && role !== 'snapshot') {
      throw new NotaryHttpError('INVALID_REQUEST', `the server manages only timestamp and snapshot keys, not ${JSON.stringify(role)}`);
    }
    const url = this.tufUrl(gun, `${role}.key`);
    const scope = repositoryScope(gun, method === 'GET' ? 'push,pull' : '*');
    const res = await this.request(method, url, { maxBytes: this.maxKeyBytes, scope });
    let json: unknown;
    try {
      json = JSON.parse(res.body.toString('utf8'));
    } catch (err) {
      throw new NotaryHttpError('INVALID_RESPONSE', `${role} key from ${url.href} is not JSON`, {
        status: res.status,
        method,
        url: url.href,
        cause: err,
      });
    }
    try {
      return PublicKey.fromJSON(json, `${role} key`);
    } catch (err) {
      throw new NotaryHttpError('INVALID_RESPONSE', `${role} key from ${url.href}: ${(err as Error).message}`, {
        status: res.status,
        method,
        url: url.href,
        cause: err,
      });
    }
  }

  private tufUrl(gun: string, file: string): URL {
    if (gun.length === 0 || gun.includes('*') || /[\s]/.test(gun) || gun.startsWith('/')) {
      throw new NotaryHttpError('INVALID_REQUEST', `invalid GUN ${JSON.stringify(gun)}`);
    }
    // as notary's httpstore: the base path and the file are escaped each on its own, the Go way
    return new URL(goEscapedPath(`v2/${gun}/_trust/tuf/`) + goEscapedPath(file), this.base);
  }

  /** A request that must answer 200: through the transport (retries, one authentication round), then status mapping. */
  private async request(method: string, url: URL, opts: RequestOptions): Promise<RawResponse> {
    const res = await this.send(method, url, opts);
    if (res.status !== 200) throw errorFromResponse(res.status, res.body, method, url.href);
    return res;
  }

  /** One request through the transport; resolves with any status (error bodies are read up to MAX_ERROR_BODY). */
  private async send(method: string, url: URL, opts: RequestOptions, pingTimeoutMs?: number): Promise<RawResponse> {
    let res: TransportResponse;
    try {
      res = await this.transport({
        method,
        url,
        headers: { ...this.headers, ...(opts.headers ?? {}) },
        ...(opts.body ? { body: opts.body } : {}),
        agent: this.agent,
        deadlineMs: pingTimeoutMs ?? this.timeoutMs,
        scopes: opts.scope === '' ? [] : [opts.scope],
        // the ping is one look: no retry
        ...(pingTimeoutMs !== undefined ? { retry: false } : {}),
      });
    } catch (err) {
      throw asNotaryError(err, method, url);
    }
    const where = `${method} ${url.href}`;
    const details = { status: res.status, method, url: url.href };
    let body: Buffer;
    try {
      body =
        res.status === 200
          ? await readBody(
              res,
              opts.maxBytes,
              (declared) =>
                declared !== undefined
                  ? new NotaryHttpError(
                      'RESPONSE_TOO_LARGE',
                      `${where}: ${BAD_RESPONSE_TEXT} (it declares ${declared} bytes, more than the limit of ${opts.maxBytes})`,
                      details,
                    )
                  : new NotaryHttpError('RESPONSE_TOO_LARGE', `${where}: response exceeds the limit of ${opts.maxBytes} bytes`, details),
              opts.truncateAt !== undefined ? { truncateAt: opts.truncateAt } : {},
            )
          : await readErrorBody(res);
    } catch (err) {
      throw asNotaryError(err, method, url);
    }
    return { status: res.status, headers: res.headers, headersDistinct: res.headersDistinct, body };
  }
}

/** A failure of the transport as a NotaryHttpError (the same code and message); any other error as it is. */
function asNotaryError(err: unknown, method: string, url: URL): unknown {
  if (err instanceof NotaryHttpError || !(err instanceof DctError) || !isTransportCode(err.code)) return err;
  const cause = (err as { cause?: unknown }).cause;
  return new NotaryHttpError(err.code, err.message, { method, url: url.href, ...(cause !== undefined ? { cause } : {}) });
}

function assertRole(role: string): void {
  if (!isValidRoleName(role)) throw new NotaryHttpError('INVALID_REQUEST', `${JSON.stringify(role)} is not a valid role name`);
}
