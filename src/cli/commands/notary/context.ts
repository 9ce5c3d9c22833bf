/**
 * What every `dct notary` command starts from, resolved as the notary CLI does
 * (`N:cmd/notary/main.go` parseConfig, `tuf.go` getTransport): the client config
 * file (`-c`, default `~/.notary/config.json`), the flags that override it
 * (`-d`, `-s`, `--tlscacert`, `--tlscert`, `--tlskey`), the trust directory, the
 * passphrases (NOTARY_*_PASSPHRASE), the logger (logrus text on stderr: warnings
 * by default, `-v` info, `-D` debug), and the connection to the trust server:
 * a `GET /v2/` ping first (unreachable: offline mode), token authentication with
 * NOTARY_AUTH credentials when the server asks for it.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { FileChangelist } from '../../../adapters/changelist/file-changelist.js';
import { exchange, notaryAuthCredentials, RegistryAuth, type TlsSettings } from '../../../adapters/http/registry-auth.js';
import { FileKeyRing } from '../../../adapters/keystore/file-key-ring.js';
import { FileMetadataCache, repositoryDir } from '../../../adapters/metadata-cache.js';
import { NotaryClient } from '../../../adapters/notary-http/notary-client.js';
import { NotaryRemoteRepository } from '../../../adapters/notary-http/remote-repository.js';
import { createPassphraseSource, type PassphraseSource } from '../../../adapters/passphrase.js';
import { TrustRepository } from '../../../app/client/trust-repository.js';
import type { RemoteRepository } from '../../../core/ports.js';
import type { TrustPinning } from '../../../core/trust/root-validation.js';
import type { Io } from '../../cobra/command.js';
import type { Flags } from '../../cobra/flags.js';
import { CliFailure } from '../../cli-failure.js';
import type { KeyPassphrases } from '../../../app/keys/key-files.js';
import { FileKeyStore } from '../../../adapters/keystore/file-keystore.js';
import { keyPassphrases } from './key-passphrases.js';
import { goNetworkError, Logger } from './output.js';

export const DEFAULT_SERVER_URL = 'https://notary-server:4443';

export interface HostEnvironment {
  env: Record<string, string | undefined>;
  cwd: string;
  io: Io;
  /** for confirmations and `verify` (default: process.stdin) */
  stdin?: NodeJS.ReadableStream;
}

export interface NotaryConfig {
  trustDir: string;
  serverUrl: string;
  rootCa?: string;
  clientCert?: string;
  clientKey?: string;
  skipTlsVerify: boolean;
  pinning: TrustPinning;
  /** trust_pinning.ca: GUN prefix → CA bundle file (read when a GUN it covers is used) */
  pinningCa: Record<string, string>;
}

/** Reads the notary client configuration and applies the global flags over it. */
export function loadNotaryConfig(flags: Flags, host: HostEnvironment, log: Logger): NotaryConfig {
  const home = host.env['HOME'] ?? '';
  if (home === '') {
    log.warn('cannot get current user home directory: environment variable not set');
    log.warn(`notary will use ${join(host.cwd, '.notary')} to store configuration and keys`);
  }
  const defaultTrustDir = join(home || homedir(), '.notary');
  const explicit = flags.string('configFile');
  const configFile = explicit !== '' ? explicit : join(defaultTrustDir, 'config.json');
  let raw: Record<string, unknown> = {};
  let text: string | undefined;
  try {
    text = readFileSync(resolve(host.cwd, configFile), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (explicit !== '' || code !== 'ENOENT') {
      throw new CliFailure(`error opening config file: open ${configFile}: ${goErrnoText(code, (err as Error).message)}`);
    }
  }
  if (text === undefined) log.debug('Configuration file not found, using defaults');
  if (text !== undefined) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) raw = lowerKeys(parsed as Record<string, unknown>);
      else throw new Error('not a JSON object');
    } catch (err) {
      throw new CliFailure(`error opening config file: While parsing config: ${(err as Error).message}`);
    }
  }
  const configDir = dirname(resolve(host.cwd, configFile));
  const section = (name: string): Record<string, unknown> => {
    const v = raw[name];
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  };
  const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '');
  const remote = section('remote_server');
  const fromConfig = (key: string): string | undefined => {
    const p = str(remote[key]);
    if (p === '') return undefined;
    return isAbsolute(p) ? p : join(configDir, p);
  };
  const fromFlag = (name: string): string | undefined => {
    const v = flags.string(name);
    return v === '' ? undefined : resolve(host.cwd, v);
  };

  let trustDir = flags.string('trustDir') !== '' ? resolve(host.cwd, flags.string('trustDir')) : str(raw['trust_dir']) || defaultTrustDir;
  if (trustDir === '~' || trustDir.startsWith('~/')) trustDir = join(home, trustDir.slice(1));
  log.debug(`Using the following trust directory: ${trustDir}`);
  const serverUrl = flags.string('server') || str(remote['url']) || DEFAULT_SERVER_URL;
  const rootCa = fromFlag('tlscacert') ?? fromConfig('root_ca');
  const clientCert = fromFlag('tlscert') ?? fromConfig('tls_client_cert');
  const clientKey = fromFlag('tlskey') ?? fromConfig('tls_client_key');
  const skip = remote['skiptlsverify'];

  const pinningSection = section('trust_pinning');
  const certs: Record<string, string[]> = {};
  const certsSection = pinningSection['certs'];
  if (certsSection !== undefined && certsSection !== null) {
    if (typeof certsSection !== 'object' || Array.isArray(certsSection)) throw new CliFailure('invalid format for trust_pinning.certs');
    for (const [gun, ids] of Object.entries(certsSection as Record<string, unknown>)) {
      if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) throw new CliFailure('invalid format for trust_pinning.certs');
      certs[gun] = ids as string[];
    }
  }
  const ca: Record<string, string> = {};
  const caSection = pinningSection['ca'];
  if (typeof caSection === 'object' && caSection !== null && !Array.isArray(caSection)) {
    for (const [prefix, file] of Object.entries(caSection as Record<string, unknown>)) {
      const path = str(file);
      ca[prefix] = path === '' || isAbsolute(path) ? path : join(configDir, path);
    }
  }
  const disableTofu = pinningSection['disable_tofu'] === true || pinningSection['disable_tofu'] === 'true';
  return {
    trustDir,
    serverUrl,
    ...(rootCa ? { rootCa } : {}),
    ...(clientCert ? { clientCert } : {}),
    ...(clientKey ? { clientKey } : {}),
    skipTlsVerify: skip === true || skip === 'true',
    pinning: { certs, disableTofu },
    pinningCa: ca,
  };
}

/** viper matches keys case-insensitively */
function lowerKeys(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    out[k.toLowerCase()] =
      typeof v === 'object' && v !== null && !Array.isArray(v) && k.toLowerCase() !== 'certs' && k.toLowerCase() !== 'ca'
        ? lowerKeys(v as Record<string, unknown>)
        : v;
  }
  return out;
}

function goErrnoText(code: string | undefined, fallback: string): string {
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    default:
      return fallback;
  }
}

/** Everything a command needs, built lazily. */
export class NotaryContext {
  readonly keyStore: FileKeyStore;
  private ring: FileKeyRing | undefined;
  private readonly clients: NotaryClient[] = [];
  private auth: RegistryAuth | undefined;

  constructor(
    readonly config: NotaryConfig,
    readonly host: HostEnvironment,
    readonly log: Logger,
    readonly json: boolean,
  ) {
    this.keyStore = new FileKeyStore(config.trustDir);
  }

  get io(): Io {
    return this.host.io;
  }

  passphrases(): PassphraseSource {
    return createPassphraseSource({ mode: 'notary', env: this.host.env });
  }

  /** the passphrases of the key use cases */
  keyPassphrases(): KeyPassphrases {
    return keyPassphrases(this.passphrases());
  }

  keyRing(): FileKeyRing {
    this.ring ??= new FileKeyRing(this.keyStore, this.passphrases());
    return this.ring;
  }

  changelist(gun: string): FileChangelist {
    return new FileChangelist(join(repositoryDir(this.config.trustDir, gun), 'changelist'), {
      onSkip: (_file, reason) => this.log.warn(reason),
    });
  }

  cache(gun: string): FileMetadataCache {
    return new FileMetadataCache(this.config.trustDir, gun);
  }

  repositoryDir(gun: string): string {
    return repositoryDir(this.config.trustDir, gun);
  }

  tls(): TlsSettings {
    const c = this.config;
    if ((c.clientCert === undefined) !== (c.clientKey === undefined))
      throw new CliFailure('either pass both client key and cert, or neither');
    const read = (file: string, what: 'ca' | 'pair') => {
      try {
        return readFileSync(file);
      } catch (err) {
        const why = `open ${file}: ${goErrnoText((err as NodeJS.ErrnoException).code, (err as Error).message)}`;
        throw new CliFailure(
          what === 'ca'
            ? `unable to configure TLS: could not read CA certificate ${JSON.stringify(file)}: ${why}`
            : `unable to configure TLS: Could not load X509 key pair: ${why}`,
        );
      }
    };
    return {
      ...(c.rootCa ? { ca: read(c.rootCa, 'ca') } : {}),
      ...(c.clientCert ? { cert: read(c.clientCert, 'pair') } : {}),
      ...(c.clientKey ? { key: read(c.clientKey, 'pair') } : {}),
      ...(c.skipTlsVerify ? { rejectUnauthorized: false } : {}),
    };
  }

  /**
   * The server's side of a repository, or undefined when it cannot be reached
   * (notary then works offline: reads from the cache, writes fail).
   */
  async remote(gun: string): Promise<RemoteRepository | undefined> {
    const url = this.config.serverUrl;
    let base: URL;
    try {
      base = new URL(url);
    } catch {
      if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(url))
        throw new CliFailure(`Trust server url has to be in the form of http(s)://URL:PORT. Got: ${url}`);
      throw new CliFailure(`Could not parse remote trust server url (${url}): parse ${JSON.stringify(url)}: invalid URL`);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new CliFailure(`Trust server url has to be in the form of http(s)://URL:PORT. Got: ${url}`);
    }
    const tls = this.tls();
    const ping = new URL(`${base.pathname.replace(/\/+$/, '')}/v2/`, base);
    let status: number;
    let challenge: string[] | undefined;
    try {
      const res = await exchange(ping, { timeoutMs: 5_000, maxBytes: 1024 * 1024, tls });
      status = res.status;
      challenge = res.headersDistinct['www-authenticate'];
    } catch (err) {
      this.log.error(`could not reach ${url}: ${goNetworkError('Get', ping.href, err)}`);
      this.log.info('continuing in offline mode');
      return undefined;
    }
    if ((status < 200 || status >= 300) && status !== 401) {
      this.log.error(`could not reach ${url}: ${status}`);
      this.log.info('continuing in offline mode');
      return undefined;
    }
    const auth = this.registryAuth(tls);
    if (status === 401) auth.noteChallenges(ping, challenge);
    const client = new NotaryClient({
      baseUrl: url.replace(/\/+$/, ''),
      userAgent: 'dct-notary',
      auth,
      ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
      ...(tls.cert !== undefined ? { cert: tls.cert } : {}),
      ...(tls.key !== undefined ? { key: tls.key } : {}),
      ...(tls.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
    });
    // each request asks the token scope notary asks for it: pull, push+pull, or * (key rotation, delete)
    this.clients.push(client);
    return new NotaryRemoteRepository(client, gun, url);
  }

  /** token (or basic) auth with NOTARY_AUTH credentials, when the server asks for it */
  private registryAuth(tls: TlsSettings): RegistryAuth {
    const env = this.host.env['NOTARY_AUTH'];
    this.auth ??= new RegistryAuth({
      credentials: () => {
        if (!env) return undefined;
        try {
          return notaryAuthCredentials(env);
        } catch (err) {
          this.log.error((err as Error).message.split(' in NOTARY_AUTH')[0] as string);
          return undefined;
        }
      },
      tls: () => tls,
      loginHint: () => 'set NOTARY_AUTH to base64(<username>:<password>)',
    });
    return this.auth;
  }

  /** the client-side repository, with the server when it can be reached (else offline: the cache only) */
  async repository(gun: string): Promise<TrustRepository> {
    const pinning: TrustPinning = { ...this.config.pinning };
    // the CA bundle of the longest prefix covering the GUN (notary reads only that one)
    const caPrefix = Object.keys(this.config.pinningCa)
      .filter((prefix) => gun.startsWith(prefix))
      .sort((a, b) => b.length - a.length)[0];
    if (caPrefix !== undefined) {
      let bundle: string;
      try {
        bundle = readFileSync(this.config.pinningCa[caPrefix] as string, 'utf8');
      } catch {
        throw new CliFailure('could not load root cert from CA path');
      }
      pinning.ca = { [caPrefix]: bundle };
    }
    const remote = await this.remote(gun);
    return new TrustRepository({
      gun,
      cache: this.cache(gun),
      keyRing: this.keyRing(),
      ...(remote ? { remote } : {}),
      ...(Object.keys(pinning.certs ?? {}).length > 0 || pinning.disableTofu || pinning.ca ? { pinning } : {}),
    });
  }

  close(): void {
    for (const c of this.clients) c.close();
  }
}
