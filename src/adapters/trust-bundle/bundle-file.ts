/**
 * A trust bundle on disk: a tar file (the image-layout tar writer and reader) holding
 * `dct-trust-bundle.json` first, then every metadata file. Written to a temporary file
 * beside the destination, synced, then renamed over it: a failed export leaves nothing
 * at the destination, and an existing bundle there is replaced only by a whole new one.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DctError, isDctError } from '../../core/errors.js';
import { BUNDLE_MANIFEST_NAME } from '../../core/trust-bundle/manifest.js';
import type { BundleContents, BundleFile, BundleWriter } from '../../core/trust-bundle/ports.js';
import { indexTarFile } from '../image-layout/tar-reader.js';
import { TarFileWriter } from '../image-layout/tar-writer.js';

/** Bundles larger than this are refused when read (a 10,000-tag repository is a few MiB). */
const MAX_BUNDLE_BYTES = 2 * 1024 * 1024 * 1024;

export class TarBundleWriter implements BundleWriter {
  constructor(
    readonly path: string,
    private readonly mtime: Date = new Date(),
  ) {}

  async write(manifest: Buffer, files: readonly BundleFile[]): Promise<void> {
    const tmp = join(dirname(this.path), `.${basename(this.path)}.${randomBytes(6).toString('hex')}.tmp`);
    const options = { mode: 0o644, mtime: Math.floor(this.mtime.getTime() / 1000) };
    let writer: TarFileWriter | undefined;
    try {
      writer = await TarFileWriter.create(tmp);
      await writer.addBuffer(BUNDLE_MANIFEST_NAME, manifest, options);
      for (const f of files) await writer.addBuffer(f.path, f.bytes, options);
      await writer.finish();
      await rename(tmp, this.path);
    } catch (err) {
      await writer?.close().catch(() => undefined);
      await rm(tmp, { force: true });
      throw err;
    }
  }
}

function invalid(path: string, why: string, cause?: unknown): DctError {
  return new DctError('BUNDLE_INVALID', `${path} is not a trust bundle: ${why}`, cause === undefined ? undefined : { cause });
}

/** Reads a bundle: its manifest and every regular file by path (a name twice, or no manifest, is BUNDLE_INVALID). */
export async function readBundleFile(path: string): Promise<BundleContents> {
  let members;
  try {
    members = await indexTarFile(path);
  } catch (err) {
    if (isDctError(err, 'INVALID_TAR')) throw invalid(path, (err as Error).message, err);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DctError('IO_ERROR', `cannot read ${path}: no such file`, { cause: err });
    throw new DctError('IO_ERROR', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  const fh = await open(path, 'r');
  try {
    const files = new Map<string, Buffer>();
    let total = 0;
    for (const m of members) {
      if (m.type === 'directory') continue;
      if (m.type !== 'file') throw invalid(path, `${m.name} is not a regular file`);
      if (files.has(m.name)) throw invalid(path, `${m.name} is in it twice`);
      total += m.size;
      if (total > MAX_BUNDLE_BYTES) throw invalid(path, `its files add up to more than ${MAX_BUNDLE_BYTES} bytes`);
      const body = Buffer.alloc(m.size);
      let done = 0;
      while (done < m.size) {
        const { bytesRead } = await fh.read(body, done, m.size - done, m.offset + done);
        if (bytesRead === 0) throw invalid(path, `${m.name} is cut short`);
        done += bytesRead;
      }
      files.set(m.name, body);
    }
    const manifest = files.get(BUNDLE_MANIFEST_NAME);
    if (!manifest) throw invalid(path, `it has no ${BUNDLE_MANIFEST_NAME}`);
    files.delete(BUNDLE_MANIFEST_NAME);
    return { manifest, files };
  } finally {
    await fh.close();
  }
}
