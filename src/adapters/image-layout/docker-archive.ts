/**
 * `docker save` tarballs, read and written.
 *
 * Reading takes both layouts docker has produced: the classic one (docker ≤ 24, skopeo's
 * docker-archive) — `manifest.json` (`[{Config, RepoTags, Layers}]`) with the config as
 * `<hex>.json` and each layer an uncompressed tar (`<id>/layer.tar`, `<diffid>.tar`) —
 * and docker 25+'s, where the tarball is also an OCI layout and `manifest.json` points
 * into `blobs/sha256/` (layers uncompressed, or as stored — gzip — with the containerd
 * image store). Nothing is extracted: the archive is indexed once and members are read in
 * place.
 *
 * For a push, an image yields its config and its layers either as stored (an uncompressed
 * layer goes up as `application/vnd.docker.image.rootfs.diff.tar`, its digest being its
 * diff ID) or gzip-compressed on the fly into a temp file in one pass (digest and size of
 * the compressed blob, diff ID checked), plus a docker schema 2 (or OCI) manifest for them.
 *
 * Writing (`writeDockerArchive`) produces what `docker load` takes: layers uncompressed
 * (gzip layers are decompressed as they are written, their blob digest and diff ID both
 * checked), in the classic layout or docker 25's OCI one; into a temp file renamed over the
 * target at the end, so an interrupted write leaves nothing that looks like an archive.
 */
import { rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { DctError } from '../../core/errors.js';
import type { AdapterErrorCode } from '../errors.js';
import { parseImageReference } from '../../core/image-reference.js';
import {
  DOCKER_MEDIA_TYPES,
  Digester,
  OCI_MEDIA_TYPES,
  descriptorToJSON,
  digestOf,
  isValidDigest,
  normalizePlatform,
  parseDescriptor,
  parseManifest,
  platformOfNode,
  requirePlatform,
  verifyDigester,
  type Descriptor,
  type Manifest,
  type Platform,
} from '../../core/oci/index.js';
import { decompress, detectCompression, gzipToTempFile, openFile, tap, type Compression } from './compression.js';
import { syncDir, tempPathFor, verified } from './files.js';
import { TarArchiveFiles } from './layout-files.js';
import { CONTAINERD_NAME_ANNOTATION, OciLayoutReader, REF_NAME_ANNOTATION } from './oci-layout.js';
import { TarFileWriter } from './tar.js';

/** docker's media type for an uncompressed layer */
export const DOCKER_LAYER_TAR = 'application/vnd.docker.image.rootfs.diff.tar';
export const MANIFEST_JSON = 'manifest.json';

const MAX_JSON_BYTES = 64 * 1024 * 1024;

function archiveError(code: AdapterErrorCode, message: string, options?: { cause?: unknown }): DctError {
  return new DctError(code, message, options);
}

/** One entry of `manifest.json`. */
export interface DockerArchiveEntry {
  /** position in manifest.json */
  position: number;
  repoTags: string[];
  /** archive path of the config */
  config: string;
  /** archive paths of the layers, base first */
  layers: string[];
  /** foreign layers (windows): diff ID → the descriptor to reference instead of uploading */
  layerSources: Record<string, Descriptor>;
}

export interface ArchiveImageConfig {
  bytes: Buffer;
  /** sha256 of the bytes: the image ID */
  digest: string;
  size: number;
  diffIds: string[];
  platform: Platform;
  json: Record<string, unknown>;
}

/** A blob ready to push: its descriptor and its bytes (checked as they are read). */
export interface PushableBlob {
  descriptor: Descriptor;
  open(): Promise<Readable>;
  /** deletes a temp file behind the blob, if any */
  dispose(): Promise<void>;
  /** a foreign layer: referenced by its urls, not uploaded */
  foreign?: boolean;
}

export interface PrepareOptions {
  /** gzip uncompressed layers on the way (one pass each, into temp files); default false: push them as they are */
  compress?: boolean;
  /** zlib level for `compress` */
  level?: number;
  /** temp folder for compressed layers */
  tmpDir?: string;
  /** manifest family; default `docker` (schema 2) */
  format?: 'docker' | 'oci';
  /** layers compressed at the same time; default 4 */
  concurrency?: number;
}

export interface PreparedImage {
  /** the manifest to push (raw bytes inside) */
  manifest: Manifest;
  config: PushableBlob;
  layers: PushableBlob[];
  /** deletes temp files */
  dispose(): Promise<void>;
}

function noop(): Promise<void> {
  return Promise.resolve();
}

/** `sha256:<hex>` when a path names its content (`blobs/sha256/<hex>`), else undefined. */
function digestOfBlobPath(path: string): string | undefined {
  const m = /(?:^|\/)blobs\/sha256\/([a-f0-9]{64})$/.exec(path);
  return m ? `sha256:${m[1]}` : undefined;
}

/** The config's digest from its name (`<hex>.json`, `blobs/sha256/<hex>`). */
function digestOfConfigPath(path: string): string | undefined {
  const m = /^(?:.*\/)?([a-f0-9]{64})(?:\.json)?$/.exec(path);
  return m && (path.endsWith('.json') || digestOfBlobPath(path) !== undefined) ? `sha256:${m[1]}` : undefined;
}

function normalisedTag(s: string): string | undefined {
  try {
    return parseImageReference(s).withDefaultTag().toString();
  } catch {
    return undefined;
  }
}

/** Parses an image config far enough for archives: diff IDs and platform. */
export function parseImageConfig(bytes: Buffer, where = 'the image config'): ArchiveImageConfig {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw archiveError('INVALID_CONFIG', `${where} is not valid JSON`, { cause: err });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw archiveError('INVALID_CONFIG', `${where} is not a JSON object`);
  const doc = json as Record<string, unknown>;
  const rootfs = doc['rootfs'] as Record<string, unknown> | undefined;
  const diffIds = rootfs?.['diff_ids'];
  if (!Array.isArray(diffIds) || !diffIds.every((d) => typeof d === 'string' && isValidDigest(d))) {
    throw archiveError('INVALID_CONFIG', `${where} has no valid rootfs.diff_ids`);
  }
  const os = typeof doc['os'] === 'string' && doc['os'] !== '' ? doc['os'] : 'linux';
  const architecture = typeof doc['architecture'] === 'string' && doc['architecture'] !== '' ? doc['architecture'] : 'amd64';
  const variant = typeof doc['variant'] === 'string' && doc['variant'] !== '' ? doc['variant'] : undefined;
  return {
    bytes,
    digest: digestOf(bytes),
    size: bytes.length,
    diffIds: diffIds as string[],
    platform: { os, architecture, ...(variant !== undefined ? { variant } : {}) },
    json: doc,
  };
}

/** A layer of an image in a docker archive. */
export class ArchiveLayer {
  constructor(
    private readonly files: TarArchiveFiles,
    /** archive path */
    readonly path: string,
    /** stored size */
    readonly size: number,
    /** from the config's rootfs.diff_ids */
    readonly diffId: string,
    readonly compression: Compression,
    /** the stored bytes' digest when the path names it (`blobs/sha256/<hex>`) */
    readonly storedDigest: string | undefined,
    /** manifest.json's LayerSources entry (foreign layer) */
    readonly foreign: Descriptor | undefined,
  ) {}

  /** The bytes as stored; checked against the digest the archive names them by (and the diff ID when uncompressed). */
  async openStored(): Promise<Readable> {
    const raw = await this.files.openRead(this.path);
    const digest = this.storedDigest ?? (this.compression === 'none' ? this.diffId : undefined);
    return digest !== undefined ? verified(raw, { digest, size: this.size }, `${this.files.archive}: ${this.path}`) : raw;
  }

  /** The uncompressed tar; the iteration fails unless it hashes to the diff ID. */
  async *uncompressed(): AsyncGenerator<Buffer> {
    const d = Digester.for(this.diffId);
    yield* tap(decompress(await this.openStored()), d);
    verifyDigester(d, { digest: this.diffId }, `${this.files.archive}: uncompressed ${this.path}`);
  }

  /**
   * The layer as stored, to push without recompressing: an uncompressed one is its diff
   * ID and `application/vnd.docker.image.rootfs.diff.tar` (OCI: `…layer.v1.tar`); a gzip
   * one keeps its bytes (its digest computed by a read pass when the archive does not
   * name it).
   */
  async asIs(format: 'docker' | 'oci' = 'docker'): Promise<PushableBlob> {
    if (this.foreign !== undefined) return { descriptor: this.foreign, open: () => this.openStored(), dispose: noop, foreign: true };
    if (this.compression === 'zstd' && format === 'docker') {
      throw archiveError(
        'UNSUPPORTED_COMPRESSION',
        `${this.path} is zstd-compressed, which docker schema 2 manifests cannot describe: use the OCI format`,
      );
    }
    let digest: string;
    if (this.compression === 'none') digest = this.diffId;
    else if (this.storedDigest !== undefined) digest = this.storedDigest;
    else {
      const d = Digester.create();
      for await (const chunk of await this.files.openRead(this.path)) d.update(chunk as Buffer);
      digest = d.digest();
    }
    const mediaType =
      this.compression === 'none'
        ? format === 'docker'
          ? DOCKER_LAYER_TAR
          : OCI_MEDIA_TYPES.layer
        : this.compression === 'gzip'
          ? format === 'docker'
            ? DOCKER_MEDIA_TYPES.layer
            : OCI_MEDIA_TYPES.layerGzip
          : OCI_MEDIA_TYPES.layerZstd;
    const descriptor: Descriptor = { mediaType, digest, size: this.size };
    return {
      descriptor,
      open: async () => verified(await this.files.openRead(this.path), descriptor, `${this.files.archive}: ${this.path}`),
      dispose: noop,
    };
  }

  /**
   * The layer gzip-compressed (an already compressed one is returned as it is, but for a
   * zstd one in docker schema 2, which cannot describe zstd: that one becomes gzip): one
   * pass into a temp file that yields the blob's digest and size; the uncompressed bytes
   * are checked against the diff ID on the way. `dispose()` deletes the temp file.
   */
  async compressed(opts: { level?: number; tmpDir?: string; format?: 'docker' | 'oci' } = {}): Promise<PushableBlob> {
    const format = opts.format ?? 'docker';
    const keep = this.compression === 'gzip' || (this.compression === 'zstd' && format === 'oci');
    if (keep || this.foreign !== undefined) return this.asIs(format);
    const result = await gzipToTempFile(decompress(await this.openStored()), {
      ...(opts.level !== undefined ? { level: opts.level } : {}),
      ...(opts.tmpDir !== undefined ? { tmpDir: opts.tmpDir } : {}),
      expectedDiffId: this.diffId,
    });
    const descriptor: Descriptor = {
      mediaType: format === 'docker' ? DOCKER_MEDIA_TYPES.layer : OCI_MEDIA_TYPES.layerGzip,
      digest: result.digest,
      size: result.size,
    };
    return {
      descriptor,
      open: async () => verified(openFile(result.path), descriptor, `compressed ${this.path}`),
      dispose: () => rm(result.path, { force: true }),
    };
  }
}

/** A `docker save` tarball, indexed (nothing extracted). */
export class DockerArchive {
  private constructor(
    readonly file: string,
    readonly files: TarArchiveFiles,
    readonly entries: DockerArchiveEntry[],
  ) {}

  /** Indexes the tarball and reads its manifest.json (NOT_A_DOCKER_ARCHIVE without one). */
  static async open(file: string): Promise<DockerArchive> {
    const files = await TarArchiveFiles.open(file);
    const bytes = await files.read(MANIFEST_JSON, MAX_JSON_BYTES);
    if (bytes === undefined) {
      const hint = (await files.size('oci-layout')) !== undefined ? ' (it is an OCI layout archive: read it as one)' : '';
      throw archiveError('NOT_A_DOCKER_ARCHIVE', `${file} is not a docker save archive: it has no ${MANIFEST_JSON}${hint}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(bytes.toString('utf8'));
    } catch (err) {
      throw archiveError('NOT_A_DOCKER_ARCHIVE', `${file}: ${MANIFEST_JSON} is not valid JSON`, { cause: err });
    }
    if (!Array.isArray(json)) throw archiveError('NOT_A_DOCKER_ARCHIVE', `${file}: ${MANIFEST_JSON} is not a list`);
    const entries = json.map((raw, position): DockerArchiveEntry => {
      const bad = (why: string) => archiveError('NOT_A_DOCKER_ARCHIVE', `${file}: ${MANIFEST_JSON}[${position}]: ${why}`);
      if (typeof raw !== 'object' || raw === null) throw bad('not an object');
      const e = raw as Record<string, unknown>;
      const config = e['Config'];
      if (typeof config !== 'string' || config === '') throw bad('Config is missing');
      const tags = e['RepoTags'] ?? [];
      if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string')) throw bad('RepoTags is not a list of strings');
      const layers = e['Layers'];
      if (!Array.isArray(layers) || !layers.every((l) => typeof l === 'string' && l !== '')) throw bad('Layers is not a list of paths');
      const layerSources: Record<string, Descriptor> = {};
      const sources = e['LayerSources'];
      if (sources !== undefined && sources !== null) {
        if (typeof sources !== 'object') throw bad('LayerSources is not an object');
        for (const [diffId, d] of Object.entries(sources as Record<string, unknown>)) {
          layerSources[diffId] = parseDescriptor(d, `${file}: ${MANIFEST_JSON}[${position}].LayerSources`);
        }
      }
      return { position, repoTags: tags as string[], config, layers: layers as string[], layerSources };
    });
    return new DockerArchive(file, files, entries);
  }

  /** Every repo tag of every image, in manifest.json order. */
  tags(): string[] {
    return this.entries.flatMap((e) => e.repoTags);
  }

  /**
   * An image: by repo tag (as written, or the same image name normalised: `alpine` =
   * `docker.io/library/alpine:latest`), by position (`@0`), by image ID (config digest,
   * `sha256:…` or its hex); with no reference, the only image. IMAGE_NOT_FOUND /
   * AMBIGUOUS_IMAGE otherwise.
   */
  image(ref?: string): DockerArchiveEntry {
    if (ref === undefined || ref === '') {
      if (this.entries.length === 1) return this.entries[0] as DockerArchiveEntry;
      if (this.entries.length === 0) throw archiveError('IMAGE_NOT_FOUND', `${this.file} holds no image`);
      throw archiveError(
        'AMBIGUOUS_IMAGE',
        `${this.file} holds ${this.entries.length} images: name one (${this.tags().join(', ') || 'by @position'})`,
      );
    }
    const pos = /^@(\d+)$/.exec(ref);
    if (pos) {
      const e = this.entries[Number(pos[1])];
      if (e === undefined) throw archiveError('IMAGE_NOT_FOUND', `${this.file} has no image ${ref} (it holds ${this.entries.length})`);
      return e;
    }
    const exact = this.entries.filter((e) => e.repoTags.includes(ref));
    if (exact.length === 1) return exact[0] as DockerArchiveEntry;
    const id = /^(?:sha256:)?([a-f0-9]{64})$/.exec(ref);
    if (id) {
      const byId = this.entries.find((e) => digestOfConfigPath(e.config) === `sha256:${id[1]}`);
      if (byId) return byId;
    }
    const wanted = normalisedTag(ref);
    const matches = wanted === undefined ? [] : this.entries.filter((e) => e.repoTags.some((t) => normalisedTag(t) === wanted));
    if (matches.length === 1) return matches[0] as DockerArchiveEntry;
    if (matches.length > 1 || exact.length > 1) throw archiveError('AMBIGUOUS_IMAGE', `${this.file} has several images tagged ${ref}`);
    throw archiveError(
      'IMAGE_NOT_FOUND',
      `${this.file} has no image ${ref}${this.tags().length > 0 ? ` (it has ${this.tags().join(', ')})` : ''}`,
    );
  }

  /** The image's config: raw bytes (checked against the digest its file name gives, if any), diff IDs, platform. */
  async config(entry: DockerArchiveEntry): Promise<ArchiveImageConfig> {
    const bytes = await this.files.read(entry.config, MAX_JSON_BYTES);
    if (bytes === undefined) throw archiveError('NOT_A_DOCKER_ARCHIVE', `${this.file} lacks ${entry.config}`);
    const config = parseImageConfig(bytes, `${this.file}: ${entry.config}`);
    const named = digestOfConfigPath(entry.config);
    if (named !== undefined && named !== config.digest) {
      throw archiveError('DIGEST_MISMATCH', `${this.file}: ${entry.config} hashes to ${config.digest}, not to the digest its name gives`);
    }
    if (config.diffIds.length !== entry.layers.length) {
      throw archiveError(
        'NOT_A_DOCKER_ARCHIVE',
        `${this.file}: the config of image ${entry.position} has ${config.diffIds.length} diff IDs for ${entry.layers.length} layers`,
      );
    }
    return config;
  }

  /** The image's layers, base first (their compression read from their first bytes). */
  async layers(entry: DockerArchiveEntry, config?: ArchiveImageConfig): Promise<ArchiveLayer[]> {
    const cfg = config ?? (await this.config(entry));
    const out: ArchiveLayer[] = [];
    for (const [i, path] of entry.layers.entries()) {
      const size = await this.files.size(path);
      if (size === undefined) throw archiveError('NOT_A_DOCKER_ARCHIVE', `${this.file} lacks the layer ${path}`);
      const diffId = cfg.diffIds[i] as string;
      const compression = detectCompression(await this.files.readRange(path, 0, 4));
      out.push(new ArchiveLayer(this.files, path, size, diffId, compression, digestOfBlobPath(path), entry.layerSources[diffId]));
    }
    return out;
  }

  /**
   * Everything to push one image: config, layers (as stored, or gzip-compressed with
   * `compress`) and a manifest for them (docker schema 2 by default) as raw bytes.
   */
  async prepare(entry: DockerArchiveEntry, opts: PrepareOptions = {}): Promise<PreparedImage> {
    const format = opts.format ?? 'docker';
    const config = await this.config(entry);
    const layers = await this.layers(entry, config);
    const prepared: Array<PushableBlob | undefined> = new Array(layers.length);
    const disposeAll = async () => {
      for (const p of prepared) await p?.dispose();
    };
    try {
      let next = 0;
      let failed = false;
      const worker = async () => {
        for (;;) {
          const i = next++;
          const layer = layers[i];
          if (layer === undefined || failed) return;
          try {
            prepared[i] = opts.compress
              ? await layer.compressed({
                  format,
                  ...(opts.level !== undefined ? { level: opts.level } : {}),
                  ...(opts.tmpDir !== undefined ? { tmpDir: opts.tmpDir } : {}),
                })
              : await layer.asIs(format);
          } catch (err) {
            failed = true;
            throw err;
          }
        }
      };
      // every worker settled before anything is disposed: none is left writing a temp file
      const settled = await Promise.allSettled(Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 4, layers.length)) }, worker));
      for (const s of settled) if (s.status === 'rejected') throw s.reason;
    } catch (err) {
      await disposeAll();
      throw err;
    }
    const layerBlobs = prepared as PushableBlob[];
    const configDescriptor: Descriptor = {
      mediaType: format === 'docker' ? DOCKER_MEDIA_TYPES.config : OCI_MEDIA_TYPES.config,
      digest: config.digest,
      size: config.size,
    };
    const manifest = buildImageManifest(
      configDescriptor,
      layerBlobs.map((l) => l.descriptor),
      format,
    );
    return {
      manifest,
      config: { descriptor: configDescriptor, open: async () => Readable.from([config.bytes]), dispose: noop },
      layers: layerBlobs,
      dispose: disposeAll,
    };
  }

  /** The OCI layout inside a docker 25+ archive; undefined for a classic one. */
  async ociLayout(): Promise<OciLayoutReader | undefined> {
    if ((await this.files.size('oci-layout')) === undefined) return undefined;
    return OciLayoutReader.openFiles(this.files);
  }
}

/**
 * An image manifest for a config and layers, as raw bytes (docker's indentation of three
 * spaces) and parsed.
 */
export function buildImageManifest(
  config: Descriptor,
  layers: readonly Descriptor[],
  format: 'docker' | 'oci' = 'docker',
  annotations?: Record<string, string>,
): Manifest {
  const doc = {
    schemaVersion: 2,
    mediaType: format === 'docker' ? DOCKER_MEDIA_TYPES.manifest : OCI_MEDIA_TYPES.manifest,
    config: descriptorToJSON(config),
    layers: layers.map(descriptorToJSON),
    ...(annotations !== undefined && format === 'oci' ? { annotations } : {}),
  };
  return parseManifest(Buffer.from(JSON.stringify(doc, null, 3)));
}

// ---------------------------------------------------------------------------------------
// writing

/** A layer blob as pulled (gzip or uncompressed). */
export interface ArchiveSourceLayer {
  descriptor: Descriptor;
  open(): Promise<Readable>;
}

export interface ArchiveSourceImage {
  /** tags for `docker load` (e.g. `registry:5000/app:1`); written in docker's familiar form */
  repoTags: string[];
  /** the config's raw bytes */
  config: Uint8Array;
  /** in the config's rootfs order */
  layers: ArchiveSourceLayer[];
}

export interface WriteArchiveOptions {
  /** `classic` (docker ≤ 24: `<hex>.json`, `<diffid>/layer.tar`; the default) or `oci` (docker 25+: an OCI layout plus manifest.json) */
  layout?: 'classic' | 'oci';
}

function familiarTag(tag: string): string {
  let ref;
  try {
    ref = parseImageReference(tag);
  } catch (err) {
    throw archiveError('INVALID_REFERENCE', `invalid repo tag ${JSON.stringify(tag)} for a docker archive`, { cause: err });
  }
  if (ref.digest !== undefined) throw archiveError('INVALID_REFERENCE', `a docker archive's repo tags cannot hold a digest: ${tag}`);
  return ref.withDefaultTag().familiarString();
}

/**
 * Writes a `docker load`-able tarball of `images` to `file` atomically (temp file beside
 * it, fsync, rename). Layers are stored uncompressed: each blob is read once, checked
 * against its descriptor, decompressed when gzip, and its tar checked against the diff
 * ID of the config. Layers shared between images are stored once.
 */
export async function writeDockerArchive(
  file: string,
  images: readonly ArchiveSourceImage[],
  opts: WriteArchiveOptions = {},
): Promise<void> {
  const layout = opts.layout ?? 'classic';
  const tmp = tempPathFor(file);
  const tar = await TarFileWriter.create(tmp);
  try {
    const written = new Map<string, { path: string; size: number }>();
    const configs = new Set<string>();
    const dirs = new Set<string>();
    const manifestJson: Array<Record<string, unknown>> = [];
    const indexEntries: Descriptor[] = [];
    const repositories: Record<string, Record<string, string>> = {};
    const ensureDir = async (dir: string) => {
      if (dirs.has(dir)) return;
      dirs.add(dir);
      await tar.addDirectory(dir);
    };
    if (layout === 'oci') {
      await ensureDir('blobs');
      await ensureDir('blobs/sha256');
    }
    for (const [n, image] of images.entries()) {
      const configBytes = Buffer.from(image.config);
      const config = parseImageConfig(configBytes, `the config of image ${n}`);
      const hex = config.digest.slice('sha256:'.length);
      if (config.diffIds.length !== image.layers.length) {
        throw archiveError(
          'INVALID_CONFIG',
          `image ${n}: the config has ${config.diffIds.length} diff IDs for ${image.layers.length} layers`,
        );
      }
      const configPath = layout === 'classic' ? `${hex}.json` : `blobs/sha256/${hex}`;
      if (!configs.has(configPath)) {
        configs.add(configPath);
        await tar.addBuffer(configPath, configBytes);
      }
      const layerPaths: string[] = [];
      const layerDescriptors: Descriptor[] = [];
      for (const [i, layer] of image.layers.entries()) {
        const diffId = config.diffIds[i] as string;
        let stored = written.get(diffId);
        if (stored === undefined) {
          const diffHex = diffId.slice(diffId.indexOf(':') + 1);
          const path = layout === 'classic' ? `${diffHex}/layer.tar` : `blobs/sha256/${diffHex}`;
          if (layout === 'classic') await ensureDir(diffHex);
          const source = verified(await layer.open(), layer.descriptor, `layer ${layer.descriptor.digest}`);
          const d = Digester.for(diffId);
          const size = await tar.addStream(path, tap(decompress(source), d));
          verifyDigester(d, { digest: diffId }, `the uncompressed layer ${layer.descriptor.digest} (diff ID)`);
          stored = { path, size };
          written.set(diffId, stored);
        }
        layerPaths.push(stored.path);
        layerDescriptors.push({ mediaType: OCI_MEDIA_TYPES.layer, digest: diffId, size: stored.size });
      }
      const repoTags = image.repoTags.map(familiarTag);
      manifestJson.push({ Config: configPath, RepoTags: repoTags, Layers: layerPaths });
      if (layout === 'oci') {
        const manifest = buildImageManifest(
          { mediaType: OCI_MEDIA_TYPES.config, digest: config.digest, size: config.size },
          layerDescriptors,
          'oci',
        );
        const manifestPath = `blobs/sha256/${manifest.digest.slice('sha256:'.length)}`;
        if (!configs.has(manifestPath)) {
          configs.add(manifestPath);
          await tar.addBuffer(manifestPath, manifest.bytes);
        }
        const base: Descriptor = { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.size, platform: config.platform };
        if (repoTags.length === 0) indexEntries.push(base);
        for (const t of repoTags) {
          const ref = parseImageReference(t);
          indexEntries.push({
            ...base,
            annotations: { [CONTAINERD_NAME_ANNOTATION]: ref.toString(), [REF_NAME_ANNOTATION]: ref.tag ?? 'latest' },
          });
        }
        for (const t of repoTags) {
          const ref = parseImageReference(t);
          (repositories[ref.familiarName] ??= {})[ref.tag ?? 'latest'] = hex;
        }
      }
    }
    if (layout === 'oci') {
      await tar.addBuffer(
        'index.json',
        Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MEDIA_TYPES.index, manifests: indexEntries.map(descriptorToJSON) })),
      );
      await tar.addBuffer('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
    }
    await tar.addBuffer(MANIFEST_JSON, Buffer.from(JSON.stringify(manifestJson)));
    if (layout === 'oci' && Object.keys(repositories).length > 0)
      await tar.addBuffer('repositories', Buffer.from(JSON.stringify(repositories)));
    await tar.finish();
    await rename(tmp, file);
    await syncDir(dirname(file));
  } catch (err) {
    await tar.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
}

export interface LayoutArchiveSelection {
  /** a tag or digest of the layout (default: its only image) or a descriptor */
  ref?: string | Descriptor;
  repoTags: string[];
  /** for an index: the platform to take (default: linux and this machine's architecture) */
  platform?: Platform | string;
}

/**
 * The images of an OCI layout as `writeDockerArchive` input (an index resolved to the
 * manifest of one platform).
 */
export async function archiveImagesFromLayout(
  layout: OciLayoutReader,
  selections: readonly LayoutArchiveSelection[],
): Promise<ArchiveSourceImage[]> {
  const out: ArchiveSourceImage[] = [];
  for (const sel of selections) {
    let manifest = await layout.readManifest(sel.ref);
    if (manifest.kind === 'index') {
      const wanted = sel.platform ?? normalizePlatform({ ...platformOfNode(process.platform, process.arch), os: 'linux' });
      const child = requirePlatform(
        manifest,
        wanted,
        `${layout.location} ${typeof sel.ref === 'string' ? sel.ref : (sel.ref?.digest ?? '')}`.trim(),
      );
      manifest = await layout.readManifest(child);
      if (manifest.kind === 'index') throw archiveError('UNSUPPORTED_MANIFEST', `${layout.location}: nested index ${child.digest}`);
    }
    const config = await layout.readBlob(manifest.config);
    out.push({
      repoTags: sel.repoTags,
      config,
      layers: manifest.layers.map((descriptor) => ({ descriptor, open: () => layout.openBlob(descriptor) })),
    });
  }
  return out;
}
