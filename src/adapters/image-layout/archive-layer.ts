/**
 * A layer of an image in a docker archive, and what it becomes for a push: its bytes as
 * stored, or gzip-compressed on the fly into a temp file.
 */
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { DOCKER_MEDIA_TYPES, Digester, OCI_MEDIA_TYPES, verifyDigester, type Descriptor } from '../../core/oci/index.js';
import { decompress, gzipToTempFile, openFile, tap, type Compression } from './compression.js';
import { archiveError, DOCKER_LAYER_TAR } from './docker-archive-format.js';
import { verified } from './files.js';
import type { TarArchiveFiles } from './layout-files.js';

/** A blob ready to push: its descriptor and its bytes (checked as they are read). */
export interface PushableBlob {
  descriptor: Descriptor;
  open(): Promise<Readable>;
  /** deletes a temp file behind the blob, if any */
  dispose(): Promise<void>;
  /** a foreign layer: referenced by its urls, not uploaded */
  foreign?: boolean;
}

export function noop(): Promise<void> {
  return Promise.resolve();
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
