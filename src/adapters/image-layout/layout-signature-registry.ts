/**
 * notation's `--oci-layout`: an OCI image layout folder behind the SignatureRegistry port, as
 * notation's OCI store treats one — manifests by tag (index.json's `ref.name`) or digest, blobs,
 * pushed manifests listed in index.json (untagged unless a tag is given), and referrers found
 * from the `subject` of the manifests index.json lists (the layout answers like a registry with
 * the referrers API).
 */
import { OciLayout } from './oci-layout.js';
import { DctError, isDctError } from '../../core/errors.js';
import type { Descriptor } from '../../core/oci/descriptor.js';
import { isValidDigest } from '../../core/oci/digest.js';
import { OCI_MEDIA_TYPES } from '../../core/oci/media-types.js';
import type { RegistryManifest, SignatureRegistry } from '../../core/signatures/signature-registry.js';

export class OciLayoutSignatureRegistry implements SignatureRegistry {
  constructor(private readonly layout: OciLayout) {}

  static async open(dir: string): Promise<OciLayoutSignatureRegistry> {
    return new OciLayoutSignatureRegistry(await OciLayout.open(dir));
  }

  async getManifest(_repo: string, reference: string): Promise<RegistryManifest | undefined> {
    let d: Descriptor;
    try {
      d = await this.layout.resolve(reference);
    } catch (err) {
      if (isDctError(err, 'IMAGE_NOT_FOUND')) return undefined;
      throw err;
    }
    const m = await this.layout.readManifest(d, { anyMediaType: true });
    return { bytes: m.bytes, mediaType: m.mediaType, digest: m.digest };
  }

  async putManifest(
    _repo: string,
    reference: string,
    bytes: Uint8Array,
    mediaType: string,
  ): Promise<{ digest: string; ociSubject?: string }> {
    const m = await this.layout.putManifest(bytes, { contentType: mediaType });
    const descriptor: Descriptor = {
      mediaType: m.mediaType,
      digest: m.digest,
      size: m.size,
      ...(m.annotations ? { annotations: m.annotations } : {}),
      ...(m.artifactType ? { artifactType: m.artifactType } : {}),
    };
    await this.layout.commit([{ descriptor, ...(isValidDigest(reference) ? {} : { tag: reference }) }]);
    return { digest: m.digest, ...(m.subject ? { ociSubject: m.subject.digest } : {}) };
  }

  async readBlob(_repo: string, descriptor: Descriptor, maxBytes: number): Promise<Buffer> {
    if (descriptor.size > maxBytes)
      throw new DctError(
        'NOTATION_BAD_SIGNATURE_MANIFEST',
        `the blob ${descriptor.digest} is ${descriptor.size} bytes, over the ${maxBytes} read`,
      );
    return this.layout.readBlob(descriptor, maxBytes);
  }

  async writeBlob(_repo: string, descriptor: Descriptor, bytes: Uint8Array): Promise<void> {
    await this.layout.putBlob(bytes, { digest: descriptor.digest, size: descriptor.size });
  }

  async referrers(
    _repo: string,
    digest: string,
    opts: { artifactType?: string; max?: number } = {},
  ): Promise<{ manifests: Descriptor[]; via: 'api' | 'tag' | 'none' }> {
    const { manifests } = await this.layout.readIndex();
    const out: Descriptor[] = [];
    const seen = new Set<string>();
    for (const d of manifests) {
      if (d.mediaType !== OCI_MEDIA_TYPES.manifest || seen.has(d.digest)) continue;
      seen.add(d.digest);
      const m = await this.layout.readManifest(d, { anyMediaType: true });
      if (m.subject?.digest !== digest) continue;
      const artifactType = m.artifactType ?? (m.kind === 'manifest' ? m.config.mediaType : undefined);
      if (opts.artifactType !== undefined && artifactType !== opts.artifactType) continue;
      out.push({
        mediaType: m.mediaType,
        digest: m.digest,
        size: m.size,
        ...(artifactType ? { artifactType } : {}),
        ...(m.annotations ? { annotations: m.annotations } : {}),
      });
      if (opts.max !== undefined && out.length >= opts.max) break;
    }
    return { manifests: out, via: 'api' };
  }

  supportsReferrersApi(): Promise<boolean> {
    return Promise.resolve(true);
  }
}
