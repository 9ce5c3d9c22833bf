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
import type { Logger } from 'pino';
import { BlobStoreError, type FsBlobStore } from '../../adapters/blob-store/fs-blob-store.js';
import type { RegistryStore } from '../../core/ports.js';
import { lingerOnClose } from '../lingering-close.js';
import { BlobHandler } from './blob-handler.js';
import { RegistryApiError } from './registry-api-error.js';
import type { RegistryHandlerContext, RegistryRequester } from './handler-context.js';
import { ListHandler } from './list-handler.js';
import type { ManifestGate } from './manifest-gate.js';
import { ManifestHandler } from './manifest-handler.js';
import { ReferrersHandler } from './referrers-handler.js';
import { respond } from './registry-responses.js';
import { isValidRepositoryName, methodAllowed, type RegistryRoute } from './routes.js';
import { UploadHandler } from './upload-handler.js';
import type { UploadSessions } from './upload-sessions.js';

export interface RegistryApiOptions {
  store: RegistryStore;
  blobs: FsBlobStore;
  /** the host[:port] GUNs of this registry start with (docker: `<registry>/<name>`) */
  registryName: () => string;
  gate?: ManifestGate;
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

/** The router: checks the method and the name, hands the request to its resource's handler, and turns failures into registry errors. */
export class RegistryApi {
  private readonly manifestHandler: ManifestHandler;
  private readonly blobHandler: BlobHandler;
  private readonly uploadHandler: UploadHandler;
  private readonly listHandler: ListHandler;
  private readonly referrersHandler: ReferrersHandler;

  constructor(private readonly opts: RegistryApiOptions) {
    const ctx: RegistryHandlerContext = {
      store: opts.store,
      blobs: opts.blobs,
      log: opts.log,
      gate: opts.gate,
      uploads: opts.uploads,
      gunOf: (name) => this.gunOf(name),
      maxManifestBytes: opts.maxManifestBytes ?? 4 * 1024 * 1024,
      maxBlobBytes: opts.maxBlobBytes ?? 10 * 1024 ** 3,
      idleTimeoutMs: opts.idleTimeoutMs ?? 60_000,
      maxPageSize: opts.maxPageSize ?? 1000,
    };
    this.manifestHandler = new ManifestHandler(ctx);
    this.blobHandler = new BlobHandler(ctx);
    this.uploadHandler = new UploadHandler(ctx);
    this.listHandler = new ListHandler(ctx);
    this.referrersHandler = new ReferrersHandler(ctx);
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
    client: RegistryRequester = { publisher: false },
  ): Promise<number> {
    const method = req.method ?? 'GET';
    try {
      if (!methodAllowed(route, method)) throw new RegistryApiError('UNSUPPORTED', `${method} is not supported here`);
      if (route.kind !== 'catalog' && !isValidRepositoryName(route.name)) {
        throw new RegistryApiError('NAME_INVALID', undefined, { name: route.name.slice(0, 300) });
      }
      return await this.dispatch(req, res, route, query, method, client);
    } catch (err) {
      const mapped = toRegistryApiError(err);
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
      return respond(res, mapped.response(), method === 'HEAD');
    }
  }

  private async dispatch(
    req: IncomingMessage,
    res: ServerResponse,
    route: RegistryRoute,
    query: URLSearchParams,
    method: string,
    client: RegistryRequester,
  ): Promise<number> {
    switch (route.kind) {
      case 'catalog':
        return this.listHandler.catalog(res, query);
      case 'tags':
        return this.listHandler.tags(res, route.name, query);
      case 'referrers':
        return this.referrersHandler.referrers(res, route.name, route.digest, query);
      case 'manifest':
        if (method === 'PUT') return this.manifestHandler.putManifest(req, res, route.name, route.reference);
        if (method === 'DELETE') return this.manifestHandler.deleteManifest(req, res, route.name, route.reference);
        return this.manifestHandler.getManifest(req, res, route.name, route.reference, method === 'HEAD', client);
      case 'blob':
        if (method === 'DELETE') return this.blobHandler.deleteBlob(req, res, route.name, route.digest);
        return this.blobHandler.getBlob(req, res, route.name, route.digest, method === 'HEAD');
      case 'uploadStart':
        return this.uploadHandler.startUpload(req, res, route.name, query, client.address);
      case 'upload': {
        const { name, id } = route;
        const work = (): Promise<number> => {
          if (method === 'GET') return this.uploadHandler.uploadStatus(req, res, name, id);
          if (method === 'PATCH') return this.uploadHandler.patchUpload(req, res, name, id);
          if (method === 'PUT') return this.uploadHandler.finishUpload(req, res, name, id, query);
          return this.uploadHandler.cancelUpload(req, res, name, id);
        };
        return this.opts.uploads ? this.opts.uploads.during(id, work) : work();
      }
    }
  }
}

/** Known failures as registry errors; anything else (a server fault) stays as it is. */
function toRegistryApiError(err: unknown): RegistryApiError | undefined {
  if (err instanceof RegistryApiError) return err;
  if (err instanceof BlobStoreError) {
    switch (err.code) {
      case 'BLOB_UPLOAD_UNKNOWN':
        return new RegistryApiError('BLOB_UPLOAD_UNKNOWN', undefined, err.message);
      case 'BLOB_UPLOAD_BUSY':
        return new RegistryApiError('BLOB_UPLOAD_INVALID', undefined, err.message);
      case 'BLOB_RANGE_INVALID':
        return new RegistryApiError('RANGE_INVALID', undefined, err.message);
      case 'BLOB_DIGEST_MISMATCH':
      case 'BLOB_DIGEST_UNSUPPORTED':
        return new RegistryApiError('DIGEST_INVALID', undefined, err.message);
      case 'BLOB_SIZE_MISMATCH':
      case 'BLOB_TOO_LARGE':
        return new RegistryApiError('SIZE_INVALID', undefined, err.message);
    }
  }
  return undefined;
}
