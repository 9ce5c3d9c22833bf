/**
 * The registry as the signature formats need it (cosign and Notation both store their
 * signatures as OCI manifests next to the image): manifests by tag or digest, small blobs
 * in memory, referrers (API or tag schema). `src/adapters/registry/signature-registry-client.ts` implements it over
 * `RegistryClient`; `src/app/signatures/attach-referrer.ts` writes a referrer with the tag-schema fallback.
 */
import type { Descriptor } from '../oci/descriptor.js';

export interface RegistryManifest {
  bytes: Buffer;
  mediaType: string;
  digest: string;
}

/** What a read may be given: `signal` aborts it (a request in flight, and any not started yet). */
export interface ReadOptions {
  signal?: AbortSignal;
}

export interface SignatureRegistry {
  /** the manifest by tag or digest (checked against a digest reference); undefined when the registry answers 404 */
  getManifest(repo: string, reference: string, accept?: readonly string[], opts?: ReadOptions): Promise<RegistryManifest | undefined>;
  /** pushes manifest bytes under a tag or their digest; `ociSubject` is the registry's `OCI-Subject` header */
  putManifest(repo: string, reference: string, bytes: Uint8Array, mediaType: string): Promise<{ digest: string; ociSubject?: string }>;
  /** a blob's bytes (checked against the descriptor), refused when over `maxBytes` */
  readBlob(repo: string, descriptor: Descriptor, maxBytes: number, opts?: ReadOptions): Promise<Buffer>;
  /** uploads a blob unless the registry has it */
  writeBlob(repo: string, descriptor: Descriptor, bytes: Uint8Array): Promise<void>;
  /** the referrers of a digest (API, else tag schema), filtered by artifact type when given; more than `max` (default 10,000) is refused */
  referrers(
    repo: string,
    digest: string,
    opts?: ReadOptions & { artifactType?: string; max?: number },
  ): Promise<{ manifests: Descriptor[]; via: 'api' | 'tag' | 'none' }>;
  /** whether the registry serves the referrers API (a GET of the referrers of `digest` that is not 404) */
  supportsReferrersApi(repo: string, digest: string, opts?: ReadOptions): Promise<boolean>;
}
