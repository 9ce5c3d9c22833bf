/**
 * Assembles token auth from the server settings: the built-in issuer (with an
 * htpasswd file) and/or external issuers' keys (`authRootCertBundle`), and the
 * bearer check the HTTP layer runs before dispatching a request.
 */
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { DctError } from '../../core/errors.js';
import type { ServerConfig } from '../config.js';
import { AccessRules, DEFAULT_RULES } from './access-rules.js';
import { BearerAuth, parseTrustBundle, TokenVerifier } from './bearer-auth.js';
import { HtpasswdFile } from './htpasswd.js';
import { PasswordCheckPool } from './password-check-pool.js';
import { loadOrCreateTokenKey, TokenIssuer } from './token-issuer.js';

/** The path the built-in issuer answers on (the default realm is `<server>/auth/token`). */
export const TOKEN_PATH = '/auth/token';

export interface ServerAuth {
  bearer: BearerAuth;
  /** the built-in issuer, when an htpasswd file is configured */
  issuer?: TokenIssuer;
  /** the built-in issuer's access rules (who may do what; the dashboard lists by them) */
  rules?: AccessRules;
  /** the issuer key's certificate (for other services that should accept dct tokens) */
  tokenCertFile?: string;
  /** the worker threads the built-in issuer checks passwords on */
  passwordChecks?: PasswordCheckPool;
}

export type AuthSettings = Pick<
  ServerConfig,
  | 'dataDir'
  | 'authHtpasswd'
  | 'authRealm'
  | 'authService'
  | 'authIssuer'
  | 'authRules'
  | 'authAnonymousPull'
  | 'authTokenTtlSeconds'
  | 'authRootCertBundle'
  | 'loginThreads'
  | 'loginQueue'
>;

/** Is token auth on (built-in issuer or external issuers' keys)? */
export function authConfigured(config: Pick<ServerConfig, 'authHtpasswd' | 'authRootCertBundle'>): boolean {
  return Boolean(config.authHtpasswd || config.authRootCertBundle);
}

export async function createServerAuth(config: AuthSettings, opts: { secure: boolean; log: Logger }): Promise<ServerAuth> {
  const keys = [];
  const roots = [];
  let issuer: TokenIssuer | undefined;
  let tokenCertFile: string | undefined;
  let passwordChecks: PasswordCheckPool | undefined;
  let rules: AccessRules | undefined;
  if (config.authHtpasswd) {
    const pool = new PasswordCheckPool({ threads: config.loginThreads, maxQueued: config.loginQueue });
    const users = await HtpasswdFile.open(config.authHtpasswd, {
      compare: (password, hash) => pool.compare(password, hash),
      onReloadError: (err) =>
        opts.log.warn({ file: config.authHtpasswd, err: err.message }, 'htpasswd file not reloaded: the previous users stay in force'),
    });
    const key = await loadOrCreateTokenKey(config.dataDir);
    if (key.created) opts.log.info({ keyFile: key.keyFile, certFile: key.certFile }, 'made the token signing key');
    tokenCertFile = key.certFile;
    passwordChecks = pool;
    keys.push(key.publicKey);
    issuer = new TokenIssuer({
      issuer: config.authIssuer,
      service: config.authService,
      ttlSeconds: config.authTokenTtlSeconds,
      users,
      rules: (rules = new AccessRules(config.authRules ?? DEFAULT_RULES, { anonymousPull: config.authAnonymousPull })),
      key,
    });
    opts.log.info(
      {
        users: users.size,
        rules: config.authRules?.length ?? 'default (every user: all repositories)',
        anonymousPull: config.authAnonymousPull,
      },
      'token auth: built-in issuer',
    );
  }
  if (config.authRootCertBundle) {
    let bundle;
    try {
      bundle = parseTrustBundle(await readFile(config.authRootCertBundle, 'utf8'), config.authRootCertBundle);
    } catch (err) {
      throw new DctError('INVALID_CONFIG', `cannot use the token trust bundle: ${(err as Error).message}`);
    }
    keys.push(...bundle.keys);
    roots.push(...bundle.roots);
  }
  const verifier = new TokenVerifier({ issuer: config.authIssuer, service: config.authService, keys, roots });
  const bearer = new BearerAuth({ verifier, service: config.authService, realm: config.authRealm, secure: opts.secure });
  return {
    bearer,
    ...(issuer ? { issuer } : {}),
    ...(rules ? { rules } : {}),
    ...(tokenCertFile ? { tokenCertFile } : {}),
    ...(passwordChecks ? { passwordChecks } : {}),
  };
}
