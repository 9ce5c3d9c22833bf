/**
 * Content-addressed blobs on disk for the embedded registry:
 *
 *   <root>/blobs/sha256/<first 2 hex>/<hex>    a complete blob, named by the sha256 of its bytes
 *   <root>/uploads/<id>.data                   an upload session's bytes so far
 *   <root>/uploads/<id>.json                   its repository and start time
 *
 * Uploads stream to their file while a sha256 is computed over the same bytes
 * (memory stays flat whatever the blob's size). Finishing checks the digest the
 * client names against the bytes received, syncs the file and renames it into
 * place: a blob path only ever holds complete, verified content. The running
 * hash lives in memory; a session this process has not seen (a restart,
 * another worker) is re-hashed from its file once.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DctError } from '../../core/errors.js';
import type { BlobStoreErrorCode } from '../errors.js';
import { Digester } from '../../core/oci/digest.js';

/** A failure the registry maps to its error codes (BlobStoreErrorCode: adapters/errors.ts). */
export class BlobStoreError extends DctError {
  declare readonly code: BlobStoreErrorCode;

  constructor(code: BlobStoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

export interface BlobInfo {
  digest: string;
  size: number;
  /** last written (or re-pushed) */
  modifiedAt: Date;
}

export interface UploadInfo {
  id: string;
  repository: string;
  /** bytes received so far */
  size: number;
  startedAt: Date;
  /** last written */
  modifiedAt: Date;
}

export interface AppendOptions {
  /** the offset the client says the bytes start at (Content-Range); a mismatch is BLOB_RANGE_INVALID */
  offset?: number;
  /** the number of bytes the client announced (Content-Length); a different count is BLOB_SIZE_MISMATCH */
  length?: number;
  /** the most bytes the whole upload may reach */
  maxSize?: number;
}

const SHA256 = /^sha256:([0-9a-f]{64})$/;
const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Session {
  digester: Digester;
  busy: boolean;
}

export class FsBlobStore {
  private readonly sessions = new Map<string, Session>();

  private constructor(readonly root: string) {}

  /** Opens (creating the folders, 0700) the blob store under `root` (e.g. `<data dir>/registry`). */
  static async open(root: string): Promise<FsBlobStore> {
    await mkdir(join(root, 'blobs', 'sha256'), { recursive: true, mode: 0o700 });
    await mkdir(join(root, 'uploads'), { recursive: true, mode: 0o700 });
    return new FsBlobStore(root);
  }

  /** Whether a digest names content this store can hold (sha256 only). */
  static supports(digest: string): boolean {
    return SHA256.test(digest);
  }

  /** The file of a blob (whether or not it exists). */
  blobPath(digest: string): string {
    const m = SHA256.exec(digest);
    if (!m)
      throw new BlobStoreError(
        'BLOB_DIGEST_UNSUPPORTED',
        `unsupported digest ${JSON.stringify(digest.slice(0, 100))}: the registry stores sha256 content`,
      );
    const hex = m[1] as string;
    return join(this.root, 'blobs', 'sha256', hex.slice(0, 2), hex);
  }

  async stat(digest: string): Promise<BlobInfo | undefined> {
    if (!FsBlobStore.supports(digest)) return undefined;
    try {
      const st = await stat(this.blobPath(digest));
      return { digest, size: st.size, modifiedAt: st.mtime };
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  /** A stream of the blob's bytes (inclusive `end`), or undefined when the blob is not stored. */
  async read(digest: string, range?: { start: number; end: number }): Promise<ReadStream | undefined> {
    if (!FsBlobStore.supports(digest)) return undefined;
    const path = this.blobPath(digest);
    const handle = await open(path, 'r').catch((err: unknown) => {
      if (isMissing(err)) return undefined;
      throw err;
    });
    if (!handle) return undefined;
    // the open handle keeps the bytes readable even if garbage collection unlinks the file meanwhile
    return createReadStream(path, {
      fd: handle,
      autoClose: true,
      ...(range ? { start: range.start, end: range.end } : {}),
      highWaterMark: 256 * 1024,
    });
  }

  async delete(digest: string): Promise<boolean> {
    if (!FsBlobStore.supports(digest)) return false;
    try {
      await unlink(this.blobPath(digest));
      return true;
    } catch (err) {
      if (isMissing(err)) return false;
      throw err;
    }
  }

  /** Every stored blob (garbage collection). */
  async *list(): AsyncGenerator<BlobInfo> {
    const base = join(this.root, 'blobs', 'sha256');
    for (const prefix of await readdir(base).catch(() => [] as string[])) {
      if (!/^[0-9a-f]{2}$/.test(prefix)) continue;
      for (const hex of await readdir(join(base, prefix)).catch(() => [] as string[])) {
        if (!/^[0-9a-f]{64}$/.test(hex) || !hex.startsWith(prefix)) continue;
        const st = await stat(join(base, prefix, hex)).catch(() => undefined);
        if (st?.isFile()) yield { digest: `sha256:${hex}`, size: st.size, modifiedAt: st.mtime };
      }
    }
  }

  // -- upload sessions -------------------------------------------------------

  async startUpload(repository: string, now = new Date()): Promise<UploadInfo> {
    const id = randomUUID();
    await writeFile(this.dataPath(id), Buffer.alloc(0), { mode: 0o600, flag: 'wx' });
    await writeFile(this.infoPath(id), JSON.stringify({ repository, startedAt: now.toISOString() }) + '\n', { mode: 0o600 });
    this.sessions.set(id, { digester: Digester.create('sha256'), busy: false });
    return { id, repository, size: 0, startedAt: now, modifiedAt: now };
  }

  /** An upload session, or undefined when unknown (finished, cancelled, collected, or not for this repository). */
  async getUpload(id: string, repository?: string): Promise<UploadInfo | undefined> {
    if (!UPLOAD_ID.test(id)) return undefined;
    let info: { repository?: unknown; startedAt?: unknown };
    let st;
    try {
      info = JSON.parse(await readFile(this.infoPath(id), 'utf8')) as typeof info;
      st = await stat(this.dataPath(id));
    } catch (err) {
      if (isMissing(err) || err instanceof SyntaxError) return undefined;
      throw err;
    }
    if (typeof info.repository !== 'string' || (repository !== undefined && info.repository !== repository)) return undefined;
    const startedAt = new Date(typeof info.startedAt === 'string' ? info.startedAt : st.birthtime);
    return { id, repository: info.repository, size: st.size, startedAt, modifiedAt: st.mtime };
  }

  /**
   * Appends a stream of bytes to an upload; returns its new size. The bytes are
   * hashed as they are written; nothing is held in memory beyond a chunk.
   */
  async append(id: string, source: Readable, opts: AppendOptions = {}): Promise<number> {
    return this.withSession(id, async (session, size) => {
      if (opts.offset !== undefined && opts.offset !== size) {
        source.resume();
        throw new BlobStoreError('BLOB_RANGE_INVALID', `the chunk starts at ${opts.offset}, but the upload holds ${size} bytes`);
      }
      if (opts.maxSize !== undefined && opts.length !== undefined && size + opts.length > opts.maxSize) {
        source.resume();
        throw new BlobStoreError('BLOB_TOO_LARGE', `the upload would exceed ${opts.maxSize} bytes`);
      }
      let received = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          received += chunk.length;
          if (opts.maxSize !== undefined && size + received > opts.maxSize) {
            done(new BlobStoreError('BLOB_TOO_LARGE', `the upload would exceed ${opts.maxSize} bytes`));
            return;
          }
          if (opts.length !== undefined && received > opts.length) {
            done(new BlobStoreError('BLOB_SIZE_MISMATCH', `more bytes arrived than the ${opts.length} announced`));
            return;
          }
          done(null, chunk);
        },
      });
      const handle = await open(this.dataPath(id), 'a');
      let failed = false;
      try {
        // each chunk is hashed once it is written: the hash always matches the file
        const sink = new Writable({
          highWaterMark: 1024 * 1024,
          write(chunk: Buffer, _enc, done) {
            handle.write(chunk).then(
              () => {
                session.digester.update(chunk);
                done();
              },
              (err: Error) => done(err),
            );
          },
          writev(chunks, done) {
            const buffers = chunks.map((c) => c.chunk as Buffer);
            handle.writev(buffers).then(
              () => {
                for (const b of buffers) session.digester.update(b);
                done();
              },
              (err: Error) => done(err),
            );
          },
        });
        await pipeline(source, counter, sink);
      } catch (err) {
        failed = true;
        throw err;
      } finally {
        await handle.close();
        // after a failure the file may hold part of a write the hash did not see: re-hash next time
        if (failed) this.sessions.delete(id);
      }
      if (opts.length !== undefined && received !== opts.length) {
        throw new BlobStoreError('BLOB_SIZE_MISMATCH', `${received} bytes arrived, not the ${opts.length} announced`);
      }
      return size + received;
    });
  }

  /**
   * Completes an upload: its bytes must hash to `digest` (and count `size`, when
   * given). The verified file becomes the blob; the session is gone either way
   * (a failed upload is cancelled, as distribution does).
   */
  async finish(id: string, digest: string, size?: number): Promise<BlobInfo> {
    if (!FsBlobStore.supports(digest)) {
      await this.cancel(id);
      throw new BlobStoreError(
        'BLOB_DIGEST_UNSUPPORTED',
        `unsupported digest ${JSON.stringify(digest.slice(0, 100))}: the registry stores sha256 content`,
      );
    }
    try {
      return await this.withSession(id, async (session, current) => {
        if (size !== undefined && size !== current) {
          throw new BlobStoreError('BLOB_SIZE_MISMATCH', `the upload holds ${current} bytes, not the ${size} announced`);
        }
        const got = session.digester.digest();
        if (got !== digest) throw new BlobStoreError('BLOB_DIGEST_MISMATCH', `the uploaded bytes hash to ${got}, not to ${digest}`);
        const target = this.blobPath(digest);
        const existing = await stat(target).catch(() => undefined);
        if (existing?.isFile() && existing.size === current) {
          // the same content is stored already: keep it, and tell garbage collection it is fresh
          const now = new Date();
          await utimes(target, now, now);
          return { digest, size: current, modifiedAt: now };
        }
        const handle = await open(this.dataPath(id), 'r+');
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
        await mkdir(join(target, '..'), { recursive: true, mode: 0o700 });
        await rename(this.dataPath(id), target);
        const st = await stat(target);
        return { digest, size: st.size, modifiedAt: st.mtime };
      });
    } finally {
      await this.cancel(id);
    }
  }

  /** Removes an upload session and its bytes; false when there was none. */
  async cancel(id: string): Promise<boolean> {
    if (!UPLOAD_ID.test(id)) return false;
    this.sessions.delete(id);
    const removed = await rm(this.infoPath(id), { force: false }).then(
      () => true,
      () => false,
    );
    await rm(this.dataPath(id), { force: true });
    return removed;
  }

  /** Every upload session on disk (garbage collection of abandoned ones). */
  async *uploads(): AsyncGenerator<UploadInfo> {
    const dir = join(this.root, 'uploads');
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (!name.endsWith('.json')) continue;
      const info = await this.getUpload(name.slice(0, -'.json'.length));
      if (info) yield info;
    }
  }

  /** Runs `work` with the session's hash state (rebuilt from the file when missing or stale), one request at a time. */
  private async withSession<T>(id: string, work: (session: Session, size: number) => Promise<T>): Promise<T> {
    const info = await this.getUpload(id);
    if (!info) throw new BlobStoreError('BLOB_UPLOAD_UNKNOWN', `upload ${id} is unknown`);
    let session = this.sessions.get(id);
    if (session?.busy) throw new BlobStoreError('BLOB_UPLOAD_BUSY', `upload ${id} is receiving another request`);
    if (!session || session.digester.size !== info.size) {
      const digester = Digester.create('sha256');
      session = { digester, busy: true };
      this.sessions.set(id, session);
      if (info.size > 0) {
        try {
          const hashing = new Writable({
            write(chunk: Buffer, _enc, done) {
              digester.update(chunk);
              done();
            },
          });
          await pipeline(createReadStream(this.dataPath(id), { end: info.size - 1, highWaterMark: 1024 * 1024 }), hashing);
        } catch (err) {
          this.sessions.delete(id);
          throw err;
        }
      }
    }
    session.busy = true;
    try {
      return await work(session, info.size);
    } finally {
      session.busy = false;
    }
  }

  private dataPath(id: string): string {
    return join(this.root, 'uploads', `${id}.data`);
  }

  private infoPath(id: string): string {
    return join(this.root, 'uploads', `${id}.json`);
  }
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}
