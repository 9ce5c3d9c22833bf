/**
 * The checks of a registry client's arguments before anything is sent: repository names
 * (the distribution spec's path components), tags, digest references and descriptors.
 * Failures are INVALID_REFERENCE (or the core's INVALID_DIGEST / INVALID_DESCRIPTOR).
 */
import { DctError } from '../../core/errors.js';
import { parseDescriptor, type Descriptor } from '../../core/oci/descriptor.js';
import { parseDigest } from '../../core/oci/digest.js';

const TAG = /^[\w][\w.-]{0,127}$/;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const REPOSITORY = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);

/** What a blob is asked by: its digest and size (a media type is optional). */
export type BlobDescriptor = Pick<Descriptor, 'digest' | 'size'> & Partial<Descriptor>;

export function checkRepository(repo: string): void {
  if (typeof repo !== 'string' || repo.length > 255 || !REPOSITORY.test(repo)) {
    throw new DctError('INVALID_REFERENCE', `invalid repository name ${JSON.stringify(String(repo).slice(0, 100))}`);
  }
}

/** A tag or a digest; returns the digest when it is one. */
export function checkReference(reference: string): string | undefined {
  if (typeof reference === 'string' && reference.includes(':')) {
    try {
      return parseDigest(reference).digest;
    } catch (err) {
      throw new DctError('INVALID_REFERENCE', `invalid digest reference: ${(err as Error).message}`, { cause: err });
    }
  }
  if (typeof reference !== 'string' || !TAG.test(reference))
    throw new DctError('INVALID_REFERENCE', `invalid tag ${JSON.stringify(String(reference).slice(0, 150))}`);
  return undefined;
}

export function checkDescriptor(d: BlobDescriptor): { digest: string; size: number } {
  parseDescriptor({ mediaType: d.mediaType ?? 'application/octet-stream', digest: d.digest, size: d.size });
  return { digest: d.digest, size: d.size };
}
