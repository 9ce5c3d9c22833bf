/**
 * The docker client configuration dct shares (`C:cli/config`, docker CLI 28), and
 * dct's own client configuration.
 *
 * - `$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`): registry credentials
 *   from `auths` (`auth` = base64 user:password, or `username`/`password`,
 *   `identitytoken`), `credHelpers` per registry and `credsStore` (a
 *   `docker-credential-<name> get` program, which reads the server address on stdin
 *   and prints `{"ServerURL","Username","Secret"}`; user `<token>` means an identity
 *   token), and `DOCKER_AUTH_CONFIG` over all of it, as docker looks them up.
 * - `$DOCKER_CONFIG/tls/<host[:port]>/`: extra CA certificates (`*.crt`) and client
 *   certificates (`*.cert` + `*.key`), as docker's `loadTLSConfig` reads them.
 * - dct's config file (`$DCT_CONFIG`, default `~/.dct/config.json`): which trust server
 *   serves a registry's images (docker has no such setting, moby#19129) and which
 *   registries may be reached over plain http.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { access, readdir, readFile } from 'node:fs/promises';
import { BlockList, isIP } from 'node:net';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { DctError } from '../core/errors.js';
import { hostOf, isValidRegistryDomain, parseIPv6, splitHostPort } from '../core/image-reference.js';
import type { RegistryCredentials, TlsSettings } from './http/registry-auth.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** The `auths` key docker uses for Docker Hub (`registry.IndexServer`). */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';
const TOKEN_USERNAME = '<token>';
const HELPER_PREFIX = 'docker-credential-';
const NOT_FOUND_MESSAGE = 'credentials not found in native keychain';

/** docker's `config.Dir()`: `$DOCKER_CONFIG`, else `~/.docker`. */
export function dockerConfigDir(env: Env = process.env): string {
  return env['DOCKER_CONFIG'] || join(homedir(), '.docker');
}

// ---- config.json ------------------------------------------------------------------------------

export interface DockerAuthEntry {
  username?: string;
  password?: string;
  identityToken?: string;
}

export interface DockerConfigFile {
  file: string;
  /** false when there is no config.json (docker then uses an empty one) */
  exists: boolean;
  auths: Record<string, DockerAuthEntry>;
  credsStore?: string;
  credHelpers: Record<string, string>;
}

/** Reads `<dir>/config.json`; a missing file is an empty config, an unreadable or malformed one an INVALID_DOCKER_CONFIG error. */
export async function loadDockerConfig(dir: string = dockerConfigDir()): Promise<DockerConfigFile> {
  const file = join(dir, 'config.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { file, exists: false, auths: {}, credHelpers: {} };
    throw new DctError('INVALID_DOCKER_CONFIG', `loading config file ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseDockerConfig(text, file);
}

/** Parses config.json text as docker does (field names match case-insensitively, as Go's JSON decoder does). */
export function parseDockerConfig(text: string, file = 'config.json'): DockerConfigFile {
  const bad = (why: string) =>
    new DctError('INVALID_DOCKER_CONFIG', `parsing config file (${file}): ${why}; fix the file or point DOCKER_CONFIG at another folder`);
  let json: unknown;
  try {
    json = text.trim() === '' ? {} : JSON.parse(text);
  } catch (err) {
    throw bad((err as Error).message);
  }
  if (!isObject(json)) throw bad('the top level is not a JSON object');
  const out: DockerConfigFile = { file, exists: true, auths: {}, credHelpers: {} };
  const auths = field(json, 'auths');
  if (auths !== undefined && auths !== null) {
    if (!isObject(auths)) throw bad('"auths" is not an object');
    for (const [key, value] of Object.entries(auths)) {
      if (value === null) {
        out.auths[key] = {};
        continue;
      }
      if (!isObject(value)) throw bad(`auths[${JSON.stringify(key)}] is not an object`);
      const entry: DockerAuthEntry = {};
      const str = (name: string): string | undefined => {
        const v = field(value, name);
        if (v === undefined || v === null) return undefined;
        if (typeof v !== 'string') throw bad(`auths[${JSON.stringify(key)}].${name} is not a string`);
        return v;
      };
      const auth = str('auth');
      const username = str('username');
      const password = str('password');
      const identityToken = str('identitytoken');
      if (username) entry.username = username;
      if (password) entry.password = password;
      if (auth) {
        const decoded = decodeAuth(auth);
        if (!decoded) throw bad(`auths[${JSON.stringify(key)}].auth: Invalid auth configuration file (expected base64 of "user:password")`);
        entry.username = decoded.username;
        entry.password = decoded.password;
      }
      if (identityToken) entry.identityToken = identityToken;
      out.auths[key] = entry;
    }
  }
  const store = field(json, 'credsStore');
  if (store !== undefined && store !== null) {
    if (typeof store !== 'string') throw bad('"credsStore" is not a string');
    if (store !== '') out.credsStore = store;
  }
  const helpers = field(json, 'credHelpers');
  if (helpers !== undefined && helpers !== null) {
    if (!isObject(helpers)) throw bad('"credHelpers" is not an object');
    for (const [k, v] of Object.entries(helpers)) {
      if (typeof v !== 'string') throw bad(`credHelpers[${JSON.stringify(k)}] is not a string`);
      out.credHelpers[k] = v;
    }
  }
  return out;
}

/** docker's `decodeAuth`: strict base64 of `user:password`, user not empty, NULs trimmed from the password. */
function decodeAuth(auth: string): { username: string; password: string } | undefined {
  if (auth.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(auth)) return undefined;
  const plain = Buffer.from(auth, 'base64').toString('utf8');
  const colon = plain.indexOf(':');
  if (colon <= 0) return undefined;
  return { username: plain.slice(0, colon), password: plain.slice(colon + 1).replace(/^\0+|\0+$/g, '') };
}

/** The config.json key docker looks a registry up by: Docker Hub's index URL, else the domain itself. */
export function authConfigKey(registryDomain: string): string {
  return registryDomain === 'docker.io' || registryDomain === 'index.docker.io' ? DOCKER_HUB_AUTH_KEY : registryDomain;
}

/** docker's `credentials.ConvertToHostname`: `https://h:1/v1/` → `h:1`, `h/x` → `h` (any scheme is stripped). */
export function convertToHostname(maybeUrl: string): string {
  const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#]*)/.exec(maybeUrl);
  if (m) {
    const authority = m[1] as string;
    const hp = authority.slice(authority.lastIndexOf('@') + 1);
    let host = hp;
    let port = '';
    if (hp.startsWith('[')) {
      const end = hp.indexOf(']');
      host = end < 0 ? '' : hp.slice(1, end);
      const rest = end < 0 ? '' : hp.slice(end + 1);
      if (rest.startsWith(':')) port = rest.slice(1);
      else if (rest !== '') host = '';
    } else if (hp.includes(':')) {
      const split = splitHostPort(hp);
      host = split?.host ?? '';
      port = split?.port ?? '';
    }
    if (host !== '' && /^[0-9]*$/.test(port)) return port === '' ? host : host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  }
  const slash = maybeUrl.indexOf('/');
  return slash < 0 ? maybeUrl : maybeUrl.slice(0, slash);
}

/** Runs a credential helper: `(program, stdin)` → exit code and stdout. */
export type HelperRunner = (program: string, args: readonly string[], input: string) => Promise<{ code: number; stdout: string }>;

export interface DockerCredentialOptions {
  env?: Env;
  /** default `dockerConfigDir(env)` */
  configDir?: string;
  /** an already loaded config.json (else it is read) */
  config?: DockerConfigFile;
  runHelper?: HelperRunner;
  /** deadline for a credential helper (default 60 s: some show a dialog) */
  helperTimeoutMs?: number;
  /** docker picks the platform's credential helper when config.json has no credentials at all (default true) */
  detectDefaultStore?: boolean;
  /** problems docker would only warn about (a failing helper, a bad DOCKER_AUTH_CONFIG) */
  onWarning?: (message: string) => void;
}

/**
 * The credentials docker would use for a registry (`ResolveAuthConfig`): the key is
 * `https://index.docker.io/v1/` for Docker Hub, else the registry's `host[:port]`;
 * `DOCKER_AUTH_CONFIG` first, then the registry's credential helper or `credsStore`,
 * else the `auths` entry (exact key, else a key whose host is the registry's).
 * Undefined = anonymous.
 */
export async function dockerCredentials(
  registryDomain: string,
  opts: DockerCredentialOptions = {},
): Promise<RegistryCredentials | undefined> {
  const env = opts.env ?? process.env;
  const warn = opts.onWarning ?? (() => {});
  const key = authConfigKey(registryDomain);

  const fromEnv = env['DOCKER_AUTH_CONFIG'];
  if (fromEnv) {
    const envAuths = parseEnvAuthConfig(fromEnv, warn);
    const hit = envAuths?.[key];
    if (hit) return toCredentials(hit);
  }

  const config = opts.config ?? (await loadDockerConfig(opts.configDir ?? dockerConfigDir(env)));
  const fileEntry = fileStoreGet(config, key);
  let helper = config.credHelpers[key] ?? config.credsStore;
  if (helper === undefined && opts.detectDefaultStore !== false && !containsAuth(config)) helper = await detectDefaultStore(env);
  if (helper === undefined) return toCredentials(fileEntry);
  try {
    return await credentialsFromHelper(helper, key, opts);
  } catch (err) {
    // docker ignores a failing helper (and keeps what the file has for the key)
    warn(`${(err as Error).message}; continuing with the credentials in ${config.file}, if any`);
    return toCredentials(fileEntry);
  }
}

function containsAuth(c: DockerConfigFile): boolean {
  return c.credsStore !== undefined || Object.keys(c.credHelpers).length > 0 || Object.keys(c.auths).length > 0;
}

function fileStoreGet(config: DockerConfigFile, key: string): DockerAuthEntry | undefined {
  const exact = config.auths[key];
  if (exact) return exact;
  for (const [k, v] of Object.entries(config.auths)) if (convertToHostname(k) === key) return v;
  return undefined;
}

function toCredentials(e: DockerAuthEntry | undefined): RegistryCredentials | undefined {
  if (!e) return undefined;
  if (e.identityToken) return { identityToken: e.identityToken };
  if (e.username && e.password) return { username: e.username, password: e.password };
  return undefined;
}

function parseEnvAuthConfig(text: string, warn: (m: string) => void): Record<string, DockerAuthEntry> | undefined {
  const fail = (why: string) => {
    warn(`Failed to create credential store from DOCKER_AUTH_CONFIG: ${why}`);
    return undefined;
  };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return fail((err as Error).message);
  }
  if (!isObject(json)) return fail('not a JSON object');
  const unknown = Object.keys(json).filter((k) => k.toLowerCase() !== 'auths');
  if (unknown.length > 0) return fail(`json: unknown field ${JSON.stringify(unknown[0])}`);
  const auths = field(json, 'auths');
  const out: Record<string, DockerAuthEntry> = {};
  if (auths === undefined || auths === null) return out;
  if (!isObject(auths)) return fail('"auths" is not an object');
  for (const [addr, v] of Object.entries(auths)) {
    const auth = isObject(v) ? field(v, 'auth') : undefined;
    if (typeof auth !== 'string' || auth === '') return fail(`DOCKER_AUTH_CONFIG environment variable is missing key \`auth\` for ${addr}`);
    const decoded = decodeAuth(auth);
    if (!decoded) return fail(`Invalid auth configuration for ${addr}`);
    out[addr] = decoded;
  }
  return out;
}

/**
 * `docker-credential-<helper> get` with the server address on stdin. Undefined when
 * the helper has nothing for it; CREDENTIAL_HELPER_FAILED when it cannot be run or fails
 * (its output is quoted only when it is not JSON, so a secret never reaches the message).
 */
export async function credentialsFromHelper(
  helper: string,
  serverAddress: string,
  opts: DockerCredentialOptions = {},
): Promise<RegistryCredentials | undefined> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(helper)) {
    throw new DctError('CREDENTIAL_HELPER_FAILED', `invalid credential helper name ${JSON.stringify(helper)} in the docker config`);
  }
  const program = HELPER_PREFIX + helper;
  const run = opts.runHelper ?? defaultHelperRunner(opts.env ?? process.env, opts.helperTimeoutMs ?? 60_000);
  let result: { code: number; stdout: string };
  try {
    result = await run(program, ['get'], serverAddress);
  } catch (err) {
    throw new DctError(
      'CREDENTIAL_HELPER_FAILED',
      `error getting credentials for ${serverAddress} from ${program}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const out = result.stdout.trim();
  if (result.code !== 0) {
    if (out === NOT_FOUND_MESSAGE) return undefined;
    const said = out === '' || out.startsWith('{') ? '' : `: ${out.slice(0, 200)}`;
    throw new DctError(
      'CREDENTIAL_HELPER_FAILED',
      `error getting credentials for ${serverAddress} from ${program} (exit status ${result.code})${said}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(out);
  } catch {
    throw new DctError('CREDENTIAL_HELPER_FAILED', `${program} answered with something that is not JSON for ${serverAddress}`);
  }
  if (!isObject(json))
    throw new DctError('CREDENTIAL_HELPER_FAILED', `${program} answered with something that is not a JSON object for ${serverAddress}`);
  const username = field(json, 'Username');
  const secret = field(json, 'Secret');
  const u = typeof username === 'string' ? username : '';
  const s = typeof secret === 'string' ? secret : '';
  if (u === TOKEN_USERNAME) return s ? { identityToken: s } : undefined;
  return u && s ? { username: u, password: s } : undefined;
}

function defaultHelperRunner(env: Env, timeoutMs: number): HelperRunner {
  // node:child_process loads only when a credential helper actually runs
  return async (program, args, input) => {
    const { spawn } = await import('node:child_process');
    return new Promise((resolve, reject) => {
      const child = spawn(program, [...args], { env: env as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'ignore'] });
      const chunks: Buffer[] = [];
      let size = 0;
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      child.stdout.on('data', (c: Buffer) => {
        size += c.length;
        if (size > 1024 * 1024) {
          child.kill('SIGKILL');
          return;
        }
        chunks.push(c);
      });
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(
          (err as NodeJS.ErrnoException).code === 'ENOENT' ? new Error(`exec: "${program}": executable file not found in $PATH`) : err,
        );
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(chunks).toString('utf8') });
      });
      child.stdin.on('error', () => {});
      child.stdin.end(input);
    });
  };
}

/** docker's `DetectDefaultStore` (only used when config.json holds no credentials at all). */
async function detectDefaultStore(env: Env): Promise<string | undefined> {
  const path = env['PATH'] ?? '';
  let platform: string | undefined;
  if (process.platform === 'darwin') platform = 'osxkeychain';
  else if (process.platform === 'win32') platform = 'wincred';
  else if (process.platform === 'linux') platform = (await onPath('pass', path)) ? 'pass' : 'secretservice';
  if (platform === undefined) return undefined;
  return (await onPath(HELPER_PREFIX + platform, path)) ? platform : undefined;
}

async function onPath(name: string, path: string): Promise<boolean> {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    for (const candidate of process.platform === 'win32' ? [`${name}.exe`, name] : [name]) {
      try {
        await access(join(dir, candidate), fsConstants.X_OK);
        return true;
      } catch {
        // next
      }
    }
  }
  return false;
}

// ---- $DOCKER_CONFIG/tls/<host:port>/ ------------------------------------------------------------

export interface ClientCertificate {
  certFile: string;
  keyFile: string;
  /** PEM */
  cert: string;
  key: string;
}

export interface TlsFiles {
  dir: string;
  /** the CA certificates of every `*.crt` file, one PEM each (blocks that do not parse are skipped, as Go does) */
  ca: string[];
  caFiles: string[];
  /** `*.cert` files with their `*.key`, in file name order */
  clientCertificates: ClientCertificate[];
}

/**
 * What docker's `loadTLSConfig` reads from `<dockerConfigDir>/tls/<hostPort>/` (the
 * trust server's URL host, e.g. `notary.example.com:4443`). A missing folder gives
 * nothing; a `.cert` without its `.key` (or the reverse), or a pair that does not load,
 * is an INVALID_TLS_FILES error with docker's wording.
 */
export async function tlsFilesForHost(dockerConfigDirectory: string, hostPort: string): Promise<TlsFiles> {
  if (hostPort === '' || hostPort === '.' || hostPort === '..' || /[/\\\0]/.test(hostPort)) {
    throw new DctError('INVALID_ARGUMENT', `${JSON.stringify(hostPort)} is not a host[:port]`);
  }
  return tlsFilesInDir(join(dockerConfigDirectory, 'tls', hostPort));
}

/** `loadTLSConfig` on any folder (e.g. the daemon's `/etc/docker/certs.d/<host:port>/`). */
export async function tlsFilesInDir(dir: string): Promise<TlsFiles> {
  const out: TlsFiles = { dir, ca: [], caFiles: [], clientCertificates: [] };
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw new DctError('INVALID_TLS_FILES', `cannot read the TLS folder ${dir}: ${(err as Error).message}`, { cause: err });
  }
  const has = (n: string) => names.includes(n);
  const read = async (name: string) => {
    try {
      return await readFile(join(dir, name), 'utf8');
    } catch (err) {
      throw new DctError('INVALID_TLS_FILES', `cannot read ${join(dir, name)}: ${(err as Error).message}`, { cause: err });
    }
  };
  for (const name of names) {
    if (name.endsWith('.crt')) {
      const pems = certificateBlocks(await read(name));
      out.caFiles.push(join(dir, name));
      out.ca.push(...pems);
    } else if (name.endsWith('.cert')) {
      const keyName = `${name.slice(0, -'.cert'.length)}.key`;
      if (!has(keyName)) {
        throw new DctError(
          'INVALID_TLS_FILES',
          `missing key ${keyName} for client certificate ${name}. CA certificates must use the extension .crt (in ${dir})`,
        );
      }
      const cert = await read(name);
      const key = await read(keyName);
      checkKeyPair(cert, key, join(dir, name), join(dir, keyName));
      out.clientCertificates.push({ certFile: join(dir, name), keyFile: join(dir, keyName), cert, key });
    } else if (name.endsWith('.key')) {
      const certName = `${name.slice(0, -'.key'.length)}.cert`;
      if (!has(certName)) throw new DctError('INVALID_TLS_FILES', `missing client certificate ${certName} for key ${name} (in ${dir})`);
    }
  }
  return out;
}

function certificateBlocks(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)) {
    try {
      new X509Certificate(m[0]);
      out.push(`${m[0]}\n`);
    } catch {
      // AppendCertsFromPEM skips what does not parse
    }
  }
  return out;
}

function checkKeyPair(certPem: string, keyPem: string, certFile: string, keyFile: string): void {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (err) {
    throw new DctError('INVALID_TLS_FILES', `${certFile} is not a PEM certificate: ${(err as Error).message}`, { cause: err });
  }
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch (err) {
    throw new DctError('INVALID_TLS_FILES', `${keyFile} is not a PEM private key: ${(err as Error).message}`, { cause: err });
  }
  if (!cert.checkPrivateKey(key))
    throw new DctError('INVALID_TLS_FILES', `tls: private key ${keyFile} does not match public key of ${certFile}`);
}

/** Node TLS settings from the files docker would use (system roots + extra CAs, the first client certificate). */
export function tlsSettingsFrom(files: TlsFiles, opts: { rejectUnauthorized?: boolean } = {}): TlsSettings {
  const first = files.clientCertificates[0];
  return {
    ...(files.ca.length > 0 ? { extraCa: files.ca } : {}),
    ...(first ? { cert: first.cert, key: first.key } : {}),
    ...(opts.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
  };
}

// ---- dct's client config ----------------------------------------------------------------------

export interface DctClientConfig {
  /** the file read (whether or not it existed) */
  file: string;
  exists: boolean;
  /** `trust.servers`: registry `host[:port]` → trust server https URL */
  trustServers: Record<string, string>;
  /** registries reachable over plain http: `host[:port]` or CIDR ranges of IP addresses */
  insecureRegistries: string[];
}

/** `$DCT_CONFIG`, else `~/.dct/config.json`. */
export function dctConfigFile(env: Env = process.env): string {
  return env['DCT_CONFIG'] || join(homedir(), '.dct', 'config.json');
}

/** Reads dct's config; a missing file is an empty config. CONFIG_UNREADABLE or INVALID_CONFIG otherwise. */
export async function loadDctConfig(file: string = dctConfigFile()): Promise<DctClientConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { file, exists: false, trustServers: {}, insecureRegistries: [] };
    throw new DctError('CONFIG_UNREADABLE', `cannot read the dct config ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseDctConfig(text, file);
}

/**
 * `{"trust": {"servers": {"<registry host[:port]>": "https://…"}}, "insecureRegistries": ["host:port", "10.0.0.0/8"]}`;
 * other top-level keys are left to other readers.
 */
export function parseDctConfig(text: string, file = 'config.json'): DctClientConfig {
  const bad = (why: string) =>
    new DctError('INVALID_CONFIG', `dct config ${file}: ${why} (fix the file, or point DCT_CONFIG at another one)`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw bad(`not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(json)) throw bad('the top level must be a JSON object');
  const out: DctClientConfig = { file, exists: true, trustServers: {}, insecureRegistries: [] };
  const trust = json['trust'];
  if (trust !== undefined) {
    if (!isObject(trust)) throw bad('"trust" must be an object');
    const servers = trust['servers'];
    if (servers !== undefined) {
      if (!isObject(servers)) throw bad('"trust.servers" must map registry host[:port] to a trust server URL');
      for (const [registry, url] of Object.entries(servers)) {
        if (!isValidRegistryDomain(registry))
          throw bad(`trust.servers key ${JSON.stringify(registry)} is not a registry host[:port] (e.g. "registry.example.com:5000")`);
        if (typeof url !== 'string' || !isHttpsUrl(url))
          throw bad(`the trust server for ${registry} must be an https URL, got ${JSON.stringify(url)}`);
        out.trustServers[registry] = url;
      }
    }
  }
  const insecure = json['insecureRegistries'];
  if (insecure !== undefined) {
    if (!Array.isArray(insecure)) throw bad('"insecureRegistries" must be a list of host[:port] or CIDR ranges');
    for (const entry of insecure) {
      if (typeof entry !== 'string') throw bad(`insecureRegistries entry ${JSON.stringify(entry)} is not a string`);
      out.insecureRegistries.push(normalizeInsecureEntry(entry, bad));
    }
  }
  return out;
}

function normalizeInsecureEntry(entry: string, bad: (why: string) => DctError): string {
  let r = entry;
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(r);
  if (scheme) {
    const s = (scheme[1] as string).toLowerCase();
    if (s !== 'http' && s !== 'https') throw bad(`insecure registry ${entry} should not contain '://'`);
    r = r.slice(scheme[0].length);
  }
  if (r.includes('/')) {
    if (!parseCidr(r)) throw bad(`insecure registry ${entry} is not a valid CIDR range`);
    return r;
  }
  if (!isValidRegistryDomain(r) && isIP(hostOf(r)) === 0)
    throw bad(`insecure registry ${entry} is not valid: invalid host ${JSON.stringify(hostOf(r))}`);
  return r;
}

function parseCidr(s: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [address, bits, ...rest] = s.split('/');
  if (rest.length > 0 || address === undefined || bits === undefined || !/^[0-9]{1,3}$/.test(bits)) return undefined;
  const family = isIP(address);
  const prefix = Number(bits);
  if (family === 4 && prefix <= 32) return { address, prefix, family: 'ipv4' };
  if (family === 6 && prefix <= 128) return { address, prefix, family: 'ipv6' };
  return undefined;
}

/**
 * Whether dct may use plain http (and unverified TLS) for a registry: it is named in
 * `insecureRegistries` (exact `host[:port]`, case-insensitive) or its IP address is in a
 * listed CIDR range (names are not resolved).
 */
export function isInsecureRegistry(hostPort: string, config: { readonly insecureRegistries: readonly string[] }): boolean {
  const lower = hostPort.toLowerCase();
  const host = hostOf(hostPort);
  const family = isIP(host);
  for (const entry of config.insecureRegistries) {
    const cidr = entry.includes('/') ? parseCidr(entry) : undefined;
    if (!cidr) {
      if (entry.toLowerCase() === lower) return true;
      continue;
    }
    if (family === 0) continue;
    const list = new BlockList();
    list.addSubnet(cidr.address, cidr.prefix, cidr.family);
    if (list.check(host, family === 4 ? 'ipv4' : 'ipv6')) return true;
    // an IPv4-mapped IPv6 address against an IPv4 range
    const v6 = family === 6 ? parseIPv6(host) : undefined;
    if (v6 && cidr.family === 'ipv4' && v6.slice(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff) {
      if (list.check(v6.slice(12).join('.'), 'ipv4')) return true;
    }
  }
  return false;
}

// ---- helpers --------------------------------------------------------------------------------------

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Go's JSON field matching: the exact name, else a case-insensitive match. */
function field(o: Record<string, unknown>, name: string): unknown {
  if (Object.prototype.hasOwnProperty.call(o, name)) return o[name];
  const lower = name.toLowerCase();
  for (const k of Object.keys(o)) if (k.toLowerCase() === lower) return o[k];
  return undefined;
}

function isHttpsUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'https:' && u.host !== '' && /^https:\/\//i.test(s);
  } catch {
    return false;
  }
}
