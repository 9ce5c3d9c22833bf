/**
 * Reading an OCI image layout (a folder, or one inside a tar archive): list the images,
 * resolve a tag or digest, read manifests as raw bytes checked against their descriptor,
 * stream blobs checked for size and digest as they are read.
 */
import type { Readable } from 'node:stream';
import {
  DEFAULT_MAX_MANIFEST_BYTES,
  OCI_MEDIA_TYPES,
  isForeignLayerMediaType,
  isIndexMediaType,
  isManifestMediaType,
  isValidDigest,
  ociError,
  parseDescriptor,
  parseManifest,
  verifyBytes,
  type Descriptor,
  type Manifest,
} from '../../core/oci/index.js';
import { verified } from './files.js';
import type { LayoutFiles } from './layout-files.js';
import {
  blobPathOf,
  CONTAINERD_NAME_ANNOTATION,
  layoutError,
  OCI_INDEX_FILE,
  OCI_LAYOUT_FILE,
  tagOf,
  type BlobExpectation,
} from './oci-layout-format.js';

/** index.json and other non-blob JSON files are refused over this size */
const MAX_INDEX_BYTES = 16 * 1024 * 1024;
/** default cap of `readBlob` (configs, small blobs) */
const DEFAULT_MAX_BLOB_BYTES = 64 * 1024 * 1024;

export interface LayoutImage {
  /** the `org.opencontainers.image.ref.name` annotation, when there is one */
  tag?: string;
  /** the `io.containerd.image.name` annotation (docker save, containerd), when there is one */
  name?: string;
  /** the index.json entry (its annotations included) */
  descriptor: Descriptor;
}

export interface LayoutContent {
  descriptor: Descriptor;
  kind: 'index' | 'manifest' | 'config' | 'layer' | 'blob';
  /** parsed, for indexes and manifests */
  manifest?: Manifest;
  /** a non-distributable (foreign) layer: may be absent from the layout */
  foreign?: boolean;
}

/** Reads an OCI image layout (a folder or one inside a tar archive). */
export class OciLayoutReader {
  constructor(readonly files: LayoutFiles) {}

  /** A layout over `files` after checking its `oci-layout` file (NOT_AN_OCI_LAYOUT otherwise). */
  static async openFiles(files: LayoutFiles): Promise<OciLayoutReader> {
    await checkLayoutFile(files);
    return new OciLayoutReader(files);
  }

  get location(): string {
    return this.files.location;
  }

  /** index.json: its bytes, its entries (validated descriptors) and the parsed document. */
  async readIndex(): Promise<{ bytes: Buffer; manifests: Descriptor[]; json: Record<string, unknown> }> {
    const bytes = await this.files.read(OCI_INDEX_FILE, MAX_INDEX_BYTES);
    if (bytes === undefined) throw layoutError('NOT_AN_OCI_LAYOUT', `${this.location} has no ${OCI_INDEX_FILE}: not an OCI image layout`);
    let json: unknown;
    try {
      json = JSON.parse(bytes.toString('utf8'));
    } catch (err) {
      throw layoutError('INVALID_LAYOUT', `${this.location}/${OCI_INDEX_FILE} is not valid JSON`, { cause: err });
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      throw layoutError('INVALID_LAYOUT', `${this.location}/${OCI_INDEX_FILE} is not a JSON object`);
    const doc = json as Record<string, unknown>;
    if (doc['schemaVersion'] !== 2) throw layoutError('INVALID_LAYOUT', `${this.location}/${OCI_INDEX_FILE}: schemaVersion is not 2`);
    const list = doc['manifests'] ?? [];
    if (!Array.isArray(list)) throw layoutError('INVALID_LAYOUT', `${this.location}/${OCI_INDEX_FILE}: manifests is not a list`);
    const manifests = list.map((m, i) => parseDescriptor(m, `${this.location}/${OCI_INDEX_FILE}: manifests[${i}]`, 'INVALID_MANIFEST'));
    return { bytes, manifests, json: doc };
  }

  /** The images index.json lists, in its order. */
  async images(): Promise<LayoutImage[]> {
    const { manifests } = await this.readIndex();
    return manifests.map((descriptor) => {
      const tag = tagOf(descriptor);
      const name = descriptor.annotations?.[CONTAINERD_NAME_ANNOTATION];
      return { ...(tag !== undefined ? { tag } : {}), ...(name !== undefined ? { name } : {}), descriptor };
    });
  }

  /**
   * The descriptor of an image: by tag (the ref.name annotation, or the full
   * `io.containerd.image.name`), by digest (an index.json entry, else any manifest blob),
   * or — with no reference — the only image of the layout. IMAGE_NOT_FOUND /
   * AMBIGUOUS_IMAGE otherwise.
   */
  async resolve(ref?: string): Promise<Descriptor> {
    const { manifests } = await this.readIndex();
    if (ref === undefined || ref === '') {
      const digests = new Set(manifests.map((m) => m.digest));
      if (digests.size === 1) return manifests[0] as Descriptor;
      if (digests.size === 0) throw layoutError('IMAGE_NOT_FOUND', `${this.location} holds no image`);
      const tags = manifests.map(tagOf).filter((t) => t !== undefined);
      throw layoutError(
        'AMBIGUOUS_IMAGE',
        `${this.location} holds ${digests.size} images: name one${tags.length > 0 ? ` (tags: ${tags.join(', ')})` : ''}`,
      );
    }
    if (isValidDigest(ref)) {
      const listed = manifests.find((m) => m.digest === ref);
      if (listed) return listed;
      const size = await this.files.size(blobPathOf(ref));
      if (size === undefined) throw layoutError('IMAGE_NOT_FOUND', `${this.location} has no manifest ${ref}`);
      const m = await this.readManifest({ mediaType: OCI_MEDIA_TYPES.manifest, digest: ref, size }, { anyMediaType: true });
      return { mediaType: m.mediaType, digest: m.digest, size: m.size };
    }
    const matches = manifests.filter((m) => tagOf(m) === ref || m.annotations?.[CONTAINERD_NAME_ANNOTATION] === ref);
    const digests = new Set(matches.map((m) => m.digest));
    if (digests.size === 0) {
      const tags = manifests.map(tagOf).filter((t) => t !== undefined);
      throw layoutError(
        'IMAGE_NOT_FOUND',
        `${this.location} has no image tagged ${JSON.stringify(ref)}${tags.length > 0 ? ` (it has ${tags.join(', ')})` : ''}`,
      );
    }
    if (digests.size > 1)
      throw layoutError('AMBIGUOUS_IMAGE', `${this.location} has ${digests.size} different images tagged ${JSON.stringify(ref)}`);
    return matches[0] as Descriptor;
  }

  /**
   * A manifest or index, as raw bytes checked against the descriptor (size and digest)
   * and parsed. `target` is a descriptor, or a reference for `resolve`.
   */
  async readManifest(target?: string | Descriptor, opts: { maxBytes?: number; anyMediaType?: boolean } = {}): Promise<Manifest> {
    const d = typeof target === 'object' ? target : await this.resolve(target);
    const max = opts.maxBytes ?? DEFAULT_MAX_MANIFEST_BYTES;
    if (d.size > max)
      throw ociError('MANIFEST_TOO_LARGE', `${this.location}: manifest ${d.digest} has ${d.size} bytes, more than the ${max} allowed`);
    const bytes = await this.files.read(blobPathOf(d.digest), max);
    if (bytes === undefined) throw layoutError('BLOB_NOT_FOUND', `${this.location} lacks the manifest ${d.digest}`);
    return parseManifest(bytes, {
      expected: { digest: d.digest, size: d.size },
      ...(opts.anyMediaType ? {} : { contentType: d.mediaType }),
      name: `${this.location}: manifest ${d.digest}`,
      maxBytes: max,
    });
  }

  /** The size of a blob in the layout; undefined when absent. */
  async blobSize(digest: string): Promise<number | undefined> {
    return this.files.size(blobPathOf(digest));
  }

  /** Whether the blob is present (with the expected size, when one is given). */
  async hasBlob(d: BlobExpectation): Promise<boolean> {
    const size = await this.blobSize(d.digest);
    return size !== undefined && (d.size === undefined || size === d.size);
  }

  /** A small blob's bytes (a config), checked against size and digest. */
  async readBlob(d: BlobExpectation, maxBytes = DEFAULT_MAX_BLOB_BYTES): Promise<Buffer> {
    const bytes = await this.files.read(blobPathOf(d.digest), maxBytes);
    if (bytes === undefined) throw layoutError('BLOB_NOT_FOUND', `${this.location} lacks the blob ${d.digest}`);
    verifyBytes(bytes, d, `${this.location}: blob ${d.digest}`);
    return bytes;
  }

  /**
   * A blob as a stream whose bytes are checked as they pass: it fails (SIZE_MISMATCH as
   * soon as there are too many bytes; SIZE_MISMATCH / DIGEST_MISMATCH instead of ending)
   * unless the content is exactly the descriptor's. BLOB_NOT_FOUND when absent.
   */
  async openBlob(d: BlobExpectation): Promise<Readable> {
    const path = blobPathOf(d.digest);
    const size = await this.files.size(path);
    if (size === undefined) throw layoutError('BLOB_NOT_FOUND', `${this.location} lacks the blob ${d.digest}`);
    const source = await this.files.openRead(path);
    return verified(source, { digest: d.digest, size: d.size ?? size }, `${this.location}: blob ${d.digest}`);
  }

  /**
   * Everything an image consists of, children before parents (the order a push needs):
   * for an index its manifests (each with its config and layers) and then the index; for a
   * manifest its config, its layers and then the manifest. Each blob appears once.
   * Manifests are read (and verified) on the way; the other blobs are not opened.
   */
  async contents(root: Descriptor): Promise<LayoutContent[]> {
    const out: LayoutContent[] = [];
    const seen = new Set<string>();
    const visit = async (d: Descriptor, depth: number): Promise<void> => {
      if (seen.has(d.digest)) return;
      if (depth > 8) throw layoutError('INVALID_LAYOUT', `${this.location}: indexes nested too deeply at ${d.digest}`);
      seen.add(d.digest);
      if (!isManifestMediaType(d.mediaType)) {
        out.push({ descriptor: d, kind: 'blob' });
        return;
      }
      const manifest = await this.readManifest(d);
      if (manifest.kind === 'index') {
        for (const child of manifest.manifests) await visit(child, depth + 1);
      } else {
        if (!seen.has(manifest.config.digest)) {
          seen.add(manifest.config.digest);
          out.push({ descriptor: manifest.config, kind: 'config' });
        }
        for (const layer of manifest.layers) {
          if (seen.has(layer.digest)) continue;
          seen.add(layer.digest);
          out.push({ descriptor: layer, kind: 'layer', ...(isForeignLayerMediaType(layer.mediaType) ? { foreign: true } : {}) });
        }
      }
      out.push({ descriptor: d, kind: isIndexMediaType(manifest.mediaType) ? 'index' : 'manifest', manifest });
    };
    await visit(root, 0);
    return out;
  }

  /**
   * The blobs an image needs that the layout does not hold (absent, or of another size);
   * foreign layers excepted. Manifests that are present are read and verified.
   */
  async missingBlobs(root: Descriptor): Promise<Descriptor[]> {
    const missing: Descriptor[] = [];
    const seen = new Set<string>();
    const visit = async (d: Descriptor, depth: number): Promise<void> => {
      if (seen.has(d.digest)) return;
      seen.add(d.digest);
      if (depth > 8) throw layoutError('INVALID_LAYOUT', `${this.location}: indexes nested too deeply at ${d.digest}`);
      if (!(await this.hasBlob(d))) {
        missing.push(d);
        return;
      }
      if (!isManifestMediaType(d.mediaType)) return;
      const manifest = await this.readManifest(d);
      if (manifest.kind === 'index') {
        for (const child of manifest.manifests) await visit(child, depth + 1);
        return;
      }
      for (const blob of [manifest.config, ...manifest.layers]) {
        if (seen.has(blob.digest)) continue;
        seen.add(blob.digest);
        if (isForeignLayerMediaType(blob.mediaType)) continue;
        if (!(await this.hasBlob(blob))) missing.push(blob);
      }
    };
    await visit(root, 0);
    return missing;
  }
}

export async function checkLayoutFile(files: LayoutFiles): Promise<void> {
  const bytes = await files.read(OCI_LAYOUT_FILE, 64 * 1024);
  if (bytes === undefined)
    throw layoutError('NOT_AN_OCI_LAYOUT', `${files.location} is not an OCI image layout (it has no ${OCI_LAYOUT_FILE} file)`);
  let version: unknown;
  try {
    version = (JSON.parse(bytes.toString('utf8')) as Record<string, unknown>)['imageLayoutVersion'];
  } catch (err) {
    throw layoutError('INVALID_LAYOUT', `${files.location}/${OCI_LAYOUT_FILE} is not valid JSON`, { cause: err });
  }
  if (typeof version !== 'string' || !/^1\.\d+\.\d+$/.test(version)) {
    throw layoutError(
      'INVALID_LAYOUT',
      `${files.location}: unsupported imageLayoutVersion ${JSON.stringify(version ?? null)} (dct reads 1.x layouts)`,
    );
  }
}
