/**
 * `/v2/<name>/blobs/uploads/`: upload sessions (POST, with cross-repository mounts and
 * monolithic uploads), their status (GET), chunks (PATCH), completion (PUT) and
 * cancellation (DELETE).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { BlobStoreError } from '../../adapters/blob-store/fs-blob-store.js';
import { RegistryApiError } from './registry-api-error.js';
import type { RegistryHandlerContext } from './handler-context.js';
import { blobCreated, rangeOf, respond, uploadHeaders } from './registry-responses.js';
import { checkDigest, firstHeaderValue, SHA256_DIGEST } from './request-checks.js';
import { contentLength, lent } from './request-streams.js';
import { isValidRepositoryName } from './routes.js';

const CONTENT_RANGE = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/;

export class UploadHandler {
  constructor(private readonly ctx: RegistryHandlerContext) {}

  /** A new upload session, within the caps of its repository and client. */
  private openUpload(name: string, client: string | undefined) {
    const start = () => this.ctx.blobs.startUpload(name);
    return this.ctx.uploads ? this.ctx.uploads.open(name, client, start) : start();
  }

  async startUpload(
    req: IncomingMessage,
    res: ServerResponse,
    name: string,
    query: URLSearchParams,
    client: string | undefined,
  ): Promise<number> {
    const mount = query.get('mount');
    const from = query.get('from');
    if (mount !== null && from !== null && SHA256_DIGEST.test(mount) && isValidRepositoryName(from)) {
      const link = await this.ctx.store.getBlobLink(from, mount);
      if (link && (await this.ctx.blobs.stat(mount))) {
        req.resume();
        await this.ctx.store.linkBlob(name, mount, link.size);
        return blobCreated(res, name, mount);
      }
      // not there: an ordinary upload session, as distribution answers
    }
    const digest = query.get('digest');
    if (digest !== null) {
      checkDigest(digest);
      // monolithic upload: the body is the blob
      const upload = await this.openUpload(name, client);
      try {
        await this.appendBody(req, upload.id, undefined);
      } catch (err) {
        await this.cancel(upload.id);
        throw err;
      }
      return this.complete(res, name, upload.id, digest);
    }
    req.resume();
    const upload = await this.openUpload(name, client);
    return respond(res, { status: 202, headers: uploadHeaders(name, upload.id, 0), body: Buffer.alloc(0) });
  }

  async uploadStatus(req: IncomingMessage, res: ServerResponse, name: string, id: string): Promise<number> {
    req.resume();
    const upload = await this.ctx.blobs.getUpload(id, name);
    if (!upload) throw new RegistryApiError('BLOB_UPLOAD_UNKNOWN', undefined, { id });
    return respond(res, { status: 204, headers: uploadHeaders(name, id, upload.size), body: Buffer.alloc(0) });
  }

  async patchUpload(req: IncomingMessage, res: ServerResponse, name: string, id: string): Promise<number> {
    const upload = await this.ctx.blobs.getUpload(id, name);
    if (!upload) throw new RegistryApiError('BLOB_UPLOAD_UNKNOWN', undefined, { id });
    let offset: number | undefined;
    const contentRange = firstHeaderValue(req.headers['content-range']);
    if (contentRange !== undefined) {
      const m = CONTENT_RANGE.exec(contentRange.trim());
      if (!m) throw new RegistryApiError('RANGE_INVALID', undefined, { 'Content-Range': contentRange.slice(0, 100) });
      offset = Number(m[1]);
      const end = Number(m[2]);
      const length = contentLength(req);
      if (end < offset || (length !== undefined && end - offset + 1 !== length)) {
        throw new RegistryApiError('RANGE_INVALID', undefined, { 'Content-Range': contentRange.slice(0, 100) });
      }
      if (offset !== upload.size) {
        throw new RegistryApiError('RANGE_INVALID', `the chunk starts at ${offset}, but the upload holds ${upload.size} bytes`, undefined, {
          Location: `/v2/${name}/blobs/uploads/${id}`,
          Range: rangeOf(upload.size),
          'Docker-Upload-UUID': id,
        });
      }
    }
    const size = await this.appendBody(req, id, offset);
    return respond(res, { status: 202, headers: uploadHeaders(name, id, size), body: Buffer.alloc(0) });
  }

  async finishUpload(req: IncomingMessage, res: ServerResponse, name: string, id: string, query: URLSearchParams): Promise<number> {
    const upload = await this.ctx.blobs.getUpload(id, name);
    if (!upload) {
      req.resume();
      throw new RegistryApiError('BLOB_UPLOAD_UNKNOWN', undefined, { id });
    }
    const digest = query.get('digest');
    if (digest === null || digest === '') {
      req.resume();
      throw new RegistryApiError('DIGEST_INVALID', 'digest missing: PUT …?digest=<digest> completes an upload');
    }
    checkDigest(digest);
    const length = contentLength(req);
    if (length !== 0) await this.appendBody(req, id, undefined);
    else req.resume();
    return this.complete(res, name, id, digest);
  }

  async cancelUpload(req: IncomingMessage, res: ServerResponse, name: string, id: string): Promise<number> {
    req.resume();
    if (!(await this.ctx.blobs.getUpload(id, name)) || !(await this.cancel(id))) {
      throw new RegistryApiError('BLOB_UPLOAD_UNKNOWN', undefined, { id });
    }
    return respond(res, { status: 204, headers: { 'Content-Length': 0 }, body: Buffer.alloc(0) });
  }

  /**
   * Streams the request body into an upload, dropping the connection if it stalls.
   * An upload growing beyond the blob limit (whatever the request declares) is cancelled.
   */
  private async appendBody(req: IncomingMessage, id: string, offset: number | undefined): Promise<number> {
    const length = contentLength(req);
    const restore = req.socket.timeout ?? 0;
    req.setTimeout(this.ctx.idleTimeoutMs, () => req.destroy(new Error('the request body stalled')));
    try {
      // the body is lent, not handed over: a refusal part-way leaves the request open to answer (serve drains it)
      const body = Readable.from(lent(req), { objectMode: false });
      return await this.ctx.blobs.append(id, body, {
        ...(offset !== undefined ? { offset } : {}),
        ...(length !== undefined ? { length } : {}),
        maxSize: this.ctx.maxBlobBytes,
      });
    } catch (err) {
      if (err instanceof BlobStoreError && err.code === 'BLOB_TOO_LARGE') {
        await this.cancel(id);
        throw new RegistryApiError(
          'SIZE_INVALID',
          `the blob is larger than this registry accepts (${this.ctx.maxBlobBytes} bytes); the upload is cancelled`,
          undefined,
          {},
          413,
        );
      }
      throw err;
    } finally {
      // (a destroyed request has no socket left)
      if (!req.destroyed) req.setTimeout(restore);
    }
  }

  /** Removes an upload session and its bytes; false when there was none. */
  private async cancel(id: string): Promise<boolean> {
    this.ctx.uploads?.closed(id);
    return this.ctx.blobs.cancel(id);
  }

  private async complete(res: ServerResponse, name: string, id: string, digest: string): Promise<number> {
    // finishing ends the session, whatever the outcome
    this.ctx.uploads?.closed(id);
    const blob = await this.ctx.blobs.finish(id, digest);
    await this.ctx.store.linkBlob(name, digest, blob.size);
    return blobCreated(res, name, digest);
  }
}
