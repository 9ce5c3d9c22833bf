/**
 * An artifact reference as notation takes it: `<registry>/<repository>@<digest>` or
 * `<registry>/<repository>:<tag>`, written out in full (no Docker Hub defaults).
 */
import { DctError } from '../../core/errors.js';
import { parseReference, type ImageReference } from '../../core/image-reference.js';

export function parseArtifactReference(s: string): ImageReference {
  let ref: ImageReference;
  try {
    ref = parseReference(s);
  } catch (err) {
    throw new DctError('NOTATION_BAD_REFERENCE', `invalid reference ${JSON.stringify(s)}: ${(err as Error).message}`, { cause: err });
  }
  if (ref.domain === '' || !ref.name.includes('/'))
    throw new DctError(
      'NOTATION_BAD_REFERENCE',
      `invalid reference ${JSON.stringify(s)}: expected <registry>/<repository>@<digest> or <registry>/<repository>:<tag>`,
    );
  if (ref.tag === undefined && ref.digest === undefined)
    throw new DctError('NOTATION_BAD_REFERENCE', `invalid reference ${JSON.stringify(s)}: missing tag or digest`);
  return ref;
}

/** `host/repo@sha256:…` */
export function digestReference(ref: ImageReference, digest: string): string {
  return `${ref.name}@${digest}`;
}
