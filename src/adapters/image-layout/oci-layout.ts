/**
 * OCI image layout folders (image-spec "image-layout.md"): an `oci-layout` file
 * (`{"imageLayoutVersion": "1.0.0"}`), `index.json` (an image index whose entries carry
 * their tag in `org.opencontainers.image.ref.name`) and content-addressed blobs in
 * `blobs/<algorithm>/<hex>`.
 *
 * Reading (`OciLayoutReader`, also over an OCI layout inside a tar archive): list the
 * images, resolve a tag or digest, read manifests as raw bytes checked against their
 * descriptor, stream blobs checked for size and digest as they are read.
 *
 * Writing (`OciLayout`): blobs go to `.dct-ingest/<alg>-<hex>` first, are fsynced, checked
 * against their digest and only then renamed into `blobs/`; an interrupted download
 * leaves its partial file there to be continued (`partialBlobSize`, `writeBlob(…,
 * {offset})`). `index.json` is rewritten atomically (temp + fsync + rename) by `commit`,
 * and only after every blob the committed images need is in place — so a layout never
 * lists an image it does not completely hold.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, rmdir, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { DctError } from '../../core/errors.js';
import type { AdapterErrorCode } from '../errors.js';
import {
  DEFAULT_MAX_MANIFEST_BYTES,
  Digester,
  digestOf,
  OCI_MEDIA_TYPES,
  descriptorToJSON,
  isForeignLayerMediaType,
  isIndexMediaType,
  isManifestMediaType,
  isValidDigest,
  ociError,
  parseDescriptor,
  parseDigest,
  parseManifest,
  verifyBytes,
  verifyDigester,
  type Descriptor,
  type Manifest,
} from '../../core/oci/index.js';
import { BatchedWriter, syncDir, verified, writeFileAtomic } from './files.js';
import { digesterOfFile } from '../registry/blob-source.js';
import { DirectoryFiles, type LayoutFiles } from './layout-files.js';

export const OCI_LAYOUT_FILE = 'oci-layout';
export const OCI_INDEX_FILE = 'index.json';
export const OCI_LAYOUT_VERSION = '1.0.0';
/** the annotation of an index.json entry that holds its tag */
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';
/** the full image name containerd and docker 25+ (`docker save`) put beside the tag */
export const CONTAINERD_NAME_ANNOTATION = 'io.containerd.image.name';
/** where partial blobs wait (inside the layout folder, so the final rename stays on one filesystem) */
export const INGEST_DIR = '.dct-ingest';

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

export interface LayoutIndexEntry {
  descriptor: Descriptor;
  /** written as `org.opencontainers.image.ref.name`; an entry with the same tag is replaced */
  tag?: string;
  /** more annotations for the entry (e.g. `io.containerd.image.name`) */
  annotations?: Record<string, string>;
}

export interface BlobExpectation {
  digest: string;
  size?: number;
}

function layoutError(code: AdapterErrorCode, message: string, options?: { cause?: unknown }): DctError {
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

function isTag(s: string): boolean {
  return s.length > 0 && s.length <= 1024 && !/[\s\0]/.test(s);
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

async function checkLayoutFile(files: LayoutFiles): Promise<void> {
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

function isErrno(err: unknown, ...codes: string[]): boolean {
  return codes.includes((err as NodeJS.ErrnoException | undefined)?.code ?? '');
}

/** bytes to write: a stream, an async generator, or chunks in memory */
export type BlobSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

export interface WriteBlobOptions {
  /**
   * Continue a partial blob: keep its first `offset` bytes (see `partialBlobSize`) and
   * append the source after them. Default 0: start over.
   */
  offset?: number;
  /**
   * The source ends only once it has itself checked every byte against `expected.digest`
   * (the registry client does, before it ends its sink; a failure destroys the stream
   * instead): the bytes are then counted, not hashed a second time. Needs `expected`.
   */
  sourceVerified?: boolean;
}

/** An OCI image layout folder, read and written. */
export class OciLayout extends OciLayoutReader {
  private readonly locks = new Map<string, Promise<unknown>>();
  private indexLock: Promise<unknown> = Promise.resolve();

  private constructor(readonly dir: string) {
    super(new DirectoryFiles(dir));
  }

  /** An existing layout (NOT_AN_OCI_LAYOUT when `dir` is not one). */
  static async open(dir: string): Promise<OciLayout> {
    const layout = new OciLayout(dir);
    await checkLayoutFile(layout.files);
    return layout;
  }

  /**
   * The layout at `dir`, created when the folder is absent or empty (an empty index.json,
   * then the `oci-layout` file). A folder that has other content is refused
   * (NOT_AN_OCI_LAYOUT), so a mistyped path never gets blobs sprinkled into it.
   */
  static async create(dir: string): Promise<OciLayout> {
    const layout = new OciLayout(dir);
    let entries: string[] | undefined;
    try {
      entries = await readdir(dir);
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
    if (entries !== undefined && entries.includes(OCI_LAYOUT_FILE)) {
      await checkLayoutFile(layout.files);
      await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
      if (!entries.includes(OCI_INDEX_FILE)) await writeFileAtomic(join(dir, OCI_INDEX_FILE), emptyIndex());
      return layout;
    }
    if (entries !== undefined && entries.some((e) => e !== 'blobs' && e !== OCI_INDEX_FILE && e !== INGEST_DIR)) {
      throw layoutError('NOT_AN_OCI_LAYOUT', `${dir} exists and is not an OCI image layout: refusing to write into it`);
    }
    await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
    if (entries === undefined || !entries.includes(OCI_INDEX_FILE)) await writeFileAtomic(join(dir, OCI_INDEX_FILE), emptyIndex());
    await writeFileAtomic(join(dir, OCI_LAYOUT_FILE), JSON.stringify({ imageLayoutVersion: OCI_LAYOUT_VERSION }));
    return layout;
  }

  /** The absolute path of a blob's file. */
  blobFile(digest: string): string {
    return join(this.dir, ...blobPathOf(digest).split('/'));
  }

  /** Where an interrupted `writeBlob` of `digest` left its bytes (for resuming a download). */
  partialFile(digest: string): string {
    const { algorithm, hex } = parseDigest(digest);
    return join(this.dir, INGEST_DIR, `${algorithm}-${hex}`);
  }

  /** The digest state of the first `length` bytes an interrupted `writeBlob` of `digest` left (to resume a download). */
  async partialDigester(digest: string, length: number): Promise<Digester> {
    return digesterOfFile(this.partialFile(digest), parseDigest(digest).algorithm, length);
  }

  /** Forgets what an interrupted `writeBlob` of `digest` left (bytes that did not add up). */
  async discardPartial(digest: string): Promise<void> {
    await this.exclusive(digest, () => rm(this.partialFile(digest), { force: true }));
  }

  /** How many bytes of a blob an interrupted `writeBlob` left (0 when none). */
  async partialBlobSize(digest: string): Promise<number> {
    try {
      return (await stat(this.partialFile(digest))).size;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return 0;
      throw err;
    }
  }

  /** Runs `fn` with no other `writeBlob` of the same digest running in this process. */
  private async exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    for (;;) {
      const running = this.locks.get(key);
      if (running === undefined) break;
      await running.catch(() => undefined);
    }
    const p = fn();
    this.locks.set(key, p);
    try {
      return await p;
    } finally {
      if (this.locks.get(key) === p) this.locks.delete(key);
    }
  }

  /**
   * Writes a blob from a stream: into a partial file, fsynced, checked (size as it
   * arrives, then the digest), then renamed into `blobs/`. With `expected`, a blob already
   * present is kept and the source is not read (a Readable is destroyed). If the source
   * fails, the partial file stays for `{offset}` to continue it (when `expected` names the
   * digest) and the error is rethrown; content that does not match is deleted
   * (SIZE_MISMATCH / DIGEST_MISMATCH). Without `expected` the digest is computed (sha256).
   */
  async writeBlob(source: BlobSource, expected?: BlobExpectation, opts: WriteBlobOptions = {}): Promise<{ digest: string; size: number }> {
    if (expected === undefined) return this.writeComputedBlob(source);
    parseDigest(expected.digest);
    return this.exclusive(expected.digest, async () => {
      const have = await this.blobSize(expected.digest);
      if (have !== undefined && (expected.size === undefined || have === expected.size)) {
        destroySource(source);
        return { digest: expected.digest, size: have };
      }
      const ingest = join(this.dir, INGEST_DIR);
      await mkdir(ingest, { recursive: true });
      const partial = this.partialFile(expected.digest);
      const offset = opts.offset ?? 0;
      let fh: FileHandle;
      try {
        fh = await open(partial, 'r+');
      } catch (err) {
        if (!isErrno(err, 'ENOENT')) throw err;
        fh = await open(partial, 'w+', 0o644);
      }
      // a verified source needs no second hash of the same bytes: only their count is checked here
      const digester = opts.sourceVerified ? undefined : Digester.for(expected.digest);
      let size = offset;
      let keepPartial = true;
      try {
        const existing = (await fh.stat()).size;
        if (!Number.isSafeInteger(offset) || offset < 0 || offset > existing) {
          throw layoutError('INVALID_OFFSET', `cannot continue ${expected.digest} at byte ${offset}: only ${existing} bytes are there`);
        }
        if (expected.size !== undefined && offset > expected.size) {
          keepPartial = false;
          throw ociError('SIZE_MISMATCH', `the partial blob ${expected.digest} is longer than its ${expected.size} bytes`);
        }
        await fh.truncate(offset);
        if (digester) await hashPrefix(fh, offset, digester);
        const writer = new BatchedWriter(fh, offset);
        try {
          for await (const chunk of source) {
            digester?.update(chunk);
            size += chunk.length;
            if (expected.size !== undefined && size > expected.size) {
              keepPartial = false;
              destroySource(source);
              throw ociError('SIZE_MISMATCH', `blob ${expected.digest} has more than its ${expected.size} bytes`);
            }
            await writer.write(chunk);
          }
        } finally {
          // what arrived stays usable for a resume
          if (keepPartial) await writer.flush();
        }
        await fh.sync();
        try {
          if (digester) verifyDigester(digester, expected, `blob ${expected.digest}`);
          else if (expected.size !== undefined && size !== expected.size) {
            throw ociError('SIZE_MISMATCH', `blob ${expected.digest} has ${size} bytes, not the ${expected.size} of ${expected.digest}`);
          }
        } catch (err) {
          keepPartial = false;
          throw err;
        }
      } catch (err) {
        await fh.close().catch(() => undefined);
        if (!keepPartial) await rm(partial, { force: true });
        throw err;
      }
      await fh.close();
      await this.install(partial, expected.digest);
      return { digest: expected.digest, size };
    });
  }

  private async writeComputedBlob(source: BlobSource): Promise<{ digest: string; size: number }> {
    const ingest = join(this.dir, INGEST_DIR);
    await mkdir(ingest, { recursive: true });
    const tmp = join(ingest, `tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
    const fh = await open(tmp, 'wx', 0o644);
    const digester = Digester.create('sha256');
    try {
      const writer = new BatchedWriter(fh, 0);
      for await (const chunk of source) {
        digester.update(chunk);
        await writer.write(chunk);
      }
      await writer.flush();
      await fh.sync();
    } catch (err) {
      await fh.close().catch(() => undefined);
      await rm(tmp, { force: true });
      throw err;
    }
    await fh.close();
    const digest = digester.digest();
    await this.exclusive(digest, async () => {
      if ((await this.blobSize(digest)) === digester.size) await rm(tmp, { force: true });
      else await this.install(tmp, digest);
    });
    return { digest, size: digester.size };
  }

  /** Renames a checked, fsynced file into `blobs/<alg>/<hex>`. */
  private async install(file: string, digest: string): Promise<void> {
    const target = this.blobFile(digest);
    await mkdir(join(target, '..'), { recursive: true });
    await rename(file, target);
  }

  /** Writes a blob held in memory (checked against `expected` when given). */
  async putBlob(bytes: Uint8Array, expected?: BlobExpectation): Promise<{ digest: string; size: number }> {
    if (expected !== undefined) verifyBytes(bytes, expected, `blob ${expected.digest}`);
    return this.writeBlob([bytes], expected ?? { digest: digestOf(bytes), size: bytes.length });
  }

  /**
   * Writes a manifest or index blob from its raw bytes (parsed and validated first; never
   * re-serialised) and returns it parsed, with its digest and size.
   */
  async putManifest(input: Uint8Array | Manifest, opts: { contentType?: string; expected?: BlobExpectation } = {}): Promise<Manifest> {
    const manifest =
      input instanceof Uint8Array
        ? parseManifest(input, {
            ...(opts.contentType !== undefined ? { contentType: opts.contentType } : {}),
            ...(opts.expected !== undefined ? { expected: opts.expected } : {}),
          })
        : input;
    await this.putBlob(manifest.bytes, { digest: manifest.digest, size: manifest.size });
    return manifest;
  }

  /**
   * Lists images in index.json — after checking that the layout holds every blob each of
   * them needs (INCOMPLETE_IMAGE otherwise, and index.json is left as it was). An entry
   * with the same tag (or, untagged, the same digest) is replaced. The blob folders are
   * fsynced before index.json is replaced atomically.
   */
  async commit(entries: readonly LayoutIndexEntry[]): Promise<void> {
    for (const e of entries) {
      if (e.tag !== undefined && !isTag(e.tag)) throw layoutError('INVALID_TAG', `invalid tag ${JSON.stringify(e.tag)}`);
      const missing = await this.missingBlobs(e.descriptor);
      if (missing.length > 0) {
        throw layoutError(
          'INCOMPLETE_IMAGE',
          `${this.dir}: ${e.tag ?? e.descriptor.digest} cannot be listed: ${missing.length} blob(s) missing (${missing
            .slice(0, 3)
            .map((m) => m.digest)
            .join(', ')}${missing.length > 3 ? ', …' : ''})`,
        );
      }
    }
    const run = this.indexLock.then(async () => {
      const blobs = join(this.dir, 'blobs');
      for (const alg of await readdir(blobs).catch(() => [] as string[])) await syncDir(join(blobs, alg));
      const { json, manifests } = await this.readIndex();
      let list = [...manifests];
      for (const e of entries) {
        const annotations = { ...(e.descriptor.annotations ?? {}), ...(e.annotations ?? {}) };
        if (e.tag !== undefined) annotations[REF_NAME_ANNOTATION] = e.tag;
        else delete annotations[REF_NAME_ANNOTATION];
        const d: Descriptor = { ...e.descriptor };
        if (Object.keys(annotations).length > 0) d.annotations = annotations;
        else delete d.annotations;
        list = list.filter((m) => (e.tag !== undefined ? tagOf(m) !== e.tag : !(tagOf(m) === undefined && m.digest === d.digest)));
        list.push(d);
      }
      const doc = { ...json, schemaVersion: 2, mediaType: OCI_MEDIA_TYPES.index, manifests: list.map(descriptorToJSON) };
      await writeFileAtomic(join(this.dir, OCI_INDEX_FILE), JSON.stringify(doc));
    });
    this.indexLock = run.catch(() => undefined);
    await run;
  }

  /** Deletes the partial blobs interrupted writes left (and the ingest folder). */
  async removePartials(): Promise<void> {
    await rm(join(this.dir, INGEST_DIR), { recursive: true, force: true });
  }

  /** Removes the ingest folder when it is empty. */
  async tidy(): Promise<void> {
    await rmdir(join(this.dir, INGEST_DIR)).catch(() => undefined);
  }
}

function emptyIndex(): string {
  return JSON.stringify({ schemaVersion: 2, mediaType: OCI_MEDIA_TYPES.index, manifests: [] });
}

function destroySource(source: BlobSource): void {
  const s = source as Partial<Readable>;
  if (typeof s.destroy === 'function') s.destroy();
}

async function hashPrefix(fh: FileHandle, length: number, digester: Digester): Promise<void> {
  const buf = Buffer.alloc(Math.min(length, 1024 * 1024));
  let pos = 0;
  while (pos < length) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, length - pos), pos);
    if (bytesRead === 0) throw layoutError('INVALID_OFFSET', 'partial blob shrank while being read');
    digester.update(buf.subarray(0, bytesRead));
    pos += bytesRead;
  }
}
