/**
 * docker's client configuration file (`C:cli/config`, docker CLI 28):
 * `$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`) with registry credentials
 * in `auths` (`auth` = base64 user:password, or `username`/`password`, `identitytoken`),
 * `credHelpers` per registry and `credsStore`.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DctError } from '../../core/errors.js';
import { splitHostPort } from '../../core/image-reference.js';
import { field, isObject } from './json-fields.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** The `auths` key docker uses for Docker Hub (`registry.IndexServer`). */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';

/** docker's `config.Dir()`: `$DOCKER_CONFIG`, else `~/.docker`. */
export function dockerConfigDir(env: Env = process.env): string {
  return env['DOCKER_CONFIG'] || join(homedir(), '.docker');
}

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
export function decodeAuth(auth: string): { username: string; password: string } | undefined {
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
