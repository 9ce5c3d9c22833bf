/**
 * File and stream helpers shared by the image layout adapters: a pass-through stream that
 * checks size and digest as the bytes go by, atomic small-file writes (temp + fsync +
 * rename + directory fsync), and chunk-batching writes to a file handle.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { Digester, ociError, verifyDigester } from '../../core/oci/index.js';

/**
 * A Transform that passes bytes through unchanged while hashing and counting them: it
 * fails with SIZE_MISMATCH as soon as more bytes than `size` arrive, and at the end with
 * SIZE_MISMATCH / DIGEST_MISMATCH instead of ending — a consumer that commits only on
 * 'end' (or a finished pipeline) never commits unverified content.
 */
export class VerifyingStream extends Transform {
  private readonly digester: Digester;

  constructor(
    readonly expected: { digest: string; size?: number },
    readonly what = 'content',
  ) {
    super();
    this.digester = Digester.for(expected.digest);
  }

  /** bytes seen so far */
  get bytes(): number {
    return this.digester.size;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.digester.update(chunk);
    if (this.expected.size !== undefined && this.digester.size > this.expected.size) {
      cb(ociError('SIZE_MISMATCH', `${this.what} has more than the ${this.expected.size} bytes of ${this.expected.digest}`));
      return;
    }
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    try {
      verifyDigester(this.digester, this.expected, this.what);
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }
}

/**
 * `source` as a stream whose bytes are checked as they are read: SIZE_MISMATCH as soon as
 * there are too many, SIZE_MISMATCH / DIGEST_MISMATCH instead of the end. It pulls from
 * the source only when read, so no error is raised before someone listens; destroying it
 * destroys the source.
 */
export function verified(source: AsyncIterable<Uint8Array>, expected: { digest: string; size?: number }, what = 'content'): Readable {
  return Readable.from(verifiedChunks(source, expected, what), { objectMode: false, highWaterMark: 1024 * 1024 });
}

/** The same check as an async generator. */
export async function* verifiedChunks(
  source: AsyncIterable<Uint8Array>,
  expected: { digest: string; size?: number },
  what = 'content',
): AsyncGenerator<Buffer> {
  const digester = Digester.for(expected.digest);
  for await (const chunk of source) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    digester.update(b);
    if (expected.size !== undefined && digester.size > expected.size) {
      throw ociError('SIZE_MISMATCH', `${what} has more than the ${expected.size} bytes of ${expected.digest}`);
    }
    yield b;
  }
  verifyDigester(digester, expected, what);
}

/** fsyncs a directory (so a rename in it is durable); ignored where directories cannot be opened. */
export async function syncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // not supported on this platform / filesystem
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/** A temp name beside `path` (same folder, hence same filesystem for the rename). */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Writes `data` to `path` atomically: temp file, fsync, rename, fsync of the folder. */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = tempPathFor(path);
  const fh = await open(tmp, 'wx', 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await syncDir(dirname(path));
}

/** Writes chunks to a file handle from `position` on, batched into writes of about 1 MiB. */
export class BatchedWriter {
  private batch: Buffer[] = [];
  private batched = 0;

  constructor(
    private readonly fh: FileHandle,
    private position: number,
    private readonly batchBytes = 1024 * 1024,
  ) {}

  async write(chunk: Uint8Array): Promise<void> {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.batch.push(b);
    this.batched += b.length;
    if (this.batched >= this.batchBytes) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.batched === 0) return;
    const batch = this.batch;
    const total = this.batched;
    this.batch = [];
    this.batched = 0;
    // one writev of the chunks as they are: no copy into a batch buffer
    let done = batch.length === 1 ? 0 : (await this.fh.writev(batch, this.position)).bytesWritten;
    if (done < total) {
      // a single chunk, or what a short write left
      const all = batch.length === 1 ? (batch[0] as Buffer) : Buffer.concat(batch, total);
      while (done < total) done += (await this.fh.write(all, done, total - done, this.position + done)).bytesWritten;
    }
    this.position += total;
  }
}
