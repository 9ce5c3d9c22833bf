/**
 * Where and how a registry host is reached, as docker does it: https with extra CAs and
 * client certificates from `$DOCKER_CONFIG/tls/<host:port>/` and `/etc/docker/certs.d/<host:port>/`;
 * loopback registries (127.0.0.0/8, ::1, localhost) and those in the dct config's
 * `insecureRegistries` are tried with unverified https first, then plain http.
 */
import { join } from 'node:path';
import { DEFAULT_DOMAIN, isLoopbackHost } from '../../core/image-reference.js';
import { isInsecureRegistry } from '../client-config/dct-config.js';
import { dockerConfigDir } from '../client-config/docker-config-file.js';
import { tlsFilesInDir } from '../client-config/docker-tls-files.js';
import type { TlsSettings } from '../http/registry-auth.js';

/** The registry host serving Docker Hub's images. */
export const DOCKER_HUB_REGISTRY = 'registry-1.docker.io';

/** The host that serves a reference's domain: `docker.io` → `registry-1.docker.io`. */
export function registryHostFor(domain: string): string {
  return domain === DEFAULT_DOMAIN || domain === 'index.docker.io' ? DOCKER_HUB_REGISTRY : domain;
}

export interface RegistryEndpoint {
  /** `https://host[:port]` or `http://host[:port]` */
  base: string;
  tls: TlsSettings | undefined;
  /** plain http or unverified https is allowed for this host */
  insecure: boolean;
}

export interface RegistryTlsOptions {
  /** the dct config's `insecureRegistries` (host[:port] or CIDR ranges) */
  insecureRegistries?: readonly string[];
  /** folders holding `<host:port>/` TLS folders; default `$DOCKER_CONFIG/tls` and `/etc/docker/certs.d` */
  certDirs?: readonly string[];
  /** TLS settings for a registry host instead of the cert folders */
  tls?: (hostPort: string) => TlsSettings | undefined | Promise<TlsSettings | undefined>;
}

/** Loopback, or named (or in a range) in `insecureRegistries`. */
export function isInsecureHost(host: string, insecureRegistries: readonly string[] = []): boolean {
  return isLoopbackHost(host) || isInsecureRegistry(host, { insecureRegistries });
}

/** Extra CAs (added to the system roots) and the first client certificate for a host, or undefined. */
export async function registryTls(host: string, opts: RegistryTlsOptions = {}): Promise<TlsSettings | undefined> {
  if (opts.tls) return opts.tls(host);
  if (host === '' || host === '.' || host === '..' || /[/\\\0]/.test(host)) return undefined;
  const dirs = opts.certDirs ?? [join(dockerConfigDir(), 'tls'), '/etc/docker/certs.d'];
  const ca: string[] = [];
  let cert: { cert: string; key: string } | undefined;
  for (const dir of dirs) {
    const files = await tlsFilesInDir(join(dir, host));
    ca.push(...files.ca);
    cert ??= files.clientCertificates[0];
  }
  if (ca.length === 0 && !cert) return undefined;
  return { ...(ca.length > 0 ? { extraCa: ca } : {}), ...(cert ? { cert: cert.cert, key: cert.key } : {}) };
}

/** The endpoints to try in order: https only, or for insecure hosts unverified https then http (`preferHttp` swaps them). */
export async function registryEndpoints(host: string, opts: RegistryTlsOptions = {}, preferHttp = false): Promise<RegistryEndpoint[]> {
  if (isInsecureHost(host, opts.insecureRegistries)) {
    const https: RegistryEndpoint = {
      base: `https://${host}`,
      tls: { ...((await registryTls(host, opts)) ?? {}), rejectUnauthorized: false },
      insecure: true,
    };
    const http: RegistryEndpoint = { base: `http://${host}`, tls: undefined, insecure: true };
    return preferHttp ? [http, https] : [https, http];
  }
  return [{ base: `https://${host}`, tls: await registryTls(host, opts), insecure: false }];
}
