/**
 * The registry of an image as cosign's and notation's commands reach it: the same client
 * as every dct command (docker's credentials and TLS folders, plain HTTP for loopback),
 * behind the `SignatureRegistry` port. cosign's `--allow-http-registry` /
 * `--allow-insecure-registry` and notation's `--insecure-registry` add the host to the
 * insecure registries of this run (plain HTTP, or TLS without verification).
 */
import { RegistrySignatureStore } from '../adapters/registry/signature-registry-client.js';
import type { SignatureRegistry } from '../core/signatures/signature-registry.js';
import type { ImageReference } from '../core/image-reference.js';
import { openRegistry, type RegistryAccess } from './registry-access.js';

export interface SignatureRegistryAccess extends RegistryAccess {
  registry: SignatureRegistry;
}

export async function openSignatureRegistry(
  ref: ImageReference,
  env: Readonly<Record<string, string | undefined>>,
  warn: (message: string) => void,
  opts: {
    allowHttp?: boolean;
    allowInsecure?: boolean;
    credentials?: { username: string; password: string };
    /** the caller signs: manifests are read with a `pull,push` token (a pull gate serves an unsigned image to its publisher) */
    forWrite?: boolean;
  } = {},
): Promise<SignatureRegistryAccess> {
  const access = await openRegistry(ref, env, warn, {
    ...(opts.allowHttp || opts.allowInsecure ? { insecure: [ref.domain] } : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
  });
  return { ...access, registry: new RegistrySignatureStore(access.client, opts.forWrite ? 'pull,push' : 'pull') };
}
