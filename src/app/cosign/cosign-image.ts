/**
 * The image a cosign command works on: its repository on a registry (behind the
 * `SignatureRegistry` port), the tag or digest given, and the name cosign shows for it.
 */
import { DctError } from '../../core/errors.js';
import { MANIFEST_ACCEPT_TYPES } from '../../core/oci/media-types.js';
import type { SignatureRegistry } from '../../core/signatures/signature-registry.js';

export interface CosignImage {
  registry: SignatureRegistry;
  /** the registry's `host[:port]` as in the reference (`docker.io` for Docker Hub) */
  registryHost: string;
  /** the repository path on the registry (`library/alpine`) */
  repo: string;
  /** the repository as cosign names it (`index.docker.io/library/alpine`, `127.0.0.1:5000/app`) */
  repository: string;
  /** a tag or a digest */
  reference: string;
}

export interface ResolvedImage {
  digest: string;
  mediaType: string;
  size: number;
  bytes: Buffer;
}

/** The manifest the image's tag or digest names. COSIGN_IMAGE_NOT_FOUND when the registry has none. */
export async function resolveImage(image: CosignImage): Promise<ResolvedImage> {
  const m = await image.registry.getManifest(image.repo, image.reference, MANIFEST_ACCEPT_TYPES);
  if (m === undefined) {
    const sep = image.reference.includes(':') ? '@' : ':';
    throw new DctError(
      'COSIGN_IMAGE_NOT_FOUND',
      `image tag not found: ${image.repository}${sep}${image.reference} does not exist on the registry (push it first, or check the name)`,
    );
  }
  return { digest: m.digest, mediaType: m.mediaType, size: m.bytes.length, bytes: m.bytes };
}
