/** Checks of request values shared by the embedded registry's handlers. */
import { FsBlobStore } from '../../adapters/blob-store/fs-blob-store.js';
import { RegistryApiError } from './registry-api-error.js';

/** the digests the registry stores */
export const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;
const DIGEST_GRAMMAR = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export function firstHeaderValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** A digest in a path or query: the OCI grammar, and one the registry stores (sha256). */
export function checkDigest(digest: string): void {
  if (!DIGEST_GRAMMAR.test(digest)) throw new RegistryApiError('DIGEST_INVALID', 'invalid digest', { digest: digest.slice(0, 200) });
  if (!FsBlobStore.supports(digest)) {
    throw new RegistryApiError('DIGEST_INVALID', 'unsupported digest: this registry stores sha256 content', {
      digest: digest.slice(0, 200),
    });
  }
}
