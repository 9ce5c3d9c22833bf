/** The answers of the embedded registry's API: docker/distribution's headers on every response. */
import type { ServerResponse } from 'node:http';
import type { PreparedResponse } from '../responses.js';

export function respond(res: ServerResponse, prepared: PreparedResponse, head = false): number {
  res.writeHead(prepared.status, { 'Docker-Distribution-API-Version': 'registry/2.0', ...prepared.headers });
  res.end(head ? undefined : prepared.body);
  return prepared.status;
}

export function respondJson(res: ServerResponse, text: string, contentType: string, headers: Record<string, string> = {}): number {
  const body = Buffer.from(text);
  return respond(res, { status: 200, headers: { 'Content-Type': contentType, 'Content-Length': body.length, ...headers }, body });
}

export function blobCreated(res: ServerResponse, name: string, digest: string): number {
  return respond(res, {
    status: 201,
    headers: { Location: `/v2/${name}/blobs/${digest}`, 'Docker-Content-Digest': digest, 'Content-Length': 0 },
    body: Buffer.alloc(0),
  });
}

export function rangeOf(size: number): string {
  return `0-${Math.max(0, size - 1)}`;
}

export function uploadHeaders(name: string, id: string, size: number): Record<string, string | number> {
  return { Location: `/v2/${name}/blobs/uploads/${id}`, Range: rangeOf(size), 'Docker-Upload-UUID': id, 'Content-Length': 0 };
}
