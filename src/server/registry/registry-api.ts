/**
 * The embedded registry: the OCI distribution API (spec v1.1) on the trust
 * server's host and port. Blobs stream to and from disk (FsBlobStore);
 * manifests, tags, blob links and referrers live in the server's database
 * (RegistryStore). Manifests are kept as the exact bytes pushed.
 *
 * Answers follow docker/distribution: 202 + Location/Range/Docker-Upload-UUID
 * for upload sessions, 201 + Location/Docker-Content-Digest for completed
 * blobs and manifests, `Link: <…>; rel="next"` for paged lists, and its error
 * JSON and codes. Manifests asked for by tag or digest pass the pull gate
 * first, when a rule applies to the repository's GUN (`<registry name>/<name>`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { BlobStoreError, FsBlobStore } from '../../adapters/blob-store/fs-blob-store.js';
import { isDctError } from '../../core/errors.js';
import { childDescriptors, parseManifest, type Manifest } from '../../core/oci/manifest.js';
import { isForeignLayerMediaType, OCI_MEDIA_TYPES } from '../../core/oci/media-types.js';
import type { ManifestReference, RegistryStore, StoredManifest } from '../../core/ports.js';
import { lingerOnClose } from '../lingering-close.js';
import type { PreparedResponse } from '../responses.js';
import { RegistryError } from './errors.js';
import type { PullGate } from './pull-gate.js';
import { contentLength, lent, readLimited, streamTo } from './request-streams.js';
import { isValidRepositoryName, isValidTag, methodAllowed, type RegistryRoute } from './routes.js';
import type { UploadSessions } from './upload-sessions.js';

export interface RegistryApiOptions {
  store: RegistryStore;
  blobs: FsBlobStore;
  /** the host[:port] GUNs of this registry start with (docker: `<registry>/<name>`) */
  registryName: () => string;
  gate?: PullGate;
  log: Logger;
  /** largest manifest accepted (default 4 MiB) */
  maxManifestBytes?: number;
  /** a request body that sends nothing for this long is dropped (default 60 s) */
  idleTimeoutMs?: number;
  /** most entries of a tag or catalog page (default 1000) */
  maxPageSize?: number;
  /** largest blob, counting every byte an upload session receives (default 10 GiB) */
  maxBlobBytes?: number;
  /** caps and idle expiry of upload sessions (none when absent) */
  uploads?: UploadSessions;
}

/** Who is asking: `publisher` may push to the repository; `address` is the client of the per-client limits. */
export interface RegistryClient {
  publisher: boolean;
  address?: string;
}

const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;
const DIGEST_GRAMMAR = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const CONTENT_RANGE = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/;
const RANGE = /^bytes=(\d*)-(\d*)$/;

export class RegistryApi {
  private readonly maxManifestBytes: number;
  private readonly idleTimeoutMs: number;
  private readonly maxPageSize: number;
  private readonly maxBlobBytes: number;

  constructor(private readonly opts: RegistryApiOptions) {
    this.maxManifestBytes = opts.maxManifestBytes ?? 4 * 1024 * 1024;
    this.maxBlobBytes = opts.maxBlobBytes ?? 10 * 1024 ** 3;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 60_000;
    this.maxPageSize = opts.maxPageSize ?? 1000;
  }

  /** The GUN of a repository of this registry. */
  gunOf(name: string): string {
    return `${this.opts.registryName()}/${name}`;
  }

  /**
   * Serves one request; resolves with the status sent. Failures before the answer starts become registry errors.
   * `client.publisher`: the client may push to the repository (its token holds push), so the pull gate,
   * which keeps unsigned images from consumers, does not apply to it (it could push the manifest anyway).
   */
  async serve(
    req: IncomingMessage,
    res: ServerResponse,
    route: RegistryRoute,
    query: URLSearchParams,
    client: RegistryClient = { publisher: false },
  ): Promise<number> {
    const method = req.method ?? 'GET';
    try {
      if (!methodAllowed(route, method)) throw new RegistryError('UNSUPPORTED', `${method} is not supported here`);
      if (route.kind !== 'catalog' && !isValidRepositoryName(route.name)) {
        throw new RegistryError('NAME_INVALID', undefined, { name: route.name.slice(0, 300) });
      }
      return await this.dispatch(req, res, route, query, method, client);
    } catch (err) {
      const mapped = toRegistryError(err);
      if (!mapped) {
        if (req.destroyed || res.destroyed || req.socket.destroyed) {
          // the client went away (or stalled) mid-request: nothing to answer
          this.opts.log.debug({ route: route.kind, err: (err as Error).message }, 'registry request abandoned by the client');
          res.destroy();
          return 499;
        }
        throw err;
      }
      if (res.headersSent) {
        res.destroy();
        return mapped.status;
      }
      if (!req.readableEnded) {
        // the rest of an unread body is not worth reading: answer, then close the connection
        mapped.headers['Connection'] = 'close';
        lingerOnClose(req.socket);
        req.resume();
      }
      if (mapped.status >= 500) this.opts.log.error({ err, route: route.kind }, 'registry request failed');
      else if (mapped.code === 'DENIED') this.opts.log.info({ route: route.kind, reason: mapped.message }, 'pull gate denied');
      return send(res, mapped.response(), method === 'HEAD');
    }
  }

  private async dispatch(
    req: IncomingMessage,
    res: ServerResponse,
    route: RegistryRoute,
    query: URLSearchParams,
    method: string,
    client: RegistryClient,
  ): Promise<number> {
    switch (route.kind) {
      case 'catalog':
        return this.catalog(res, query);
      case 'tags':
        return this.tags(res, route.name, query);
      case 'referrers':
        return this.referrers(res, route.name, route.digest, query);
      case 'manifest':
        if (method === 'PUT') return this.putManifest(req, res, route.name, route.reference);
        if (method === 'DELETE') return this.deleteManifest(req, res, route.name, route.reference);
        return this.getManifest(req, res, route.name, route.reference, method === 'HEAD', client.publisher);
      case 'blob':
        if (method === 'DELETE') return this.deleteBlob(req, res, route.name, route.digest);
        return this.getBlob(req, res, route.name, route.digest, method === 'HEAD');
      case 'uploadStart':
        return this.startUpload(req, res, route.name, query, client.address);
      case 'upload': {
        const { name, id } = route;
        const work = (): Promise<number> => {
          if (method === 'GET') return this.uploadStatus(req, res, name, id);
          if (method === 'PATCH') return this.patchUpload(req, res, name, id);
          if (method === 'PUT') return this.finishUpload(req, res, name, id, query);
          return this.cancelUpload(req, res, name, id);
        };
        return this.opts.uploads ? this.opts.uploads.during(id, work) : work();
      }
    }
  }

  // -- manifests -------------------------------------------------------------

  private async resolve(name: string, reference: string): Promise<{ digest: string; tag?: string }> {
    if (reference.includes(':')) {
      checkDigest(reference);
      return { digest: reference };
    }
    if (!isValidTag(reference)) throw new RegistryError('TAG_INVALID', 'invalid tag', { tag: reference.slice(0, 200) });
    const digest = await this.opts.store.resolveTag(name, reference);
    if (!digest) throw new RegistryError('MANIFEST_UNKNOWN', undefined, { tag: reference });
    return { digest, tag: reference };
  }

  private async getManifest(
    req: IncomingMessage,
    res: ServerResponse,
    name: string,
    reference: string,
    head: boolean,
    publisher: boolean,
  ): Promise<number> {
    req.resume();
    const { digest, tag } = await this.resolve(name, reference);
    const manifest = SHA256_DIGEST.test(digest) ? await this.opts.store.getManifest(name, digest) : undefined;
    if (!manifest) throw new RegistryError('MANIFEST_UNKNOWN', undefined, tag !== undefined ? { tag } : { digest });
    if (!publisher)
      await this.opts.gate?.check({
        gun: this.gunOf(name),
        repository: name,
        ...(tag !== undefined ? { tag } : {}),
        digest,
        size: manifest.size,
      });
    checkAccepted(req.headers.accept, manifest.mediaType);
    const etag = `"${digest}"`;
    const headers: Record<string, string | number> = {
      'Content-Type': manifest.mediaType,
      'Content-Length': manifest.size,
      'Docker-Content-Digest': digest,
      ETag: etag,
    };
    const inm = req.headers['if-none-match'];
    if (inm !== undefined && inm.split(',').some((v) => v.trim() === etag || v.trim() === digest)) {
      return send(res, { status: 304, headers: { 'Docker-Content-Digest': digest, ETag: etag }, body: Buffer.alloc(0) });
    }
    return send(res, { status: 200, headers, body: manifest.data }, head);
  }

  private async putManifest(req: IncomingMessage, res: ServerResponse, name: string, reference: string): Promise<number> {
    let tag: string | undefined;
    let expected: string | undefined;
    if (reference.includes(':')) {
      checkDigest(reference);
      expected = reference;
    } else if (isValidTag(reference)) tag = reference;
    else throw new RegistryError('TAG_INVALID', 'invalid tag', { tag: reference.slice(0, 200) });

    const body = await readLimited(req, this.maxManifestBytes, this.idleTimeoutMs);
    let manifest: Manifest;
    try {
      manifest = parseManifest(body, { contentType: header(req.headers['content-type']), maxBytes: this.maxManifestBytes });
    } catch (err) {
      if (isDctError(err)) throw new RegistryError('MANIFEST_INVALID', undefined, err.message);
      throw err;
    }
    if (expected !== undefined && manifest.digest !== expected) {
      throw new RegistryError('DIGEST_INVALID', undefined, `the manifest hashes to ${manifest.digest}, not to ${expected}`);
    }
    const references: ManifestReference[] = [];
    for (const d of childDescriptors(manifest)) {
      if (manifest.kind === 'index') {
        if (!SHA256_DIGEST.test(d.digest) || !(await this.opts.store.getManifest(name, d.digest))) {
          throw new RegistryError('MANIFEST_BLOB_UNKNOWN', undefined, { digest: d.digest });
        }
        references.push({ digest: d.digest, kind: 'manifest' });
      } else {
        if (isForeignLayerMediaType(d.mediaType) && d.urls !== undefined && d.urls.length > 0) continue;
        if (!(await this.blobPresent(name, d.digest))) throw new RegistryError('MANIFEST_BLOB_UNKNOWN', undefined, { digest: d.digest });
        if (!references.some((r) => r.digest === d.digest)) references.push({ digest: d.digest, kind: 'blob' });
      }
    }
    const artifactType = manifest.artifactType ?? (manifest.kind === 'manifest' ? manifest.config.mediaType : undefined);
    const stored: Omit<StoredManifest, 'createdAt'> = {
      repository: name,
      digest: manifest.digest,
      mediaType: manifest.mediaType,
      size: manifest.size,
      data: manifest.bytes,
      ...(artifactType !== undefined ? { artifactType } : {}),
      ...(manifest.subject !== undefined ? { subject: manifest.subject.digest } : {}),
    };
    await this.opts.store.putManifest(stored, references, tag);
    this.opts.log.info(
      { registry: 'manifest', repository: name, digest: manifest.digest, ...(tag !== undefined ? { tag } : {}) },
      'manifest pushed',
    );
    const headers: Record<string, string | number> = {
      Location: `/v2/${name}/manifests/${manifest.digest}`,
      'Docker-Content-Digest': manifest.digest,
      'Content-Length': 0,
    };
    if (manifest.subject !== undefined) headers['OCI-Subject'] = manifest.subject.digest;
    return send(res, { status: 201, headers, body: Buffer.alloc(0) });
  }

  private async deleteManifest(req: IncomingMessage, res: ServerResponse, name: string, reference: string): Promise<number> {
    req.resume();
    let removed: boolean;
    if (reference.includes(':')) {
      checkDigest(reference);
      removed = await this.opts.store.deleteManifest(name, reference);
    } else {
      if (!isValidTag(reference)) throw new RegistryError('TAG_INVALID', 'invalid tag', { tag: reference.slice(0, 200) });
      removed = await this.opts.store.deleteTag(name, reference);
    }
    if (!removed) throw new RegistryError('MANIFEST_UNKNOWN', undefined, { reference });
    this.opts.log.info({ registry: 'manifest', repository: name, reference }, 'manifest deleted');
    return send(res, { status: 202, headers: { 'Content-Length': 0 }, body: Buffer.alloc(0) });
  }

  // -- blobs -----------------------------------------------------------------

  private async blobPresent(name: string, digest: string): Promise<boolean> {
    if (!SHA256_DIGEST.test(digest)) return false;
    if (!(await this.opts.store.getBlobLink(name, digest))) return false;
    return (await this.opts.blobs.stat(digest)) !== undefined;
  }

  private async getBlob(req: IncomingMessage, res: ServerResponse, name: string, digest: string, head: boolean): Promise<number> {
    req.resume();
    checkDigest(digest);
    const link = SHA256_DIGEST.test(digest) ? await this.opts.store.getBlobLink(name, digest) : undefined;
    const info = link ? await this.opts.blobs.stat(digest) : undefined;
    if (!info) throw new RegistryError('BLOB_UNKNOWN', undefined, { digest });
    const headers: Record<string, string | number> = {
      'Content-Type': 'application/octet-stream',
      'Docker-Content-Digest': digest,
      ETag: `"${digest}"`,
      'Accept-Ranges': 'bytes',
      'Cache-Control': 'max-age=31536000',
    };
    let range: { start: number; end: number } | undefined;
    const rangeHeader = header(req.headers.range);
    if (rangeHeader !== undefined && !head) {
      range = parseRange(rangeHeader, info.size);
      if (!range) {
        return send(res, { status: 416, headers: { 'Content-Range': `bytes */${info.size}`, 'Content-Length': 0 }, body: Buffer.alloc(0) });
      }
    }
    if (head) return send(res, { status: 200, headers: { ...headers, 'Content-Length': info.size }, body: Buffer.alloc(0) }, true);
    const stream = await this.opts.blobs.read(digest, range);
    if (!stream) throw new RegistryError('BLOB_UNKNOWN', undefined, { digest });
    const status = range ? 206 : 200;
    if (range) headers['Content-Range'] = `bytes ${range.start}-${range.end}/${info.size}`;
    headers['Content-Length'] = range ? range.end - range.start + 1 : info.size;
    res.writeHead(status, { 'Docker-Distribution-API-Version': 'registry/2.0', ...headers });
    await streamTo(stream, res);
    return status;
  }

  private async deleteBlob(req: IncomingMessage, res: ServerResponse, name: string, digest: string): Promise<number> {
    req.resume();
    checkDigest(digest);
    if (!(await this.opts.store.unlinkBlob(name, digest))) throw new RegistryError('BLOB_UNKNOWN', undefined, { digest });
    return send(res, { status: 202, headers: { 'Content-Length': 0, 'Docker-Content-Digest': digest }, body: Buffer.alloc(0) });
  }

  // -- uploads ---------------------------------------------------------------

  /** A new upload session, within the caps of its repository and client. */
  private openUpload(name: string, client: string | undefined) {
    const start = () => this.opts.blobs.startUpload(name);
    return this.opts.uploads ? this.opts.uploads.open(name, client, start) : start();
  }

  private async startUpload(
    req: IncomingMessage,
    res: ServerResponse,
    name: string,
    query: URLSearchParams,
    client: string | undefined,
  ): Promise<number> {
    const mount = query.get('mount');
    const from = query.get('from');
    if (mount !== null && from !== null && SHA256_DIGEST.test(mount) && isValidRepositoryName(from)) {
      const link = await this.opts.store.getBlobLink(from, mount);
      if (link && (await this.opts.blobs.stat(mount))) {
        req.resume();
        await this.opts.store.linkBlob(name, mount, link.size);
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
    return send(res, { status: 202, headers: uploadHeaders(name, upload.id, 0), body: Buffer.alloc(0) });
  }

  private async uploadStatus(req: IncomingMessage, res: ServerResponse, name: string, id: string): Promise<number> {
    req.resume();
    const upload = await this.opts.blobs.getUpload(id, name);
    if (!upload) throw new RegistryError('BLOB_UPLOAD_UNKNOWN', undefined, { id });
    return send(res, { status: 204, headers: uploadHeaders(name, id, upload.size), body: Buffer.alloc(0) });
  }

  private async patchUpload(req: IncomingMessage, res: ServerResponse, name: string, id: string): Promise<number> {
    const upload = await this.opts.blobs.getUpload(id, name);
    if (!upload) throw new RegistryError('BLOB_UPLOAD_UNKNOWN', undefined, { id });
    let offset: number | undefined;
    const contentRange = header(req.headers['content-range']);
    if (contentRange !== undefined) {
      const m = CONTENT_RANGE.exec(contentRange.trim());
      if (!m) throw new RegistryError('RANGE_INVALID', undefined, { 'Content-Range': contentRange.slice(0, 100) });
      offset = Number(m[1]);
      const end = Number(m[2]);
      const length = contentLength(req);
      if (end < offset || (length !== undefined && end - offset + 1 !== length)) {
        throw new RegistryError('RANGE_INVALID', undefined, { 'Content-Range': contentRange.slice(0, 100) });
      }
      if (offset !== upload.size) {
        throw new RegistryError('RANGE_INVALID', `the chunk starts at ${offset}, but the upload holds ${upload.size} bytes`, undefined, {
          Location: `/v2/${name}/blobs/uploads/${id}`,
          Range: rangeOf(upload.size),
          'Docker-Upload-UUID': id,
        });
      }
    }
    const size = await this.appendBody(req, id, offset);
    return send(res, { status: 202, headers: uploadHeaders(name, id, size), body: Buffer.alloc(0) });
  }

  private async finishUpload(req: IncomingMessage, res: ServerResponse, name: string, id: string, query: URLSearchParams): Promise<number> {
    const upload = await this.opts.blobs.getUpload(id, name);
    if (!upload) {
      req.resume();
      throw new RegistryError('BLOB_UPLOAD_UNKNOWN', undefined, { id });
    }
    const digest = query.get('digest');
    if (digest === null || digest === '') {
      req.resume();
      throw new RegistryError('DIGEST_INVALID', 'digest missing: PUT …?digest=<digest> completes an upload');
    }
    checkDigest(digest);
    const length = contentLength(req);
    if (length !== 0) await this.appendBody(req, id, undefined);
    else req.resume();
    return this.complete(res, name, id, digest);
  }

  private async cancelUpload(req: IncomingMessage, res: ServerResponse, name: string, id: string): Promise<number> {
    req.resume();
    if (!(await this.opts.blobs.getUpload(id, name)) || !(await this.cancel(id))) {
      throw new RegistryError('BLOB_UPLOAD_UNKNOWN', undefined, { id });
    }
    return send(res, { status: 204, headers: { 'Content-Length': 0 }, body: Buffer.alloc(0) });
  }

  /**
   * Streams the request body into an upload, dropping the connection if it stalls.
   * An upload growing beyond the blob limit (whatever the request declares) is cancelled.
   */
  private async appendBody(req: IncomingMessage, id: string, offset: number | undefined): Promise<number> {
    const length = contentLength(req);
    const restore = req.socket.timeout ?? 0;
    req.setTimeout(this.idleTimeoutMs, () => req.destroy(new Error('the request body stalled')));
    try {
      // the body is lent, not handed over: a refusal part-way leaves the request open to answer (serve drains it)
      const body = Readable.from(lent(req), { objectMode: false });
      return await this.opts.blobs.append(id, body, {
        ...(offset !== undefined ? { offset } : {}),
        ...(length !== undefined ? { length } : {}),
        maxSize: this.maxBlobBytes,
      });
    } catch (err) {
      if (err instanceof BlobStoreError && err.code === 'BLOB_TOO_LARGE') {
        await this.cancel(id);
        throw new RegistryError(
          'SIZE_INVALID',
          `the blob is larger than this registry accepts (${this.maxBlobBytes} bytes); the upload is cancelled`,
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
    this.opts.uploads?.closed(id);
    return this.opts.blobs.cancel(id);
  }

  private async complete(res: ServerResponse, name: string, id: string, digest: string): Promise<number> {
    // finishing ends the session, whatever the outcome
    this.opts.uploads?.closed(id);
    const blob = await this.opts.blobs.finish(id, digest);
    await this.opts.store.linkBlob(name, digest, blob.size);
    return blobCreated(res, name, digest);
  }

  // -- lists -----------------------------------------------------------------

  private pageSize(query: URLSearchParams): number {
    const n = query.get('n');
    if (n === null || n === '') return this.maxPageSize;
    if (!/^\d{1,9}$/.test(n)) throw new RegistryError('PAGINATION_NUMBER_INVALID', undefined, { n: n.slice(0, 20) });
    return Math.min(Number(n), this.maxPageSize);
  }

  private async tags(res: ServerResponse, name: string, query: URLSearchParams): Promise<number> {
    const n = this.pageSize(query);
    const last = query.get('last') ?? undefined;
    const tags = n === 0 ? [] : await this.opts.store.listTags(name, { ...(last ? { last } : {}), limit: n + 1 });
    if (tags.length === 0 && !last && !(await this.opts.store.repositoryExists(name)))
      throw new RegistryError('NAME_UNKNOWN', undefined, { name });
    const more = tags.length > n;
    const page = tags.slice(0, n);
    const headers: Record<string, string> = {};
    if (more) headers['Link'] = `</v2/${name}/tags/list?n=${n}&last=${encodeURIComponent(page[page.length - 1] as string)}>; rel="next"`;
    return sendJson(res, JSON.stringify({ name, tags: page }), 'application/json', headers);
  }

  private async catalog(res: ServerResponse, query: URLSearchParams): Promise<number> {
    const n = this.pageSize(query);
    const last = query.get('last') ?? undefined;
    const repos = n === 0 ? [] : await this.opts.store.listRepositories({ ...(last ? { last } : {}), limit: n + 1 });
    const more = repos.length > n;
    const page = repos.slice(0, n);
    const headers: Record<string, string> = {};
    if (more) headers['Link'] = `</v2/_catalog?n=${n}&last=${encodeURIComponent(page[page.length - 1] as string)}>; rel="next"`;
    return sendJson(res, JSON.stringify({ repositories: page }), 'application/json', headers);
  }

  private async referrers(res: ServerResponse, name: string, digest: string, query: URLSearchParams): Promise<number> {
    checkDigest(digest);
    const artifactType = query.get('artifactType');
    let found = await this.opts.store.referrers(name, digest);
    const headers: Record<string, string> = {};
    if (artifactType !== null && artifactType !== '') {
      found = found.filter((m) => m.artifactType === artifactType);
      headers['OCI-Filters-Applied'] = 'artifactType';
    }
    const manifests = found.map((m) => {
      const d: Record<string, unknown> = { mediaType: m.mediaType, digest: m.digest, size: m.size };
      if (m.artifactType !== undefined) d['artifactType'] = m.artifactType;
      const annotations = annotationsOf(m.data);
      if (annotations) d['annotations'] = annotations;
      return d;
    });
    return sendJson(res, JSON.stringify({ schemaVersion: 2, mediaType: OCI_MEDIA_TYPES.index, manifests }), OCI_MEDIA_TYPES.index, headers);
  }
}

// -- helpers -----------------------------------------------------------------

function send(res: ServerResponse, prepared: PreparedResponse, head = false): number {
  res.writeHead(prepared.status, { 'Docker-Distribution-API-Version': 'registry/2.0', ...prepared.headers });
  res.end(head ? undefined : prepared.body);
  return prepared.status;
}

function sendJson(res: ServerResponse, text: string, contentType: string, headers: Record<string, string> = {}): number {
  const body = Buffer.from(text);
  return send(res, { status: 200, headers: { 'Content-Type': contentType, 'Content-Length': body.length, ...headers }, body });
}

function blobCreated(res: ServerResponse, name: string, digest: string): number {
  return send(res, {
    status: 201,
    headers: { Location: `/v2/${name}/blobs/${digest}`, 'Docker-Content-Digest': digest, 'Content-Length': 0 },
    body: Buffer.alloc(0),
  });
}

function rangeOf(size: number): string {
  return `0-${Math.max(0, size - 1)}`;
}

function uploadHeaders(name: string, id: string, size: number): Record<string, string | number> {
  return { Location: `/v2/${name}/blobs/uploads/${id}`, Range: rangeOf(size), 'Docker-Upload-UUID': id, 'Content-Length': 0 };
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** A digest in a path or query: the OCI grammar, and one the registry stores (sha256). */
function checkDigest(digest: string): void {
  if (!DIGEST_GRAMMAR.test(digest)) throw new RegistryError('DIGEST_INVALID', 'invalid digest', { digest: digest.slice(0, 200) });
  if (!FsBlobStore.supports(digest)) {
    throw new RegistryError('DIGEST_INVALID', 'unsupported digest: this registry stores sha256 content', { digest: digest.slice(0, 200) });
  }
}

/**
 * docker/distribution's negotiation: OCI manifests and indexes are served only
 * to clients that list their type (or a wildcard) in Accept; docker schema 2
 * types are always served.
 */
function checkAccepted(accept: string | undefined, mediaType: string): void {
  if (mediaType !== OCI_MEDIA_TYPES.manifest && mediaType !== OCI_MEDIA_TYPES.index) return;
  const types = (accept ?? '').split(',').map((t) => (t.split(';')[0] as string).trim().toLowerCase());
  if (types.includes(mediaType) || types.includes('*/*') || types.includes('application/*')) return;
  const what =
    mediaType === OCI_MEDIA_TYPES.index
      ? 'OCI index found, but accept header does not support OCI indexes'
      : 'OCI manifest found, but accept header does not support OCI manifests';
  throw new RegistryError('MANIFEST_UNKNOWN', what);
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

function annotationsOf(data: Buffer): Record<string, string> | undefined {
  try {
    const a = (JSON.parse(data.toString('utf8')) as { annotations?: unknown }).annotations;
    if (typeof a === 'object' && a !== null && !Array.isArray(a) && Object.keys(a).length > 0) return a as Record<string, string>;
  } catch {
    // stored manifests parsed when pushed; nothing to add otherwise
  }
  return undefined;
}

/** Known failures as registry errors; anything else (a server fault) stays as it is. */
function toRegistryError(err: unknown): RegistryError | undefined {
  if (err instanceof RegistryError) return err;
  if (err instanceof BlobStoreError) {
    switch (err.code) {
      case 'BLOB_UPLOAD_UNKNOWN':
        return new RegistryError('BLOB_UPLOAD_UNKNOWN', undefined, err.message);
      case 'BLOB_UPLOAD_BUSY':
        return new RegistryError('BLOB_UPLOAD_INVALID', undefined, err.message);
      case 'BLOB_RANGE_INVALID':
        return new RegistryError('RANGE_INVALID', undefined, err.message);
      case 'BLOB_DIGEST_MISMATCH':
      case 'BLOB_DIGEST_UNSUPPORTED':
        return new RegistryError('DIGEST_INVALID', undefined, err.message);
      case 'BLOB_SIZE_MISMATCH':
      case 'BLOB_TOO_LARGE':
        return new RegistryError('SIZE_INVALID', undefined, err.message);
    }
  }
  return undefined;
}
