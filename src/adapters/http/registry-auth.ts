/**
 * Docker registry authentication as docker and notary do it
 * (docker/distribution `registry/client/auth`): a server answers 401 with
 * `WWW-Authenticate: Bearer realm="…",service="…",scope="…"` (or `Basic realm=…`);
 * the client fetches a token from the realm (transport/token-server.ts) and retries
 * with `Authorization: Bearer <token>`. The wrapper that does this for every request
 * of a transport is transport/auth.ts.
 *
 * One `RegistryAuth` serves any number of servers: it remembers each origin's
 * challenge (so later requests authenticate up front, as docker's ping does),
 * caches tokens per (realm, service, scopes, account) until `expires_in`, and asks
 * the `credentials` callback once per host (docker config.json, NOTARY_AUTH, …).
 *
 * Secrets never appear in errors: messages name hosts, realms and user names only,
 * and whatever a token server says is scrubbed of the secrets that were sent.
 */
import { DctError } from '../../core/errors.js';
import type { CredentialRequest, CredentialSource, RegistryCredentials } from './credentials.js';
import type { TlsSettings } from './tls-settings.js';
import { fetchToken, type TokenRequest } from './transport/token-server.js';
import { parseWwwAuthenticate, type Challenge } from './www-authenticate.js';

// what the clients import from here, now in files of their own
export { parseWwwAuthenticate, type Challenge } from './www-authenticate.js';
export {
  notaryAuthCredentials,
  repositoryScope,
  type CredentialRequest,
  type CredentialSource,
  type RegistryCredentials,
} from './credentials.js';
export type { TlsSettings } from './tls-settings.js';
export { exchange, type ExchangeOptions, type ExchangeResult } from './transport/exchange.js';

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
  /**
   * TLS settings for a token realm; default: those of the request that was challenged when the
   * realm is on its host, else the system roots
   */
  tls?: (realm: URL) => TlsSettings | undefined;
  /**
   * plain-http realms receive credentials only for loopback hosts, the challenged origin itself
   * (already plain http), or when this says yes
   */
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
      inFlight = this.grant({ url, realm, service, scopes, creds, account, requestTls }).then((t) => {
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

  /** A token from the realm, trading the refresh token it handed out before (or the identity token) when there is one. */
  private async grant(p: Omit<TokenRequest, 'refreshToken'>): Promise<CachedToken> {
    const refreshKey = `${p.realm.href}\u0000${p.service}`;
    const refreshToken = this.refreshTokens.get(refreshKey) ?? (p.creds && 'identityToken' in p.creds ? p.creds.identityToken : undefined);
    const got = await fetchToken(
      { ...p, refreshToken },
      {
        clientId: this.clientId,
        timeoutMs: this.timeoutMs,
        maxBytes: this.maxBytes,
        hint: (host) => this.hint(host),
        ...(this.options.offlineToken !== undefined ? { offlineToken: this.options.offlineToken } : {}),
        ...(this.options.userAgent !== undefined ? { userAgent: this.options.userAgent } : {}),
        ...(this.options.tls ? { tls: this.options.tls } : {}),
        ...(this.options.allowPlainHttpRealm ? { allowPlainHttpRealm: this.options.allowPlainHttpRealm } : {}),
      },
    );
    if (got.refreshToken !== undefined) this.refreshTokens.set(refreshKey, got.refreshToken);
    return { token: got.token, expiresAt: this.now() + got.expiresIn * 1000 };
  }
}

/** Bearer first (docker's handler order gives the token the last word), then Basic. */
function pick(challenges: readonly Challenge[]): Challenge | undefined {
  return challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
}

function originKey(url: URL): string {
  return `${url.protocol}//${url.host.toLowerCase()}`;
}
