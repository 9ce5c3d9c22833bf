/**
 * The manifests that refer to a digest: the OCI 1.1 referrers API
 * (`GET /v2/<repo>/referrers/<digest>`, with Link pagination and the `artifactType`
 * filter, applied here when the registry did not), else the index tagged `sha256-<hex>`
 * (the referrers tag schema), else nothing.
 */
import { DctError } from '../../core/errors.js';
import type { Descriptor } from '../../core/oci/descriptor.js';
import { parseDigest } from '../../core/oci/digest.js';
import { parseManifest, type Manifest } from '../../core/oci/manifest.js';
import { OCI_MEDIA_TYPES } from '../../core/oci/media-types.js';
import { repositoryScope } from '../http/registry-auth.js';
import { RegistryClientError } from './registry-client-error.js';
import type { CallOptions, RegistryConnection } from './registry-connection.js';
import { nextLink } from './registry-headers.js';
import { discard, header, readBody } from '../http/transport/send.js';

export interface ReferrersResult {
  manifests: Descriptor[];
  /** `api`: the registry's referrers endpoint; `tag`: the `sha256-<hex>` tag schema; `none`: neither exists */
  via: 'api' | 'tag' | 'none';
}

export interface ReferrersOptions extends CallOptions {
  artifactType?: string;
}

/** How the tag schema's index is fetched (`RegistryClient.getManifest`). */
export type ManifestGetter = (
  repo: string,
  reference: string,
  opts: CallOptions & { accept?: readonly string[] },
) => Promise<{ manifest: Manifest }>;

/**
 * The manifests that refer to `digest` (OCI 1.1 `GET /v2/<repo>/referrers/<digest>`, with
 * Link pagination); when the registry has no referrers API (404), the index tagged
 * `sha256-<hex>` (the referrers tag schema), or nothing.
 */
export async function listReferrers(
  conn: RegistryConnection,
  repo: string,
  digest: string,
  opts: ReferrersOptions,
  maxList: number,
  getManifest: ManifestGetter,
): Promise<ReferrersResult> {
  let url: URL | undefined = await conn.url(`/v2/${repo}/referrers/${digest}`);
  if (opts.artifactType !== undefined) url.searchParams.set('artifactType', opts.artifactType);
  const out: Descriptor[] = [];
  const seen = new Set<string>();
  let filtered = true;
  for (let page = 0; url !== undefined; page++) {
    if (page >= 1000 || seen.has(url.href))
      throw new RegistryClientError('REGISTRY_BAD_RESPONSE', `the referrers of ${repo}@${digest} on ${conn.host} do not end`);
    seen.add(url.href);
    const res = await conn.exchange({
      method: 'GET',
      url,
      scopes: [repositoryScope(repo, 'pull')],
      headers: { Accept: OCI_MEDIA_TYPES.index },
      retry: 'idempotent',
      redirects: true,
      signal: opts.signal,
    });
    if (res.status === 404 && page === 0) {
      await discard(res);
      return referrersByTag(repo, digest, opts, getManifest);
    }
    if (res.status !== 200) throw await conn.failure(res, `the referrers of ${repo}@${digest}`, 'manifest');
    if (
      opts.artifactType !== undefined &&
      !(header(res, 'oci-filters-applied') ?? '')
        .split(',')
        .map((s) => s.trim())
        .includes('artifactType')
    )
      filtered = false;
    const body = await readBody(
      res,
      maxList,
      () =>
        new RegistryClientError('RESPONSE_TOO_LARGE', `a page of the referrers of ${repo}@${digest} is larger than ${maxList} bytes`, 200),
    );
    const index = parseManifest(body, {
      contentType: OCI_MEDIA_TYPES.index,
      maxBytes: maxList,
      name: `the referrers of ${repo}@${digest}`,
    });
    if (index.kind !== 'index')
      throw new RegistryClientError('REGISTRY_BAD_RESPONSE', `the referrers answer for ${repo}@${digest} is not an index`, 200);
    out.push(...index.manifests);
    url = nextLink(res);
  }
  const manifests = filtered || opts.artifactType === undefined ? out : out.filter((d) => d.artifactType === opts.artifactType);
  return { manifests, via: 'api' };
}

async function referrersByTag(repo: string, digest: string, opts: ReferrersOptions, getManifest: ManifestGetter): Promise<ReferrersResult> {
  const tag = referrersTag(digest);
  let fetched: { manifest: Manifest };
  try {
    fetched = await getManifest(repo, tag, { accept: [OCI_MEDIA_TYPES.index], ...(opts.signal ? { signal: opts.signal } : {}) });
  } catch (err) {
    if (err instanceof DctError && err.code === 'MANIFEST_NOT_FOUND') return { manifests: [], via: 'none' };
    throw err;
  }
  if (fetched.manifest.kind !== 'index')
    throw new RegistryClientError('REGISTRY_BAD_RESPONSE', `the referrers tag ${repo}:${tag} is not an index`);
  const all = fetched.manifest.manifests;
  return { manifests: opts.artifactType === undefined ? all : all.filter((d) => d.artifactType === opts.artifactType), via: 'tag' };
}

/** The `sha256-<hex>` tag of the referrers tag schema (algorithm ≤ 32, hex ≤ 64 characters). */
export function referrersTag(digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  return `${algorithm.slice(0, 32)}-${hex.slice(0, 64)}`;
}
