/**
 * What `RegistryClient.uploadBlob` reads from: bytes in memory, or any source that can
 * open a byte range as a stream (a file, a member of a tarball), so that an upload can be
 * replayed or resumed without holding the blob in memory. Also the digest state of a
 * partly downloaded file, for resuming a download.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { Digester, type DigestAlgorithm } from '../../core/oci/digest.js';

export interface RangeSource {
  /** a stream of bytes [start, end) of the blob */
  open(start: number, end: number): Readable;
}

export type BlobSource = Uint8Array | RangeSource;

export function openRange(source: BlobSource, start: number, end: number): Readable {
  if (source instanceof Uint8Array) {
    const from = Math.min(start, source.length);
    // a source shorter than asked yields what it has (the upload then reports the size mismatch)
    const part = Buffer.from(source.buffer, source.byteOffset + from, Math.max(0, Math.min(end, source.length) - from));
    // 1 MiB pieces keep the stream responsive to back-pressure
    return Readable.from(
      (function* () {
        for (let i = 0; i < part.length; i += 1024 * 1024) yield part.subarray(i, Math.min(part.length, i + 1024 * 1024));
      })(),
      { objectMode: false },
    );
  }
  return source.open(start, end);
}

/** A file (or the part of one starting at `offset`, e.g. a layer inside a tarball) as a blob source. */
export function fileBlobSource(path: string, offset = 0): RangeSource {
  return {
    open(start: number, end: number): Readable {
      if (end <= start) return Readable.from([], { objectMode: false });
      return createReadStream(path, { start: offset + start, end: offset + end - 1, highWaterMark: 256 * 1024 });
    },
  };
}

/**
 * The digest state of the first `length` bytes of a file (default: all of it), to resume a
 * download into it: pass `{ offset: digester.size, digester }` to `getBlob`.
 */
export async function digesterOfFile(path: string, algorithm: DigestAlgorithm = 'sha256', length?: number): Promise<Digester> {
  const d = Digester.create(algorithm);
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(1024 * 1024);
    let position = 0;
    for (;;) {
      const want = length === undefined ? buf.length : Math.min(buf.length, length - position);
      if (want <= 0) break;
      const { bytesRead } = await fh.read(buf, 0, want, position);
      if (bytesRead === 0) break;
      d.update(buf.subarray(0, bytesRead));
      position += bytesRead;
    }
  } finally {
    await fh.close();
  }
  return d;
}
