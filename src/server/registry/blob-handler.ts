/** `/v2/<name>/blobs/<digest>`: GET/HEAD (with single ranges) and DELETE. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RegistryApiError } from './registry-api-error.js';
import type { RegistryHandlerContext } from './handler-context.js';
import { respond } from './registry-responses.js';
import { checkDigest, firstHeaderValue, SHA256_DIGEST } from './request-checks.js';
import { streamTo } from './request-streams.js';

const RANGE = /^bytes=(\d*)-(\d*)$/;

export class BlobHandler {
  constructor(private readonly ctx: RegistryHandlerContext) {}

  async getBlob(req: IncomingMessage, res: ServerResponse, name: string, digest: string, head: boolean): Promise<number> {
    req.resume();
    checkDigest(digest);
    const link = SHA256_DIGEST.test(digest) ? await this.ctx.store.getBlobLink(name, digest) : undefined;
    const info = link ? await this.ctx.blobs.stat(digest) : undefined;
    if (!info) throw new RegistryApiError('BLOB_UNKNOWN', undefined, { digest });
    const headers: Record<string, string | number> = {
      'Content-Type': 'application/octet-stream',
      'Docker-Content-Digest': digest,
      ETag: `"${digest}"`,
      'Accept-Ranges': 'bytes',
      'Cache-Control': 'max-age=31536000',
    };
    let range: { start: number; end: number } | undefined;
    const rangeHeader = firstHeaderValue(req.headers.range);
    if (rangeHeader !== undefined && !head) {
      range = parseRange(rangeHeader, info.size);
      if (!range) {
        return respond(res, {
          status: 416,
          headers: { 'Content-Range': `bytes */${info.size}`, 'Content-Length': 0 },
          body: Buffer.alloc(0),
        });
      }
    }
    if (head) return respond(res, { status: 200, headers: { ...headers, 'Content-Length': info.size }, body: Buffer.alloc(0) }, true);
    const stream = await this.ctx.blobs.read(digest, range);
    if (!stream) throw new RegistryApiError('BLOB_UNKNOWN', undefined, { digest });
    const status = range ? 206 : 200;
    if (range) headers['Content-Range'] = `bytes ${range.start}-${range.end}/${info.size}`;
    headers['Content-Length'] = range ? range.end - range.start + 1 : info.size;
    res.writeHead(status, { 'Docker-Distribution-API-Version': 'registry/2.0', ...headers });
    await streamTo(stream, res);
    return status;
  }

  async deleteBlob(req: IncomingMessage, res: ServerResponse, name: string, digest: string): Promise<number> {
    req.resume();
    checkDigest(digest);
    if (!(await this.ctx.store.unlinkBlob(name, digest))) throw new RegistryApiError('BLOB_UNKNOWN', undefined, { digest });
    return respond(res, { status: 202, headers: { 'Content-Length': 0, 'Docker-Content-Digest': digest }, body: Buffer.alloc(0) });
  }
}

/** A single `bytes=a-b` range within a blob of `size` bytes (undefined when unsatisfiable). */
function parseRange(value: string, size: number): { start: number; end: number } | undefined {
  const m = RANGE.exec(value.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return undefined;
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start > end || start >= size) return undefined;
  return { start, end };
}
