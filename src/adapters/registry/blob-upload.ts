/**
 * Uploading a blob: `POST /v2/<repo>/blobs/uploads/`, then one `PUT …?digest=` with the
 * content (monolithic), or `PATCH` chunks with `Content-Range` and an empty final `PUT`
 * (chunked); and the cross-repository mount (`POST …?mount=<digest>&from=<repo>`). The
 * content is checked against the descriptor while it is sent (its last bytes are held
 * back until they verify). A failed attempt is resumed where the registry says the upload
 * stands (chunked) or restarted with a new session.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { DctError } from '../../core/errors.js';
import { Digester } from '../../core/oci/digest.js';
import type { Descriptor } from '../../core/oci/descriptor.js';
import { repositoryScope } from '../http/registry-auth.js';
import { openRange, type BlobSource } from './blob-source.js';
import { RegistryClientError } from './registry-client-error.js';
import type { CallOptions, RegistryConnection } from './registry-connection.js';
import { chunkMinLength, parseUploadRange, servedDigest, uploadLocation } from './registry-headers.js';
import { isTransient, retryableStatus } from '../http/transport/retry.js';
import { discard, header, type TransportResponse } from '../http/transport/send.js';

export interface UploadOptions extends CallOptions {
  /** chunked (PATCH) instead of one PUT; default: when the blob is larger than `chunkedThreshold` */
  chunked?: boolean;
  chunkSize?: number;
  onProgress?: (sent: number, total: number) => void;
}

export interface UploadResult {
  digest: string;
  location?: string;
  /** attempts that were restarted or resumed after a failure */
  retries: number;
}

export interface MountResult {
  mounted: boolean;
  /** without mount, the blob was uploaded from the source */
  uploaded: boolean;
}

export interface UploadSettings {
  /** blobs larger than this are uploaded in chunks (default 512 MiB) */
  chunkedThreshold?: number;
  /** chunk size for chunked uploads (default 64 MiB; raised to the registry's OCI-Chunk-Min-Length) */
  chunkSize?: number;
}

export class BlobUploader {
  constructor(
    private readonly conn: RegistryConnection,
    private readonly settings: UploadSettings = {},
  ) {}

  /**
   * `POST /v2/<repo>/blobs/uploads/?mount=<digest>&from=<fromRepo>`. When the registry
   * answers 202 (no mount: it does not have the blob there, or the token may not read
   * `fromRepo`), the blob is uploaded from `source` in the session it opened, or the
   * session is cancelled when there is no source.
   */
  async mount(
    repo: string,
    fromRepo: string,
    descriptor: { digest: string; size: number },
    source?: BlobSource,
    opts: UploadOptions = {},
  ): Promise<MountResult> {
    const { digest } = descriptor;
    const url = await this.conn.url(`/v2/${repo}/blobs/uploads/`);
    url.searchParams.set('mount', digest);
    url.searchParams.set('from', fromRepo);
    const res = await this.conn.exchange({
      method: 'POST',
      url,
      scopes: [repositoryScope(repo, 'pull,push'), repositoryScope(fromRepo, 'pull')],
      retry: 'idempotent',
      signal: opts.signal,
    });
    if (res.status === 201) {
      await discard(res);
      const served = servedDigest(res);
      if (served !== undefined && served !== digest)
        throw new RegistryClientError('DIGEST_MISMATCH', `${res.url.origin} mounted ${served} when asked to mount ${digest}`, 201);
      return { mounted: true, uploaded: false };
    }
    if (res.status !== 202) throw await this.conn.failure(res, `mounting ${digest} from ${fromRepo} into ${repo}`, 'blob');
    await discard(res);
    const session = uploadLocation(res, `mounting ${digest} into ${repo}`, this.conn.options.insecureRegistries);
    if (source === undefined) {
      await this.cancelUpload(repo, session);
      return { mounted: false, uploaded: false };
    }
    await this.upload(repo, descriptor, source, opts, { url: session, minChunk: chunkMinLength(res) });
    return { mounted: false, uploaded: true };
  }

  /** Uploads in a new session (or `firstSession`), restarting or resuming after failures. */
  async upload(
    repo: string,
    descriptor: Pick<Descriptor, 'digest' | 'size'>,
    source: BlobSource,
    opts: UploadOptions = {},
    firstSession?: { url: URL; minChunk: number | undefined },
  ): Promise<UploadResult> {
    const { digest, size } = descriptor;
    const what = `the blob ${digest} for ${repo}`;
    let session = firstSession;
    let retries = 0;
    for (;;) {
      try {
        session ??= await this.startUpload(repo, opts.signal);
        const chunked = opts.chunked ?? size > (this.settings.chunkedThreshold ?? 512 * 1024 * 1024);
        const done = chunked
          ? await this.uploadChunks(repo, descriptor, source, session, opts, () => retries++)
          : await this.uploadWhole(repo, descriptor, source, session.url, opts);
        const served = servedDigest(done);
        if (served !== undefined && served !== digest)
          throw new RegistryClientError('DIGEST_MISMATCH', `${done.url.origin} stored ${what} as ${served}`, done.status);
        const location = header(done, 'location');
        return { digest, ...(location !== undefined ? { location } : {}), retries };
      } catch (err) {
        if (session) await this.cancelUpload(repo, session.url).catch(() => undefined);
        session = undefined;
        // an expired or lost session is also worth a new one
        const retryable =
          isTransient(err) ||
          (err instanceof RegistryClientError &&
            ((err.status !== undefined && retryableStatus(err.status)) || err.code === 'UPLOAD_UNKNOWN'));
        if (!retryable || retries >= this.conn.retries || opts.signal?.aborted) throw err;
        retries++;
        await this.conn.sleep(this.conn.backoff(retries - 1), opts.signal);
      }
    }
  }

  private async startUpload(repo: string, signal: AbortSignal | undefined): Promise<{ url: URL; minChunk: number | undefined }> {
    const res = await this.conn.exchange({
      method: 'POST',
      url: await this.conn.url(`/v2/${repo}/blobs/uploads/`),
      scopes: [repositoryScope(repo, 'pull,push')],
      retry: 'idempotent',
      signal,
    });
    if (res.status !== 202) throw await this.conn.failure(res, `starting an upload to ${repo}`, 'blob');
    await discard(res);
    return {
      url: uploadLocation(res, `starting an upload to ${repo}`, this.conn.options.insecureRegistries),
      minChunk: chunkMinLength(res),
    };
  }

  private async uploadWhole(
    repo: string,
    descriptor: Pick<Descriptor, 'digest' | 'size'>,
    source: BlobSource,
    session: URL,
    opts: UploadOptions,
  ): Promise<TransportResponse> {
    const url = withDigest(session, descriptor.digest);
    const what = `the blob ${descriptor.digest}`;
    const res = await this.conn.exchange({
      method: 'PUT',
      url,
      scopes: [repositoryScope(repo, 'pull,push')],
      headers: { 'Content-Type': 'application/octet-stream' },
      body: {
        length: descriptor.size,
        open: () =>
          openRange(source, 0, descriptor.size).pipe(
            new VerifyingStream(Digester.for(descriptor.digest), descriptor, what, opts.onProgress),
          ),
      },
      retry: 'never',
      signal: opts.signal,
    });
    if (res.status !== 201 && res.status !== 204 && res.status !== 200)
      throw await this.conn.failure(res, `uploading ${what} to ${repo}`, 'blob');
    await discard(res);
    return res;
  }

  private async uploadChunks(
    repo: string,
    descriptor: Pick<Descriptor, 'digest' | 'size'>,
    source: BlobSource,
    session: { url: URL; minChunk: number | undefined },
    opts: UploadOptions,
    onRetry: () => void,
  ): Promise<TransportResponse> {
    const { digest, size } = descriptor;
    const what = `the blob ${digest}`;
    const chunkSize = Math.max(opts.chunkSize ?? this.settings.chunkSize ?? 64 * 1024 * 1024, session.minChunk ?? 1);
    const scopes = [repositoryScope(repo, 'pull,push')];
    let location = session.url;
    /** the digest of the bytes [0, offset) the registry holds */
    let digester = Digester.for(digest);
    let offset = 0;
    let failures = 0;
    while (offset < size) {
      const start = offset;
      const end = Math.min(size, start + chunkSize);
      const before = digester;
      let sent: Digester | undefined;
      let res: TransportResponse;
      try {
        res = await this.conn.exchange({
          method: 'PATCH',
          url: location,
          scopes,
          headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${start}-${end - 1}` },
          body: {
            length: end - start,
            open: () => {
              sent = before.copy();
              return openRange(source, start, end).pipe(new ChunkHasher(sent, end - start, what));
            },
          },
          retry: 'never',
          signal: opts.signal,
        });
        if (res.status !== 202 && res.status !== 204)
          throw await this.conn.failure(res, `uploading bytes ${start}-${end - 1} of ${what} to ${repo}`, 'blob');
        await discard(res);
        location = uploadLocation(res, `uploading ${what}`, this.conn.options.insecureRegistries, location);
        const range = parseUploadRange(header(res, 'range'));
        if (range !== undefined && range !== end) {
          throw new RegistryClientError(
            'REGISTRY_BAD_RESPONSE',
            `${res.url.origin} holds ${range} bytes of ${what} after a chunk that ended at ${end}`,
            res.status,
          );
        }
        if (!sent || sent.size !== end)
          throw new RegistryClientError('SIZE_MISMATCH', `the source of ${what} did not yield bytes ${start}-${end - 1}`);
        digester = sent;
        offset = end;
        opts.onProgress?.(offset, size);
      } catch (err) {
        // 416: the registry holds another amount than this chunk assumed; ask it where it stands
        const retryable =
          isTransient(err) ||
          (err instanceof RegistryClientError && err.status !== undefined && (retryableStatus(err.status) || err.status === 416));
        if (!retryable || failures >= this.conn.retries || opts.signal?.aborted) throw err;
        failures++;
        onRetry();
        await this.conn.sleep(this.conn.backoff(failures - 1), opts.signal);
        // where does the upload stand? (GET on the session: 204 with Range: 0-<last>)
        const status = await this.conn.exchange({ method: 'GET', url: location, scopes, retry: 'idempotent', signal: opts.signal });
        if (status.status !== 204 && status.status !== 200) throw await this.conn.failure(status, `resuming the upload of ${what}`, 'blob');
        await discard(status);
        location = uploadLocation(status, `resuming the upload of ${what}`, this.conn.options.insecureRegistries, location);
        const have = parseUploadRange(header(status, 'range')) ?? 0;
        if (have < start || have > end) throw err;
        // the digest state at `have`: the state before the chunk, plus the part the registry kept
        const resumed = before.copy();
        await hashRange(source, start, have, resumed);
        digester = resumed;
        offset = have;
        continue;
      }
    }
    if (digester.size !== size || digester.digest() !== digest) {
      throw new RegistryClientError(
        'DIGEST_MISMATCH',
        `the content uploaded as ${what} hashes to ${digester.digest()}: the source does not hold the blob`,
      );
    }
    const url = withDigest(location, digest);
    const res = await this.conn.exchange({ method: 'PUT', url, scopes, retry: 'never', signal: opts.signal });
    if (res.status !== 201 && res.status !== 204 && res.status !== 200)
      throw await this.conn.failure(res, `finishing the upload of ${what} to ${repo}`, 'blob');
    await discard(res);
    return res;
  }

  private async cancelUpload(repo: string, session: URL): Promise<void> {
    try {
      const res = await this.conn.exchange({
        method: 'DELETE',
        url: session,
        scopes: [repositoryScope(repo, 'pull,push')],
        retry: 'never',
      });
      await discard(res);
    } catch {
      // best effort: registries expire abandoned sessions
    }
  }
}

/** The upload URL with `digest=` added, its own query kept verbatim (it may be signed). */
function withDigest(location: URL, digest: string): URL {
  const u = new URL(location);
  u.search = `${u.search === '' ? '?' : `${u.search}&`}digest=${encodeURIComponent(digest)}`;
  return u;
}

async function hashRange(source: BlobSource, start: number, end: number, into: Digester): Promise<void> {
  if (end <= start) return;
  for await (const chunk of openRange(source, start, end) as AsyncIterable<Buffer>) into.update(chunk);
}

/** Passes bytes on while hashing them; holds the last chunk back until size and digest check out. */
class VerifyingStream extends Transform {
  private held: Buffer | undefined;
  private sent = 0;

  constructor(
    private readonly digester: Digester,
    private readonly expected: { digest: string; size: number },
    private readonly what: string,
    private readonly onProgress?: (sent: number, total: number) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.digester.size + chunk.length > this.expected.size) {
      cb(new DctError('SIZE_MISMATCH', `the content of ${this.what} is larger than its ${this.expected.size} bytes: not sending it`));
      return;
    }
    this.digester.update(chunk);
    if (this.held) this.pushCounted(this.held);
    this.held = chunk;
    cb();
  }

  override _flush(cb: TransformCallback): void {
    if (this.digester.size !== this.expected.size) {
      cb(
        new DctError(
          'SIZE_MISMATCH',
          `the content of ${this.what} has ${this.digester.size} bytes, not ${this.expected.size}: not sending it`,
        ),
      );
      return;
    }
    const got = this.digester.digest();
    if (got !== this.expected.digest) {
      cb(new DctError('DIGEST_MISMATCH', `the content of ${this.what} hashes to ${got}: not sending it`));
      return;
    }
    if (this.held) this.pushCounted(this.held);
    cb();
  }

  private pushCounted(b: Buffer): void {
    this.sent += b.length;
    this.push(b);
    this.onProgress?.(this.sent, this.expected.size);
  }
}

/** Hashes a chunk's bytes into the upload's digester as they are sent; refuses a source that yields more or fewer. */
class ChunkHasher extends Transform {
  private count = 0;

  constructor(
    private readonly digester: Digester,
    private readonly length: number,
    private readonly what: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.count += chunk.length;
    if (this.count > this.length) {
      cb(new DctError('SIZE_MISMATCH', `the source of ${this.what} yields more bytes than asked for`));
      return;
    }
    this.digester.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    cb(
      this.count === this.length
        ? null
        : new DctError('SIZE_MISMATCH', `the source of ${this.what} ended early (${this.count} of ${this.length} bytes)`),
    );
  }
}
