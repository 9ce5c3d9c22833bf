/**
 * Writing `docker save` tarballs (`writeDockerArchive`): what `docker load` takes. Layers
 * are stored uncompressed (gzip layers are decompressed as they are written, their blob
 * digest and diff ID both checked), in the classic layout or docker 25's OCI one; into a
 * temp file renamed over the target at the end, so an interrupted write leaves nothing that
 * looks like an archive.
 */
import { rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { parseImageReference } from '../../core/image-reference.js';
import {
  Digester,
  OCI_MEDIA_TYPES,
  descriptorToJSON,
  normalizePlatform,
  platformOfNode,
  requirePlatform,
  verifyDigester,
  type Descriptor,
  type Platform,
} from '../../core/oci/index.js';
import { decompress, tap } from './compression.js';
import { archiveError, buildImageManifest, MANIFEST_JSON, parseImageConfig } from './docker-archive-format.js';
import { syncDir, tempPathFor, verified } from './files.js';
import { CONTAINERD_NAME_ANNOTATION, REF_NAME_ANNOTATION } from './oci-layout-format.js';
import type { OciLayoutReader } from './oci-layout-reader.js';
import { TarFileWriter } from './tar-writer.js';

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
