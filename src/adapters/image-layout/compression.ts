/**
 * Layer compression: detection by magic bytes (media types are not always truthful),
 * streaming decompression of gzip and zstd (zstd with Node ≥ 22.15's zlib), and one-pass gzip to a temp file that yields the
 * compressed blob's digest and size together with the uncompressed digest (the diff ID).
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, type Transform } from 'node:stream';
import * as zlib from 'node:zlib';
import { constants as zlibConstants, createGzip, createGunzip } from 'node:zlib';
import { DctError } from '../../core/errors.js';
import { Digester, verifyDigester } from '../../core/oci/index.js';
import { BatchedWriter } from './files.js';

export type Compression = 'gzip' | 'zstd' | 'none';

/** What the first bytes of a blob say it is. */
export function detectCompression(head: Uint8Array): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return 'none';
}

function toBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** Node's zstd decompressor (zlib, from Node 22.15); not in @types/node 20. */
const createZstdDecompress = (zlib as { createZstdDecompress?: (opts?: { chunkSize?: number }) => Transform }).createZstdDecompress;

/** Whether this Node can decompress zstd layers. */
export const ZSTD_SUPPORTED = typeof createZstdDecompress === 'function';

/** The refusal of a zstd layer on a Node without zstd. */
export function zstdUnsupported(): DctError {
  return new DctError(
    'UNSUPPORTED_COMPRESSION',
    `zstd layers need Node ≥ 22.15; run dct on Node 24 (this is Node ${process.versions.node})`,
  );
}

function decompressor(kind: 'gzip' | 'zstd'): Transform {
  const opts = { chunkSize: 256 * 1024 };
  if (kind === 'gzip') return createGunzip(opts);
  if (createZstdDecompress === undefined) throw zstdUnsupported();
  return createZstdDecompress(opts);
}

/**
 * The uncompressed bytes of a layer blob, whatever it is stored as (gzip, possibly
 * multi-member, zstd, possibly several frames, or plain tar); zstd fails with
 * UNSUPPORTED_COMPRESSION on a Node before 22.15. Errors of the source come out of the
 * iteration.
 */
export async function* decompress(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<Buffer> {
  const it = (async function* () {
    yield* source;
  })();
  let head: Buffer = Buffer.alloc(0);
  let ended = false;
  try {
    while (head.length < 4) {
      const r = await it.next();
      if (r.done) {
        ended = true;
        break;
      }
      head = head.length === 0 ? toBuffer(r.value) : Buffer.concat([head, toBuffer(r.value)]);
    }
    const rest = async function* (): AsyncGenerator<Buffer> {
      if (head.length > 0) yield head;
      if (ended) return;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield toBuffer(r.value);
      }
    };
    const kind = detectCompression(head);
    if (kind === 'none') {
      yield* rest();
      return;
    }
    const inflate = decompressor(kind);
    const input = Readable.from(rest(), { objectMode: false });
    input.on('error', (err) => inflate.destroy(err));
    input.pipe(inflate);
    try {
      for await (const chunk of inflate) yield chunk as Buffer;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code?.startsWith('Z_') || code?.startsWith('ZSTD_')) {
        throw new DctError('INVALID_LAYER', `a ${kind} layer does not decompress: ${(err as Error).message}`, { cause: err });
      }
      throw err;
    } finally {
      input.destroy();
      inflate.destroy();
    }
  } finally {
    // not awaited: a source stuck waiting for data must not hold up the consumer's exit
    it.return().catch(() => undefined);
  }
}

/** Passes chunks through while feeding a digester. */
export async function* tap(source: AsyncIterable<Uint8Array>, digester: Digester): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    const b = toBuffer(chunk);
    digester.update(b);
    yield b;
  }
}

export interface GzipResult {
  /** the temp file holding the compressed blob */
  path: string;
  /** sha256 of the compressed bytes */
  digest: string;
  size: number;
  /** sha256 of the uncompressed bytes */
  diffId: string;
  uncompressedSize: number;
}

export interface GzipOptions {
  /** folder for the temp file (default: the OS temp folder) */
  tmpDir?: string;
  /** zlib level 0–9; default zlib's default (6) */
  level?: number;
  /** when given, the uncompressed bytes must hash to it (DIGEST_MISMATCH, temp file removed) */
  expectedDiffId?: string;
}

/**
 * gzip-compresses `plain` into a temp file in one pass, hashing the input (diff ID) and
 * the output (blob digest) on the way. The caller deletes the file when done with it.
 */
export async function gzipToTempFile(plain: AsyncIterable<Uint8Array>, opts: GzipOptions = {}): Promise<GzipResult> {
  const dir = opts.tmpDir ?? tmpdir();
  await mkdir(dir, { recursive: true });
  const path = join(dir, `.dct-layer-${process.pid}-${randomBytes(6).toString('hex')}.tar.gz`);
  const fh = await open(path, 'wx', 0o600);
  const diff = Digester.create('sha256');
  const blob = Digester.create('sha256');
  const gzip = createGzip({ level: opts.level ?? zlibConstants.Z_DEFAULT_COMPRESSION, chunkSize: 256 * 1024 });
  const input = Readable.from(tap(plain, diff), { objectMode: false });
  input.on('error', (err) => gzip.destroy(err));
  input.pipe(gzip);
  try {
    const writer = new BatchedWriter(fh, 0);
    for await (const chunk of gzip) {
      blob.update(chunk as Buffer);
      await writer.write(chunk as Buffer);
    }
    await writer.flush();
    if (opts.expectedDiffId !== undefined) verifyDigester(diff, { digest: opts.expectedDiffId }, 'the uncompressed layer');
    await fh.close();
  } catch (err) {
    input.destroy();
    gzip.destroy();
    await fh.close().catch(() => undefined);
    await rm(path, { force: true });
    throw err;
  }
  return { path, digest: blob.digest(), size: blob.size, diffId: diff.digest(), uncompressedSize: diff.size };
}

/** A file as a stream (for temp files made here). */
export function openFile(path: string): Readable {
  return createReadStream(path, { highWaterMark: 1024 * 1024 });
}
