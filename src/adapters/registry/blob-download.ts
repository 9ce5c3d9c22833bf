/**
 * A blob into a file, safely: bytes go to `<file>.partial` and the file appears (by
 * rename, after fsync) only once size and digest have been verified, so an interrupted
 * pull never leaves a file that looks complete. A `.partial` left by an earlier run is
 * resumed with a Range request (its bytes are hashed first); if the finished file then
 * fails the digest check, the download is made again from the start, once.
 */
import { constants } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { DctError } from '../../core/errors.js';
import { Digester, parseDigest, type DigestAlgorithm } from '../../core/oci/digest.js';
import type { Descriptor } from '../../core/oci/descriptor.js';
import { digesterOfFile } from './blob-source.js';
import type { GetBlobResult, RegistryClient } from './registry-client.js';

export interface DownloadToFileOptions {
  signal?: AbortSignal;
  onProgress?: (received: number, total: number) => void;
  /** default `<file>.partial` */
  partialFile?: string;
  /** file mode of the result (default 0o644) */
  mode?: number;
}

export interface DownloadToFileResult extends GetBlobResult {
  /** the file already held the blob: nothing was fetched */
  existed: boolean;
}

export async function downloadBlobToFile(
  client: RegistryClient,
  repo: string,
  descriptor: Pick<Descriptor, 'digest' | 'size'>,
  file: string,
  opts: DownloadToFileOptions = {},
): Promise<DownloadToFileResult> {
  const { algorithm } = parseDigest(descriptor.digest);
  const partial = opts.partialFile ?? `${file}.partial`;
  const existing = await sizeOf(file);
  if (existing === descriptor.size) {
    const d = await digesterOfFile(file, algorithm);
    if (d.digest() === descriptor.digest)
      return { digest: descriptor.digest, size: descriptor.size, fetched: 0, resumes: 0, existed: true };
  }
  for (let attempt = 0; ; attempt++) {
    let offset = (await sizeOf(partial)) ?? 0;
    if (offset > descriptor.size) {
      await rm(partial, { force: true });
      offset = 0;
    }
    const digester = await digesterFor(partial, offset, algorithm);
    const fh = await open(
      partial,
      offset > 0 ? constants.O_WRONLY | constants.O_APPEND : constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC,
      opts.mode ?? 0o644,
    );
    const sink = fh.createWriteStream({ autoClose: false, highWaterMark: 1024 * 1024 });
    // destroying the stream releases and closes the file handle
    sink.on('error', () => {
      // reported by getBlob, or irrelevant once the download failed
    });
    const release = async (flush: boolean) => {
      // what was received stays in the .partial file for the next attempt
      if (flush && !sink.writableEnded && !sink.destroyed) await new Promise<void>((resolve) => sink.end(() => resolve()));
      if (!sink.closed) {
        const closed = new Promise<void>((resolve) => sink.once('close', () => resolve()));
        sink.destroy();
        await closed;
      }
      await fh.close().catch(() => undefined);
    };
    let result: GetBlobResult;
    try {
      result = await client.getBlob(repo, descriptor, sink, {
        offset,
        digester,
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      });
      await fh.sync();
    } catch (err) {
      await release(true);
      // resumed bytes that do not add up: start over once
      if (offset > 0 && attempt === 0 && err instanceof DctError && err.code === 'DIGEST_MISMATCH') {
        await rm(partial, { force: true });
        continue;
      }
      if (err instanceof DctError && (err.code === 'DIGEST_MISMATCH' || err.code === 'SIZE_MISMATCH')) await rm(partial, { force: true });
      throw err;
    }
    await release(false);
    await rename(partial, file);
    return { ...result, existed: false };
  }
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    const s = await stat(path);
    return s.isFile() ? s.size : undefined;
  } catch {
    return undefined;
  }
}

async function digesterFor(partial: string, offset: number, algorithm: DigestAlgorithm): Promise<Digester> {
  return offset === 0 ? Digester.create(algorithm) : digesterOfFile(partial, algorithm, offset);
}
