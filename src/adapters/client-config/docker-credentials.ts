/**
 * The registry credentials docker would use (`ResolveAuthConfig`, docker CLI 28):
 * `DOCKER_AUTH_CONFIG` over all else, then `credHelpers` per registry and `credsStore`
 * (see credential-helper.ts), else the `auths` entries of config.json.
 */
import { DctError } from '../../core/errors.js';
import type { RegistryCredentials } from '../http/registry-auth.js';
import { credentialsFromHelper, detectDefaultStore, type CredentialHelperOptions } from './credential-helper.js';
import {
  authConfigKey,
  convertToHostname,
  decodeAuth,
  dockerConfigDir,
  loadDockerConfig,
  type DockerAuthEntry,
  type DockerConfigFile,
} from './docker-config-file.js';
import { field, isObject } from './json-fields.js';

export interface DockerCredentialOptions extends CredentialHelperOptions {
  /** default `dockerConfigDir(env)` */
  configDir?: string;
  /** an already loaded config.json (else it is read) */
  config?: DockerConfigFile;
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
  try {
    return parseDockerAuthConfig(text);
  } catch (err) {
    warn(`Failed to create credential store from DOCKER_AUTH_CONFIG: ${(err as DctError).message.replace(/^DOCKER_AUTH_CONFIG: /, '')}`);
    return undefined;
  }
}

/**
 * `DOCKER_AUTH_CONFIG` as docker CLI 28 reads it: a config.json's content with `auths` only,
 * each entry with `auth` (base64 `user:password`; `kubectl create secret docker-registry`
 * writes it). `INVALID_DOCKER_CONFIG` when it is not; docker (and dct's CLI) only warn and
 * carry on without it, `dct admission` refuses to start.
 */
export function parseDockerAuthConfig(text: string): Record<string, DockerAuthEntry> {
  const fail = (why: string): DctError => new DctError('INVALID_DOCKER_CONFIG', `DOCKER_AUTH_CONFIG: ${why}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw fail((err as Error).message);
  }
  if (!isObject(json)) throw fail('not a JSON object');
  const unknown = Object.keys(json).filter((k) => k.toLowerCase() !== 'auths');
  if (unknown.length > 0) throw fail(`json: unknown field ${JSON.stringify(unknown[0])}`);
  const auths = field(json, 'auths');
  const out: Record<string, DockerAuthEntry> = {};
  if (auths === undefined || auths === null) return out;
  if (!isObject(auths)) throw fail('"auths" is not an object');
  for (const [addr, v] of Object.entries(auths)) {
    const auth = isObject(v) ? field(v, 'auth') : undefined;
    if (typeof auth !== 'string' || auth === '') throw fail(`DOCKER_AUTH_CONFIG environment variable is missing key \`auth\` for ${addr}`);
    const decoded = decodeAuth(auth);
    if (!decoded) throw fail(`Invalid auth configuration for ${addr}`);
    out[addr] = decoded;
  }
  return out;
}
