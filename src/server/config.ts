/**
 * `dct server` settings: defaults < config file (JSON) < environment (DCT_*) < flags.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { DctError } from '../core/errors.js';
import { parseAccessRules, type AccessRule } from './auth/access-rules.js';
import { ClientAddresses } from './client-address.js';
import { notationConfigDir } from '../adapters/notation/config/config-dir.js';
import { DEFAULT_DASHBOARD_WARN_DAYS, validateDashboard } from './dashboard-config.js';
import { isRegistryHost, validateRegistry, type RegistrySettings } from './registry-config.js';
import { DEFAULT_READ_CACHE_MAX_BYTES } from './response-cache.js';
import { DEFAULT_CONSISTENT_MAX_AGE, DEFAULT_CURRENT_MAX_AGE, MAX_CACHE_MAX_AGE } from './responses.js';

export interface ServerConfig extends RegistrySettings {
  /** HOST:PORT */
  listen: string;
  /** sqlite:PATH | sqlite::memory: | postgres://… */
  storage: string;
  /** where the SQLite file, self-signed TLS files and generated secrets live */
  dataDir: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsSelfSigned: boolean;
  /** serve plain HTTP (only when asked for) */
  plainHttp: boolean;
  /** accept writes without authentication on a non-loopback address */
  insecureNoAuth: boolean;
  /** name of the environment variable holding the server keys' passphrase */
  keyPassphraseEnv: string;
  /** a remote `dct signer` (mutual TLS) instead of the embedded key service */
  signerUrl?: string;
  signerCert?: string;
  signerKey?: string;
  signerCa?: string;
  gunPrefixes: string[];
  /** processes serving requests (node cluster); 1 = this process only */
  workers: number;
  maxBodyBytes: number;
  maxRoleBytes: number;
  writesPerSecond: number;
  writeBurst: number;
  /** per client address (IPv6: per /64): failed logins at the token endpoint per second, and burst (successful ones are not counted) */
  loginsPerSecond: number;
  loginBurst: number;
  /** worker threads that check passwords (bcrypt), and how many checks may wait for one (more: 503) */
  loginThreads: number;
  loginQueue: number;
  /** without auth: host names (besides loopback ones, the listen address and registryName) that writes may be addressed to */
  allowedHosts: string[];
  /** proxies (IP addresses, CIDR ranges) whose X-Forwarded-For names the client of the per-client limits */
  trustedProxies: string[];
  requestTimeoutMs: number;
  /** notary `caching.max_age.current_metadata`: seconds clients may cache `<role>.json` (0 = no caching) */
  cacheMaxAgeCurrent: number;
  /** notary `caching.max_age.consistent_metadata`: seconds for metadata by checksum or version (0 = no caching) */
  cacheMaxAgeConsistent: number;
  /** bytes of prepared metadata responses kept in memory per process (0 = none) */
  readCacheMaxBytes: number;
  /** audit records the server keeps, the newest (older ones are removed as new ones arrive) */
  auditRetention: number;
  logLevel: string;
  /** token auth with the built-in issuer: htpasswd file of users (bcrypt entries) */
  authHtpasswd?: string;
  /** the token endpoint announced to clients (default `<scheme>://<host the client used>/auth/token`) */
  authRealm?: string;
  /** the token audience (`aud`, `service`) */
  authService: string;
  /** the token issuer (`iss`) the server signs with and accepts */
  authIssuer: string;
  /** per-repository rules of the built-in issuer (default: every user may do everything) */
  authRules?: AccessRule[];
  /** the built-in issuer grants `pull` on every repository to anonymous clients */
  authAnonymousPull: boolean;
  /** lifetime of issued tokens */
  authTokenTtlSeconds: number;
  /** PEM certificates / public keys of external token issuers to accept (`rootcertbundle`) */
  authRootCertBundle?: string;
  /** largest blob the registry accepts, counting the bytes received over the whole upload session */
  maxBlobBytes: number;
  /** open registry upload sessions per repository (per process) */
  maxUploadsPerRepository: number;
  /** open registry upload sessions per client address (per process) */
  maxUploadsPerClient: number;
  /** an upload session that receives nothing this long is removed with its bytes */
  uploadExpiryMs: number;
  /** a connection that sends and receives nothing this long (slow or stalled reader) is closed */
  idleTimeoutMs: number;
  /** open connections per process */
  maxConnections: number;
  /** open connections per client address (trusted proxies are exempt) */
  maxConnectionsPerClient: number;
  /** the dashboard: days ahead an expiry counts as expiring (dashboard-config.ts) */
  dashboardWarnDays: number;
}

/** password check threads by default: half the cores, 1 to 4 */
export const DEFAULT_PASSWORD_THREADS = Math.max(1, Math.min(4, Math.floor(availableParallelism() / 2)));
/** password checks that may wait for a thread by default */
export const DEFAULT_PASSWORD_QUEUE = 32;

export const DEFAULT_CONFIG: ServerConfig = {
  listen: '127.0.0.1:4443',
  storage: 'sqlite:.dct/dct.db',
  dataDir: '.dct',
  tlsSelfSigned: false,
  plainHttp: false,
  insecureNoAuth: false,
  keyPassphraseEnv: 'DCT_SERVER_KEY_PASSPHRASE',
  gunPrefixes: [],
  workers: 1,
  maxBodyBytes: 64 * 1024 * 1024,
  maxRoleBytes: 16 * 1024 * 1024,
  writesPerSecond: 20,
  writeBurst: 100,
  loginsPerSecond: 1,
  loginBurst: 10,
  loginThreads: DEFAULT_PASSWORD_THREADS,
  loginQueue: DEFAULT_PASSWORD_QUEUE,
  allowedHosts: [],
  trustedProxies: [],
  requestTimeoutMs: 30_000,
  cacheMaxAgeCurrent: DEFAULT_CURRENT_MAX_AGE,
  cacheMaxAgeConsistent: DEFAULT_CONSISTENT_MAX_AGE,
  readCacheMaxBytes: DEFAULT_READ_CACHE_MAX_BYTES,
  auditRetention: 1_000_000,
  logLevel: 'info',
  authService: 'dct',
  authIssuer: 'dct',
  authAnonymousPull: false,
  authTokenTtlSeconds: 300,
  registry: true,
  pullGate: [],
  maxBlobBytes: 10 * 1024 ** 3,
  maxUploadsPerRepository: 128,
  maxUploadsPerClient: 64,
  uploadExpiryMs: 15 * 60_000,
  idleTimeoutMs: 120_000,
  maxConnections: 2048,
  maxConnectionsPerClient: 128,
  dashboardWarnDays: DEFAULT_DASHBOARD_WARN_DAYS,
};

/** settings without a default (absent unless given) */
const OPTIONAL_KEYS: ReadonlyArray<keyof ServerConfig> = [
  'tlsCert',
  'tlsKey',
  'signerUrl',
  'signerCert',
  'signerKey',
  'signerCa',
  'authHtpasswd',
  'authRealm',
  'authRules',
  'authRootCertBundle',
  'registryName',
  'policy',
  'notationConfig',
  'cosignTrustedRoot',
];

const ENV: Record<string, keyof ServerConfig> = {
  DCT_LISTEN: 'listen',
  DCT_STORAGE: 'storage',
  DCT_DATA_DIR: 'dataDir',
  DCT_TLS_CERT: 'tlsCert',
  DCT_TLS_KEY: 'tlsKey',
  DCT_TLS_SELF_SIGNED: 'tlsSelfSigned',
  DCT_PLAIN_HTTP: 'plainHttp',
  DCT_INSECURE_NO_AUTH: 'insecureNoAuth',
  DCT_SIGNER_URL: 'signerUrl',
  DCT_SIGNER_CERT: 'signerCert',
  DCT_SIGNER_KEY: 'signerKey',
  DCT_SIGNER_CA: 'signerCa',
  DCT_LOG_LEVEL: 'logLevel',
  DCT_TRUSTED_PROXIES: 'trustedProxies',
  DCT_WRITES_PER_SECOND: 'writesPerSecond',
  DCT_WRITE_BURST: 'writeBurst',
  DCT_LOGINS_PER_SECOND: 'loginsPerSecond',
  DCT_LOGIN_BURST: 'loginBurst',
  DCT_LOGIN_THREADS: 'loginThreads',
  DCT_LOGIN_QUEUE: 'loginQueue',
  DCT_ALLOWED_HOSTS: 'allowedHosts',
  DCT_CACHE_MAX_AGE_CURRENT: 'cacheMaxAgeCurrent',
  DCT_CACHE_MAX_AGE_CONSISTENT: 'cacheMaxAgeConsistent',
  DCT_READ_CACHE_MAX_BYTES: 'readCacheMaxBytes',
  DCT_AUDIT_RETENTION: 'auditRetention',
  DCT_WORKERS: 'workers',
  DCT_AUTH_HTPASSWD: 'authHtpasswd',
  DCT_AUTH_REALM: 'authRealm',
  DCT_AUTH_SERVICE: 'authService',
  DCT_AUTH_ISSUER: 'authIssuer',
  DCT_AUTH_RULES: 'authRules',
  DCT_AUTH_ANONYMOUS_PULL: 'authAnonymousPull',
  DCT_AUTH_TOKEN_TTL_SECONDS: 'authTokenTtlSeconds',
  DCT_AUTH_ROOT_CERT_BUNDLE: 'authRootCertBundle',
  DCT_REGISTRY: 'registry',
  DCT_REGISTRY_NAME: 'registryName',
  DCT_PULL_GATE: 'pullGate',
  DCT_POLICY: 'policy',
  DCT_NOTATION_CONFIG: 'notationConfig',
  DCT_COSIGN_TRUSTED_ROOT: 'cosignTrustedRoot',
  DCT_MAX_BLOB_BYTES: 'maxBlobBytes',
  DCT_MAX_UPLOADS_PER_REPOSITORY: 'maxUploadsPerRepository',
  DCT_MAX_UPLOADS_PER_CLIENT: 'maxUploadsPerClient',
  DCT_UPLOAD_EXPIRY_MS: 'uploadExpiryMs',
  DCT_IDLE_TIMEOUT_MS: 'idleTimeoutMs',
  DCT_MAX_CONNECTIONS: 'maxConnections',
  DCT_MAX_CONNECTIONS_PER_CLIENT: 'maxConnectionsPerClient',
  DCT_DASHBOARD_WARN_DAYS: 'dashboardWarnDays',
};

export function loadConfig(opts: { file?: string; env: Record<string, string | undefined>; flags: Partial<ServerConfig> }): ServerConfig {
  const config: Record<string, unknown> = { ...DEFAULT_CONFIG };
  let storageNamed = opts.flags.storage !== undefined || (opts.env['DCT_STORAGE'] ?? '') !== '';
  if (opts.file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(opts.file, 'utf8'));
    } catch (err) {
      throw new DctError('INVALID_CONFIG', `cannot read config file ${opts.file}: ${(err as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new DctError('INVALID_CONFIG', `config file ${opts.file} must hold a JSON object`);
    }
    for (const [k, v] of Object.entries(parsed)) {
      if (!(k in DEFAULT_CONFIG) && !(OPTIONAL_KEYS as readonly string[]).includes(k)) {
        throw new DctError('INVALID_CONFIG', `unknown setting ${JSON.stringify(k)} in ${opts.file}`);
      }
      config[k] = v;
      if (k === 'storage') storageNamed = true;
    }
  }
  for (const [name, key] of Object.entries(ENV)) {
    const v = opts.env[name];
    if (v === undefined || v === '') continue;
    if (typeof DEFAULT_CONFIG[key] === 'boolean') config[key] = !['0', 'false', 'no'].includes(v.toLowerCase());
    else if (typeof DEFAULT_CONFIG[key] === 'number') config[key] = Number(v);
    else if (key === 'trustedProxies' || key === 'allowedHosts')
      config[key] = v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
    else if (key === 'authRules' || key === 'pullGate') {
      try {
        config[key] = JSON.parse(v);
      } catch (err) {
        throw new DctError('INVALID_CONFIG', `${name} must hold JSON rules: ${(err as Error).message}`);
      }
    } else config[key] = v;
  }
  for (const [k, v] of Object.entries(opts.flags)) if (v !== undefined) config[k] = v;
  // the default SQLite file lives in the data folder: `--data-dir D` alone keeps everything in D
  if (!storageNamed && config['dataDir'] !== DEFAULT_CONFIG.dataDir)
    config['storage'] = `sqlite:${join(String(config['dataDir']), 'dct.db')}`;
  if (config['policy'] !== undefined && config['notationConfig'] === undefined) config['notationConfig'] = notationConfigDir(opts.env);
  return validate(config as unknown as ServerConfig);
}

function validate(c: ServerConfig): ServerConfig {
  parseListen(c.listen);
  if (!Number.isInteger(c.workers) || c.workers < 1 || c.workers > 64) {
    throw new DctError('INVALID_CONFIG', `--workers must be a whole number from 1 to 64, not ${JSON.stringify(c.workers)}`);
  }
  if (c.workers > 1 && c.storage === 'sqlite::memory:') {
    throw new DctError('INVALID_CONFIG', 'several workers need shared storage: use a sqlite file or postgres, not sqlite::memory:');
  }
  if (c.tlsSelfSigned && (c.tlsCert || c.tlsKey)) {
    throw new DctError('INVALID_CONFIG', 'choose either --tls-self-signed or --tls-cert/--tls-key');
  }
  if (Boolean(c.tlsCert) !== Boolean(c.tlsKey)) throw new DctError('INVALID_CONFIG', '--tls-cert and --tls-key go together');
  if (c.plainHttp && (c.tlsSelfSigned || c.tlsCert))
    throw new DctError('INVALID_CONFIG', '--plain-http cannot be combined with TLS settings');
  // TLS is the default: without certificate files, a self-signed CA in the data folder
  if (!c.plainHttp && !c.tlsCert) c.tlsSelfSigned = true;
  if (!Array.isArray(c.trustedProxies) || !c.trustedProxies.every((p) => typeof p === 'string')) {
    throw new DctError('INVALID_CONFIG', 'trustedProxies must be a list of IP addresses or CIDR ranges');
  }
  new ClientAddresses(c.trustedProxies); // each entry checked
  for (const [key, flag] of [
    ['writesPerSecond', '--writes-per-second'],
    ['writeBurst', 'writeBurst'],
    ['loginsPerSecond', '--logins-per-second'],
    ['loginBurst', 'loginBurst'],
  ] as const) {
    if (!Number.isFinite(c[key]) || c[key] <= 0)
      throw new DctError('INVALID_CONFIG', `${flag} must be a positive number, not ${JSON.stringify(c[key])}`);
  }
  for (const [key, max] of [
    ['loginThreads', 64],
    ['loginQueue', 100_000],
  ] as const) {
    if (!Number.isInteger(c[key]) || c[key] < (key === 'loginThreads' ? 1 : 0) || c[key] > max) {
      throw new DctError('INVALID_CONFIG', `${key} must be a whole number up to ${max}, not ${JSON.stringify(c[key])}`);
    }
  }
  if (!Array.isArray(c.allowedHosts) || !c.allowedHosts.every((h) => typeof h === 'string' && isRegistryHost(h))) {
    throw new DctError('INVALID_CONFIG', 'allowedHosts must be a list of host names or addresses (e.g. dct.internal, 10.0.0.5)');
  }
  for (const [key, flag] of [
    ['cacheMaxAgeCurrent', '--cache-max-age-current'],
    ['cacheMaxAgeConsistent', '--cache-max-age-consistent'],
  ] as const) {
    const v = c[key];
    if (!Number.isInteger(v) || v < 0 || v > MAX_CACHE_MAX_AGE) {
      throw new DctError(
        'INVALID_CONFIG',
        `${flag} must be a whole number of seconds from 0 (no caching) to ${MAX_CACHE_MAX_AGE} (a year), not ${JSON.stringify(v)}`,
      );
    }
  }
  if (!Number.isSafeInteger(c.readCacheMaxBytes) || c.readCacheMaxBytes < 0) {
    throw new DctError(
      'INVALID_CONFIG',
      `--read-cache-max-bytes must be a whole number of bytes (0 = no read cache), not ${JSON.stringify(c.readCacheMaxBytes)}`,
    );
  }
  for (const p of c.gunPrefixes) {
    if (!p.endsWith('/')) throw new DctError('INVALID_CONFIG', `GUN prefix ${JSON.stringify(p)} must end with "/"`);
  }
  validateAuth(c);
  validateRegistry(c);
  validateLimits(c);
  validateDashboard(c);
  return c;
}

/** The resource limits: whole positive numbers (bytes, counts, milliseconds). */
function validateLimits(c: ServerConfig): void {
  const limits = [
    ['maxBlobBytes', '--max-blob-bytes'],
    ['maxUploadsPerRepository', '--max-uploads-per-repository'],
    ['maxUploadsPerClient', '--max-uploads-per-client'],
    ['uploadExpiryMs', '--upload-expiry-ms'],
    ['idleTimeoutMs', '--idle-timeout-ms'],
    ['maxConnections', '--max-connections'],
    ['maxConnectionsPerClient', '--max-connections-per-client'],
    ['auditRetention', 'auditRetention'],
  ] as const;
  for (const [key, flag] of limits) {
    const v = c[key];
    if (!Number.isSafeInteger(v) || v < 1)
      throw new DctError('INVALID_CONFIG', `${flag} must be a whole positive number, not ${JSON.stringify(v)}`);
  }
  // node's timers hold at most 2^31-1 ms (about 24.8 days)
  for (const [key, flag] of [
    ['uploadExpiryMs', '--upload-expiry-ms'],
    ['idleTimeoutMs', '--idle-timeout-ms'],
  ] as const) {
    if (c[key] > 2 ** 31 - 1) throw new DctError('INVALID_CONFIG', `${flag} must be at most 2147483647 (about 24 days), not ${c[key]}`);
  }
}

function validateAuth(c: ServerConfig): void {
  const on = Boolean(c.authHtpasswd || c.authRootCertBundle);
  if (on && c.insecureNoAuth) throw new DctError('INVALID_CONFIG', '--insecure-no-auth contradicts the token auth settings: choose one');
  if (!c.authHtpasswd) {
    if (c.authAnonymousPull)
      throw new DctError('INVALID_CONFIG', '--auth-anonymous-pull is a rule of the built-in token issuer: it needs --auth-htpasswd');
    if (c.authRules !== undefined)
      throw new DctError('INVALID_CONFIG', 'authRules are rules of the built-in token issuer: they need --auth-htpasswd');
    if (c.authRootCertBundle && !c.authRealm) {
      throw new DctError(
        'INVALID_CONFIG',
        'with an external token issuer (authRootCertBundle) and no --auth-htpasswd, --auth-realm must name its token endpoint',
      );
    }
  }
  if (c.authRules !== undefined) c.authRules = parseAccessRules(c.authRules);
  if (typeof c.authService !== 'string' || c.authService === '' || /["\\\s]/.test(c.authService)) {
    throw new DctError('INVALID_CONFIG', '--auth-service must be a non-empty name without spaces or quotes');
  }
  if (typeof c.authIssuer !== 'string' || c.authIssuer === '')
    throw new DctError('INVALID_CONFIG', 'authIssuer must be a non-empty string');
  if (c.authRealm !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(c.authRealm);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || /["\\\s]/.test(c.authRealm)) {
      throw new DctError('INVALID_CONFIG', `--auth-realm must be an http(s) URL, not ${JSON.stringify(c.authRealm)}`);
    }
  }
  if (!Number.isInteger(c.authTokenTtlSeconds) || c.authTokenTtlSeconds < 60 || c.authTokenTtlSeconds > 86_400) {
    throw new DctError('INVALID_CONFIG', 'authTokenTtlSeconds must be a whole number of seconds from 60 to 86400');
  }
}

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:]*)):(\d{1,5})$/.exec(listen);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535)
    throw new DctError('INVALID_CONFIG', `--listen must be HOST:PORT (e.g. 127.0.0.1:4443), not ${JSON.stringify(listen)}`);
  return { host: m[1] ?? m[2] ?? '', port };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
