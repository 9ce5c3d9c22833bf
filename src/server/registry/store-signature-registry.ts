/**
 * The embedded registry's own content behind the SignatureRegistry port, in process (no HTTP
 * to itself): the pull gate's cosign and Notation verifiers read signatures from here.
 * Manifests by tag or digest, blobs linked to the repository (checked against their
 * descriptor), referrers as the referrers API answers them (`descriptorOf`). Read-only: the
 * gate never writes.
 */
import { createHash } from 'node:crypto';
import type { FsBlobStore } from '../../adapters/blob-store/fs-blob-store.js';
import { DctError } from '../../core/errors.js';
import type { Descriptor } from '../../core/oci/descriptor.js';
import type { RegistryStore } from '../../core/ports.js';
import type { RegistryManifest, SignatureRegistry } from '../../core/signatures/signature-registry.js';
import { descriptorOf } from './referrers-handler.js';
import { SHA256_DIGEST } from './request-checks.js';

const DEFAULT_MAX_REFERRERS = 10_000;

export class StoreSignatureRegistry implements SignatureRegistry {
  constructor(
    private readonly store: RegistryStore,
    private readonly blobs: FsBlobStore,
  ) {}

  async getManifest(repo: string, reference: string): Promise<RegistryManifest | undefined> {
    const digest = reference.includes(':') ? reference : await this.store.resolveTag(repo, reference);
    if (digest === undefined || !SHA256_DIGEST.test(digest)) return undefined;
    const m = await this.store.getManifest(repo, digest);
    return m ? { bytes: m.data, mediaType: m.mediaType, digest: m.digest } : undefined;
  }

  putManifest(repo: string): Promise<{ digest: string; ociSubject?: string }> {
    return Promise.reject(new DctError('REGISTRY_DENIED', `the pull gate's view of ${repo} is read-only`));
  }

  writeBlob(repo: string): Promise<void> {
    return Promise.reject(new DctError('REGISTRY_DENIED', `the pull gate's view of ${repo} is read-only`));
  }

  async readBlob(repo: string, descriptor: Descriptor, maxBytes: number): Promise<Buffer> {
    if (descriptor.size > maxBytes)
      throw new DctError(
        'RESPONSE_TOO_LARGE',
        `the blob ${descriptor.digest} in ${repo} is ${descriptor.size} bytes, over the ${maxBytes} read`,
      );
    const linked = SHA256_DIGEST.test(descriptor.digest) ? await this.store.getBlobLink(repo, descriptor.digest) : undefined;
    const stream = linked ? await this.blobs.read(descriptor.digest) : undefined;
    if (!stream) throw new DctError('BLOB_NOT_FOUND', `the blob ${descriptor.digest} is not in ${repo}`);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > descriptor.size) {
        stream.destroy();
        break;
      }
      chunks.push(chunk);
    }
    const bytes = Buffer.concat(chunks);
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (size !== descriptor.size || digest !== descriptor.digest)
      throw new DctError('DIGEST_MISMATCH', `the blob ${descriptor.digest} in ${repo} does not match its descriptor`);
    return bytes;
  }

  async referrers(
    repo: string,
    digest: string,
    opts: { artifactType?: string; max?: number } = {},
  ): Promise<{ manifests: Descriptor[]; via: 'api' | 'tag' | 'none' }> {
    let found = SHA256_DIGEST.test(digest) ? await this.store.referrers(repo, digest) : [];
    if (opts.artifactType !== undefined) found = found.filter((m) => m.artifactType === opts.artifactType);
    const max = opts.max ?? DEFAULT_MAX_REFERRERS;
    if (found.length > max)
      throw new DctError('REGISTRY_BAD_RESPONSE', `${repo}@${digest} has ${found.length} referrers, more than the ${max} read`);
    return { manifests: found.map((m) => descriptorOf(m) as unknown as Descriptor), via: 'api' };
  }

  supportsReferrersApi(): Promise<boolean> {
    return Promise.resolve(true);
  }
}
