/**
 * A minimal HTTP client for a Notary v1 server (notary `storage/httpstore.go`):
 * metadata GETs (current, by checksum, by version), server key GET/POST, the
 * atomic multipart publish, repository deletion and a reachability ping.
 *
 * Built on node:http/node:https so a private CA, a client certificate or docker's
 * "skip verification for loopback registries" rule can be given per client (no
 * undici dependency). Every request has a deadline and every response a size cap;
 * failures are `NotaryHttpError`s with a stable `code`.
 *
 * With an `auth` (a `RegistryAuth`), a 401 carrying a challenge is answered once:
 * a token for `repository:<gun>:pull` (reads), `repository:<gun>:push,pull`
 * (publish, server key GET) or `repository:<gun>:*` (key rotation, delete) is
 * fetched and the request retried; a second 401 is UNAUTHORIZED. Idempotent GETs
 * can be retried on network errors and 5xx (`retries`).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { DctError } from '../../core/errors.js';
import { PublicKey } from '../../core/keys/public-key.js';
import { isValidRoleName } from '../../core/tuf/roles.js';
import { repositoryScope, type RegistryAuth, type TlsSettings } from '../http/registry-auth.js';
import { tlsConnectOptions } from '../http/tls-options.js';
import { goEscapedPath } from './go-path-escape.js';

/** Codes of the errors this client raises (server codes pass through unchanged). */
export type NotaryClientErrorCode =
  /** 404: notary's ErrMetaNotFound (whatever the body said) */
  | 'METADATA_NOT_FOUND'
  /** 400 without a recognised server code (notary's ErrInvalidOperation) */
  | 'INVALID_OPERATION'
  | 'UNAUTHORIZED'
  /** any other status (notary's ErrServerUnavailable) */
  | 'SERVER_UNAVAILABLE'
  | 'TIMEOUT'
  | 'NETWORK_ERROR'
  /** a 200 response larger than allowed (notary's ErrMaliciousServer: "trust server returned a bad response.") */
  | 'RESPONSE_TOO_LARGE'
  | 'INVALID_RESPONSE'
  | 'INVALID_REQUEST';

/** One entry of notary's `{"errors":[{code,message,detail}]}` body. */
export interface ServerErrorEntry {
  code: string;
  message: string;
  detail?: unknown;
}

/** A decoded `INVALID_UPDATE` detail: `{"Name":"ErrBadTargets","Error":{"Msg":"…"}}`. */
export interface ValidationFailure {
  /** ErrBadRoot, ErrBadTargets, ErrBadSnapshot, ErrBadHierarchy, ErrValidation, … */
  name: string;
  msg: string;
  /** ErrBadHierarchy's missing role */
  missing?: string;
}

/**
 * An error from the server or the transport. `code` is the server's error code
 * for 400/401 responses that carry one (INVALID_UPDATE, VERSION, MALFORMED_JSON…),
 * METADATA_NOT_FOUND for every 404, else one of `NotaryClientErrorCode`.
 */
export class NotaryHttpError extends DctError {
  constructor(
    code: string,
    message: string,
    readonly details: {
      status?: number;
      method?: string;
      url?: string;
      /** the decoded error body entries, if any */
      errors?: ServerErrorEntry[];
      validation?: ValidationFailure;
      cause?: unknown;
    } = {},
  ) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
  }

  get status(): number | undefined {
    return this.details.status;
  }

  /** The first server error entry's code, if the body had one. */
  get serverCode(): string | undefined {
    return this.details.errors?.[0]?.code;
  }
}

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
  /** extra attempts for GETs after a network error, a timeout or a 5xx (default 0) */
  retries?: number;
  /** back-off before the first retry, doubled each time (default 200 ms) */
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
const MAX_ERROR_BODY = 64 * 1024;
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

const RETRY_STATUSES = new Set([500, 502, 503, 504]);
const UNAUTHORIZED_TEXT = 'you are not authorized to perform this operation: server returned 401.';
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
  private readonly retries: number;
  private readonly retryDelayMs: number;

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
    this.headers = { 'User-Agent': options.userAgent ?? 'dct', ...(options.headers ?? {}) };
    this.auth = options.auth;
    this.retries = Math.max(0, Math.floor(options.retries ?? 0));
    this.retryDelayMs = options.retryDelayMs ?? 200;
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
      const res = await this.send('GET', url, { maxBytes: MAX_ERROR_BODY, truncateAt: MAX_ERROR_BODY, scope: '' }, undefined, timeoutMs);
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
      throw new NotaryHttpError('INVALID_RESPONSE', `${role} key from ${url} is not JSON`, {
        status: res.status,
        method,
        url: url.href,
        cause: err,
      });
    }
    try {
      return PublicKey.fromJSON(json, `${role} key`);
    } catch (err) {
      throw new NotaryHttpError('INVALID_RESPONSE', `${role} key from ${url}: ${(err as Error).message}`, {
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

  /** A request that must answer 200: retries (GET only), one authentication round, status mapping. */
  private async request(method: string, url: URL, opts: RequestOptions): Promise<RawResponse> {
    const attempts = method === 'GET' ? this.retries + 1 : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await this.authorized(method, url, opts);
        if (res.status !== 200) throw errorFromResponse(res.status, res.body, method, url.href);
        return res;
      } catch (err) {
        if (attempt >= attempts || !isRetryable(err)) throw err;
        await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs * 2 ** (attempt - 1)));
      }
    }
  }

  /** Sends with the authorisation `auth` knows for the origin; answers one 401 challenge. */
  private async authorized(method: string, url: URL, opts: RequestOptions): Promise<RawResponse> {
    if (!this.auth) return this.send(method, url, opts);
    const scopes = [opts.scope];
    const first = await this.auth.authorizationFor(url, scopes, this.tls);
    const res = await this.send(method, url, opts, first);
    if (res.status !== 401) return res;
    const retry = await this.auth.authorizeAfter401(url, res.headersDistinct['www-authenticate'], scopes, {
      ...(first !== undefined ? { rejected: first } : {}),
      tls: this.tls,
    });
    if (retry === undefined) return res;
    return this.send(method, url, opts, retry);
  }

  /** One exchange; resolves with any status (error bodies are read up to MAX_ERROR_BODY). */
  private send(
    method: string,
    url: URL,
    opts: RequestOptions,
    authorization?: string,
    timeoutMs: number = this.timeoutMs,
  ): Promise<RawResponse> {
    const where = `${method} ${url.href}`;
    return new Promise<RawResponse>((resolve, reject) => {
      let settled = false;
      const fail = (err: NotaryHttpError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        reject(err);
      };
      const headers: Record<string, string> = { ...this.headers, ...(opts.headers ?? {}) };
      if (authorization !== undefined) headers['Authorization'] = authorization;
      if (opts.body) headers['Content-Length'] = String(opts.body.length);
      const mod = url.protocol === 'https:' ? https : http;
      const req = mod.request(url, { method, headers, agent: this.agent }, (res) => {
        const status = res.statusCode ?? 0;
        const ok = status === 200;
        const cap = ok ? opts.maxBytes : MAX_ERROR_BODY;
        // error bodies are only read for their message: cut, never refused
        const truncateAt = ok ? opts.truncateAt : MAX_ERROR_BODY;
        const declared = Number(res.headers['content-length']);
        if (ok && Number.isFinite(declared) && declared > cap) {
          fail(
            new NotaryHttpError(
              'RESPONSE_TOO_LARGE',
              `${where}: ${BAD_RESPONSE_TEXT} (it declares ${declared} bytes, more than the limit of ${cap})`,
              {
                status,
                method,
                url: url.href,
              },
            ),
          );
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        const finish = () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          const distinct: Record<string, string[]> = {};
          for (const [k, v] of Object.entries(res.headersDistinct)) if (v) distinct[k] = v;
          resolve({ status, headers: res.headers, headersDistinct: distinct, body: Buffer.concat(chunks, size) });
        };
        res.on('data', (chunk: Buffer) => {
          if (settled) return;
          if (truncateAt !== undefined && size + chunk.length >= truncateAt) {
            const keep = chunk.subarray(0, truncateAt - size);
            chunks.push(keep);
            size += keep.length;
            finish();
            req.destroy();
            return;
          }
          size += chunk.length;
          if (size > cap) {
            fail(
              new NotaryHttpError('RESPONSE_TOO_LARGE', `${where}: response exceeds the limit of ${cap} bytes`, {
                status,
                method,
                url: url.href,
              }),
            );
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', (err) =>
          fail(new NotaryHttpError('NETWORK_ERROR', `${where}: ${err.message}`, { method, url: url.href, cause: err })),
        );
        res.on('end', finish);
      });
      const timer = setTimeout(
        () => fail(new NotaryHttpError('TIMEOUT', `${where}: no complete response within ${timeoutMs} ms`, { method, url: url.href })),
        timeoutMs,
      );
      req.on('error', (err) =>
        fail(new NotaryHttpError('NETWORK_ERROR', `${where}: ${err.message}`, { method, url: url.href, cause: err })),
      );
      req.end(opts.body);
    });
  }
}

function isRetryable(err: unknown): boolean {
  if (!(err instanceof NotaryHttpError)) return false;
  if (err.code === 'NETWORK_ERROR' || err.code === 'TIMEOUT') return true;
  return err.code === 'SERVER_UNAVAILABLE' && err.status !== undefined && RETRY_STATUSES.has(err.status);
}

function assertRole(role: string): void {
  if (!isValidRoleName(role)) throw new NotaryHttpError('INVALID_REQUEST', `${JSON.stringify(role)} is not a valid role name`);
}

const VALIDATION_TEXT: Record<string, string> = {
  ErrBadRoot: 'The root metadata is invalid:',
  ErrBadTargets: 'The targets metadata is invalid:',
  ErrBadSnapshot: 'The snapshot metadata is invalid:',
  ErrBadHierarchy: 'Metadata hierarchy is incomplete:',
  ErrValidation: 'An error occurred during validation:',
};

/** Maps a non-200 response to an error the way notary's httpstore does, keeping the decoded body. */
export function errorFromResponse(status: number, body: Buffer, method?: string, url?: string): NotaryHttpError {
  const errors = decodeErrorBody(body);
  const first = errors?.[0];
  const base = { status, ...(method ? { method } : {}), ...(url ? { url } : {}), ...(errors ? { errors } : {}) };
  const where = method && url ? `${method} ${url}: ` : '';
  if (status === 404) {
    return new NotaryHttpError(
      'METADATA_NOT_FOUND',
      `${where}${first?.message ?? 'You have requested metadata that does not exist.'}`,
      base,
    );
  }
  if (status === 401) {
    return new NotaryHttpError('UNAUTHORIZED', `${where}${UNAUTHORIZED_TEXT}`, base);
  }
  if (status === 400) {
    const code = first?.code ?? 'INVALID_OPERATION';
    const validation = first?.code === 'INVALID_UPDATE' ? decodeValidation(first.detail) : undefined;
    let message = first?.message ?? 'invalid operation';
    if (validation) {
      const prefix = VALIDATION_TEXT[validation.name];
      message = prefix ? `${prefix} ${validation.msg}` : `${validation.name}: ${validation.msg}`;
    }
    return new NotaryHttpError(code, `${where}${message}`, { ...base, ...(validation ? { validation } : {}) });
  }
  return new NotaryHttpError(
    'SERVER_UNAVAILABLE',
    `${where}unable to reach trust server at this time: ${status}${first ? ` (${first.code}: ${first.message})` : ''}`,
    base,
  );
}

function decodeErrorBody(body: Buffer): ServerErrorEntry[] | undefined {
  if (body.length === 0) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null) return undefined;
  const list = (json as { errors?: unknown }).errors;
  if (!Array.isArray(list)) return undefined;
  const out: ServerErrorEntry[] = [];
  for (const e of list) {
    if (typeof e !== 'object' || e === null) continue;
    const { code, message, detail } = e as Record<string, unknown>;
    if (typeof code !== 'string') continue;
    const entry: ServerErrorEntry = { code, message: typeof message === 'string' ? message : '' };
    if (detail !== undefined) entry.detail = detail;
    out.push(entry);
  }
  return out.length > 0 ? out : undefined;
}

function decodeValidation(detail: unknown): ValidationFailure | undefined {
  if (typeof detail !== 'object' || detail === null) return undefined;
  const { Name, Error: inner } = detail as Record<string, unknown>;
  if (typeof Name !== 'string') return undefined;
  const fields = typeof inner === 'object' && inner !== null ? (inner as Record<string, unknown>) : {};
  const out: ValidationFailure = { name: Name, msg: typeof fields['Msg'] === 'string' ? fields['Msg'] : '' };
  if (typeof fields['Missing'] === 'string') out.missing = fields['Missing'];
  return out;
}

export interface MultipartPart {
  field: string;
  filename: string;
  bytes: Uint8Array;
  contentType?: string;
}

/** multipart/form-data exactly as Go's mime/multipart writes it (CRLF, random 60-hex boundary). */
export function encodeMultipart(
  parts: readonly MultipartPart[],
  boundary = randomBytes(30).toString('hex'),
): { contentType: string; body: Buffer } {
  const quote = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  const chunks: Buffer[] = [];
  parts.forEach((p, i) => {
    if (/[\r\n]/.test(p.filename) || /[\r\n]/.test(p.field)) {
      throw new NotaryHttpError('INVALID_REQUEST', 'multipart names must not contain line breaks');
    }
    const head =
      `${i === 0 ? '' : '\r\n'}--${boundary}\r\n` +
      `Content-Disposition: form-data; name="${quote(p.field)}"; filename="${quote(p.filename)}"\r\n` +
      `Content-Type: ${p.contentType ?? 'application/octet-stream'}\r\n\r\n`;
    chunks.push(Buffer.from(head, 'utf8'), Buffer.from(p.bytes.buffer, p.bytes.byteOffset, p.bytes.byteLength));
  });
  chunks.push(Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8'));
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: Buffer.concat(chunks) };
}
