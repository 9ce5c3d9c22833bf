/**
 * An artifact reference as notation takes it: `<registry>/<repository>@<digest>` or
 * `<registry>/<repository>:<tag>`, written out in full (no Docker Hub defaults).
 */
import { DctError } from '../../core/errors.js';
import { parseReference, type ImageReference } from '../../core/image-reference.js';

const EXPECTING = 'Expecting <registry>/<repository>:<tag> or <registry>/<repository>@<digest>';

export function parseArtifactReference(s: string): ImageReference {
  let ref: ImageReference;
  try {
    ref = parseReference(s);
  } catch (err) {
    throw new DctError('NOTATION_BAD_REFERENCE', `${JSON.stringify(s)}: ${(err as Error).message}. ${EXPECTING}`, { cause: err });
  }
  if (ref.domain === '' || !ref.name.includes('/'))
    throw new DctError('NOTATION_BAD_REFERENCE', `${JSON.stringify(s)}: invalid reference: missing registry or repository. ${EXPECTING}`);
  if (ref.tag === undefined && ref.digest === undefined)
    throw new DctError('NOTATION_BAD_REFERENCE', `${JSON.stringify(s)}: invalid reference: no tag or digest. ${EXPECTING}`);
  return ref;
}

/** `host/repo@sha256:…` */
export function digestReference(ref: ImageReference, digest: string): string {
  return `${ref.name}@${digest}`;
}
