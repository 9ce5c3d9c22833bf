/**
 * Deterministic test images, written as OCI image layouts: layers are tar archives of
 * files whose content is AES-256-CTR keystream derived from a seed (fast, incompressible,
 * the same on every run), gzip-compressed; configs carry the diff IDs (sha256 of the
 * uncompressed tars), the platform and a fixed creation date; one manifest per platform,
 * an index over them when there are several. Everything streams — a 512 MB image costs a
 * few MB of memory — and the same options give the same digests (for a given zlib).
 *
 * `writeDockerSaveTarball` turns an image of a layout into a `docker save`-style tarball.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import {
  archiveImagesFromLayout,
  writeDockerArchive,
  type WriteArchiveOptions,
} from '../../src/adapters/image-layout/docker-archive-writer.js';
import { tap } from '../../src/adapters/image-layout/compression.js';
import { OciLayout } from '../../src/adapters/image-layout/oci-layout.js';
import { tarEnd, tarHeader, tarPadding } from '../../src/adapters/image-layout/tar-header.js';
import {
  DOCKER_MEDIA_TYPES,
  Digester,
  OCI_MEDIA_TYPES,
  descriptorToJSON,
  formatPlatform,
  parseManifest,
  platformToJSON,
  type Descriptor,
  type Manifest,
  type Platform,
} from '../../src/core/oci/index.js';

export const LINUX_AMD64: Platform = { os: 'linux', architecture: 'amd64' };
export const LINUX_ARM64: Platform = { os: 'linux', architecture: 'arm64', variant: 'v8' };

export interface TestImageOptions {
  /** everything derives from it */
  seed: string;
  /** bytes of file content in each layer, base first (default: 64 KiB and 16 KiB) */
  layers?: number[];
  /** default linux/amd64 alone */
  platforms?: Platform[];
  /** write an index even for one platform (default: only for several) */
  index?: boolean;
  /** the tag in index.json (default `latest`); null: written but not listed */
  tag?: string | null;
  /**
   * zlib level of the layer blobs (default 0: stored deflate blocks — the content is incompressible anyway,
   * level 1 would cost ~30 MB/s of CPU, and stored blocks are the same with every zlib)
   */
  gzipLevel?: number;
  /** the largest file in a layer (default 8 MiB): a layer of N bytes holds ceil(N / fileSize) files */
  maxFileSize?: number;
  /** media types: OCI (default) or docker schema 2 / manifest list */
  format?: 'oci' | 'docker';
  /** the config's `created` (default 2024-01-01T00:00:00Z) */
  created?: string;
  /** layers generated at the same time (default 2) */
  concurrency?: number;
}

export interface GeneratedLayer {
  descriptor: Descriptor;
  diffId: string;
  /** size of the uncompressed tar */
  tarSize: number;
  /** the regular files in the tar: name, size, sha256 */
  files: Array<{ name: string; size: number; digest: string }>;
}

export interface GeneratedManifest {
  platform: Platform;
  manifest: Manifest;
  descriptor: Descriptor;
  config: { descriptor: Descriptor; bytes: Buffer };
  layers: GeneratedLayer[];
}

export interface GeneratedImage {
  dir: string;
  tag: string | undefined;
  /** what index.json lists: the index, or the single manifest */
  descriptor: Descriptor;
  /** the index (several platforms, or `index: true`) */
  index?: Manifest;
  manifests: GeneratedManifest[];
  /** all layer blob bytes */
  totalLayerBytes: number;
}

const ZEROS = Buffer.alloc(1024 * 1024);

/** `size` pseudo-random bytes: AES-256-CTR keystream with a key derived from `seed`. */
export async function* pseudoRandomBytes(seed: string, size: number, chunkSize = ZEROS.length): AsyncGenerator<Buffer> {
  const key = createHash('sha256').update(`dct-test-images/${seed}`).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  let left = size;
  while (left > 0) {
    const n = Math.min(left, chunkSize);
    yield cipher.update(ZEROS.subarray(0, n));
    left -= n;
  }
}

/** The files of a generated layer: names and sizes. */
function layerFiles(layerIndex: number, contentBytes: number, maxFileSize: number): Array<{ name: string; size: number }> {
  const files: Array<{ name: string; size: number }> = [];
  let left = contentBytes;
  for (let j = 0; left > 0; j++) {
    const size = Math.min(left, maxFileSize);
    files.push({ name: `layer-${layerIndex}/file-${String(j).padStart(4, '0')}.bin`, size });
    left -= size;
  }
  return files;
}

/**
 * A layer's uncompressed tar, streamed: a directory `layer-<i>/` and files of
 * pseudo-random content (seed `<seed>/<file name>`), reproducible byte for byte.
 */
export async function* layerTar(
  seed: string,
  layerIndex: number,
  contentBytes: number,
  maxFileSize = 8 * 1024 * 1024,
): AsyncGenerator<Buffer> {
  const mtime = 1704067200; // 2024-01-01
  yield tarHeader({ name: `layer-${layerIndex}/`, size: 0, type: 'directory', mtime });
  for (const f of layerFiles(layerIndex, contentBytes, maxFileSize)) {
    yield tarHeader({ name: f.name, size: f.size, mtime });
    yield* pseudoRandomBytes(`${seed}/${f.name}`, f.size);
    const pad = tarPadding(f.size);
    if (pad.length > 0) yield pad;
  }
  yield tarEnd();
}

async function fileDigests(seed: string, layerIndex: number, contentBytes: number, maxFileSize: number): Promise<GeneratedLayer['files']> {
  const out: GeneratedLayer['files'] = [];
  for (const f of layerFiles(layerIndex, contentBytes, maxFileSize)) {
    // cheap to recompute for test-sized layers; skipped for large ones
    if (contentBytes > 64 * 1024 * 1024) {
      out.push({ ...f, digest: '' });
      continue;
    }
    const h = createHash('sha256');
    for await (const chunk of pseudoRandomBytes(`${seed}/${f.name}`, f.size)) h.update(chunk);
    out.push({ ...f, digest: `sha256:${h.digest('hex')}` });
  }
  return out;
}

async function writeLayer(
  layout: OciLayout,
  seed: string,
  i: number,
  contentBytes: number,
  opts: { level: number; maxFileSize: number; mediaType: string },
): Promise<GeneratedLayer> {
  const diff = Digester.create();
  const tarStream = Readable.from(tap(layerTar(seed, i, contentBytes, opts.maxFileSize), diff), { objectMode: false });
  const gzip = createGzip({ level: opts.level, chunkSize: 256 * 1024 });
  tarStream.on('error', (err) => gzip.destroy(err));
  tarStream.pipe(gzip);
  const { digest, size } = await layout.writeBlob(gzip);
  return {
    descriptor: { mediaType: opts.mediaType, digest, size },
    diffId: diff.digest(),
    tarSize: diff.size,
    files: await fileDigests(seed, i, contentBytes, opts.maxFileSize),
  };
}

/**
 * Writes a test image into the OCI layout at `dir` (created when needed; other images
 * there are kept) and lists it in index.json under its tag.
 */
export async function generateTestImage(dir: string, opts: TestImageOptions): Promise<GeneratedImage> {
  const layout = await OciLayout.create(dir);
  const format = opts.format ?? 'oci';
  const sizes = opts.layers ?? [64 * 1024, 16 * 1024];
  const platforms = opts.platforms ?? [LINUX_AMD64];
  if (platforms.length === 0) throw new Error('generateTestImage: no platform');
  const level = opts.gzipLevel ?? 0;
  const maxFileSize = opts.maxFileSize ?? 8 * 1024 * 1024;
  const created = opts.created ?? '2024-01-01T00:00:00Z';
  const concurrency = Math.max(1, opts.concurrency ?? 2);
  const types =
    format === 'oci'
      ? {
          manifest: OCI_MEDIA_TYPES.manifest,
          index: OCI_MEDIA_TYPES.index,
          config: OCI_MEDIA_TYPES.config,
          layer: OCI_MEDIA_TYPES.layerGzip,
        }
      : {
          manifest: DOCKER_MEDIA_TYPES.manifest,
          index: DOCKER_MEDIA_TYPES.manifestList,
          config: DOCKER_MEDIA_TYPES.config,
          layer: DOCKER_MEDIA_TYPES.layer,
        };

  const manifests: GeneratedManifest[] = [];
  let totalLayerBytes = 0;
  for (const platform of platforms) {
    const pseed = `${opts.seed}/${formatPlatform(platform)}`;
    const layers: GeneratedLayer[] = new Array<GeneratedLayer>(sizes.length);
    let next = 0;
    const worker = async () => {
      for (;;) {
        const i = next++;
        if (i >= sizes.length) return;
        layers[i] = await writeLayer(layout, pseed, i, sizes[i] as number, { level, maxFileSize, mediaType: types.layer });
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, sizes.length) || 1 }, worker));
    totalLayerBytes += layers.reduce((a, l) => a + l.descriptor.size, 0);
    const config = {
      created,
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant !== undefined ? { variant: platform.variant } : {}),
      config: {
        Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
        Cmd: ['/bin/sh'],
        Labels: { 'dev.dct.test-seed': opts.seed },
      },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: layers.map((_, i) => ({ created, created_by: `dct test image layer ${i}` })),
    };
    const configBytes = Buffer.from(JSON.stringify(config));
    const configBlob = await layout.putBlob(configBytes);
    const configDescriptor: Descriptor = { mediaType: types.config, ...configBlob };
    const manifestBytes = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: types.manifest,
        config: descriptorToJSON(configDescriptor),
        layers: layers.map((l) => descriptorToJSON(l.descriptor)),
      }),
    );
    const manifest = await layout.putManifest(manifestBytes);
    manifests.push({
      platform,
      manifest,
      descriptor: { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.size },
      config: { descriptor: configDescriptor, bytes: configBytes },
      layers,
    });
  }

  let descriptor: Descriptor;
  let index: Manifest | undefined;
  if (platforms.length > 1 || opts.index === true) {
    const indexBytes = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: types.index,
        manifests: manifests.map((m) => ({ ...descriptorToJSON(m.descriptor), platform: platformToJSON(m.platform) })),
      }),
    );
    index = await layout.putManifest(parseManifest(indexBytes));
    descriptor = { mediaType: index.mediaType, digest: index.digest, size: index.size };
  } else {
    descriptor = (manifests[0] as GeneratedManifest).descriptor;
  }
  const tag = opts.tag === null ? undefined : (opts.tag ?? 'latest');
  if (opts.tag !== null) await layout.commit([{ descriptor, ...(tag !== undefined ? { tag } : {}) }]);
  await layout.tidy();
  return { dir, tag, descriptor, ...(index !== undefined ? { index } : {}), manifests, totalLayerBytes };
}

export interface DockerSaveOptions extends WriteArchiveOptions {
  /** the image in the layout (tag or digest; default its only image) */
  ref?: string;
  /** RepoTags of the archive (default: none) */
  repoTags?: string[];
  /** for an index: which platform (default linux/amd64) */
  platform?: Platform | string;
}

/** A `docker save`-style tarball of one image of a layout (classic layout unless `layout: 'oci'`). */
export async function writeDockerSaveTarball(layoutDir: string, file: string, opts: DockerSaveOptions = {}): Promise<void> {
  const layout = await OciLayout.open(layoutDir);
  const images = await archiveImagesFromLayout(layout, [
    { ...(opts.ref !== undefined ? { ref: opts.ref } : {}), repoTags: opts.repoTags ?? [], platform: opts.platform ?? LINUX_AMD64 },
  ]);
  await writeDockerArchive(file, images, opts.layout !== undefined ? { layout: opts.layout } : {});
}
