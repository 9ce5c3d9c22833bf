/**
 * An in-memory SignatureRegistry for the notation use case tests: manifests by digest and tag,
 * blobs, and referrers either computed from stored subjects (`referrersApi: true`, as dct's
 * embedded registry) or read from the `sha256-<hex>` tag index (as docker-registry 2.8).
 */
import type { Descriptor } from '../../../src/core/oci/descriptor.js';
import { digestOf } from '../../../src/core/oci/digest.js';
import { parseManifest } from '../../../src/core/oci/manifest.js';
import type { RegistryManifest, SignatureRegistry } from '../../../src/app/signatures/signature-registry.js';

export class MemorySignatureRegistry implements SignatureRegistry {
  readonly manifests = new Map<string, RegistryManifest>();
  readonly tags = new Map<string, string>();
  readonly blobs = new Map<string, Buffer>();
  manifestGets = 0;

  constructor(readonly referrersApi: boolean) {}

  addManifest(bytes: Buffer, mediaType: string, tag?: string): string {
    const digest = digestOf(bytes);
    this.manifests.set(digest, { bytes, mediaType, digest });
    if (tag !== undefined) this.tags.set(tag, digest);
    return digest;
  }

  getManifest(_repo: string, reference: string): Promise<RegistryManifest | undefined> {
    this.manifestGets++;
    const digest = reference.includes(':') ? reference : this.tags.get(reference);
    return Promise.resolve(digest === undefined ? undefined : this.manifests.get(digest));
  }

  putManifest(_repo: string, reference: string, bytes: Uint8Array, mediaType: string): Promise<{ digest: string; ociSubject?: string }> {
    const buf = Buffer.from(bytes);
    const digest = this.addManifest(buf, mediaType, reference.includes(':') ? undefined : reference);
    const m = parseManifest(buf, { contentType: mediaType });
    return Promise.resolve({ digest, ...(this.referrersApi && m.subject ? { ociSubject: m.subject.digest } : {}) });
  }

  readBlob(_repo: string, d: Descriptor, maxBytes: number): Promise<Buffer> {
    const b = this.blobs.get(d.digest);
    if (!b) return Promise.reject(new Error(`blob ${d.digest} unknown`));
    if (b.length > maxBytes) return Promise.reject(new Error('too big'));
    return Promise.resolve(b);
  }

  writeBlob(_repo: string, d: Descriptor, bytes: Uint8Array): Promise<void> {
    this.blobs.set(d.digest, Buffer.from(bytes));
    return Promise.resolve();
  }

  referrers(
    _repo: string,
    digest: string,
    opts: { artifactType?: string; max?: number } = {},
  ): Promise<{ manifests: Descriptor[]; via: 'api' | 'tag' | 'none' }> {
    const keep = (d: Descriptor) => opts.artifactType === undefined || d.artifactType === opts.artifactType;
    const cap = (list: Descriptor[]) => list.filter(keep).slice(0, opts.max ?? Infinity);
    if (this.referrersApi) {
      const out: Descriptor[] = [];
      for (const m of this.manifests.values()) {
        const parsed = parseManifest(m.bytes, { contentType: m.mediaType });
        if (parsed.subject?.digest !== digest) continue;
        const artifactType = parsed.artifactType ?? (parsed.kind === 'manifest' ? parsed.config.mediaType : undefined);
        out.push({
          mediaType: parsed.mediaType,
          digest: parsed.digest,
          size: parsed.size,
          ...(artifactType ? { artifactType } : {}),
          ...(parsed.annotations ? { annotations: parsed.annotations } : {}),
        });
      }
      return Promise.resolve({ manifests: cap(out), via: 'api' });
    }
    const indexDigest = this.tags.get(digest.replace(':', '-'));
    const index = indexDigest ? this.manifests.get(indexDigest) : undefined;
    if (!index) return Promise.resolve({ manifests: [], via: 'none' });
    const parsed = parseManifest(index.bytes, { contentType: index.mediaType });
    return Promise.resolve({ manifests: parsed.kind === 'index' ? cap(parsed.manifests) : [], via: 'tag' });
  }

  supportsReferrersApi(): Promise<boolean> {
    return Promise.resolve(this.referrersApi);
  }
}
