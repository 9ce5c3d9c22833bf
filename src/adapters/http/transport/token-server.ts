/**
 * The exchange with a token server (docker/distribution `registry/client/auth/session.go`):
 * `GET realm?service=…&scope=…` with Basic credentials when there are some, or, with a
 * refresh (identity) token, `POST` form `grant_type=refresh_token`. Secrets never appear
 * in errors: whatever a token server says is scrubbed of the secrets that were sent.
 */
import { DctError } from '../../../core/errors.js';
import { isLoopbackHost } from '../../../core/image-reference.js';
import type { RegistryCredentials } from '../credentials.js';
import type { TlsSettings } from '../tls-settings.js';
import { errorBodyMessage } from './error-body.js';
import { exchange, type ExchangeResult } from './exchange.js';

export interface TokenServerOptions {
  /** `client_id` sent to token servers */
  clientId: string;
  /** GET token requests add `offline_token=true&client_id=…` */
  offlineToken?: boolean;
  userAgent?: string;
  /** deadline of a token request */
  timeoutMs: number;
  /** largest token response read */
  maxBytes: number;
  /** TLS settings for a realm (else those of the challenged request when the realm is on its host) */
  tls?: (realm: URL) => TlsSettings | undefined;
  /** plain-http realms receive credentials only for loopback hosts, the challenged origin itself, or when this says yes */
  allowPlainHttpRealm?: (realm: URL) => boolean;
  /** the advice at the end of "refused" errors */
  hint: (host: string) => string;
}

export interface TokenRequest {
  /** the request that was challenged */
  url: URL;
  realm: URL;
  service: string;
  scopes: string[];
  creds: RegistryCredentials | undefined;
  /** the user name sent, when Basic credentials are */
  account: string | undefined;
  /** a refresh token to trade (then a POST) */
  refreshToken: string | undefined;
  requestTls: TlsSettings | undefined;
}

export interface TokenGrant {
  token: string;
  /** seconds, at least MINIMUM_TOKEN_LIFETIME_S */
  expiresIn: number;
  /** a new refresh token the server handed out */
  refreshToken?: string;
}

export const MINIMUM_TOKEN_LIFETIME_S = 60;

export async function fetchToken(p: TokenRequest, o: TokenServerOptions): Promise<TokenGrant> {
  const { url, realm, service, scopes, creds } = p;
  const host = url.host;
  const refreshToken = p.refreshToken;
  const basic = creds && 'password' in creds ? Buffer.from(`${creds.username}:${creds.password}`, 'utf8').toString('base64') : undefined;
  // what a server might echo: the password, its Basic encoding, the refresh token
  const secrets = [refreshToken, creds && 'password' in creds ? creds.password : undefined, basic].filter(
    (s): s is string => typeof s === 'string' && s.length > 0,
  );

  if (realm.protocol === 'http:' && (refreshToken !== undefined || p.account !== undefined)) {
    const sameOrigin = url.protocol === 'http:' && url.host === realm.host;
    if (!sameOrigin && !isLoopbackHost(realm.host) && !o.allowPlainHttpRealm?.(realm)) {
      throw new DctError(
        'INSECURE_AUTH_REALM',
        `${host} sends clients to the token server ${realm.origin}${realm.pathname} over plain http; refusing to send credentials there: the token server must use https`,
      );
    }
  }
  const tls = o.tls?.(realm) ?? (realm.host === url.host && realm.protocol === url.protocol ? p.requestTls : undefined);
  const headers: Record<string, string> = {};
  if (o.userAgent) headers['User-Agent'] = o.userAgent;

  let target: URL;
  let method: 'GET' | 'POST';
  let body: Buffer | undefined;
  if (refreshToken !== undefined) {
    method = 'POST';
    target = new URL(realm.href);
    const form: Array<[string, string]> = [
      ['client_id', o.clientId],
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
    if (o.offlineToken) params.push(['offline_token', 'true'], ['client_id', o.clientId]);
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
      timeoutMs: o.timeoutMs,
      maxBytes: o.maxBytes,
      ...(tls ? { tls } : {}),
    });
  } catch (err) {
    if (err instanceof DctError && err.code === 'RESPONSE_TOO_LARGE') {
      throw new DctError(
        'AUTH_INVALID_RESPONSE',
        `the token server ${realmName} (for ${host}) sent a response larger than ${o.maxBytes} bytes`,
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
      `the token server ${realmName} refused ${who} for ${host} (HTTP ${res.status}${said}): ${o.hint(host)}`,
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
  const expiresIn =
    typeof fields['expires_in'] === 'number' && Number.isFinite(fields['expires_in'])
      ? Math.max(fields['expires_in'], MINIMUM_TOKEN_LIFETIME_S)
      : MINIMUM_TOKEN_LIFETIME_S;
  return { token, expiresIn, ...(newRefresh !== undefined && newRefresh !== refreshToken ? { refreshToken: newRefresh } : {}) };
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
  const text = errorBodyMessage(body);
  if (!text) return '';
  return `: ${scrub(text, secrets).slice(0, 200)}`;
}

function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 3) out = out.split(s).join('***');
  return out;
}
