/**
 * Attaching a referrer (a signature, an attestation) to the artifact it refers to, as
 * cosign 3 and notation do: push the manifest by its digest; a registry that indexes its
 * `subject` (the `OCI-Subject` header, or a referrers API that answers) needs nothing
 * more; on one without the referrers API, add the manifest's descriptor to the image
 * index tagged `sha256-<hex>` of the subject (the OCI 1.1 referrers tag schema),
 * creating it when missing, keeping what it lists.
 */
import { DctError } from '../../core/errors.js';
import type { Descriptor } from '../../core/oci/descriptor.js';
import { parseDigest } from '../../core/oci/digest.js';
import { parseManifest } from '../../core/oci/manifest.js';
import { OCI_MEDIA_TYPES } from '../../core/oci/media-types.js';
import type { SignatureRegistry } from '../../core/signatures/signature-registry.js';

export interface ReferrerToAttach {
  /** the referrer manifest, exactly as it is pushed */
  bytes: Buffer;
  mediaType: string;
  /** the artifact it refers to (must equal the manifest's `subject`) */
  subject: Descriptor;
  /** the artifact type the referrers list shows (default: the manifest's artifactType, else its config media type) */
  artifactType?: string;
}

export interface AttachedReferrer {
  digest: string;
  /** `api`: the registry indexes referrers itself; `tag`: dct updated the `sha256-<hex>` index */
  via: 'api' | 'tag';
}

/** The `<algorithm>-<hex>` tag of the referrers tag schema (algorithm ≤ 32, hex ≤ 64 characters). */
export function referrersTagOf(digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  return `${algorithm.slice(0, 32)}-${hex.slice(0, 64)}`;
}

/** Pushes the referrer and makes it findable from its subject (see the file comment). `forceTag`: notation's `--force-referrers-tag`. */
export async function attachReferrer(
  registry: SignatureRegistry,
  repo: string,
  referrer: ReferrerToAttach,
  opts: { forceTag?: boolean } = {},
): Promise<AttachedReferrer> {
  const manifest = parseManifest(referrer.bytes, { contentType: referrer.mediaType, name: 'the referrer manifest' });
  if (manifest.subject === undefined || manifest.subject.digest !== referrer.subject.digest)
    throw new DctError('INVALID_MANIFEST', `the referrer manifest's subject is not ${referrer.subject.digest}`);
  const put = await registry.putManifest(repo, manifest.digest, referrer.bytes, referrer.mediaType);
  if (
    !opts.forceTag &&
    (put.ociSubject === referrer.subject.digest || (await registry.supportsReferrersApi(repo, referrer.subject.digest)))
  )
    return { digest: manifest.digest, via: 'api' };
  const descriptor: Descriptor = { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.size };
  const artifactType =
    referrer.artifactType ?? manifest.artifactType ?? (manifest.kind === 'manifest' ? manifest.config.mediaType : undefined);
  if (artifactType !== undefined) descriptor.artifactType = artifactType;
  if (manifest.annotations !== undefined) descriptor.annotations = manifest.annotations;
  await addToTagIndex(registry, repo, referrersTagOf(referrer.subject.digest), descriptor);
  return { digest: manifest.digest, via: 'tag' };
}

async function addToTagIndex(registry: SignatureRegistry, repo: string, tag: string, descriptor: Descriptor): Promise<void> {
  const existing = await registry.getManifest(repo, tag, [OCI_MEDIA_TYPES.index]);
  let listed: Descriptor[] = [];
  let annotations: Record<string, string> | undefined;
  if (existing !== undefined) {
    const index = parseManifest(existing.bytes, { contentType: existing.mediaType, name: `the referrers index ${repo}:${tag}` });
    if (index.kind !== 'index') throw new DctError('INVALID_MANIFEST', `${repo}:${tag} is not an image index; it cannot list referrers`);
    listed = index.manifests;
    annotations = index.annotations;
    if (listed.some((d) => d.digest === descriptor.digest)) return;
  }
  const index = {
    schemaVersion: 2,
    mediaType: OCI_MEDIA_TYPES.index,
    manifests: [...listed, descriptor],
    ...(annotations !== undefined ? { annotations } : {}),
  };
  await registry.putManifest(repo, tag, Buffer.from(JSON.stringify(index)), OCI_MEDIA_TYPES.index);
}
