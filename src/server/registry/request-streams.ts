/**
 * The embedded registry's request and response streams: a whole small body
 * (manifests) read with a limit and an idle timeout, a streamed body lent to
 * the blob store (a refusal part-way leaves the request to answer), and a
 * file piped into a response.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { RegistryApiError } from './registry-api-error.js';

/** The declared Content-Length, when it is a plain number. */
export function contentLength(req: IncomingMessage): number | undefined {
  const v = req.headers['content-length'];
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

/** Reads a whole (small) body; MANIFEST_INVALID beyond `limit`. */
export function readLimited(req: IncomingMessage, limit: number, idleMs: number): Promise<Buffer> {
  const declared = contentLength(req);
  if (declared !== undefined && declared > limit) {
    return Promise.reject(new RegistryApiError('MANIFEST_INVALID', `the manifest is larger than ${limit} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const restore = req.socket.timeout ?? 0;
    req.setTimeout(idleMs, () => req.destroy(new Error('the request body stalled')));
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        reject(new RegistryApiError('MANIFEST_INVALID', `the manifest is larger than ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      req.setTimeout(restore);
      resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
    req.on('aborted', () => reject(new Error('the client went away')));
  });
}

/** The chunks of a request body; stopping early (a refusal) leaves the request open, where a stream would destroy it. */
export async function* lent(req: IncomingMessage): AsyncGenerator<Buffer> {
  for await (const chunk of req.iterator({ destroyOnReturn: false })) yield chunk as Buffer;
}

/** Pipes a file stream into the response; a client going away just ends it. */
export function streamTo(stream: Readable, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.destroy();
      resolve();
    };
    stream.on('error', () => {
      res.destroy();
      done();
    });
    res.on('close', done);
    res.on('finish', done);
    stream.pipe(res);
  });
}
