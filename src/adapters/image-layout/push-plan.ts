/**
 * What `dct push SOURCE` pushes: an OCI image layout folder (`DIR` or `DIR:TAG`,
 * the image named by the tag, or the only one) or a `docker save` tarball
 * (`FILE` or `FILE:TAG`), as a `PushPlan` whose blobs are read as byte ranges
 * from their files, never held in memory.
 */
import { stat } from 'node:fs/promises';
import { PassThrough, type Readable } from 'node:stream';
import { DctError } from '../../core/errors.js';
import type { Descriptor } from '../../core/oci/descriptor.js';
import { DockerArchive } from './docker-archive.js';
import { type PushableBlob } from './archive-layer.js';
import { DirectoryFiles, type LayoutFiles } from './layout-files.js';
import { blobPathOf } from './oci-layout-format.js';
import { OciLayoutReader } from './oci-layout-reader.js';

/** What a push reads a blob from: any byte range of it, as a stream (a retry or a resumed upload re-opens it). */
export interface BlobRange {
  open(start: number, end: number): Readable;
}

/** One thing to push, children before parents. */
export interface PushItem {
  descriptor: Descriptor;
  kind: 'index' | 'manifest' | 'config' | 'layer' | 'blob';
  /** manifests: their exact bytes */
  bytes?: Buffer;
  /** blobs: where to read them */
  source?: BlobRange | Uint8Array;
  /** a foreign layer: referenced by URL, never uploaded */
  foreign?: boolean;
}

export interface PushPlan {
  /** the manifest or index pushed under the tag */
  root: Descriptor & { bytes: Buffer };
  items: PushItem[];
}

export interface OpenedSource {
  plan: PushPlan;
  /** what the source was: for messages */
  kind: 'oci-layout' | 'docker-archive';
  /** deletes temp files (compressed layers of an archive) */
  dispose(): Promise<void>;
}

/** Opens `SOURCE[:TAG]`: a folder is an OCI layout, a file a docker archive. */
export async function openPushSource(source: string, opts: { compress?: boolean; tmpDir?: string } = {}): Promise<OpenedSource> {
  const { path, ref } = await splitSource(source);
  const info = await stat(path);
  if (info.isDirectory()) {
    const files = new DirectoryFiles(path);
    const reader = await OciLayoutReader.openFiles(files);
    return { plan: await planFromLayout(reader, files, ref), kind: 'oci-layout', dispose: async () => undefined };
  }
  const archive = await DockerArchive.open(path);
  const entry = archive.image(ref);
  const prepared = await archive.prepare(entry, { compress: opts.compress ?? true, ...(opts.tmpDir ? { tmpDir: opts.tmpDir } : {}) });
  const blob = (b: PushableBlob, kind: PushItem['kind']): PushItem => ({
    descriptor: b.descriptor,
    kind,
    ...(b.foreign ? { foreign: true } : { source: rangeOf(() => b.open(), false) }),
  });
  const m = prepared.manifest;
  const root = { mediaType: m.mediaType, digest: m.digest, size: m.size, bytes: m.bytes };
  return {
    plan: {
      root,
      items: [
        blob(prepared.config, 'config'),
        ...prepared.layers.map((l) => blob(l, 'layer')),
        { descriptor: root, kind: 'manifest', bytes: m.bytes },
      ],
    },
    kind: 'docker-archive',
    dispose: () => prepared.dispose(),
  };
}

/** The image of a layout (by tag or digest, or the only one) with every blob it needs, children first. */
export async function planFromLayout(reader: OciLayoutReader, files: LayoutFiles, ref?: string): Promise<PushPlan> {
  const root = await reader.resolve(ref);
  const items: PushItem[] = [];
  let rootBytes: Buffer | undefined;
  for (const c of await reader.contents(root)) {
    if (c.manifest) {
      items.push({ descriptor: c.descriptor, kind: c.kind, bytes: c.manifest.bytes });
      if (c.descriptor.digest === root.digest) rootBytes = c.manifest.bytes;
    } else if (c.foreign) {
      items.push({ descriptor: c.descriptor, kind: c.kind, foreign: true });
    } else {
      const path = blobPathOf(c.descriptor.digest);
      items.push({ descriptor: c.descriptor, kind: c.kind, source: rangeOf((start) => files.openRead(path, start), true) });
    }
  }
  if (!rootBytes) throw new DctError('INVALID_LAYOUT', `the layout's image ${root.digest} is not a manifest or an index`);
  return { root: { mediaType: root.mediaType, digest: root.digest, size: root.size, bytes: rootBytes }, items };
}

/**
 * A byte-range view over a stream opener: `open(start)` where the source can seek
 * (`seeks`), else the stream from 0 with the first `start` bytes dropped.
 */
function rangeOf(open: (start: number) => Promise<Readable>, seeks: boolean): BlobRange {
  return {
    open(start: number, end: number): Readable {
      const out = new PassThrough();
      void (async () => {
        const input = await open(start);
        let skip = seeks ? 0 : start;
        let left = end - start;
        let done = false;
        // leaving the loop once the range is read destroys the input with an AbortError (it has
        // not ended yet): that is no failure, and must not reach `out`, whose reader is done
        input.on('error', (err) => {
          if (!done) out.destroy(err);
        });
        for await (const chunk of input as AsyncIterable<Buffer>) {
          let piece = chunk;
          if (skip > 0) {
            const drop = Math.min(skip, piece.length);
            piece = piece.subarray(drop);
            skip -= drop;
          }
          if (piece.length > left) piece = piece.subarray(0, left);
          left -= piece.length;
          if (piece.length > 0 && !out.write(piece)) await new Promise((resolve) => out.once('drain', resolve));
          if (left <= 0) {
            done = true;
            break;
          }
        }
        done = true;
        input.destroy();
        out.end();
      })().catch((err: unknown) => out.destroy(err as Error));
      return out;
    },
  };
}

/** `PATH[:REF]`: the longest existing path wins (a path may itself contain colons). */
async function splitSource(source: string): Promise<{ path: string; ref?: string }> {
  if (await exists(source)) return { path: source };
  const i = source.lastIndexOf(':');
  if (i > 0 && (await exists(source.slice(0, i)))) return { path: source.slice(0, i), ref: source.slice(i + 1) };
  throw new DctError('SOURCE_NOT_FOUND', `${source}: no such OCI layout folder or docker archive (give DIR[:TAG] or FILE[:TAG])`);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
