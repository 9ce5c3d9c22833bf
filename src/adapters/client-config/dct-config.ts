/**
 * dct's own client configuration (`$DCT_CONFIG`, default `~/.dct/config.json`): which trust
 * server serves a registry's images (docker has no such setting, moby#19129) and which
 * registries may be reached over plain http.
 */
import { readFile } from 'node:fs/promises';
import { BlockList, isIP } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DctError } from '../../core/errors.js';
import { hostOf, isValidRegistryDomain, parseIPv6 } from '../../core/image-reference.js';
import type { Env } from './docker-config-file.js';
import { isObject } from './json-fields.js';

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

function isHttpsUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'https:' && u.host !== '' && /^https:\/\//i.test(s);
  } catch {
    return false;
  }
}
