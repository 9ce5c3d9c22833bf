/**
 * The referrers tag schema (OCI distribution 1.1's fallback) kept consistent with the
 * referrers API. Clients that do not probe the API (older notation, oras, cosign) keep a
 * `sha256-<hex>` tag pointing at an OCI index of the subject's referrers themselves; the
 * registry stores and serves that index like any other (its entries must be manifests of
 * the repository, as for every index). When a referrer is deleted, the API stops listing
 * it at once (it answers from the manifests' `subject`); this module makes the tag agree:
 * the index is rewritten without the deleted entry (other fields kept as pushed) and the
 * tag moved to it, or the tag is removed when nothing is left. The superseded index is
 * left untagged for garbage collection.
 */
import { parseManifest } from '../../core/oci/manifest.js';
import { OCI_MEDIA_TYPES } from '../../core/oci/media-types.js';
import type { ManifestReference, RegistryStore } from '../../core/ports.js';
import { SHA256_DIGEST } from './request-checks.js';

/** The tag schema's tag of a sha256 subject (`sha256-<hex>`). */
export function referrersTagOf(subject: string): string | undefined {
  return SHA256_DIGEST.test(subject) ? `sha256-${subject.slice('sha256:'.length)}` : undefined;
}

export type TagUpdate = 'unchanged' | 'rewritten' | 'removed';

/** Drops `referrer` from the referrers tag index of `subject` in `repository`, if that index lists it. */
export async function dropFromReferrersTag(
  store: RegistryStore,
  repository: string,
  subject: string,
  referrer: string,
  maxManifestBytes: number,
): Promise<TagUpdate> {
  const tag = referrersTagOf(subject);
  if (tag === undefined) return 'unchanged';
  const indexDigest = await store.resolveTag(repository, tag);
  if (indexDigest === undefined) return 'unchanged';
  const index = await store.getManifest(repository, indexDigest);
  if (!index || index.mediaType !== OCI_MEDIA_TYPES.index) return 'unchanged';
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(index.data.toString('utf8')) as Record<string, unknown>;
  } catch {
    return 'unchanged';
  }
  const entries = Array.isArray(doc['manifests']) ? (doc['manifests'] as unknown[]) : [];
  const digestOf = (e: unknown): unknown => (typeof e === 'object' && e !== null ? (e as Record<string, unknown>)['digest'] : undefined);
  if (!entries.some((e) => digestOf(e) === referrer)) return 'unchanged';
  const kept: unknown[] = [];
  const references: ManifestReference[] = [];
  for (const e of entries) {
    const d = digestOf(e);
    // entries whose manifest is gone (deleted before this rule existed) go too: the index must stay valid
    if (typeof d !== 'string' || d === referrer || !SHA256_DIGEST.test(d) || !(await store.getManifest(repository, d))) continue;
    kept.push(e);
    if (!references.some((r) => r.digest === d)) references.push({ digest: d, kind: 'manifest' });
  }
  if (kept.length === 0) {
    await store.deleteTag(repository, tag);
    return 'removed';
  }
  const bytes = Buffer.from(JSON.stringify({ ...doc, manifests: kept }));
  const rewritten = parseManifest(bytes, { contentType: OCI_MEDIA_TYPES.index, maxBytes: maxManifestBytes });
  await store.putManifest(
    {
      repository,
      digest: rewritten.digest,
      mediaType: rewritten.mediaType,
      size: rewritten.size,
      data: rewritten.bytes,
      ...(rewritten.artifactType !== undefined ? { artifactType: rewritten.artifactType } : {}),
      ...(rewritten.subject !== undefined ? { subject: rewritten.subject.digest } : {}),
    },
    references,
    tag,
  );
  return 'rewritten';
}
