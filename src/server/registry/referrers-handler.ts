/**
 * `/v2/<name>/referrers/<digest>` (OCI distribution 1.1): the manifests whose `subject` is
 * a digest, as an OCI index of descriptors (media type, digest, size, `artifactType` — the
 * manifest's, else its config's media type — and annotations), filtered by `artifactType`
 * when asked (answered with `OCI-Filters-Applied: artifactType`). An unknown digest has no
 * referrers: 200 with an empty index, as the specification says.
 *
 * Large answers are paged as the tag list is (the specification allows a `Link` header;
 * distribution and zot answer everything at once): at most `n` (default and cap: the
 * registry's page size) descriptors and about 1 MiB of body per page, in digest order,
 * and `Link: </v2/<name>/referrers/<digest>?n=…&last=<digest>[&artifactType=…]>; rel="next"`
 * when more remain. `last` is a digest, so a referrer pushed or deleted between pages moves
 * no other entry (a page never repeats or skips one that stayed).
 */
import type { ServerResponse } from 'node:http';
import { OCI_MEDIA_TYPES } from '../../core/oci/media-types.js';
import type { StoredManifest } from '../../core/ports.js';
import type { RegistryHandlerContext } from './handler-context.js';
import { RegistryApiError } from './registry-api-error.js';
import { respondJson } from './registry-responses.js';
import { checkDigest, SHA256_DIGEST } from './request-checks.js';

/** a page stops growing past this many bytes of body (one entry at least) */
export const REFERRERS_PAGE_BYTES = 1024 * 1024;

export class ReferrersHandler {
  constructor(private readonly ctx: RegistryHandlerContext) {}

  private pageSize(query: URLSearchParams): number {
    const n = query.get('n');
    if (n === null || n === '') return this.ctx.maxPageSize;
    if (!/^\d{1,9}$/.test(n)) throw new RegistryApiError('PAGINATION_NUMBER_INVALID', undefined, { n: n.slice(0, 20) });
    return Math.max(1, Math.min(Number(n), this.ctx.maxPageSize));
  }

  async referrers(res: ServerResponse, name: string, digest: string, query: URLSearchParams): Promise<number> {
    checkDigest(digest);
    const n = this.pageSize(query);
    const last = query.get('last') ?? '';
    if (last !== '' && !SHA256_DIGEST.test(last)) throw new RegistryApiError('DIGEST_INVALID', undefined, { last: last.slice(0, 100) });
    const artifactType = query.get('artifactType') ?? '';
    let found: StoredManifest[] = SHA256_DIGEST.test(digest) ? await this.ctx.store.referrers(name, digest) : [];
    const headers: Record<string, string> = {};
    if (artifactType !== '') {
      found = found.filter((m) => m.artifactType === artifactType);
      headers['OCI-Filters-Applied'] = 'artifactType';
    }
    found.sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0));
    const start = last === '' ? 0 : firstAfter(found, last);
    const entries: string[] = [];
    let bytes = 0;
    let i = start;
    for (; i < found.length && entries.length < n; i++) {
      const entry = JSON.stringify(descriptorOf(found[i] as StoredManifest));
      if (entries.length > 0 && bytes + entry.length > REFERRERS_PAGE_BYTES) break;
      entries.push(entry);
      bytes += entry.length + 1;
    }
    if (i < found.length) {
      const next = new URLSearchParams({ n: String(n), last: (found[i - 1] as StoredManifest).digest });
      if (artifactType !== '') next.set('artifactType', artifactType);
      headers['Link'] = `</v2/${name}/referrers/${digest}?${next.toString()}>; rel="next"`;
    }
    const body = `{"schemaVersion":2,"mediaType":"${OCI_MEDIA_TYPES.index}","manifests":[${entries.join(',')}]}`;
    return respondJson(res, body, OCI_MEDIA_TYPES.index, headers);
  }
}

/** the position of the first referrer whose digest sorts after `last` (binary search) */
function firstAfter(sorted: readonly StoredManifest[], last: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as StoredManifest).digest <= last) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A referrer's descriptor in the answer. */
export function descriptorOf(m: StoredManifest): Record<string, unknown> {
  const d: Record<string, unknown> = { mediaType: m.mediaType, digest: m.digest, size: m.size };
  if (m.artifactType !== undefined) d['artifactType'] = m.artifactType;
  const annotations = annotationsOf(m.data);
  if (annotations) d['annotations'] = annotations;
  return d;
}

function annotationsOf(data: Buffer): Record<string, string> | undefined {
  try {
    const a = (JSON.parse(data.toString('utf8')) as { annotations?: unknown }).annotations;
    if (typeof a === 'object' && a !== null && !Array.isArray(a) && Object.keys(a).length > 0) return a as Record<string, string>;
  } catch {
    // stored manifests parsed when pushed; nothing to add otherwise
  }
  return undefined;
}
