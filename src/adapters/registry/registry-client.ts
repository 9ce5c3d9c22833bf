/**
 * A client for one registry host: the OCI distribution spec (v1.1) / docker registry
 * API v2 — manifests (get, head, put, delete, and `resolveManifest`: HEAD then GET, as
 * crane's `Digest`), blobs (exists, streamed download with resume, monolithic and chunked
 * upload, cross-repository mount), tag listing with pagination, and the referrers API
 * with the tag-schema fallback. This class is the front; each part is its own file:
 * registry-connection.ts (endpoint, transport: auth, redirects, retries),
 * blob-download.ts, blob-upload.ts, tag-list.ts, referrers.ts, registry-headers.ts,
 * registry-arguments.ts and registry-client-error.ts.
 *
 * - Every byte fetched is checked: manifests against the digest they were asked by and
 *   any `Docker-Content-Digest`, and kept as served (the digest is that of the raw
 *   bytes); blobs against their descriptor's size and digest, incrementally, without
 *   buffering (memory stays flat whatever the blob size).
 * - Auth goes through a `RegistryAuth` (`repository:<name>:pull` or `pull,push`, plus
 *   `repository:<from>:pull` for a mount); the first request pings `/v2/` so that even
 *   streamed uploads carry credentials up front, as docker does.
 * - https with docker's per-host CAs and client certificates; plain http only for loopback
 *   hosts and the dct config's `insecureRegistries` (tried after unverified https).
 * - Idempotent requests (and upload steps, by restarting or resuming the upload) are
 *   retried with exponential back-off on 429, 5xx and network failures, honouring
 *   `Retry-After`. Redirects are followed for GET and HEAD (blob downloads are often sent
 *   to storage) and never carry `Authorization` (nor client certificates) to another origin.
 * - Each request has deadlines; each response read into memory is size-capped; failures
 *   are `RegistryClientError`s with stable codes and the registry's `errors[]` in the message.
 */
import type { Writable } from 'node:stream';
import { DctError, isDctError } from '../../core/errors.js';
import { digestOf, parseDigest } from '../../core/oci/digest.js';
import { parseManifest, type Manifest } from '../../core/oci/manifest.js';
import { MANIFEST_ACCEPT_TYPES, mediaTypeOfContentType } from '../../core/oci/media-types.js';
import { repositoryScope } from '../http/registry-auth.js';
import { downloadBlob, type GetBlobOptions, type GetBlobResult } from './blob-download.js';
import type { BlobSource } from './blob-source.js';
import { BlobUploader, type MountResult, type UploadOptions, type UploadResult, type UploadSettings } from './blob-upload.js';
import { listTags, type TagListOptions } from './tag-list.js';
import { listReferrers, type ReferrersOptions, type ReferrersResult } from './referrers.js';
import { checkDescriptor, checkReference, checkRepository, type BlobDescriptor } from './registry-arguments.js';
import { RegistryClientError } from './registry-client-error.js';
import { RegistryConnection, type CallOptions, type PingResult, type RegistryConnectionOptions } from './registry-connection.js';
import { contentLength, servedDigest } from './registry-headers.js';
import { discard, header, readBody, type TransportResponse } from '../http/transport/send.js';

export interface RegistryClientOptions extends RegistryConnectionOptions, UploadSettings {
  /** default 4 MiB */
  maxManifestBytes?: number;
  /** largest page of a tag list or referrers answer read (default 4 MiB) */
  maxListBytes?: number;
  /** blobs of this size or more are hashed on the hashing thread while they download (default 8 MiB; Infinity: never) */
  hashThreadMinBytes?: number;
}

export interface FetchedManifest {
  /** exactly as served */
  bytes: Buffer;
  mediaType: string;
  /** `sha256:` of the bytes */
  digest: string;
  size: number;
  manifest: Manifest;
}

export interface ManifestOptions extends CallOptions {
  accept?: readonly string[];
  /** the token scope's actions (default `pull`; a publisher about to sign asks `pull,push`) */
  actions?: string | readonly string[];
}

/** A manifest found by `resolveManifest`, with the endpoint that served it (e.g. `https://registry-1.docker.io`). */
export interface ResolvedManifest extends FetchedManifest {
  endpoint: string;
}

export interface ManifestInfo {
  digest?: string;
  size?: number;
  mediaType?: string;
}

export interface PutManifestResult {
  digest: string;
  location?: string;
  /** the registry's `OCI-Subject` header: it indexed the manifest's subject for the referrers API */
  ociSubject?: string;
}

export interface BlobInfo {
  size?: number;
  digest?: string;
}

export interface EnsureBlobOptions extends UploadOptions {
  /** repositories (on this registry) that may hold the blob, to mount from */
  mountFrom?: readonly string[];
}

const DEFAULT_MAX_MANIFEST = 4 * 1024 * 1024;

export class RegistryClient {
  /** `host[:port]` as requests go to it (`docker.io` is served by `registry-1.docker.io`) */
  readonly host: string;
  private readonly conn: RegistryConnection;
  private readonly uploader: BlobUploader;
  private readonly maxManifest: number;
  private readonly maxList: number;
  private readonly hashThreadMinBytes: number;

  constructor(host: string, options: RegistryClientOptions = {}) {
    this.conn = new RegistryConnection(host, options);
    this.host = this.conn.host;
    this.uploader = new BlobUploader(this.conn, options);
    this.maxManifest = options.maxManifestBytes ?? DEFAULT_MAX_MANIFEST;
    this.maxList = options.maxListBytes ?? 4 * 1024 * 1024;
    this.hashThreadMinBytes = options.hashThreadMinBytes ?? 8 * 1024 * 1024;
  }

  /** Closes idle connections. */
  close(): void {
    this.conn.close();
  }

  /** `GET /v2/`: picks the endpoint (https, or http for insecure hosts) and learns the auth challenge. */
  ping(opts: CallOptions = {}): Promise<PingResult> {
    return this.conn.ping(opts);
  }

  /** The base URL in use (after a ping). */
  baseUrl(): Promise<string> {
    return this.conn.baseUrl();
  }

  // ---- manifests -------------------------------------------------------------------------------

  /**
   * `GET /v2/<repo>/manifests/<tag|digest>`: the bytes as served, checked against a digest
   * reference and the `Docker-Content-Digest` header, parsed (schema 1 refused).
   */
  async getManifest(repo: string, reference: string, opts: ManifestOptions = {}): Promise<FetchedManifest> {
    checkRepository(repo);
    const refDigest = checkReference(reference);
    const what = `the manifest ${repo}:${reference}`.replace(`:${refDigest}`, `@${refDigest}`);
    return this.readManifest(await this.askManifest('GET', repo, reference, opts), what, [[refDigest, 'the reference']]);
  }

  /** `getManifest`, or undefined on a 404 (MANIFEST_NOT_FOUND): for lookups that often find nothing, without making an error. */
  async findManifest(repo: string, reference: string, opts: ManifestOptions = {}): Promise<FetchedManifest | undefined> {
    checkRepository(repo);
    const refDigest = checkReference(reference);
    const res = await this.askManifest('GET', repo, reference, opts);
    if (res.status === 404) return void (await discard(res));
    const what = `the manifest ${repo}:${reference}`.replace(`:${refDigest}`, `@${refDigest}`);
    return this.readManifest(res, what, [[refDigest, 'the reference']]);
  }

  /**
   * The manifest a tag or digest names, as crane's `Digest` finds it: `HEAD` for its digest
   * and size (404, 401 and 403 end there; other answers fall back to a GET by the
   * reference), then `GET` by that digest; the bytes must hash to the reference's digest,
   * the HEAD's and the GET's `Docker-Content-Digest`, and not be larger than announced.
   * `headFirst: false`: one GET by the reference (for a caller that reads the manifest anyway:
   * a HEAD saves nothing then, and the digest is still that of the bytes served).
   */
  async resolveManifest(repo: string, reference: string, opts: ManifestOptions & { headFirst?: boolean } = {}): Promise<ResolvedManifest> {
    checkRepository(repo);
    const refDigest = checkReference(reference);
    const what = `manifest for ${this.host}/${repo}${refDigest !== undefined ? '@' : ':'}${reference}`;
    if (opts.headFirst === false) {
      const got = await this.askManifest('GET', repo, reference, opts)
        .then((res) => this.readManifest(res, what, [[refDigest, 'the reference']]))
        .catch(notAManifest);
      return { ...got, endpoint: await this.conn.baseUrl() };
    }
    const head = await this.askManifest('HEAD', repo, reference, opts);
    await discard(head);
    if (head.status === 404 || head.status === 401 || head.status === 403) throw await this.conn.failure(head, what, 'manifest');
    const headDigest = head.status === 200 ? servedDigest(head) : undefined;
    const headSize = head.status === 200 ? contentLength(head) : undefined;
    if (headSize !== undefined && headSize > this.maxManifest) throw manifestTooLarge(what, headSize, this.maxManifest);
    let got: FetchedManifest;
    try {
      got = await this.readManifest(await this.askManifest('GET', repo, refDigest ?? headDigest ?? reference, opts), what, [
        [refDigest, 'the reference'],
        [headDigest, 'the registry (HEAD)'],
      ]);
    } catch (err) {
      return notAManifest(err);
    }
    if (headSize !== undefined && headSize !== got.size)
      throw new RegistryClientError(
        'REGISTRY_BAD_RESPONSE',
        `${this.host} announced ${headSize} bytes for the ${what} but served ${got.size}`,
      );
    return { ...got, endpoint: await this.conn.baseUrl() };
  }

  /** `GET` or `HEAD /v2/<repo>/manifests/<reference>`, accepting the manifest types. */
  private async askManifest(method: 'GET' | 'HEAD', repo: string, reference: string, opts: ManifestOptions): Promise<TransportResponse> {
    return this.conn.exchange({
      method,
      url: await this.conn.url(`/v2/${repo}/manifests/${reference}`),
      scopes: [repositoryScope(repo, opts.actions ?? 'pull')],
      headers: { Accept: (opts.accept ?? MANIFEST_ACCEPT_TYPES).join(', ') },
      retry: 'idempotent',
      redirects: true,
      signal: opts.signal,
    });
  }

  /** The answer to a GET of a manifest: its bytes checked against the digests `expected` and the registry's. */
  private async readManifest(
    res: TransportResponse,
    what: string,
    expected: ReadonlyArray<readonly [string | undefined, string]>,
  ): Promise<FetchedManifest> {
    if (res.status !== 200) throw await this.conn.failure(res, what, 'manifest');
    const bytes = await readBody(res, this.maxManifest, (n) => manifestTooLarge(what, n, this.maxManifest));
    for (const [digest, by] of [...expected, [servedDigest(res), 'the registry (GET) in Docker-Content-Digest'] as const]) {
      if (digest === undefined) continue;
      const got = digestOf(bytes, parseDigest(digest).algorithm);
      if (got !== digest) {
        throw new RegistryClientError(
          'DIGEST_MISMATCH',
          `${what} served by ${res.url.origin} hashes to ${got}, not to ${digest} given by ${by}: refusing it`,
        );
      }
    }
    const contentType = header(res, 'content-type');
    const manifest = parseManifest(bytes, {
      ...(contentType !== undefined ? { contentType } : {}),
      maxBytes: this.maxManifest,
      name: what,
    });
    return { bytes, mediaType: manifest.mediaType, digest: manifest.digest, size: bytes.length, manifest };
  }

  /** `HEAD /v2/<repo>/manifests/<ref>`: digest, size and media type, or undefined when unknown (404). */
  async headManifest(repo: string, reference: string, opts: ManifestOptions = {}): Promise<ManifestInfo | undefined> {
    checkRepository(repo);
    const refDigest = checkReference(reference);
    const res = await this.askManifest('HEAD', repo, reference, opts);
    if (res.status === 404) {
      await discard(res);
      return undefined;
    }
    if (res.status !== 200) throw await this.conn.failure(res, `the manifest ${repo}:${reference}`, 'manifest');
    await discard(res);
    const digest = servedDigest(res);
    if (
      refDigest !== undefined &&
      digest !== undefined &&
      digest !== refDigest &&
      parseDigest(digest).algorithm === parseDigest(refDigest).algorithm
    ) {
      throw new RegistryClientError(
        'DIGEST_MISMATCH',
        `${res.url.origin} answered a HEAD for ${repo}@${refDigest} with the digest ${digest}`,
      );
    }
    const size = contentLength(res);
    const mediaType = mediaTypeOfContentType(header(res, 'content-type'));
    return {
      ...(digest !== undefined ? { digest } : refDigest !== undefined ? { digest: refDigest } : {}),
      ...(size !== undefined ? { size } : {}),
      ...(mediaType !== '' ? { mediaType } : {}),
    };
  }

  /**
   * `PUT /v2/<repo>/manifests/<tag|digest>` of the bytes as given (validated first). The
   * registry's `Docker-Content-Digest` must be the digest of those bytes.
   */
  async putManifest(
    repo: string,
    reference: string,
    bytes: Uint8Array,
    mediaType: string,
    opts: CallOptions = {},
  ): Promise<PutManifestResult> {
    checkRepository(repo);
    const refDigest = checkReference(reference);
    const body = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const what = `the manifest ${repo}:${reference}`;
    const manifest = parseManifest(body, { contentType: mediaType, maxBytes: this.maxManifest, name: what });
    if (manifest.mediaType !== mediaType)
      throw new DctError('INVALID_MANIFEST', `${what} says it is ${manifest.mediaType}, not ${mediaType}`);
    if (refDigest !== undefined) {
      const got = digestOf(body, parseDigest(refDigest).algorithm);
      if (got !== refDigest)
        throw new DctError('DIGEST_MISMATCH', `the manifest bytes hash to ${got}, not to the digest ${refDigest} they are pushed by`);
    }
    const res = await this.conn.exchange({
      method: 'PUT',
      url: await this.conn.url(`/v2/${repo}/manifests/${reference}`),
      scopes: [repositoryScope(repo, 'pull,push')],
      headers: { 'Content-Type': mediaType },
      body,
      retry: 'idempotent',
      signal: opts.signal,
    });
    if (res.status !== 201 && res.status !== 200 && res.status !== 202) throw await this.conn.failure(res, `pushing ${what}`, 'manifest');
    await discard(res);
    const served = servedDigest(res);
    if (served !== undefined && served !== digestOf(body, parseDigest(served).algorithm)) {
      throw new RegistryClientError(
        'DIGEST_MISMATCH',
        `${res.url.origin} stored ${what} as ${served}, but its bytes hash to ${manifest.digest}`,
      );
    }
    const location = header(res, 'location');
    const ociSubject = header(res, 'oci-subject');
    return {
      digest: manifest.digest,
      ...(location !== undefined ? { location } : {}),
      ...(ociSubject !== undefined ? { ociSubject } : {}),
    };
  }

  /** `DELETE /v2/<repo>/manifests/<digest>` (registries refuse to delete by tag). */
  async deleteManifest(repo: string, digest: string, opts: CallOptions = {}): Promise<void> {
    checkRepository(repo);
    parseDigest(digest);
    const res = await this.conn.exchange({
      method: 'DELETE',
      url: await this.conn.url(`/v2/${repo}/manifests/${digest}`),
      scopes: [repositoryScope(repo, 'delete')],
      retry: 'idempotent',
      signal: opts.signal,
    });
    if (res.status !== 202 && res.status !== 200 && res.status !== 204)
      throw await this.conn.failure(res, `deleting the manifest ${repo}@${digest}`, 'manifest');
    await discard(res);
  }

  /** `HEAD /v2/<repo>/blobs/<digest>`: its size, or undefined when the repository does not have it. */
  async hasBlob(repo: string, digest: string, opts: CallOptions = {}): Promise<BlobInfo | undefined> {
    checkRepository(repo);
    parseDigest(digest);
    const res = await this.conn.exchange({
      method: 'HEAD',
      url: await this.conn.url(`/v2/${repo}/blobs/${digest}`),
      scopes: [repositoryScope(repo, 'pull')],
      retry: 'idempotent',
      redirects: true,
      signal: opts.signal,
    });
    await discard(res);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw await this.conn.failure(res, `the blob ${repo}@${digest}`, 'blob');
    const size = contentLength(res);
    const served = res.url.origin === (await this.conn.baseUrl()) ? servedDigest(res) : undefined;
    return { ...(size !== undefined ? { size } : {}), ...(served !== undefined ? { digest: served } : {}) };
  }

  /**
   * Streams a blob into `sink`, checking size and digest as it goes: more bytes than the
   * descriptor's size stop the download at once (SIZE_MISMATCH), fewer are SIZE_MISMATCH
   * at the end, other bytes DIGEST_MISMATCH. Bytes reach the sink before the digest can
   * be known: write to a temporary file and rename it only after this resolves. A broken
   * connection is resumed with a Range request (the digest is computed over the whole
   * blob). To resume an earlier download, pass the bytes already in the sink as `offset`
   * and their `digester` (see `digesterOfFile`).
   */
  async getBlob(repo: string, descriptor: BlobDescriptor, sink: Writable, opts: GetBlobOptions = {}): Promise<GetBlobResult> {
    checkRepository(repo);
    return downloadBlob(this.conn, repo, checkDescriptor(descriptor), sink, opts, this.hashThreadMinBytes);
  }

  /**
   * Uploads a blob: `POST /v2/<repo>/blobs/uploads/`, then one `PUT …?digest=` with the
   * content (monolithic), or `PATCH` chunks with `Content-Range` and an empty final `PUT`
   * (chunked). The content is checked against the descriptor while it is sent (its last
   * bytes are held back until they verify). A failed attempt is resumed where the
   * registry says the upload stands (chunked) or restarted with a new session.
   */
  async uploadBlob(repo: string, descriptor: BlobDescriptor, source: BlobSource, opts: UploadOptions = {}): Promise<UploadResult> {
    checkRepository(repo);
    return this.uploader.upload(repo, checkDescriptor(descriptor), source, opts);
  }

  /**
   * `POST /v2/<repo>/blobs/uploads/?mount=<digest>&from=<fromRepo>`. When the registry
   * answers 202 (no mount: it does not have the blob there, or the token may not read
   * `fromRepo`), the blob is uploaded from `source` in the session it opened, or the
   * session is cancelled when there is no source.
   */
  async mountBlob(
    repo: string,
    fromRepo: string,
    descriptor: BlobDescriptor,
    source?: BlobSource,
    opts: UploadOptions = {},
  ): Promise<MountResult> {
    checkRepository(repo);
    checkRepository(fromRepo);
    return this.uploader.mount(repo, fromRepo, checkDescriptor(descriptor), source, opts);
  }

  /** The blob in the repository, by the cheapest way: already there, mounted from one of `mountFrom`, or uploaded. */
  async ensureBlob(
    repo: string,
    descriptor: BlobDescriptor,
    source: BlobSource,
    opts: EnsureBlobOptions = {},
  ): Promise<'exists' | 'mounted' | 'uploaded'> {
    const { digest, size } = checkDescriptor(descriptor);
    const found = await this.hasBlob(repo, digest, opts);
    if (found && (found.size === undefined || found.size === size)) return 'exists';
    for (const from of opts.mountFrom ?? []) {
      if (from === repo) continue;
      const last = from === opts.mountFrom?.[opts.mountFrom.length - 1];
      const r = await this.mountBlob(repo, from, descriptor, last ? source : undefined, opts);
      if (r.mounted) return 'mounted';
      if (r.uploaded) return 'uploaded';
    }
    await this.uploadBlob(repo, descriptor, source, opts);
    return 'uploaded';
  }

  // ---- tags and referrers ------------------------------------------------------------------------

  /** `GET /v2/<repo>/tags/list`, following `Link: <…>; rel="next"` pages. */
  async listTags(repo: string, opts: TagListOptions = {}): Promise<string[]> {
    checkRepository(repo);
    return listTags(this.conn, repo, opts, this.maxList);
  }

  /**
   * The manifests that refer to `digest` (OCI 1.1 `GET /v2/<repo>/referrers/<digest>`, with
   * Link pagination); when the registry has no referrers API (404), the index tagged
   * `sha256-<hex>` (the referrers tag schema), or nothing.
   */
  async referrers(repo: string, digest: string, opts: ReferrersOptions = {}): Promise<ReferrersResult> {
    checkRepository(repo);
    parseDigest(digest);
    return listReferrers(this.conn, repo, digest, opts, this.maxList, (r, ref, o) => this.getManifest(r, ref, o));
  }
}

/** The registry served something that is no manifest: a bad response (other failures as they are). */
function notAManifest(err: unknown): never {
  if (!isDctError(err, 'INVALID_MANIFEST')) throw err;
  throw new RegistryClientError('REGISTRY_BAD_RESPONSE', err.message, undefined, [], { cause: err });
}
function manifestTooLarge(what: string, size: number | undefined, max: number): RegistryClientError {
  return new RegistryClientError(
    'MANIFEST_TOO_LARGE',
    `${what} ${size !== undefined ? `has ${size} bytes` : 'is larger'}, more than the ${max} allowed for a manifest`,
  );
}
