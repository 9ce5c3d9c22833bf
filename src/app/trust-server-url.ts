/**
 * Which trust server an image's trust data lives on, as docker chooses it
 * (`C:cli/trust/trust.go` `Server`, `GetNotaryRepository`), plus dct's per-registry
 * mapping (docker has none: moby#19129):
 *
 * 1. `DOCKER_CONTENT_TRUST_SERVER` when set (it must be an https URL);
 * 2. the dct config's `trust.servers["<registry host[:port]>"]`;
 * 3. `https://notary.docker.io` for Docker Hub (`docker.io`);
 * 4. else `https://<registry host[:port]>`.
 *
 * Pure: the caller passes the environment and the dct config mapping.
 */
import { DctError } from '../core/errors.js';
import { DEFAULT_DOMAIN, isLoopbackHost, LEGACY_DEFAULT_DOMAIN } from '../core/image-reference.js';

/** docker's `trust.NotaryServer` */
export const DOCKER_HUB_TRUST_SERVER = 'https://notary.docker.io';

/** What docker prints to stderr (exactly) whenever it talks to notary.docker.io. */
export const DCT_DEPRECATION_WARNING =
  'WARNING: Docker is retiring DCT for Docker Official Images (DOI).\n' +
  '         For details, refer to https://docs.docker.com/go/dct-deprecation/\n' +
  '\n';

export type TrustServerSource = 'env' | 'dct-config' | 'docker-hub' | 'registry';

export interface TrustServerInput {
  /** the image's registry domain (`ImageReference.domain`), e.g. `docker.io`, `127.0.0.1:5000` */
  registry: string;
  /** only DOCKER_CONTENT_TRUST_SERVER is read */
  env?: Readonly<Record<string, string | undefined>>;
  /** the dct config's `trust.servers`: registry `host[:port]` → trust server URL */
  servers?: Readonly<Record<string, string>>;
}

export interface TrustServer {
  /** the server's base URL, as docker uses it (an environment value is kept as written) */
  url: string;
  source: TrustServerSource;
  /** the URL's `host[:port]` as written: docker reads extra TLS files from `$DOCKER_CONFIG/tls/<tlsHost>/` */
  tlsHost: string;
  /**
   * docker skips certificate verification when the *registry* is on a loopback address
   * (localhost, ::1, 127.0.0.0/8), whichever trust server is used. For a server from the
   * dct config the rule applies to the trust server's own host instead.
   */
  skipTlsVerify: boolean;
  /** the registry is Docker Hub */
  official: boolean;
  /** DCT_DEPRECATION_WARNING when the server is notary.docker.io (print it to stderr) */
  warning?: string;
}

/** docker's `normalizeIndexName`: `index.docker.io` is `docker.io`. */
export function registryIndexName(domain: string): string {
  return domain === LEGACY_DEFAULT_DOMAIN ? DEFAULT_DOMAIN : domain;
}

export function trustServerFor(input: TrustServerInput): TrustServer {
  const index = registryIndexName(input.registry);
  if (index === '') {
    throw new DctError(
      'INVALID_REFERENCE',
      'the image reference names no registry, so there is no trust server for it: write the registry host in front (e.g. registry.example.com/team/app)',
    );
  }
  const official = index === DEFAULT_DOMAIN;
  const registryInsecure = !official && isLoopbackHost(index);
  const done = (url: string, source: TrustServerSource, skipTlsVerify: boolean): TrustServer => ({
    url,
    source,
    tlsHost: urlHost(url),
    skipTlsVerify,
    official,
    ...(url === DOCKER_HUB_TRUST_SERVER ? { warning: DCT_DEPRECATION_WARNING } : {}),
  });

  const fromEnv = input.env?.['DOCKER_CONTENT_TRUST_SERVER'];
  if (fromEnv) {
    if (!isHttpsUrl(fromEnv)) {
      throw new DctError('INVALID_TRUST_SERVER', `valid https URL required for trust server, got ${fromEnv}`);
    }
    return done(fromEnv, 'env', registryInsecure);
  }
  const mapped = lookupServer(input.servers, index);
  if (mapped !== undefined) {
    if (!isHttpsUrl(mapped.url)) {
      throw new DctError(
        'INVALID_CONFIG',
        `the dct config maps ${mapped.key} to ${JSON.stringify(mapped.url)}, but a trust server must be an https URL: fix trust.servers in the dct config`,
      );
    }
    return done(mapped.url, 'dct-config', isLoopbackHost(urlHost(mapped.url)));
  }
  if (official) return done(DOCKER_HUB_TRUST_SERVER, 'docker-hub', false);
  return done(`https://${index}`, 'registry', registryInsecure);
}

/** Whether `s` is an absolute https URL with a host (docker: `url.Parse` succeeds and the scheme is https). */
export function isHttpsUrl(s: string): boolean {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return false;
  }
  return u.protocol === 'https:' && u.host !== '' && /^https:\/\//i.test(s);
}

/** Go's `url.URL.Host` for an absolute URL: the authority as written, without user info. */
export function urlHost(url: string): string {
  const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#]*)/.exec(url);
  if (!m) return '';
  const authority = m[1] as string;
  const at = authority.lastIndexOf('@');
  return at < 0 ? authority : authority.slice(at + 1);
}

function lookupServer(servers: Readonly<Record<string, string>> | undefined, index: string): { key: string; url: string } | undefined {
  if (!servers) return undefined;
  const entries = Object.entries(servers);
  const exact = entries.find(([k]) => registryIndexName(k) === index);
  const found = exact ?? entries.find(([k]) => registryIndexName(k.toLowerCase()) === index.toLowerCase());
  return found ? { key: found[0], url: found[1] } : undefined;
}
