/**
 * The `SignatureRegistry` port (what cosign's and Notation's use cases need of a registry)
 * over `RegistryClient`: the same transport, auth, limits and checks as every other
 * registry call dct makes.
 */
import { Writable } from 'node:stream';
import type { ReadOptions, SignatureRegistry, RegistryManifest } from '../../core/signatures/signature-registry.js';
import { DctError } from '../../core/errors.js';
import type { Descriptor } from '../../core/oci/descriptor.js';
import type { RegistryClient } from './registry-client.js';

/** The most referrers read for one subject unless the caller says otherwise. */
export const DEFAULT_MAX_REFERRERS = 10_000;

export class RegistrySignatureStore implements SignatureRegistry {
  /**
   * `readActions`: the token scope manifests are read with — `pull,push` when the caller is about
   * to sign, so that a registry's pull gate lets a publisher read the image it has yet to sign
   * (as `dct trust sign` and docker's trusted push ask).
   */
  constructor(
    readonly client: RegistryClient,
    private readonly readActions: string = 'pull',
  ) {}

  async getManifest(
    repo: string,
    reference: string,
    accept?: readonly string[],
    opts: ReadOptions = {},
  ): Promise<RegistryManifest | undefined> {
    const m = await this.client.findManifest(repo, reference, {
      ...(accept ? { accept } : {}),
      actions: this.readActions,
      ...signalOf(opts),
    });
    return m && { bytes: m.bytes, mediaType: m.mediaType, digest: m.digest };
  }

  async putManifest(
    repo: string,
    reference: string,
    bytes: Uint8Array,
    mediaType: string,
  ): Promise<{ digest: string; ociSubject?: string }> {
    const put = await this.client.putManifest(repo, reference, bytes, mediaType);
    return { digest: put.digest, ...(put.ociSubject !== undefined ? { ociSubject: put.ociSubject } : {}) };
  }

  async readBlob(repo: string, descriptor: Descriptor, maxBytes: number, opts: ReadOptions = {}): Promise<Buffer> {
    if (descriptor.size > maxBytes)
      throw new DctError(
        'RESPONSE_TOO_LARGE',
        `the blob ${descriptor.digest} in ${repo} is ${descriptor.size} bytes, over the ${maxBytes} read`,
      );
    const chunks: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        chunks.push(chunk);
        done();
      },
    });
    await this.client.getBlob(repo, { digest: descriptor.digest, size: descriptor.size }, sink, signalOf(opts));
    return Buffer.concat(chunks);
  }

  async writeBlob(repo: string, descriptor: Descriptor, bytes: Uint8Array): Promise<void> {
    await this.client.ensureBlob(repo, { digest: descriptor.digest, size: descriptor.size }, bytes);
  }

  async referrers(
    repo: string,
    digest: string,
    opts: ReadOptions & { artifactType?: string; max?: number } = {},
  ): Promise<{ manifests: Descriptor[]; via: 'api' | 'tag' | 'none' }> {
    const found = await this.client.referrers(repo, digest, {
      ...(opts.artifactType !== undefined ? { artifactType: opts.artifactType } : {}),
      ...signalOf(opts),
    });
    const max = opts.max ?? DEFAULT_MAX_REFERRERS;
    if (found.manifests.length > max)
      throw new DctError(
        'REGISTRY_BAD_RESPONSE',
        `${repo}@${digest} has ${found.manifests.length} referrers, more than the ${max} dct reads; clean up the registry or raise the limit`,
      );
    return found;
  }

  async supportsReferrersApi(repo: string, digest: string, opts: ReadOptions = {}): Promise<boolean> {
    return (await this.client.referrers(repo, digest, signalOf(opts))).via === 'api';
  }
}

/** The client's call options carrying the read's signal, if any. */
function signalOf(opts: ReadOptions): { signal?: AbortSignal } {
  return opts.signal ? { signal: opts.signal } : {};
}
