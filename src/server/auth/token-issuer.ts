/**
 * The built-in token issuer (docker registry token auth, the "realm"):
 *
 *   GET /auth/token?service=<service>&scope=repository:<gun>:pull,push[&scope=…][&account=<user>]
 *   Authorization: Basic base64(user:password)        (absent = anonymous)
 *
 * answers `{"token","access_token","expires_in","issued_at"}` with a JWT
 * (ES256, `kid` = libtrust fingerprint of the issuer key) whose claims are
 * `iss, sub, aud, exp, nbf, iat, jti, access:[{type,name,actions}]`, the
 * actions narrowed to what the access rules grant. Wrong credentials (unknown
 * user or wrong password alike) → 401; anonymous requests get what anonymous
 * access grants (possibly nothing: an empty `access`). The OAuth2 password
 * grant (`POST` form with grant_type=password) answers the same token.
 *
 * The signing key is an ECDSA P-256 key made once in `<data>/auth/` (0600
 * PEM), next to a self-signed certificate of it that other services (e.g. a
 * docker registry's `auth.token.rootcertbundle`) can use to accept dct tokens.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { der } from '../../core/der.js';
import { DctError } from '../../core/errors.js';
import { createCertificate, extension, OID } from '../../core/keys/certificate.js';
import { ApiError } from '../api-errors.js';
import { errorResponse, type PreparedResponse } from '../responses.js';
import type { AccessRules } from './access-rules.js';
import type { CredentialChecker } from './htpasswd.js';
import { libtrustKeyId, signJwt } from './jwt.js';

export interface TokenSigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** libtrust key ID, the JWT `kid` */
  kid: string;
}

export interface TokenKeyFiles extends TokenSigningKey {
  keyFile: string;
  certFile: string;
  /** true when this call made the key */
  created: boolean;
}

/** Loads `<dataDir>/auth/token-signing.key` (and its certificate), making them once when absent. */
export async function loadOrCreateTokenKey(dataDir: string, now = new Date()): Promise<TokenKeyFiles> {
  const dir = join(dataDir, 'auth');
  const keyFile = join(dir, 'token-signing.key');
  const certFile = join(dir, 'token-signing.crt');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  let created = false;
  if (!existsSync(keyFile)) {
    const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    created = await writeExclusive(keyFile, pair.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, 0o600);
  }
  const st = await stat(keyFile);
  if ((st.mode & 0o077) !== 0) await chmod(keyFile, 0o600);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(await readFile(keyFile));
  } catch (err) {
    throw new DctError('INVALID_CONFIG', `cannot read the token signing key ${keyFile}: ${(err as Error).message}`);
  }
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new DctError('INVALID_CONFIG', `the token signing key ${keyFile} must be an ECDSA P-256 key`);
  }
  const publicKey = createPublicKey(privateKey);
  if (!existsSync(certFile)) {
    const pem = createCertificate({
      commonName: 'dct token issuer',
      publicKey,
      signingKey: privateKey,
      notBefore: new Date(now.getTime() - 3600_000),
      notAfter: new Date(now.getTime() + 3650 * 24 * 3600_000),
      serial: randomBytes(16),
      extensions: [
        extension(OID.keyUsage, true, Buffer.from([0x03, 0x02, 0x07, 0x80])), // digitalSignature
        extension(OID.basicConstraints, true, der.sequence()),
      ],
    });
    await writeExclusive(certFile, pem, 0o644);
  }
  return { privateKey, publicKey, kid: libtrustKeyId(publicKey), keyFile, certFile, created };
}

/** Writes a file only if it does not exist yet, atomically (another process may race us); true when this call wrote it. */
async function writeExclusive(file: string, text: string, mode: number): Promise<boolean> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, text, { mode, flag: 'wx' });
  await chmod(tmp, mode);
  try {
    await link(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return false;
  } finally {
    await unlink(tmp);
  }
}

/** One `type:name:actions` item of a `scope` parameter (`repository(plugin):…` keeps only the type). */
export interface ScopeItem {
  type: string;
  name: string;
  actions: string[];
}

/**
 * Parses `scope` values (each may hold several space-separated items). The name
 * may contain `:` (`127.0.0.1:5000/app`): the type ends at the first colon, the
 * actions start after the last one. Throws INVALID_PARAMETERS on a malformed item.
 */
export function parseScopes(values: readonly string[]): ScopeItem[] {
  const items: ScopeItem[] = [];
  for (const value of values) {
    for (const item of value.split(' ')) {
      if (item === '') continue;
      const first = item.indexOf(':');
      const last = item.lastIndexOf(':');
      if (first <= 0 || last === first)
        throw new ApiError('INVALID_PARAMETERS', `invalid scope ${JSON.stringify(item)}: expected type:name:actions`);
      const type = item.slice(0, first).replace(/\([^)]*\)$/, '');
      const name = item.slice(first + 1, last);
      const actions = item
        .slice(last + 1)
        .split(',')
        .filter((a) => a !== '');
      if (name === '' || type === '')
        throw new ApiError('INVALID_PARAMETERS', `invalid scope ${JSON.stringify(item)}: expected type:name:actions`);
      items.push({ type, name, actions });
    }
  }
  return items;
}

export interface TokenIssuerOptions {
  /** the `iss` claim */
  issuer: string;
  /** the `aud` claim; also the only `service` accepted */
  service: string;
  ttlSeconds: number;
  users: CredentialChecker;
  rules: AccessRules;
  key: TokenSigningKey;
  /** epoch ms */
  now?: () => number;
}

export interface TokenRequest {
  method: string;
  query: URLSearchParams;
  authorization?: string | undefined;
  contentType?: string | undefined;
  body?: Buffer | undefined;
}

export interface TokenGrant {
  /** the authenticated user, undefined for anonymous */
  user: string | undefined;
  access: Array<{ type: string; name: string; actions: string[] }>;
  token: string;
}

export class TokenIssuer {
  private readonly now: () => number;

  constructor(private readonly opts: TokenIssuerOptions) {
    this.now = opts.now ?? Date.now;
  }

  get service(): string {
    return this.opts.service;
  }

  /** Serves the token endpoint; refusals are ApiErrors turned into their responses. */
  async handle(req: TokenRequest): Promise<{ response: PreparedResponse; grant?: TokenGrant; refused?: string }> {
    try {
      const grant = await this.fromRequest(req);
      return { response: this.tokenResponse(grant, req.method === 'POST'), grant };
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      return { response: errorResponse(err), refused: typeof err.detail === 'string' ? err.detail : err.message };
    }
  }

  private async fromRequest(
    req: TokenRequest,
  ): Promise<{ user: string | undefined; access: TokenGrant['access']; token: string; iat: number }> {
    let params = req.query;
    let credentials: { user: string; password: string } | undefined;
    if (req.method === 'POST') {
      // OAuth2 (docker/distribution "fetchTokenWithOAuth"): password grant only, dct issues no refresh tokens
      if (!/^application\/x-www-form-urlencoded\b/i.test(req.contentType ?? '')) {
        throw new ApiError('INVALID_PARAMETERS', 'the token endpoint takes application/x-www-form-urlencoded forms');
      }
      params = new URLSearchParams((req.body ?? Buffer.alloc(0)).toString('utf8'));
      const grantType = params.get('grant_type');
      if (grantType !== 'password')
        throw new ApiError('INVALID_PARAMETERS', `unsupported grant_type ${JSON.stringify(grantType ?? '')}: only "password"`);
      credentials = { user: params.get('username') ?? '', password: params.get('password') ?? '' };
    } else if (req.authorization !== undefined && req.authorization !== '') {
      credentials = parseBasic(req.authorization, this.opts.service);
    }
    const service = params.get('service');
    if (service !== null && service !== this.opts.service) {
      throw new ApiError(
        'INVALID_PARAMETERS',
        `unknown service ${JSON.stringify(service)}: this issuer serves ${JSON.stringify(this.opts.service)}`,
      );
    }
    const scopes = parseScopes(params.getAll('scope'));
    let user: string | undefined;
    if (credentials) {
      if (credentials.user === '' || !(await this.opts.users.verify(credentials.user, credentials.password))) {
        throw unauthorized(this.opts.service);
      }
      user = credentials.user;
      const account = params.get('account');
      if (account !== null && account !== '' && account !== user) {
        throw new ApiError('INVALID_PARAMETERS', 'the account parameter does not match the credentials');
      }
    }
    const access: TokenGrant['access'] = [];
    for (const item of scopes) {
      let actions: string[] = [];
      if (item.type === 'repository') actions = this.opts.rules.granted(user, item.name, item.actions);
      else if (item.type === 'registry' && item.name === 'catalog' && this.opts.rules.catalogGranted(user))
        actions = item.actions.filter((a) => a === '*');
      if (actions.length === 0) continue;
      const same = access.find((a) => a.type === item.type && a.name === item.name);
      if (same) same.actions = [...new Set([...same.actions, ...actions])];
      else access.push({ type: item.type, name: item.name, actions });
    }
    const iat = Math.floor(this.now() / 1000);
    const claims = {
      iss: this.opts.issuer,
      sub: user ?? '',
      aud: this.opts.service,
      exp: iat + this.opts.ttlSeconds,
      nbf: iat,
      iat,
      jti: randomBytes(16).toString('base64url'),
      access,
    };
    return { user, access, token: signJwt(claims, this.opts.key.privateKey, this.opts.key.kid), iat };
  }

  private tokenResponse(grant: { token: string; iat: number }, oauth: boolean): PreparedResponse {
    const issuedAt = new Date(grant.iat * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const json = oauth
      ? { access_token: grant.token, token: grant.token, expires_in: this.opts.ttlSeconds, issued_at: issuedAt, scope: '' }
      : { token: grant.token, access_token: grant.token, expires_in: this.opts.ttlSeconds, issued_at: issuedAt };
    const body = Buffer.from(JSON.stringify(json) + '\n');
    return {
      status: 200,
      headers: {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': body.length,
        'Cache-Control': 'no-store',
        Pragma: 'no-cache',
      },
      body,
    };
  }
}

function unauthorized(service: string, why = 'invalid user name or password'): ApiError {
  return new ApiError('UNAUTHORIZED', undefined, why, { 'WWW-Authenticate': `Basic realm=${JSON.stringify(service)}` });
}

/** `Basic base64(user:password)` → credentials; anything else → 401. */
function parseBasic(header: string, service: string): { user: string; password: string } {
  const m = /^basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m) throw unauthorized(service, 'the token endpoint takes Basic credentials');
  const plain = Buffer.from(m[1] as string, 'base64').toString('utf8');
  const colon = plain.indexOf(':');
  if (colon < 0) throw unauthorized(service, 'malformed Basic credentials');
  return { user: plain.slice(0, colon), password: plain.slice(colon + 1) };
}
