/** notation's `--oci-layout` references: `<path>@<digest>` or `<path>:<tag>`, the path standing as the name. */
import { DctError } from '../../../core/errors.js';
import { ImageReference } from '../../../core/image-reference.js';
import { isValidDigest } from '../../../core/oci/digest.js';

/** `<path>@<digest>` or `<path>:<tag>` as a reference whose name is the path */
export function parseLayoutReference(s: string): ImageReference {
  const at = s.lastIndexOf('@');
  if (at > 0) {
    const digest = s.slice(at + 1);
    if (!isValidDigest(digest))
      throw new DctError('NOTATION_BAD_REFERENCE', `${JSON.stringify(s)}: invalid digest ${JSON.stringify(digest)}`);
    return new ImageReference('', s.slice(0, at), undefined, digest);
  }
  const colon = s.lastIndexOf(':');
  if (colon > 0 && colon > s.lastIndexOf('/') && colon < s.length - 1) return new ImageReference('', s.slice(0, colon), s.slice(colon + 1));
  throw new DctError('NOTATION_BAD_REFERENCE', `${JSON.stringify(s)}: reference is missing either digest or tag`);
}
