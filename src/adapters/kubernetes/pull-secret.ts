/**
 * A Kubernetes image pull secret as the kubelet reads it: type `kubernetes.io/dockerconfigjson`
 * (`data[".dockerconfigjson"]`: a docker config.json, `{"auths": {...}}`) or
 * `kubernetes.io/dockercfg` (`data[".dockercfg"]`: the `auths` map alone, docker's old format).
 * Each entry gives `auth` (base64 `user:password`) or `username`/`password`, or an
 * `identitytoken`. Keys are reduced to `host[:port]` (`https://h/v1/` → `h`), Docker Hub's
 * names to `docker.io`. A registry is matched by that exact name first, then by the keys that
 * are globs as the kubelet matches them (`*.example.com`, `registry-?.example.com:5000`).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { DctError } from '../../core/errors.js';
import type { RegistryLogin } from '../../core/policy/pull-credentials.js';
import { convertToHostname, parseDockerConfig } from '../client-config/docker-config-file.js';

export const DOCKER_CONFIG_JSON_TYPE = 'kubernetes.io/dockerconfigjson';
export const DOCKER_CFG_TYPE = 'kubernetes.io/dockercfg';

export interface PullSecretLogins {
  /** `registry host[:port]` → login, in the secret's order */
  logins: Map<string, RegistryLogin>;
  /** a fingerprint of the secret's content: changes when the secret does; keyed by this process's random key, so it reveals nothing */
  fingerprint: string;
}

const FINGERPRINT_KEY = randomBytes(32);

const DOCKER_HUB_NAMES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

/** The registry name a secret's key stands for (`https://index.docker.io/v1/` → `docker.io`). */
export function registryOfKey(key: string): string {
  const host = convertToHostname(key).toLowerCase();
  return DOCKER_HUB_NAMES.has(host) ? 'docker.io' : host;
}

/** The logins of a Secret object (`name` is `ns/name`, for messages); `ADMISSION_PULL_SECRET_INVALID` when it is not a pull secret. */
export function pullSecretLogins(secret: Record<string, unknown>, name: string): PullSecretLogins {
  const bad = (why: string): DctError => new DctError('ADMISSION_PULL_SECRET_INVALID', `secret ${name}: ${why}`);
  const type = secret['type'] ?? 'Opaque'; // the API server's default
  const data = secret['data'];
  const key = type === DOCKER_CONFIG_JSON_TYPE ? '.dockerconfigjson' : type === DOCKER_CFG_TYPE ? '.dockercfg' : undefined;
  if (!key) throw bad(`type ${JSON.stringify(type)} is not ${DOCKER_CONFIG_JSON_TYPE} or ${DOCKER_CFG_TYPE}`);
  const encoded = typeof data === 'object' && data !== null ? (data as Record<string, unknown>)[key] : undefined;
  if (typeof encoded !== 'string') throw bad(`data has no ${key}`);
  const text = Buffer.from(encoded, 'base64').toString('utf8');
  let auths;
  try {
    const json: unknown = JSON.parse(text);
    auths = parseDockerConfig(JSON.stringify(key === '.dockercfg' ? { auths: json } : json), `secret ${name} ${key}`).auths;
  } catch (err) {
    throw bad(`${key} is not a docker config: ${(err as Error).message.replace(/; fix the file.*$/, '')}`);
  }
  const logins = new Map<string, RegistryLogin>();
  for (const [k, entry] of Object.entries(auths)) {
    const registry = registryOfKey(k);
    if (logins.has(registry)) continue;
    if (entry.identityToken) logins.set(registry, { identityToken: entry.identityToken });
    else if (entry.username && entry.password !== undefined) logins.set(registry, { username: entry.username, password: entry.password });
  }
  const fingerprint = createHmac('sha256', FINGERPRINT_KEY).update(encoded).digest('hex').slice(0, 16);
  return { logins, fingerprint };
}

/**
 * The kubelet's match of a glob key against an image's registry (`host[:port]`): the same port,
 * the same number of DNS labels, each label matched by its glob (`*` any run of characters
 * within the label, `?` one character). So `*.example.com` matches `eu.example.com` but neither
 * `example.com` nor `a.eu.example.com`.
 */
export function registryKeyMatches(pattern: string, registry: string): boolean {
  const [patternHost, patternPort = ''] = splitPort(pattern.toLowerCase());
  const [host, port = ''] = splitPort(registry.toLowerCase());
  if (patternPort !== port) return false;
  const want = patternHost.split('.');
  const have = host.split('.');
  return want.length === have.length && want.every((label, i) => labelGlob(label).test(have[i] as string));
}

/** `host:port` → [host, port]; IPv6 literals keep their brackets. */
function splitPort(hostPort: string): [string, string?] {
  const m = /^(.*?)(?::(\d+))?$/.exec(hostPort) as RegExpExecArray;
  return m[2] === undefined ? [m[1] as string] : [m[1] as string, m[2]];
}

function labelGlob(label: string): RegExp {
  const body = label
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** Whether a key is a glob (tried after the exact names). */
export function isGlobKey(key: string): boolean {
  return key.includes('*') || key.includes('?');
}
