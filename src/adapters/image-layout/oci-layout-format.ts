/**
 * OCI image layout folders (image-spec "image-layout.md"): an `oci-layout` file
 * (`{"imageLayoutVersion": "1.0.0"}`), `index.json` (an image index whose entries carry
 * their tag in `org.opencontainers.image.ref.name`) and content-addressed blobs in
 * `blobs/<algorithm>/<hex>`. The names and paths both the reader (oci-layout-reader.ts)
 * and the writer (oci-layout.ts) use.
 */
import { DctError } from '../../core/errors.js';
import type { AdapterErrorCode } from '../errors.js';
import { parseDigest, type Descriptor } from '../../core/oci/index.js';

export const OCI_LAYOUT_FILE = 'oci-layout';
export const OCI_INDEX_FILE = 'index.json';
export const OCI_LAYOUT_VERSION = '1.0.0';
/** the annotation of an index.json entry that holds its tag */
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';
/** the full image name containerd and docker 25+ (`docker save`) put beside the tag */
export const CONTAINERD_NAME_ANNOTATION = 'io.containerd.image.name';
/** where partial blobs wait (inside the layout folder, so the final rename stays on one filesystem) */
export const INGEST_DIR = '.dct-ingest';

export interface BlobExpectation {
  digest: string;
  size?: number;
}

export function layoutError(code: AdapterErrorCode, message: string, options?: { cause?: unknown }): DctError {
  return new DctError(code, message, options);
}

/** `blobs/<alg>/<hex>` of a digest (validated, so never a path outside `blobs/`). */
export function blobPathOf(digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  return `blobs/${algorithm}/${hex}`;
}

/** The tag of an index.json entry (`org.opencontainers.image.ref.name`). */
export function tagOf(d: Descriptor): string | undefined {
  return d.annotations?.[REF_NAME_ANNOTATION];
}

export function isTag(s: string): boolean {
  return s.length > 0 && s.length <= 1024 && !/[\s\0]/.test(s);
}
