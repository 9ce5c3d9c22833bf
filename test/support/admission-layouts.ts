/**
 * For the admission end-to-end tests: an OCI layout of the notation CLI's own e2e data (signed
 * by the real notation: an expired certificate without timestamp, a payload altered after
 * signing) pushed into a registry as notation would find it — its blobs, its manifests by
 * digest (subjects before their referrers), its tags, and on a registry without the referrers
 * API (`tagSchema`) the `sha256-<hex>` tag index of the layout.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RegistrySignatureStore } from '../../src/adapters/registry/signature-registry-client.js';
import { attachReferrer } from '../../src/app/signatures/attach-referrer.js';
import type { Descriptor } from '../../src/core/oci/descriptor.js';
import { OCI_MEDIA_TYPES } from '../../src/core/oci/media-types.js';
import { fixturePath } from './fixtures.js';

export const NOTATION_CLI = fixturePath('notation', 'notation-cli');
/** the image every notation e2e layout signs */
export const NOTATION_E2E_IMAGE = 'sha256:b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9';

const MANIFEST_TYPES = new Set<string>([OCI_MEDIA_TYPES.manifest, OCI_MEDIA_TYPES.index]);

interface LayoutManifest {
  bytes: Buffer;
  mediaType: string;
  digest: string;
  subject?: Descriptor;
}

/** Pushes the layout `oci-layouts/<layout>` of the notation CLI fixtures into `repo`. */
export async function pushNotationLayout(store: RegistrySignatureStore, repo: string, layout: string, tagSchema: boolean): Promise<void> {
  const root = join(NOTATION_CLI, 'oci-layouts', layout);
  const dir = join(root, 'blobs/sha256');
  const manifests: LayoutManifest[] = [];
  for (const name of readdirSync(dir)) {
    const bytes = readFileSync(join(dir, name));
    const digest = `sha256:${name}`;
    let doc: { mediaType?: unknown; subject?: Descriptor } | undefined;
    try {
      doc = JSON.parse(bytes.toString()) as { mediaType?: unknown; subject?: Descriptor };
    } catch {
      doc = undefined;
    }
    if (doc && typeof doc.mediaType === 'string' && MANIFEST_TYPES.has(doc.mediaType))
      manifests.push({ bytes, mediaType: doc.mediaType, digest, ...(doc.subject ? { subject: doc.subject } : {}) });
    else await store.writeBlob(repo, { mediaType: 'application/octet-stream', digest, size: bytes.length }, bytes);
  }
  const index = JSON.parse(readFileSync(join(root, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  const tagOf = (d: string) => index.manifests.find((m) => m.digest === d)?.annotations?.['org.opencontainers.image.ref.name'];
  const order = (m: LayoutManifest) => (m.mediaType === OCI_MEDIA_TYPES.index ? 2 : m.subject ? 1 : 0);
  const hasTagIndex = manifests.some((m) => tagOf(m.digest)?.startsWith('sha256-'));
  for (const m of manifests.sort((a, b) => order(a) - order(b))) {
    const tag = tagOf(m.digest);
    if (tag?.startsWith('sha256-')) {
      if (tagSchema) await store.putManifest(repo, tag, m.bytes, m.mediaType);
      continue;
    }
    await store.putManifest(repo, m.digest, m.bytes, m.mediaType);
    if (tag !== undefined) await store.putManifest(repo, tag, m.bytes, m.mediaType);
    if (m.subject && tagSchema && !hasTagIndex)
      await attachReferrer(store, repo, { bytes: m.bytes, mediaType: m.mediaType, subject: m.subject }, { forceTag: true });
  }
}
