/**
 * Token auth on the trust server, as notary-server does it with
 * docker/distribution's `token` access controller (notary utils/http.go,
 * registry/auth/token): every route but health and metrics needs
 * `Authorization: Bearer <JWT>` whose `access` claim covers the route's
 * actions on `repository:<gun>` (spec §5.1), or `registry:catalog:*` for the
 * global changefeed. `GET /v2/` and route misses need any valid token; without
 * one they answer the challenge clients discover auth by (scope
 * `registry:catalog:*`, as notary-server).
 *
 * A refusal is a 401 with
 *   WWW-Authenticate: Bearer realm="…",service="…",scope="repository:<gun>:<actions>"[,error="invalid_token"|"insufficient_scope"]
 * and notary's body
 *   `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":[{"Type","Class","Name","Action"},…]}]}`.
 *
 * A token is accepted when its signature verifies with the issuer key or a key
 * of the trust bundle (certificates or public keys; an `x5c` chain must lead
 * to a bundle certificate), `iss` is the configured issuer, `aud` the service,
 * and `exp`/`nbf` hold within 60 s of leeway (distribution's). Verified tokens
 * are remembered by their text for a short while so the read path stays cheap.
 */
import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { DctError } from '../../core/errors.js';
import { pemSpans } from '../../core/pem-spans.js';
import { ApiError } from '../api-errors.js';
import { errorResponse, type PreparedResponse } from '../responses.js';
import type { Route } from '../routes.js';
import { decodeJwt, isJwsAlgorithm, keyFitsAlgorithm, libtrustKeyId, verifyJwtSignature, type DecodedJwt } from './jwt.js';

/** One access a route requires (docker/distribution `auth.Access`). */
export interface RequiredAccess {
  type: 'repository' | 'registry';
  name: string;
  action: string;
}

export interface RouteAccess {
  /** what the token must cover (and what the challenge names) */
  access: RequiredAccess[];
  /** any valid token will do (GET /v2/, route misses) */
  anyToken: boolean;
}

const CATALOG: RequiredAccess[] = [{ type: 'registry', name: 'catalog', action: '*' }];
const repo = (gun: string, ...actions: string[]): RequiredAccess[] => actions.map((action) => ({ type: 'repository', name: gun, action }));

/** The access a route needs; undefined for open routes (health, metrics). */
export function routeAccess(route: Route): RouteAccess | undefined {
  switch (route.name) {
    case 'health':
    case 'metrics':
      return undefined;
    case 'base':
    case 'notFound':
      return { access: CATALOG, anyToken: true };
    case 'currentMetadata':
    case 'metadataByChecksum':
    case 'metadataByVersion':
      return { access: repo(route.gun, 'pull'), anyToken: false };
    case 'update':
    case 'getKey':
      return { access: repo(route.gun, 'push', 'pull'), anyToken: false };
    case 'rotateKey':
    case 'delete':
      return { access: repo(route.gun, '*'), anyToken: false };
    case 'changefeed':
      return route.gun === undefined ? { access: CATALOG, anyToken: false } : { access: repo(route.gun, 'pull'), anyToken: false };
    // the audit feed tells who pulled what everywhere: read by those who may read the global changefeed;
    // enforcement points post with push on the pseudo-repository AUDIT_REPOSITORY
    case 'auditFeed':
      return { access: CATALOG, anyToken: false };
    case 'auditPost':
      return { access: repo(AUDIT_REPOSITORY, 'push'), anyToken: false };
  }
}

/**
 * The pseudo-repository whose `push` lets a client post audit records (`repository:_dct/audit:push`).
 * No image can have this name (a repository name starts with a letter or digit).
 */
export const AUDIT_REPOSITORY = '_dct/audit';

export interface VerifiedToken {
  subject: string;
  /** epoch ms of `exp` */
  expiresAt: number;
  /** `type\0name` → actions */
  access: ReadonlyMap<string, ReadonlySet<string>>;
}

/** Does the token hold `action` on the resource (an `*` action holds every action)? */
export function tokenHolds(token: VerifiedToken, need: RequiredAccess): boolean {
  const actions = token.access.get(`${need.type}\u0000${need.name}`);
  return actions !== undefined && (actions.has('*') || actions.has(need.action));
}

export class TokenError extends Error {
  constructor(
    readonly kind: 'malformed' | 'invalid',
    message: string,
  ) {
    super(message);
  }
}

/** a bundle's BEGIN marker: any type of capitals and spaces, not necessarily ending its line */
const BUNDLE_BEGIN = /-----BEGIN ([A-Z ]+)-----/y;

/** The blocks of a PEM bundle, BEGIN to END marker, in order (exported for tests). */
export function bundleBlocks(pem: string): Array<{ type: string; pem: string }> {
  return pemSpans(pem, BUNDLE_BEGIN).map((s) => ({ type: s.type, pem: pem.slice(s.start, s.end) }));
}

/**
 * Keys and certificates from a PEM bundle (`rootcertbundle`): CERTIFICATE and PUBLIC KEY blocks.
 * INVALID_CONFIG naming `source` when it has none, or when one of them does not parse.
 */
export function parseTrustBundle(pem: string, source = 'bundle'): { keys: KeyObject[]; roots: X509Certificate[] } {
  const keys: KeyObject[] = [];
  const roots: X509Certificate[] = [];
  for (const { type, pem: block } of bundleBlocks(pem)) {
    try {
      if (type === 'CERTIFICATE') {
        const cert = new X509Certificate(block);
        roots.push(cert);
        keys.push(cert.publicKey);
      } else if (type === 'PUBLIC KEY') {
        keys.push(createPublicKey(block));
      }
    } catch (err) {
      throw new DctError('INVALID_CONFIG', `${source}: cannot parse a ${type} block: ${(err as Error).message}`, { cause: err });
    }
  }
  if (keys.length === 0) throw new DctError('INVALID_CONFIG', `${source}: no CERTIFICATE or PUBLIC KEY block`);
  return { keys, roots };
}

export interface TokenVerifierOptions {
  issuer: string;
  service: string;
  /** public keys tokens may be signed with */
  keys: readonly KeyObject[];
  /** certificates an `x5c` chain may lead to */
  roots?: readonly X509Certificate[];
  leewaySeconds?: number;
  /** epoch ms */
  now?: () => number;
}

export class TokenVerifier {
  private readonly byKid = new Map<string, KeyObject>();
  private readonly now: () => number;
  private readonly leewayMs: number;

  constructor(private readonly opts: TokenVerifierOptions) {
    for (const key of opts.keys) this.byKid.set(libtrustKeyId(key), key);
    this.now = opts.now ?? Date.now;
    this.leewayMs = (opts.leewaySeconds ?? 60) * 1000;
  }

  /** Verifies a compact JWT; throws TokenError. */
  verify(raw: string): VerifiedToken {
    if (raw.length > 16 * 1024) throw new TokenError('malformed', 'token too large');
    const jwt = decodeJwt(raw);
    if (!jwt) throw new TokenError('malformed', 'not a JWS compact serialisation');
    const { header, claims } = jwt;
    if (header['crit'] !== undefined) throw new TokenError('invalid', 'critical header parameters are not supported');
    const alg = header['alg'];
    if (!isJwsAlgorithm(alg)) throw new TokenError('invalid', `signature algorithm ${JSON.stringify(alg)} is not accepted`);
    if (claims['iss'] !== this.opts.issuer) throw new TokenError('invalid', `untrusted issuer ${JSON.stringify(claims['iss'])}`);
    const aud = claims['aud'];
    if (!(aud === this.opts.service || (Array.isArray(aud) && aud.includes(this.opts.service)))) {
      throw new TokenError('invalid', `token intended for another audience: ${JSON.stringify(aud)}`);
    }
    const exp = claims['exp'];
    const nbf = claims['nbf'] ?? 0;
    if (typeof exp !== 'number' || !Number.isFinite(exp) || typeof nbf !== 'number' || !Number.isFinite(nbf)) {
      throw new TokenError('malformed', 'exp and nbf must be numbers');
    }
    const now = this.now();
    if (now > exp * 1000 + this.leewayMs) throw new TokenError('invalid', 'token expired');
    if (now < nbf * 1000 - this.leewayMs) throw new TokenError('invalid', 'token not valid yet');
    if (jwt.signature.length === 0) throw new TokenError('invalid', 'token has no signature');
    if (!this.signatureVerifies(jwt, alg, now)) throw new TokenError('invalid', 'bad signature or untrusted signing key');
    return { subject: typeof claims['sub'] === 'string' ? claims['sub'] : '', expiresAt: exp * 1000, access: accessOf(claims['access']) };
  }

  private signatureVerifies(jwt: DecodedJwt, alg: Parameters<typeof verifyJwtSignature>[1], now: number): boolean {
    const x5c = jwt.header['x5c'];
    if (x5c !== undefined) {
      const leaf = chainKey(x5c, this.opts.roots ?? [], now);
      return leaf !== undefined && verifyJwtSignature(jwt, alg, leaf);
    }
    const kid = jwt.header['kid'];
    const named = typeof kid === 'string' ? this.byKid.get(kid) : undefined;
    if (named) return verifyJwtSignature(jwt, alg, named);
    // no (known) kid: any trusted key of the right type
    return this.opts.keys.some((key) => keyFitsAlgorithm(key, alg) && verifyJwtSignature(jwt, alg, key));
  }
}

function accessOf(claim: unknown): Map<string, Set<string>> {
  const access = new Map<string, Set<string>>();
  if (claim === undefined || claim === null) return access;
  if (!Array.isArray(claim)) throw new TokenError('malformed', 'access must be a list');
  for (const item of claim as unknown[]) {
    if (typeof item !== 'object' || item === null) throw new TokenError('malformed', 'malformed access entry');
    const { type, name, actions } = item as Record<string, unknown>;
    if (typeof type !== 'string' || typeof name !== 'string' || !(actions === null || actions === undefined || Array.isArray(actions))) {
      throw new TokenError('malformed', 'malformed access entry');
    }
    const key = `${type}\u0000${name}`;
    let set = access.get(key);
    if (!set) access.set(key, (set = new Set()));
    for (const a of (actions ?? []) as unknown[]) {
      if (typeof a !== 'string') throw new TokenError('malformed', 'malformed access entry');
      set.add(a);
    }
  }
  return access;
}

/** The leaf key of an `x5c` chain that leads to one of `roots` (all certificates within their validity). */
function chainKey(x5c: unknown, roots: readonly X509Certificate[], now: number): KeyObject | undefined {
  if (!Array.isArray(x5c) || x5c.length === 0 || x5c.length > 8 || !x5c.every((c) => typeof c === 'string')) return undefined;
  let certs: X509Certificate[];
  try {
    certs = x5c.map((c) => new X509Certificate(Buffer.from(c, 'base64')));
  } catch {
    return undefined;
  }
  const valid = (c: X509Certificate) => Date.parse(c.validFrom) <= now && now <= Date.parse(c.validTo);
  const leaf = certs[0] as X509Certificate;
  let current = leaf;
  for (let depth = 0; depth < 8; depth++) {
    if (!valid(current)) return undefined;
    if (roots.some((r) => r.raw.equals(current.raw))) return leaf.publicKey;
    const issuedBy = (c: X509Certificate) => c !== current && c.ca && valid(c) && current.checkIssued(c) && current.verify(c.publicKey);
    if (roots.some(issuedBy)) return leaf.publicKey;
    const next = certs.find(issuedBy);
    if (!next) return undefined;
    current = next;
  }
  return undefined;
}

export interface BearerAuthOptions {
  verifier: TokenVerifier;
  service: string;
  /** the token endpoint clients are sent to; default `<scheme>://<Host header>/auth/token` */
  realm?: string | undefined;
  /** scheme of this server when the realm is derived (TLS → https) */
  secure: boolean;
  /** how long a verified token is remembered (default 60 s; never past its expiry) */
  cacheMs?: number;
  maxCached?: number;
  /** epoch ms */
  now?: () => number;
}

/** What the authorization hook reads from a request. */
export interface AuthRequestInfo {
  authorization?: string | undefined;
  host?: string | undefined;
  forwardedProto?: string | string[] | undefined;
}

export class BearerAuth {
  private readonly cache = new Map<string, { token: VerifiedToken; until: number }>();
  private readonly now: () => number;
  private origin = 'https://localhost';

  constructor(private readonly opts: BearerAuthOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Where the server listens, for the realm when the request has no usable Host header. */
  setOrigin(origin: string): void {
    this.origin = origin;
  }

  /** The realm announced to a request. */
  realmFor(req: AuthRequestInfo): string {
    if (this.opts.realm) return this.opts.realm;
    const host =
      req.host !== undefined && /^[A-Za-z0-9.\-_~]+(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$/.test(req.host) ? req.host : undefined;
    if (!host) return `${this.origin}/auth/token`;
    // plain HTTP is served behind a TLS-terminating proxy: its X-Forwarded-Proto tells the scheme clients use
    const fwd = Array.isArray(req.forwardedProto) ? req.forwardedProto[0] : req.forwardedProto;
    const proto = this.opts.secure ? 'https' : fwd === 'https' ? 'https' : 'http';
    return `${proto}://${host}/auth/token`;
  }

  /** undefined when the request may go on; otherwise the 401 to answer. */
  check(route: Route, req: AuthRequestInfo): PreparedResponse | undefined {
    return this.checkAccess(routeAccess(route), req);
  }

  /** The same check for a route of another API on this server (the embedded registry): what it needs is given. */
  checkAccess(needs: RouteAccess | undefined, req: AuthRequestInfo): PreparedResponse | undefined {
    if (!needs) return undefined;
    const header = req.authorization;
    if (header === undefined || header.length < 8 || header.slice(0, 7).toLowerCase() !== 'bearer ' || header.indexOf(' ', 7) >= 0) {
      return this.challenge(needs.access, req, undefined);
    }
    const raw = header.slice(7);
    const token = this.verified(raw);
    if (token instanceof TokenError) return this.challenge(needs.access, req, 'invalid_token');
    if (needs.anyToken) return undefined;
    for (const need of needs.access) if (!tokenHolds(token, need)) return this.challenge(needs.access, req, 'insufficient_scope');
    return undefined;
  }

  /** The verified token of a request, if it carries one (after `check` let it through). */
  tokenOf(req: AuthRequestInfo): VerifiedToken | undefined {
    const header = req.authorization;
    if (header === undefined || header.slice(0, 7).toLowerCase() !== 'bearer ') return undefined;
    const token = this.verified(header.slice(7));
    return token instanceof TokenError ? undefined : token;
  }

  /** A verified token (cached by its text) or the reason it is refused. */
  verified(raw: string): VerifiedToken | TokenError {
    const now = this.now();
    const hit = this.cache.get(raw);
    if (hit && now < hit.until) return hit.token;
    if (hit) this.cache.delete(raw);
    let token: VerifiedToken;
    try {
      token = this.opts.verifier.verify(raw);
    } catch (err) {
      if (err instanceof TokenError) return err;
      throw err;
    }
    if (this.cache.size >= (this.opts.maxCached ?? 10_000)) this.cache.delete(this.cache.keys().next().value as string);
    // the verifier allows 60 s of leeway past exp; the cache stops at exp itself
    this.cache.set(raw, { token, until: Math.min(now + (this.opts.cacheMs ?? 60_000), token.expiresAt) });
    return token;
  }

  private challenge(
    access: RequiredAccess[],
    req: AuthRequestInfo,
    error: 'invalid_token' | 'insufficient_scope' | undefined,
  ): PreparedResponse {
    const byResource = new Map<string, string[]>();
    for (const a of access) {
      const key = `${a.type}:${a.name}`;
      const actions = byResource.get(key) ?? [];
      if (!actions.includes(a.action)) actions.push(a.action);
      byResource.set(key, actions);
    }
    const scope = [...byResource].map(([resource, actions]) => `${resource}:${actions.join(',')}`).join(' ');
    let value = `Bearer realm=${quote(this.realmFor(req))},service=${quote(this.opts.service)}`;
    if (scope) value += `,scope=${quote(scope)}`;
    if (error) value += `,error=${quote(error)}`;
    const detail = access.map((a) => ({ Type: a.type, Class: '', Name: a.name, Action: a.action }));
    return errorResponse(new ApiError('UNAUTHORIZED', detail, undefined, { 'WWW-Authenticate': value }));
  }
}

/**
 * A quoted header parameter as Go's %q writes it for printable text: `"` and
 * `\` escaped, control characters escaped, other characters as UTF-8 bytes
 * (node writes header strings as latin1, hence the byte-wise string).
 */
function quote(text: string): string {
  return Buffer.from(JSON.stringify(text).replace(/\x7f/g, '\\u007f'), 'utf8').toString('latin1');
}
