/**
 * Docker registry authentication as docker and notary do it
 * (docker/distribution `registry/client/auth`): a server answers 401 with
 * `WWW-Authenticate: Bearer realm="…",service="…",scope="…"` (or `Basic realm=…`);
 * the client fetches a token from the realm — `GET realm?service=…&scope=…` with
 * Basic credentials when it has some, or, with an identity token, `POST` form
 * `grant_type=refresh_token` — and retries with `Authorization: Bearer <token>`.
 *
 * One `RegistryAuth` serves any number of servers: it remembers each origin's
 * challenge (so later requests authenticate up front, as docker's ping does),
 * caches tokens per (realm, service, scopes, account) until `expires_in`, and asks
 * the `credentials` callback once per host (docker config.json, NOTARY_AUTH, …).
 *
 * Secrets never appear in errors: messages name hosts, realms and user names only,
 * and whatever a token server says is scrubbed of the secrets that were sent.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { DctError } from '../../core/errors.js';
import { isLoopbackHost } from '../../core/image-reference.js';
import { tlsConnectOptions } from './tls-options.js';

// ---- challenges -----------------------------------------------------------------------------

export interface Challenge {
  /** lower case: `bearer`, `basic`, … */
  scheme: string;
  /** parameter names in lower case, values unquoted */
  params: Record<string, string>;
}

const SEPARATORS = ' \t"(),/:;<=>?@[]\\{}';

function isTokenChar(c: string | undefined): boolean {
  if (c === undefined) return false;
  const code = c.charCodeAt(0);
  return code > 32 && code < 127 && !SEPARATORS.includes(c);
}

/**
 * Parses `WWW-Authenticate` values (one per header line; a line may also carry several
 * comma-separated challenges). Parameter values are tokens or quoted strings with
 * backslash escapes. Malformed input ends the parse of that line, keeping what came before.
 */
export function parseWwwAuthenticate(header: string | readonly string[] | undefined): Challenge[] {
  if (header === undefined) return [];
  const out: Challenge[] = [];
  for (const line of typeof header === 'string' ? [header] : header) parseLine(line, out);
  return out;
}

function parseLine(s: string, out: Challenge[]): void {
  let i = 0;
  const skipSpace = () => {
    while (s[i] === ' ' || s[i] === '\t') i++;
  };
  const token = (): string => {
    const start = i;
    while (isTokenChar(s[i])) i++;
    return s.slice(start, i);
  };
  const quoted = (): string | undefined => {
    // at the opening quote
    let v = '';
    for (i++; i < s.length; i++) {
      const c = s[i] as string;
      if (c === '"') {
        i++;
        return v;
      }
      if (c === '\\') {
        i++;
        if (i >= s.length) return undefined;
        v += s[i];
      } else v += c;
    }
    return undefined;
  };
  for (;;) {
    while (s[i] === ' ' || s[i] === '\t' || s[i] === ',') i++;
    const scheme = token();
    if (scheme === '') return;
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    out.push(challenge);
    for (;;) {
      const save = i;
      skipSpace();
      while (s[i] === ',') {
        i++;
        skipSpace();
      }
      const key = token();
      if (key === '') {
        // token68 (e.g. `Negotiate abc==`) or garbage: skip to the next comma
        if (i < s.length && s[i] !== ',') {
          while (i < s.length && s[i] !== ',') i++;
          continue;
        }
        return;
      }
      skipSpace();
      if (s[i] !== '=') {
        // a new challenge's scheme
        i = save;
        break;
      }
      i++;
      skipSpace();
      let value: string | undefined;
      if (s[i] === '"') value = quoted();
      else {
        value = token();
        // token68 padding after a bare key= (`abc==`): not a parameter
        if (value === '' && s[i] === '=') {
          while (i < s.length && s[i] !== ',') i++;
          continue;
        }
      }
      if (value === undefined) return;
      challenge.params[key.toLowerCase()] = value;
      skipSpace();
      if (s[i] !== ',') {
        if (i >= s.length) return;
        // junk after a value: stop this line
        return;
      }
    }
  }
}

// ---- credentials -----------------------------------------------------------------------------

/** What a user has for a registry: a user name and password, or an identity (refresh) token. */
export type RegistryCredentials = { username: string; password: string } | { identityToken: string };

export interface CredentialRequest {
  /** `host[:port]` of the server that asked (a registry or a trust server) */
  host: string;
  scheme: 'basic' | 'bearer';
  realm?: string;
  service?: string;
}

/** Where credentials come from: docker's config.json, `NOTARY_AUTH`, a prompt… (undefined = anonymous) */
export type CredentialSource = (request: CredentialRequest) => RegistryCredentials | undefined | Promise<RegistryCredentials | undefined>;

/**
 * notary's `NOTARY_AUTH`: base64 of `user:password` (the password trimmed of
 * surrounding white space, as notary does). Refuses what notary would ignore.
 */
export function notaryAuthCredentials(value: string): { username: string; password: string } {
  const v = value.trim();
  if (v.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) {
    throw new DctError(
      'INVALID_NOTARY_AUTH',
      'Could not base64-decode authentication string in NOTARY_AUTH: set it to base64("<username>:<password>")',
    );
  }
  const plain = Buffer.from(v, 'base64').toString('utf8');
  const colon = plain.indexOf(':');
  if (colon === 0)
    throw new DctError(
      'INVALID_NOTARY_AUTH',
      'Authentication string with zero-length username in NOTARY_AUTH: set it to base64("<username>:<password>")',
    );
  if (colon < 0)
    throw new DctError(
      'INVALID_NOTARY_AUTH',
      'Malformatted authentication string in NOTARY_AUTH; format must be <username>:<password> (base64-encoded)',
    );
  return { username: plain.slice(0, colon), password: plain.slice(colon + 1).trim() };
}

/** `repository:<name>:<actions>`; docker asks `pull` or `pull,push`, notary `pull`, `push,pull` or `*`. */
export function repositoryScope(name: string, actions: string | readonly string[]): string {
  return `repository:${name}:${typeof actions === 'string' ? actions : actions.join(',')}`;
}

// ---- a small HTTP exchange (shared by the registry clients) ---------------------------------

export interface TlsSettings {
  /** PEM CA certificates to trust instead of the system roots */
  ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  /** PEM CA certificates to trust besides the system roots (docker's `~/.docker/tls/<host>/*.crt`); ignored when `ca` is set */
  extraCa?: ReadonlyArray<string>;
  /** client certificate and key (PEM) */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** false skips certificate verification (docker's rule for loopback registries) */
  rejectUnauthorized?: boolean;
}

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

/**
 * One HTTP(S) request with a deadline and a response size cap, on its own connection.
 * Fails with DctError NETWORK_ERROR, TIMEOUT or RESPONSE_TOO_LARGE; messages carry the
 * method and URL without its query (which may name accounts) and never a body.
 */
export function exchange(url: URL, opts: ExchangeOptions): Promise<ExchangeResult> {
  const method = opts.method ?? 'GET';
  const where = `${method} ${url.origin}${url.pathname}`;
  return new Promise<ExchangeResult>((resolve, reject) => {
    let settled = false;
    const fail = (err: DctError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(err);
    };
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.body) headers['Content-Length'] = String(opts.body.length);
    const options: https.RequestOptions = {
      method,
      headers,
      agent: false,
      ...(url.protocol === 'https:' ? tlsConnectOptions(opts.tls) : {}),
    };
    const send = url.protocol === 'https:' ? https.request : url.protocol === 'http:' ? http.request : undefined;
    if (!send) {
      reject(new DctError('INVALID_REQUEST', `unsupported URL scheme ${url.protocol} in ${where}`));
      return;
    }
    const req = send(url, options, (res) => {
      const status = res.statusCode ?? 0;
      const declared = Number(res.headers['content-length']);
      if (method !== 'HEAD' && Number.isFinite(declared) && declared > opts.maxBytes) {
        fail(
          new DctError('RESPONSE_TOO_LARGE', `${where}: the response declares ${declared} bytes, more than the limit of ${opts.maxBytes}`),
        );
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > opts.maxBytes) {
          fail(new DctError('RESPONSE_TOO_LARGE', `${where}: the response exceeds the limit of ${opts.maxBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', (err) => fail(new DctError('NETWORK_ERROR', `${where}: ${err.message}`, { cause: err })));
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const distinct: Record<string, string[]> = {};
        for (const [k, v] of Object.entries(res.headersDistinct)) if (v) distinct[k] = v;
        resolve({ status, headers: res.headers, headersDistinct: distinct, body: Buffer.concat(chunks, size) });
      });
    });
    const timer = setTimeout(
      () => fail(new DctError('TIMEOUT', `${where}: no complete response within ${opts.timeoutMs} ms`)),
      opts.timeoutMs,
    );
    req.on('error', (err) => fail(new DctError('NETWORK_ERROR', `${where}: ${err.message}`, { cause: err })));
    req.end(opts.body);
  });
}

// ---- the authoriser --------------------------------------------------------------------------

export interface RegistryAuthOptions {
  credentials?: CredentialSource;
  /** `client_id` sent to token servers (docker: `docker`) */
  clientId?: string;
  /** GET token requests add `offline_token=true&client_id=…` (docker's daemon does; the CLI's trust code does not) */
  offlineToken?: boolean;
  userAgent?: string;
  /** deadline of a token request (default 30 s) */
  timeoutMs?: number;
  /** largest token response read (default 1 MiB) */
  maxTokenResponseBytes?: number;
  /** TLS settings for a token realm; default: those of the request that was challenged when the realm is on its host, else the system roots */
  tls?: (realm: URL) => TlsSettings | undefined;
  /** plain-http realms receive credentials only for loopback hosts, the challenged origin itself (already plain http), or when this says yes */
  allowPlainHttpRealm?: (realm: URL) => boolean;
  /** the advice at the end of "refused"/"required" errors */
  loginHint?: (host: string) => string;
  /** clock in ms (tests) */
  now?: () => number;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

const MINIMUM_TOKEN_LIFETIME_S = 60;
const EXPIRY_MARGIN_MS = 5_000;
const MAX_CACHED_TOKENS = 256;

export class RegistryAuth {
  private readonly challenges = new Map<string, Challenge[]>();
  private readonly tokens = new Map<string, CachedToken>();
  private readonly pending = new Map<string, Promise<string>>();
  private readonly credentialCache = new Map<string, Promise<RegistryCredentials | undefined>>();
  /** refresh tokens handed out by token servers, per realm and service */
  private readonly refreshTokens = new Map<string, string>();
  private readonly clientId: string;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  private readonly now: () => number;

  constructor(private readonly options: RegistryAuthOptions = {}) {
    this.clientId = options.clientId ?? 'docker';
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxBytes = options.maxTokenResponseBytes ?? 1024 * 1024;
    this.now = options.now ?? Date.now;
  }

  /** Remembers the challenges of a 401 (e.g. of a `GET /v2/` ping) for the URL's origin. */
  noteChallenges(url: URL, wwwAuthenticate: string | readonly string[] | undefined): Challenge[] {
    const list = parseWwwAuthenticate(wwwAuthenticate);
    if (list.length > 0) this.challenges.set(originKey(url), list);
    return list;
  }

  /** The challenges remembered for the URL's origin. */
  challengesFor(url: URL): readonly Challenge[] {
    return this.challenges.get(originKey(url)) ?? [];
  }

  /**
   * The `Authorization` value for a request needing `scopes`, when the origin has asked
   * for authentication before; undefined when it has not (send the request bare).
   */
  async authorizationFor(url: URL, scopes: readonly string[], requestTls?: TlsSettings): Promise<string | undefined> {
    const challenge = pick(this.challengesFor(url));
    if (!challenge) return undefined;
    return this.authorize(url, challenge, scopes, requestTls);
  }

  /**
   * After a 401: remembers its challenge and returns the `Authorization` value to retry
   * with, fetching a new token (a token the 401 refused — `rejected` — is dropped first).
   * Undefined when the response carries no challenge dct can answer (report the 401).
   */
  async authorizeAfter401(
    url: URL,
    wwwAuthenticate: string | readonly string[] | undefined,
    scopes: readonly string[],
    opts: { rejected?: string; tls?: TlsSettings } = {},
  ): Promise<string | undefined> {
    const challenge = pick(this.noteChallenges(url, wwwAuthenticate));
    if (!challenge) return undefined;
    if (opts.rejected?.startsWith('Bearer ')) {
      const rejected = opts.rejected.slice('Bearer '.length);
      for (const [k, v] of this.tokens) if (v.token === rejected) this.tokens.delete(k);
    }
    return this.authorize(url, challenge, scopes, opts.tls);
  }

  /** Forgets challenges, tokens and credentials. */
  clear(): void {
    this.challenges.clear();
    this.tokens.clear();
    this.credentialCache.clear();
    this.refreshTokens.clear();
  }

  private async authorize(url: URL, challenge: Challenge, scopes: readonly string[], requestTls: TlsSettings | undefined): Promise<string> {
    const host = url.host;
    if (challenge.scheme === 'basic') {
      const creds = await this.credentials({
        host,
        scheme: 'basic',
        ...(challenge.params['realm'] !== undefined ? { realm: challenge.params['realm'] } : {}),
      });
      if (creds && 'username' in creds && creds.username !== '' && creds.password !== '') {
        return `Basic ${Buffer.from(`${creds.username}:${creds.password}`, 'utf8').toString('base64')}`;
      }
      const why =
        creds && 'identityToken' in creds
          ? 'asks for a user name and password, but only an identity token is known for it'
          : 'requires authentication and no credentials are known for it';
      throw new DctError('AUTH_REQUIRED', `${host} ${why}: ${this.hint(host)}`);
    }
    return `Bearer ${await this.bearerToken(url, challenge, scopes, requestTls)}`;
  }

  private hint(host: string): string {
    return this.options.loginHint?.(host) ?? `log in with \`docker login ${host}\` (or set NOTARY_AUTH=base64(user:password) for notary)`;
  }

  private credentials(request: CredentialRequest): Promise<RegistryCredentials | undefined> {
    const source = this.options.credentials;
    if (!source) return Promise.resolve(undefined);
    const key = `${request.host}\u0000${request.scheme}`;
    let found = this.credentialCache.get(key);
    if (!found) {
      found = Promise.resolve().then(() => source(request));
      this.credentialCache.set(key, found);
      // a failing source is asked again next time
      found.catch(() => this.credentialCache.delete(key));
    }
    return found;
  }

  private async bearerToken(
    url: URL,
    challenge: Challenge,
    wanted: readonly string[],
    requestTls: TlsSettings | undefined,
  ): Promise<string> {
    const host = url.host;
    const realmText = challenge.params['realm'];
    if (realmText === undefined || realmText === '') {
      throw new DctError(
        'AUTH_CHALLENGE_INVALID',
        `${host} asked for a token without naming where to get it (no realm specified for token auth challenge)`,
      );
    }
    let realm: URL;
    try {
      realm = new URL(realmText);
    } catch {
      throw new DctError(
        'AUTH_CHALLENGE_INVALID',
        `${host} named an invalid token realm ${JSON.stringify(realmText)} (invalid token auth challenge realm)`,
      );
    }
    if (realm.protocol !== 'https:' && realm.protocol !== 'http:') {
      throw new DctError('AUTH_CHALLENGE_INVALID', `${host} named a token realm with the unsupported scheme ${realm.protocol}`);
    }
    const service = challenge.params['service'] ?? '';
    const scopes = wanted.length > 0 ? [...wanted] : (challenge.params['scope'] ?? '').split(' ').filter((s) => s !== '');
    const creds = await this.credentials({ host, scheme: 'bearer', realm: realm.href, ...(service ? { service } : {}) });
    const account = creds && 'username' in creds && creds.username !== '' && creds.password !== '' ? creds.username : undefined;
    const key = JSON.stringify([realm.href, service, [...scopes].sort(), account ?? '', creds && 'identityToken' in creds ? 'it' : '']);
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt - EXPIRY_MARGIN_MS > this.now()) return cached.token;
    let inFlight = this.pending.get(key);
    if (!inFlight) {
      inFlight = this.fetchToken({ url, realm, service, scopes, creds, account, requestTls }).then((t) => {
        if (this.tokens.size >= MAX_CACHED_TOKENS) this.tokens.delete(this.tokens.keys().next().value as string);
        this.tokens.set(key, t);
        return t.token;
      });
      this.pending.set(key, inFlight);
      const clear = () => this.pending.delete(key);
      inFlight.then(clear, clear);
    }
    return inFlight;
  }

  private async fetchToken(p: {
    url: URL;
    realm: URL;
    service: string;
    scopes: string[];
    creds: RegistryCredentials | undefined;
    account: string | undefined;
    requestTls: TlsSettings | undefined;
  }): Promise<CachedToken> {
    const { url, realm, service, scopes, creds } = p;
    const host = url.host;
    const refreshKey = `${realm.href}\u0000${service}`;
    const refreshToken = this.refreshTokens.get(refreshKey) ?? (creds && 'identityToken' in creds ? creds.identityToken : undefined);
    const basic = creds && 'password' in creds ? Buffer.from(`${creds.username}:${creds.password}`, 'utf8').toString('base64') : undefined;
    // what a server might echo: the password, its Basic encoding, the refresh token
    const secrets = [refreshToken, creds && 'password' in creds ? creds.password : undefined, basic].filter(
      (s): s is string => typeof s === 'string' && s.length > 0,
    );

    if (realm.protocol === 'http:' && (refreshToken !== undefined || p.account !== undefined)) {
      const sameOrigin = url.protocol === 'http:' && url.host === realm.host;
      if (!sameOrigin && !isLoopbackHost(realm.host) && !this.options.allowPlainHttpRealm?.(realm)) {
        throw new DctError(
          'INSECURE_AUTH_REALM',
          `${host} sends clients to the token server ${realm.origin}${realm.pathname} over plain http; refusing to send credentials there: the token server must use https`,
        );
      }
    }
    const tls = this.options.tls?.(realm) ?? (realm.host === url.host && realm.protocol === url.protocol ? p.requestTls : undefined);
    const headers: Record<string, string> = {};
    if (this.options.userAgent) headers['User-Agent'] = this.options.userAgent;

    let target: URL;
    let method: 'GET' | 'POST';
    let body: Buffer | undefined;
    if (refreshToken !== undefined) {
      method = 'POST';
      target = new URL(realm.href);
      const form: Array<[string, string]> = [
        ['client_id', this.clientId],
        ['grant_type', 'refresh_token'],
        ['refresh_token', refreshToken],
        ['scope', scopes.join(' ')],
        ['service', service],
      ];
      body = Buffer.from(encodeQuery(form), 'utf8');
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
    } else {
      method = 'GET';
      const params: Array<[string, string]> = [...new URL(realm.href).searchParams.entries()];
      if (service !== '') params.push(['service', service]);
      for (const s of scopes) params.push(['scope', s]);
      if (this.options.offlineToken) params.push(['offline_token', 'true'], ['client_id', this.clientId]);
      if (p.account !== undefined && creds && 'password' in creds) {
        params.push(['account', p.account]);
        headers['Authorization'] = `Basic ${basic}`;
      }
      target = new URL(realm.href);
      // Go's url.Values.Encode: keys sorted, values in order
      target.search = encodeQuery(
        params
          .map((kv, i) => [kv, i] as const)
          .sort((a, b) => (a[0][0] < b[0][0] ? -1 : a[0][0] > b[0][0] ? 1 : a[1] - b[1]))
          .map(([kv]) => kv),
      );
    }

    const realmName = `${realm.origin}${realm.pathname}`;
    let res: ExchangeResult;
    try {
      res = await exchange(target, {
        method,
        headers,
        ...(body ? { body } : {}),
        timeoutMs: this.timeoutMs,
        maxBytes: this.maxBytes,
        ...(tls ? { tls } : {}),
      });
    } catch (err) {
      if (err instanceof DctError && err.code === 'RESPONSE_TOO_LARGE') {
        throw new DctError(
          'AUTH_INVALID_RESPONSE',
          `the token server ${realmName} (for ${host}) sent a response larger than ${this.maxBytes} bytes`,
          { cause: err },
        );
      }
      const why = err instanceof Error ? err.message : String(err);
      throw new DctError('AUTH_SERVER_UNREACHABLE', `cannot get a token for ${host} from ${realmName}: ${scrub(why, secrets)}`, {
        cause: err,
      });
    }
    const said = serverMessage(res.body, secrets);
    if (res.status === 401 || res.status === 403) {
      const who =
        refreshToken !== undefined
          ? 'the identity token'
          : p.account !== undefined
            ? `the credentials of user ${JSON.stringify(p.account)}`
            : 'anonymous access';
      throw new DctError(
        'AUTH_FAILED',
        `the token server ${realmName} refused ${who} for ${host} (HTTP ${res.status}${said}): ${this.hint(host)}`,
      );
    }
    if (res.status < 200 || res.status > 299) {
      throw new DctError(
        'AUTH_SERVER_ERROR',
        `the token server ${realmName} answered HTTP ${res.status}${said} to a token request for ${host}`,
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(res.body.toString('utf8'));
    } catch {
      throw new DctError(
        'AUTH_INVALID_RESPONSE',
        `the token server ${realmName} sent a response that is not JSON (unable to decode token response)`,
      );
    }
    const fields = typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : {};
    const token = nonEmptyString(fields['access_token']) ?? nonEmptyString(fields['token']);
    if (token === undefined) {
      throw new DctError(
        'AUTH_INVALID_RESPONSE',
        `the token server ${realmName} did not include a token in its response (authorization server did not include a token in the response)`,
      );
    }
    const newRefresh = nonEmptyString(fields['refresh_token']);
    if (newRefresh !== undefined && newRefresh !== refreshToken) this.refreshTokens.set(refreshKey, newRefresh);
    const expiresIn =
      typeof fields['expires_in'] === 'number' && Number.isFinite(fields['expires_in'])
        ? Math.max(fields['expires_in'], MINIMUM_TOKEN_LIFETIME_S)
        : MINIMUM_TOKEN_LIFETIME_S;
    return { token, expiresAt: this.now() + expiresIn * 1000 };
  }
}

/** Bearer first (docker's handler order gives the token the last word), then Basic. */
function pick(challenges: readonly Challenge[]): Challenge | undefined {
  return challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
}

function originKey(url: URL): string {
  return `${url.protocol}//${url.host.toLowerCase()}`;
}

function encodeQuery(pairs: ReadonlyArray<readonly [string, string]>): string {
  // Go's QueryEscape: space as '+', everything but unreserved characters escaped
  const esc = (s: string) =>
    encodeURIComponent(s)
      .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
      .replace(/%20/g, '+');
  return pairs.map(([k, v]) => `${esc(k)}=${esc(v)}`).join('&');
}

function nonEmptyString(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** What a token server said in its error body (registry `errors[].message` or OAuth `error_description`), scrubbed and short. */
function serverMessage(body: Buffer, secrets: readonly string[]): string {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return '';
  }
  if (typeof json !== 'object' || json === null) return '';
  const o = json as Record<string, unknown>;
  let text: string | undefined;
  if (Array.isArray(o['errors'])) {
    const first = o['errors'][0] as Record<string, unknown> | undefined;
    if (first && typeof first['message'] === 'string') text = first['message'];
  }
  text ??= nonEmptyString(o['error_description']) ?? nonEmptyString(o['details']) ?? nonEmptyString(o['error']);
  if (!text) return '';
  return `: ${scrub(text, secrets).slice(0, 200)}`;
}

function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 3) out = out.split(s).join('***');
  return out;
}
