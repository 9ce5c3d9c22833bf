/**
 * `IMAGE[:TAG|@DIGEST]` → the manifest a registry serves for it (docker registry API v2):
 * its digest, size and media type, as `docker trust sign` needs them for a target.
 *
 * `HEAD /v2/<path>/manifests/<tag>` (Accept: OCI index and manifest, docker manifest
 * list and schema 2) gives the digest; the bytes are then fetched by that digest and
 * must hash to it — and to any `Docker-Content-Digest` of the GET, and to the digest of
 * the reference. The result's digest is always the sha256 of the raw bytes as served
 * (never of a re-serialisation). Registries without HEAD are asked with GET directly.
 *
 * Docker Hub (`docker.io`) is served by `registry-1.docker.io`. https is used, with extra
 * CAs and client certificates from `$DOCKER_CONFIG/tls/<host:port>/` and
 * `/etc/docker/certs.d/<host:port>/`; loopback registries and those in the dct config's
 * `insecureRegistries` are tried with unverified https, then plain http. Bearer and
 * Basic auth go through a `RegistryAuth` (scope `repository:<path>:pull`).
 */
import { createHash } from 'node:crypto';
import { DctError } from '../../core/errors.js';
import { DEFAULT_DOMAIN, validatedDigest, parseImageReference, type ImageReference } from '../../core/image-reference.js';
import { DEFAULT_MAX_MANIFEST_BYTES } from '../../core/oci/manifest.js';
import { DOCKER_MEDIA_TYPES, MANIFEST_ACCEPT_TYPES, OCI_MEDIA_TYPES, isSchema1MediaType } from '../../core/oci/media-types.js';
import { exchange, repositoryScope, type ExchangeResult, type RegistryAuth, type TlsSettings } from '../http/registry-auth.js';
import { registryEndpoints, registryHostFor } from './endpoints.js';

export { DOCKER_HUB_REGISTRY, registryHostFor } from './endpoints.js';

export const MEDIA_TYPES = {
  ociIndex: OCI_MEDIA_TYPES.index,
  ociManifest: OCI_MEDIA_TYPES.manifest,
  dockerManifestList: DOCKER_MEDIA_TYPES.manifestList,
  dockerManifest: DOCKER_MEDIA_TYPES.manifest,
} as const;

/** What is asked for, most specific first. */
export const MANIFEST_ACCEPT = MANIFEST_ACCEPT_TYPES.join(', ');

/** 4 MiB, as containerd and the distribution spec's recommended minimum */
export const MAX_MANIFEST_BYTES = DEFAULT_MAX_MANIFEST_BYTES;

const DIGEST_ALGORITHMS: Record<string, string> = { sha256: 'sha256', sha384: 'sha384', sha512: 'sha512' };

export interface ResolvedManifest {
  /** `sha256:<hex>` of the bytes served */
  digest: string;
  size: number;
  mediaType: string;
  /** the manifest bytes exactly as served */
  bytes: Buffer;
  /** the endpoint that served them, e.g. `https://registry-1.docker.io` */
  endpoint: string;
}

export interface ManifestResolverOptions {
  auth?: RegistryAuth;
  /** the dct config's `insecureRegistries` (host[:port] or CIDR ranges) */
  insecureRegistries?: readonly string[];
  /** folders holding `<host:port>/` TLS folders; default `$DOCKER_CONFIG/tls` and `/etc/docker/certs.d` */
  certDirs?: readonly string[];
  /** TLS settings for a registry host instead of the cert folders */
  tls?: (hostPort: string) => TlsSettings | undefined | Promise<TlsSettings | undefined>;
  /** per-request deadline (default 30 s) */
  timeoutMs?: number;
  /** default 4 MiB */
  maxManifestBytes?: number;
  userAgent?: string;
  /**
   * the scope's actions asked for (default `pull`); a publisher about to sign a tag asks
   * `pull,push`, which a registry with a pull gate reads as "this client publishes here"
   */
  actions?: readonly string[];
}

interface Endpoint {
  base: string;
  tls: TlsSettings | undefined;
}

export class ManifestResolver {
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  /** the scheme that worked per insecure host */
  private readonly working = new Map<string, string>();

  constructor(private readonly options: ManifestResolverOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxBytes = options.maxManifestBytes ?? MAX_MANIFEST_BYTES;
  }

  /** Resolves a tag (default `latest`) or digest reference to the manifest the registry serves. */
  async resolve(reference: ImageReference | string): Promise<ResolvedManifest> {
    const ref = typeof reference === 'string' ? parseImageReference(reference) : reference;
    if (ref.domain === '')
      throw new DctError(
        'INVALID_REFERENCE',
        `${ref.toString()} names no registry: write the registry host in front (e.g. registry.example.com/team/app)`,
      );
    const host = registryHostFor(ref.domain);
    const endpoints = await this.endpoints(host);
    let lastError: unknown;
    for (const [i, endpoint] of endpoints.entries()) {
      try {
        const found = await this.fetch(endpoint, ref);
        if (endpoints.length > 1) this.working.set(host, endpoint.base);
        return found;
      } catch (err) {
        lastError = err;
        // only a failure to talk to this endpoint at all moves on to the next one (https → http)
        if (!(err instanceof DctError && err.code === 'REGISTRY_UNREACHABLE') || i === endpoints.length - 1) throw err;
      }
    }
    throw lastError;
  }

  private async endpoints(host: string): Promise<Endpoint[]> {
    const list = await registryEndpoints(host, this.options, this.working.get(host) === `http://${host}`);
    return list.map((e) => ({ base: e.base, tls: e.tls }));
  }

  private async fetch(endpoint: Endpoint, ref: ImageReference): Promise<ResolvedManifest> {
    const wanted = ref.digest ?? ref.tag ?? 'latest';
    const manifestUrl = (r: string) => new URL(`${endpoint.base}/v2/${ref.path}/manifests/${r}`);
    const shown = ref.familiarString() + (ref.isNameOnly ? ':latest' : '');

    let headDigest: string | undefined;
    let headSize: number | undefined;
    const head = await this.send('HEAD', manifestUrl(wanted), endpoint, ref);
    if (head.status === 200) {
      const d = header(head, 'docker-content-digest');
      if (d !== undefined) headDigest = checkedDigest(d, 'HEAD', endpoint.base);
      const len = Number(header(head, 'content-length'));
      if (Number.isSafeInteger(len) && len >= 0) headSize = len;
      if (headSize !== undefined && headSize > this.maxBytes) throw tooLarge(shown, headSize, this.maxBytes);
    } else if (head.status === 404) {
      throw notFound(shown, endpoint.base, head);
    } else if (head.status === 401 || head.status === 403) {
      throw this.refused(head, endpoint, ref);
    }
    // other HEAD answers (405, 5xx…): ask with GET

    const get = await this.send('GET', manifestUrl(headDigest ?? wanted), endpoint, ref);
    if (get.status === 404) throw notFound(shown, endpoint.base, get);
    if (get.status === 401 || get.status === 403) throw this.refused(get, endpoint, ref);
    if (get.status !== 200) {
      const why = get.status >= 300 && get.status < 400 ? ' (redirects are not followed)' : registryMessage(get.body);
      throw new DctError('REGISTRY_ERROR', `${endpoint.base} answered HTTP ${get.status} for the manifest of ${shown}${why}`);
    }
    const bytes = get.body;
    for (const [what, expected] of [
      ['the reference', ref.digest],
      ['the registry (HEAD)', headDigest],
      [
        'the registry (GET)',
        header(get, 'docker-content-digest') !== undefined
          ? checkedDigest(header(get, 'docker-content-digest') as string, 'GET', endpoint.base)
          : undefined,
      ],
    ] as const) {
      if (expected !== undefined && digestOf(bytes, expected) !== expected) {
        throw new DctError(
          'DIGEST_MISMATCH',
          `the manifest ${endpoint.base} served for ${shown} does not match the digest ${expected} given by ${what} (its bytes hash to ${digestOf(bytes, expected)}): refusing it`,
        );
      }
    }
    if (headSize !== undefined && headSize !== bytes.length) {
      throw new DctError(
        'REGISTRY_BAD_RESPONSE',
        `${endpoint.base} announced ${headSize} bytes for the manifest of ${shown} but served ${bytes.length}`,
      );
    }
    const mediaType = mediaTypeOf(header(get, 'content-type'), bytes);
    if (isSchema1MediaType(mediaType)) {
      throw new DctError(
        'UNSUPPORTED_MANIFEST',
        `${shown} is a docker schema 1 manifest, which has no stable digest: push the image again with a current docker or buildx`,
      );
    }
    return { digest: digestOf(bytes, 'sha256:'), size: bytes.length, mediaType, bytes, endpoint: endpoint.base };
  }

  /** One request with auth: known challenge up front, one answer to a 401. */
  private async send(method: 'HEAD' | 'GET', url: URL, endpoint: Endpoint, ref: ImageReference): Promise<ExchangeResult> {
    const scopes = [repositoryScope(ref.path, this.options.actions ?? 'pull')];
    const auth = this.options.auth;
    const first = auth ? await auth.authorizationFor(url, scopes, endpoint.tls) : undefined;
    let res = await this.once(method, url, endpoint, first);
    if (res.status === 401 && auth) {
      const retry = await auth.authorizeAfter401(url, res.headersDistinct['www-authenticate'], scopes, {
        ...(first !== undefined ? { rejected: first } : {}),
        ...(endpoint.tls ? { tls: endpoint.tls } : {}),
      });
      if (retry !== undefined) res = await this.once(method, url, endpoint, retry);
    }
    return res;
  }

  private async once(method: 'HEAD' | 'GET', url: URL, endpoint: Endpoint, authorization: string | undefined): Promise<ExchangeResult> {
    const headers: Record<string, string> = { Accept: MANIFEST_ACCEPT };
    if (this.options.userAgent) headers['User-Agent'] = this.options.userAgent;
    if (authorization !== undefined) headers['Authorization'] = authorization;
    try {
      return await exchange(url, {
        method,
        headers,
        timeoutMs: this.timeoutMs,
        maxBytes: this.maxBytes,
        ...(endpoint.tls ? { tls: endpoint.tls } : {}),
      });
    } catch (err) {
      if (err instanceof DctError && err.code === 'RESPONSE_TOO_LARGE') {
        throw new DctError('MANIFEST_TOO_LARGE', `${err.message}: a manifest may have at most ${this.maxBytes} bytes`, { cause: err });
      }
      const why = err instanceof Error ? err.message : String(err);
      throw new DctError('REGISTRY_UNREACHABLE', `cannot reach the registry at ${endpoint.base}: ${why}`, { cause: err });
    }
  }

  private refused(res: ExchangeResult, endpoint: Endpoint, ref: ImageReference): DctError {
    const login = ref.domain === DEFAULT_DOMAIN ? 'docker login' : `docker login ${ref.domain}`;
    const said = registryMessage(res.body);
    if (res.status === 403)
      return new DctError('REGISTRY_DENIED', `${endpoint.base} denied access to ${ref.name}${said}: check that your account may pull it`);
    return new DctError(
      'REGISTRY_UNAUTHORIZED',
      `${endpoint.base} requires authentication to read ${ref.name} (HTTP 401${said}): log in with \`${login}\``,
    );
  }
}

function header(res: ExchangeResult, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function checkedDigest(value: string, method: string, base: string): string {
  try {
    return validatedDigest(value.trim());
  } catch {
    throw new DctError(
      'REGISTRY_BAD_RESPONSE',
      `${base} sent an invalid Docker-Content-Digest ${JSON.stringify(value.slice(0, 100))} with its ${method} answer`,
    );
  }
}

/** `algorithm:hex` of the bytes, with the algorithm of `like`. */
function digestOf(bytes: Buffer, like: string): string {
  const algorithm = like.slice(0, like.indexOf(':'));
  const hash = DIGEST_ALGORITHMS[algorithm] ?? 'sha256';
  return `${algorithm in DIGEST_ALGORITHMS ? algorithm : 'sha256'}:${createHash(hash).update(bytes).digest('hex')}`;
}

function mediaTypeOf(contentType: string | undefined, bytes: Buffer): string {
  const declared = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (declared !== '' && declared !== 'application/json' && declared !== 'application/octet-stream' && declared !== 'text/plain')
    return declared;
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new DctError(
      'REGISTRY_BAD_RESPONSE',
      `the manifest is not JSON and its media type is unknown (${declared || 'no Content-Type'})`,
    );
  }
  const o = typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : {};
  if (typeof o['mediaType'] === 'string' && o['mediaType'] !== '') return o['mediaType'];
  if (Array.isArray(o['manifests'])) return MEDIA_TYPES.ociIndex;
  if (o['config'] !== undefined && Array.isArray(o['layers'])) return MEDIA_TYPES.ociManifest;
  if (o['schemaVersion'] === 1) return 'application/vnd.docker.distribution.manifest.v1+json';
  throw new DctError(
    'REGISTRY_BAD_RESPONSE',
    `cannot tell the media type of the manifest (${declared || 'no Content-Type'}, no mediaType field)`,
  );
}

function registryMessage(body: Buffer): string {
  try {
    const json = JSON.parse(body.toString('utf8')) as { errors?: Array<{ code?: unknown; message?: unknown }> };
    const first = json.errors?.[0];
    if (first && typeof first.message === 'string')
      return `: ${String(first.code ?? '')
        .toLowerCase()
        .replace(/_/g, ' ')}${first.code ? ': ' : ''}${first.message}`.slice(0, 300);
  } catch {
    // not a registry error body
  }
  return '';
}

function notFound(shown: string, base: string, res: ExchangeResult): DctError {
  const said = registryMessage(res.body) || ': manifest unknown';
  return new DctError('MANIFEST_NOT_FOUND', `manifest for ${shown} not found on ${base}${said}`);
}

function tooLarge(shown: string, size: number, max: number): DctError {
  return new DctError('MANIFEST_TOO_LARGE', `the manifest of ${shown} has ${size} bytes, more than the ${max} allowed`);
}
