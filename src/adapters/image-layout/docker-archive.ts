/**
 * Reading `docker save` tarballs. Both layouts docker has produced are read: the classic
 * one (docker ≤ 24, skopeo's docker-archive) — `manifest.json` (`[{Config, RepoTags,
 * Layers}]`) with the config as `<hex>.json` and each layer an uncompressed tar
 * (`<id>/layer.tar`, `<diffid>.tar`) — and docker 25+'s, where the tarball is also an OCI
 * layout and `manifest.json` points into `blobs/sha256/` (layers uncompressed, or as
 * stored — gzip — with the containerd image store). Nothing is extracted: the archive is
 * indexed once and members are read in place.
 *
 * For a push, an image yields its config and its layers either as stored (an uncompressed
 * layer goes up as `application/vnd.docker.image.rootfs.diff.tar`, its digest being its
 * diff ID) or gzip-compressed on the fly into a temp file in one pass (digest and size of
 * the compressed blob, diff ID checked), plus a docker schema 2 (or OCI) manifest for them.
 *
 * Writing: docker-archive-writer.ts.
 */
import { Readable } from 'node:stream';
import { settleBounded } from '../../core/bounded-map.js';
import { parseImageReference } from '../../core/image-reference.js';
import { DOCKER_MEDIA_TYPES, OCI_MEDIA_TYPES, parseDescriptor, type Descriptor, type Manifest } from '../../core/oci/index.js';
import { ArchiveLayer, noop, type PushableBlob } from './archive-layer.js';
import { detectCompression } from './compression.js';
import { archiveError, buildImageManifest, MANIFEST_JSON, parseImageConfig, type ArchiveImageConfig } from './docker-archive-format.js';
import { TarArchiveFiles } from './layout-files.js';
import { OciLayoutReader } from './oci-layout-reader.js';

const MAX_JSON_BYTES = 64 * 1024 * 1024;

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
      return { position, repoTags: tags, config, layers: layers as string[], layerSources };
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
    const prepared = new Array<PushableBlob | undefined>(layers.length);
    const disposeAll = async () => {
      for (const p of prepared) await p?.dispose();
    };
    try {
      // once a layer fails no further one starts, and every one started settles before anything
      // is disposed: none is left writing a temp file
      const settled = await settleBounded(layers, opts.concurrency ?? 4, (layer) =>
        opts.compress
          ? layer.compressed({
              format,
              ...(opts.level !== undefined ? { level: opts.level } : {}),
              ...(opts.tmpDir !== undefined ? { tmpDir: opts.tmpDir } : {}),
            })
          : layer.asIs(format),
      );
      settled.forEach((s, i) => {
        if (s.status === 'fulfilled') prepared[i] = s.value;
      });
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
