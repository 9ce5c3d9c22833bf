/**
 * A small scripted registry (distribution API v2) for client tests: blobs with Range,
 * upload sessions (POST / PATCH with Content-Range / PUT ?digest / GET status / DELETE,
 * mounts), manifests, tag lists with `n`/`last` and `Link` pagination, optional Bearer
 * auth with a token endpoint on the same server. Every request is recorded; `hook` can
 * answer any request first (to script failures).
 */
import { createHash, randomUUID } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  /** path and query */
  url: string;
  headers: http.IncomingHttpHeaders;
  bodyLength: number;
}

export type Hook = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, url: URL) => boolean | Promise<boolean>;

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export function registryError(
  res: http.ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify({ errors: [{ code, message, detail: null }] });
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

export class FakeRegistry {
  seen: SeenRequest[] = [];
  blobs = new Map<string, Buffer>();
  manifests = new Map<string, { body: Buffer; contentType: string }>();
  uploads = new Map<string, { repo: string; data: Buffer }>();
  /** answer requests before the registry does; return true when answered */
  hook: Hook | undefined;
  /** require Bearer tokens (realm /token on this server) */
  bearer = false;
  /** scopes asked for each token */
  tokenScopes: string[][] = [];
  server!: http.Server | https.Server;
  url = '';
  host = '';
  port = 0;

  /** on 127.0.0.1 by default; with `tls`, https */
  async start(opts: { address?: string; tls?: https.ServerOptions } = {}): Promise<this> {
    const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        this.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, bodyLength: body.length });
        void this.handle(req, res, body).catch((err: Error) => {
          if (!res.headersSent) registryError(res, 500, 'UNKNOWN', err.message);
        });
      });
    };
    this.server = opts.tls ? https.createServer(opts.tls, listener) : http.createServer(listener);
    const address = opts.address ?? '127.0.0.1';
    await new Promise<void>((resolve) => this.server.listen(0, address, resolve));
    this.port = (this.server.address() as AddressInfo).port;
    this.host = `${address}:${this.port}`;
    this.url = `${opts.tls ? 'https' : 'http'}://${this.host}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  requests(method: string, pathPrefix = ''): SeenRequest[] {
    return this.seen.filter((s) => s.method === method && s.url.startsWith(pathPrefix));
  }

  putBlob(repo: string, bytes: Buffer): string {
    const d = sha256(bytes);
    this.blobs.set(`${repo}@${d}`, bytes);
    return d;
  }

  putManifest(repo: string, tag: string, body: Buffer, contentType: string): string {
    const d = sha256(body);
    this.manifests.set(`${repo}:${tag}`, { body, contentType });
    this.manifests.set(`${repo}:${d}`, { body, contentType });
    return d;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    if (url.pathname === '/token') {
      const scopes = url.searchParams.getAll('scope');
      this.tokenScopes.push(scopes);
      const token = `t-${scopes.join('+')}`;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ token }));
      return;
    }
    if (this.hook && (await this.hook(req, res, body, url))) return;
    if (this.bearer && !(req.headers.authorization ?? '').startsWith('Bearer t-')) {
      return registryError(res, 401, 'UNAUTHORIZED', 'authentication required', {
        'WWW-Authenticate': `Bearer realm="${this.url}/token",service="fake"`,
      });
    }
    const method = req.method ?? 'GET';
    if (url.pathname === '/v2/' || url.pathname === '/v2') {
      res.writeHead(200, { 'Docker-Distribution-API-Version': 'registry/2.0', 'Content-Type': 'application/json' });
      res.end('{}');
      return;
    }
    let m = /^\/v2\/(.+)\/blobs\/uploads\/([^/]*)$/.exec(url.pathname);
    if (m) return this.upload(req, res, body, url, m[1] as string, m[2] as string, method);
    m = /^\/v2\/(.+)\/blobs\/(sha256:[0-9a-f]{64})$/.exec(url.pathname);
    if (m) {
      const blob = this.blobs.get(`${m[1]}@${m[2]}`);
      if (!blob) return registryError(res, 404, 'BLOB_UNKNOWN', 'blob unknown to registry');
      const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      if (range && method === 'GET') {
        const start = Number(range[1]);
        res.writeHead(206, {
          'Content-Length': blob.length - start,
          'Content-Range': `bytes ${start}-${blob.length - 1}/${blob.length}`,
          'Docker-Content-Digest': m[2] as string,
        });
        res.end(blob.subarray(start));
        return;
      }
      res.writeHead(200, {
        'Content-Length': blob.length,
        'Docker-Content-Digest': m[2] as string,
        'Content-Type': 'application/octet-stream',
      });
      res.end(method === 'HEAD' ? undefined : blob);
      return;
    }
    m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url.pathname);
    if (m) {
      const key = `${m[1]}:${m[2]}`;
      if (method === 'PUT') {
        const d = this.putManifest(m[1] as string, m[2] as string, body, req.headers['content-type'] ?? '');
        res.writeHead(201, { 'Docker-Content-Digest': d, Location: `/v2/${m[1]}/manifests/${d}`, 'Content-Length': 0 });
        res.end();
        return;
      }
      const found = this.manifests.get(key);
      if (!found) return registryError(res, 404, 'MANIFEST_UNKNOWN', 'manifest unknown');
      res.writeHead(200, {
        'Content-Type': found.contentType,
        'Content-Length': found.body.length,
        'Docker-Content-Digest': sha256(found.body),
      });
      res.end(method === 'HEAD' ? undefined : found.body);
      return;
    }
    m = /^\/v2\/(.+)\/tags\/list$/.exec(url.pathname);
    if (m) {
      const repo = m[1] as string;
      const all = [...this.manifests.keys()]
        .filter((k) => k.startsWith(`${repo}:`) && !k.includes(':sha256:'))
        .map((k) => k.slice(repo.length + 1))
        .sort();
      if (all.length === 0) return registryError(res, 404, 'NAME_UNKNOWN', 'repository name not known to registry');
      const last = url.searchParams.get('last');
      const n = Number(url.searchParams.get('n') ?? all.length);
      const rest = last ? all.filter((t) => t > last) : all;
      const page = rest.slice(0, n);
      const headers: Record<string, string> = { 'Content-Type': 'application/json' };
      if (rest.length > n) headers['Link'] = `</v2/${repo}/tags/list?last=${page[page.length - 1]}&n=${n}>; rel="next"`;
      res.writeHead(200, headers);
      res.end(JSON.stringify({ name: repo, tags: page }));
      return;
    }
    registryError(res, 404, 'NOT_FOUND', 'no route');
  }

  private upload(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    body: Buffer,
    url: URL,
    repo: string,
    id: string,
    method: string,
  ): void {
    const location = (uid: string, size: number) => `/v2/${repo}/blobs/uploads/${uid}?_state=${size}`;
    if (method === 'POST' && id === '') {
      const mount = url.searchParams.get('mount');
      const from = url.searchParams.get('from');
      if (mount && from) {
        const blob = this.blobs.get(`${from}@${mount}`);
        if (blob) {
          this.blobs.set(`${repo}@${mount}`, blob);
          res.writeHead(201, { Location: `/v2/${repo}/blobs/${mount}`, 'Docker-Content-Digest': mount, 'Content-Length': 0 });
          res.end();
          return;
        }
      }
      const uid = randomUUID();
      this.uploads.set(uid, { repo, data: Buffer.alloc(0) });
      res.writeHead(202, { Location: location(uid, 0), Range: '0-0', 'Docker-Upload-UUID': uid, 'Content-Length': 0 });
      res.end();
      return;
    }
    const up = this.uploads.get(id);
    if (!up || up.repo !== repo) return registryError(res, 404, 'BLOB_UPLOAD_UNKNOWN', 'blob upload unknown to registry');
    const rangeHeader = () => `0-${Math.max(0, up.data.length - 1)}`;
    if (method === 'GET') {
      res.writeHead(204, { Location: location(id, up.data.length), Range: rangeHeader() });
      res.end();
      return;
    }
    if (method === 'DELETE') {
      this.uploads.delete(id);
      res.writeHead(204);
      res.end();
      return;
    }
    if (method === 'PATCH') {
      const cr = /^(\d+)-(\d+)$/.exec(req.headers['content-range'] ?? '');
      if (cr && (Number(cr[1]) !== up.data.length || Number(cr[2]) - Number(cr[1]) + 1 !== body.length)) {
        return registryError(res, 416, 'BLOB_UPLOAD_INVALID', `range ${req.headers['content-range']} does not follow ${up.data.length}`);
      }
      up.data = Buffer.concat([up.data, body]);
      res.writeHead(202, { Location: location(id, up.data.length), Range: rangeHeader(), 'Content-Length': 0 });
      res.end();
      return;
    }
    if (method === 'PUT') {
      const digest = url.searchParams.get('digest') ?? '';
      const data = Buffer.concat([up.data, body]);
      if (sha256(data) !== digest) return registryError(res, 400, 'DIGEST_INVALID', 'provided digest did not match uploaded content');
      this.uploads.delete(id);
      this.blobs.set(`${repo}@${digest}`, data);
      res.writeHead(201, { Location: `/v2/${repo}/blobs/${digest}`, 'Docker-Content-Digest': digest, 'Content-Length': 0 });
      res.end();
      return;
    }
    registryError(res, 405, 'UNSUPPORTED', 'method not allowed');
  }
}
