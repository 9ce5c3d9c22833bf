/**
 * Downloading a blob, verified. `downloadBlob` streams it into a sink, checking size and
 * digest as it goes (memory stays flat whatever the blob size) and resuming a broken
 * connection with a Range request. `downloadBlobToFile` makes that safe for files: bytes
 * go to `<file>.partial` and the file appears (by rename, after fsync) only once size and
 * digest have been verified, so an interrupted pull never leaves a file that looks
 * complete. A `.partial` left by an earlier run is resumed with a Range request (its bytes
 * are hashed first); if the finished file then fails the digest check, the download is
 * made again from the start, once.
 */
import { constants } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { DctError } from '../../core/errors.js';
import { Digester, parseDigest, type DigestAlgorithm } from '../../core/oci/digest.js';
import type { Descriptor } from '../../core/oci/descriptor.js';
import { repositoryScope } from '../http/registry-auth.js';
import { digesterOfFile } from './blob-source.js';
import { RegistryClientError } from './registry-client-error.js';
import type { CallOptions, RegistryConnection } from './registry-connection.js';
import { contentLength, parseContentRange, servedDigest } from './registry-headers.js';
import { ThreadDigester, type BlobDigester } from './thread-digester.js';
import { isTransient } from '../http/transport/retry.js';
import { header, streamError, type TransportResponse } from '../http/transport/send.js';

export interface GetBlobOptions extends CallOptions {
  /** resume: bytes already in the sink (the digester must have hashed exactly them) */
  offset?: number;
  /** a core `Digester`, or a `ThreadDigester` (the default for blobs of `hashThreadMinBytes` or more) */
  digester?: BlobDigester;
  /** end the sink and wait for it to finish after a verified download (default true) */
  end?: boolean;
  /** called with the bytes received so far (including `offset`) */
  onProgress?: (received: number, total: number) => void;
}

export interface GetBlobResult {
  digest: string;
  size: number;
  /** bytes fetched from the registry (less than size when resumed) */
  fetched: number;
  /** Range requests made after a broken connection */
  resumes: number;
}

/** What `downloadBlobToFile` needs of a registry client. */
export interface BlobGetter {
  getBlob(repo: string, descriptor: Pick<Descriptor, 'digest' | 'size'>, sink: Writable, opts?: GetBlobOptions): Promise<GetBlobResult>;
}

/**
 * Streams a blob into `sink` (see `RegistryClient.getBlob`); `hashThreadMinBytes`: blobs
 * of this size or more are hashed on the hashing thread, beside the download.
 */
export async function downloadBlob(
  conn: RegistryConnection,
  repo: string,
  descriptor: { digest: string; size: number },
  sink: Writable,
  opts: GetBlobOptions,
  hashThreadMinBytes: number,
): Promise<GetBlobResult> {
  const { digest, size } = descriptor;
  const offset = opts.offset ?? 0;
  if (!Number.isSafeInteger(offset) || offset < 0) throw new DctError('INVALID_ARGUMENT', `invalid resume offset ${offset}`);
  if (offset > 0 && !opts.digester)
    throw new DctError('INVALID_ARGUMENT', 'resuming a download needs the digest state of the bytes already written (digester)');
  // a large blob is hashed on the hashing thread, beside the download instead of between its reads
  const digester: BlobDigester =
    opts.digester ?? (size >= hashThreadMinBytes ? new ThreadDigester(parseDigest(digest).algorithm) : Digester.for(digest));
  try {
    return await fetchBlob(conn, repo, digest, size, offset, digester, sink, opts);
  } catch (err) {
    if (digester instanceof ThreadDigester) digester.drop();
    throw err;
  }
}

async function fetchBlob(
  conn: RegistryConnection,
  repo: string,
  digest: string,
  size: number,
  offset: number,
  digester: BlobDigester,
  sink: Writable,
  opts: GetBlobOptions,
): Promise<GetBlobResult> {
  if (digester.size !== offset)
    throw new DctError('INVALID_ARGUMENT', `the digester has hashed ${digester.size} bytes, not the ${offset} of the resume offset`);
  if (digester.algorithm !== parseDigest(digest).algorithm)
    throw new DctError('INVALID_ARGUMENT', `the digester computes ${digester.algorithm}, the blob is addressed by ${digest}`);
  const what = `the blob ${repo}@${digest}`;
  if (offset > size) throw new RegistryClientError('SIZE_MISMATCH', `${what}: ${offset} bytes are already written, more than its ${size}`);
  const base = await conn.url(`/v2/${repo}/blobs/${digest}`);
  let fetched = 0;
  let resumes = 0;
  let failures = 0;
  while (offset < size) {
    const res: TransportResponse = await conn.exchange({
      method: 'GET',
      url: base,
      scopes: [repositoryScope(repo, 'pull')],
      headers: offset > 0 ? { Range: `bytes=${offset}-` } : {},
      retry: 'idempotent',
      redirects: true,
      signal: opts.signal,
    });
    let skip = 0;
    if (res.status === 200) {
      skip = offset;
      const declared = contentLength(res);
      if (declared !== undefined && declared !== size) {
        res.body.destroy();
        throw new RegistryClientError(
          'SIZE_MISMATCH',
          `${res.url.origin} serves ${what} with ${declared} bytes, not the ${size} of its descriptor`,
          200,
        );
      }
    } else if (res.status === 206) {
      const range = parseContentRange(header(res, 'content-range'));
      if (!range || range.start !== offset || (range.total !== undefined && range.total !== size) || range.end >= size) {
        res.body.destroy();
        if (range?.total !== undefined && range.total !== size)
          throw new RegistryClientError(
            'SIZE_MISMATCH',
            `${res.url.origin} serves ${what} with ${range.total} bytes, not the ${size} of its descriptor`,
            206,
          );
        throw new RegistryClientError(
          'REGISTRY_BAD_RESPONSE',
          `${res.url.origin} answered a request for bytes ${offset}- of ${what} with the range ${JSON.stringify(header(res, 'content-range') ?? '')}`,
          206,
        );
      }
    } else {
      throw await conn.failure(res, what, 'blob');
    }
    const served = res.url.origin === (await conn.baseUrl()) ? servedDigest(res) : undefined;
    if (served !== undefined && served !== digest) {
      res.body.destroy();
      throw new RegistryClientError('DIGEST_MISMATCH', `${res.url.origin} serves ${served} when asked for ${what}`);
    }
    try {
      for await (const raw of res.body as AsyncIterable<Buffer>) {
        let chunk = raw;
        if (skip > 0) {
          if (chunk.length <= skip) {
            skip -= chunk.length;
            continue;
          }
          chunk = chunk.subarray(skip);
          skip = 0;
        }
        if (offset + chunk.length > size) {
          res.body.destroy();
          throw new RegistryClientError('SIZE_MISMATCH', `${res.url.origin} sent more than the ${size} bytes of ${what}: refusing it`);
        }
        const hashing = digester.update(chunk);
        offset += chunk.length;
        fetched += chunk.length;
        await write(sink, chunk, what, opts.signal);
        if (hashing instanceof Promise) await hashing;
        opts.onProgress?.(offset, size);
      }
    } catch (err) {
      if (err instanceof SinkError) throw err.cause;
      const e = err instanceof RegistryClientError ? err : streamError(res, err);
      if (!isTransient(e) || failures >= conn.retries) throw e;
      failures++;
      resumes++;
      await conn.sleep(conn.backoff(failures - 1), opts.signal);
      continue;
    }
    if (offset < size) {
      throw new RegistryClientError(
        'SIZE_MISMATCH',
        `${res.url.origin} sent ${offset} bytes of ${what}, fewer than its ${size}: the blob is truncated`,
      );
    }
  }
  const got = await digester.digest();
  if (got !== digest)
    throw new RegistryClientError('DIGEST_MISMATCH', `${what} downloaded from ${conn.host} hashes to ${got}: refusing it`);
  if (opts.end !== false) {
    sink.end();
    await finished(sink);
  }
  return { digest, size, fetched, resumes };
}

/** A failure of the caller's sink (never retried). */
class SinkError extends Error {
  declare readonly cause: DctError;
  constructor(cause: DctError) {
    super(cause.message, { cause });
  }
}

function sinkError(err: unknown, what: string): SinkError {
  const e =
    err instanceof DctError
      ? err
      : new DctError('WRITE_FAILED', `cannot write ${what}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  return new SinkError(e);
}

/** Writes with back-pressure; a sink that fails or closes ends the wait. */
async function write(sink: Writable, chunk: Buffer, what: string, signal: AbortSignal | undefined): Promise<void> {
  if (sink.errored || sink.destroyed || sink.writableEnded) throw sinkError(sink.errored ?? new Error('the destination was closed'), what);
  if (sink.write(chunk)) return;
  if (sink.errored || sink.destroyed) throw sinkError(sink.errored ?? new Error('the destination was closed'), what);
  await new Promise<void>((resolve, reject) => {
    const done = (err?: Error) => {
      sink.off('drain', onDrain);
      sink.off('error', onError);
      sink.off('close', onClose);
      signal?.removeEventListener('abort', onAbort);
      if (err === undefined) resolve();
      else reject(err);
    };
    const onDrain = () => done();
    const onError = (err: Error) => done(sinkError(err, what));
    const onClose = () => done(sinkError(sink.errored ?? new Error('the destination was closed'), what));
    const onAbort = () => done(new DctError('ABORTED', `downloading ${what}: aborted`));
    sink.on('drain', onDrain);
    sink.on('error', onError);
    sink.on('close', onClose);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

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
  client: BlobGetter,
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
