/**
 * A client for one registry host: the OCI distribution spec (v1.1) / docker registry
 * API v2 — manifests (get, head, put, delete), blobs (exists, streamed download with
 * resume, monolithic and chunked upload, cross-repository mount), tag listing with
 * pagination, and the referrers API with the tag-schema fallback.
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
 *   are `RegistryError`s with stable codes and the registry's `errors[]` in the message.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { Transform, type TransformCallback, type Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { DctError } from '../../core/errors.js';
import { parseDescriptor, type Descriptor } from '../../core/oci/descriptor.js';
import { Digester, digestOf, parseDigest } from '../../core/oci/digest.js';
import { parseManifest, type ImageIndex, type Manifest } from '../../core/oci/manifest.js';
import { MANIFEST_ACCEPT_TYPES, OCI_MEDIA_TYPES, mediaTypeOfContentType } from '../../core/oci/media-types.js';
import { isLoopbackHost } from '../../core/image-reference.js';
import { repositoryScope, type RegistryAuth, type TlsSettings } from '../http/registry-auth.js';
import { openRange, type BlobSource } from './blob-source.js';
import {
  DOCKER_HUB_REGISTRY,
  isInsecureHost,
  registryEndpoints,
  registryHostFor,
  registryTls,
  type RegistryEndpoint,
  type RegistryTlsOptions,
} from './endpoints.js';
import { ThreadDigester, type BlobDigester } from './thread-digester.js';
import {
  describeUrl,
  discard,
  header,
  isTransient,
  readBody,
  send,
  streamError,
  type StreamBody,
  type TransportResponse,
} from './transport.js';

export { ThreadDigester, type BlobDigester } from './thread-digester.js';
export { fileBlobSource, digesterOfFile, type BlobSource, type RangeSource } from './blob-source.js';

// ---- options and results ---------------------------------------------------------------------

export interface RegistryClientOptions extends RegistryTlsOptions {
  auth?: RegistryAuth;
  /** skip endpoint discovery: e.g. `http://127.0.0.1:5000` (plain http still only for loopback / insecure hosts) */
  endpoint?: string;
  /** deadline for the answer to a request, once it is sent (default 30 s) */
  timeoutMs?: number;
  /** longest silence on a connection while sending or receiving (default 60 s) */
  idleTimeoutMs?: number;
  /** retries after a failed attempt (default 4) */
  retries?: number;
  /** first back-off (default 250 ms), doubled each retry, with jitter */
  backoffMs?: number;
  /** longest back-off (default 10 s) */
  maxBackoffMs?: number;
  /** a `Retry-After` longer than this fails at once instead of waiting (default 60 s) */
  maxRetryAfterMs?: number;
  /** default 4 MiB */
  maxManifestBytes?: number;
  /** largest page of a tag list or referrers answer read (default 4 MiB) */
  maxListBytes?: number;
  /** blobs larger than this are uploaded in chunks (default 512 MiB) */
  chunkedThreshold?: number;
  /** chunk size for chunked uploads (default 64 MiB; raised to the registry's OCI-Chunk-Min-Length) */
  chunkSize?: number;
  maxRedirects?: number;
  /** parallel connections per origin (default 16) */
  maxSockets?: number;
  userAgent?: string;
  /** blobs of this size or more are hashed on the hashing thread while they download (default 8 MiB; Infinity: never) */
  hashThreadMinBytes?: number;
  /** waits between retries (tests) */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** 0 ≤ x < 1, for back-off jitter (tests) */
  random?: () => number;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface PingResult {
  /** the endpoint in use, e.g. `https://registry.example.com` */
  endpoint: string;
  status: number;
  /** `Docker-Distribution-API-Version` */
  apiVersion?: string;
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

export interface GetBlobOptions extends CallOptions {
  /** resume: bytes already in the sink (the digester must have hashed exactly them) */
  offset?: number;
  /** a core `Digester`, or a `ThreadDigester` (the default for blobs of `hashThreadMinBytes` or more) */
  digester?: BlobDigester;
  /** end the sink and wait for it to finish after a verified download (default true) */
  end?: boolean;
  /** called with the bytes received so far (including `offset`) */
  onProgress?: (received: number, total: number) => void;
}

export interface GetBlobResult {
  digest: string;
  size: number;
  /** bytes fetched from the registry (less than size when resumed) */
  fetched: number;
  /** Range requests made after a broken connection */
  resumes: number;
}

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

export interface EnsureBlobOptions extends UploadOptions {
  /** repositories (on this registry) that may hold the blob, to mount from */
  mountFrom?: readonly string[];
}

export interface ReferrersResult {
  manifests: Descriptor[];
  /** `api`: the registry's referrers endpoint; `tag`: the `sha256-<hex>` tag schema; `none`: neither exists */
  via: 'api' | 'tag' | 'none';
}

/** One entry of a registry's `{"errors":[…]}` */
export interface RegistryErrorDetail {
  code: string;
  message: string;
  detail?: unknown;
}

/** A failure the registry reported (or a protocol violation), with the HTTP status and its `errors[]`. */
export class RegistryError extends DctError {
  constructor(
    code: string,
    message: string,
    readonly status?: number,
    readonly errors: readonly RegistryErrorDetail[] = [],
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/**
 * The `DctError.code`s the client raises (besides the core's INVALID_MANIFEST,
 * UNSUPPORTED_MANIFEST, INVALID_DESCRIPTOR, INVALID_DIGEST… and RegistryAuth's AUTH_*).
 */
export const REGISTRY_ERROR_CODES = [
  /** no endpoint answered the ping (connection refused, TLS failure, timeout) */
  'REGISTRY_UNREACHABLE',
  /** a later request failed on the network, or got no answer in time, after the retries */
  'NETWORK_ERROR',
  'TIMEOUT',
  'ABORTED',
  /** HTTP 401 / 403 */
  'REGISTRY_UNAUTHORIZED',
  'REGISTRY_DENIED',
  /** HTTP 404 by kind (MANIFEST_UNKNOWN, BLOB_UNKNOWN, NAME_UNKNOWN, BLOB_UPLOAD_UNKNOWN) */
  'MANIFEST_NOT_FOUND',
  'BLOB_NOT_FOUND',
  'REPOSITORY_UNKNOWN',
  'UPLOAD_UNKNOWN',
  /** HTTP 429 after the retries, or with a Retry-After longer than allowed */
  'REGISTRY_TOO_MANY_REQUESTS',
  /** other 4xx (MANIFEST_INVALID, MANIFEST_BLOB_UNKNOWN, DIGEST_INVALID, SIZE_INVALID, 413…) */
  'REGISTRY_REJECTED',
  /** 5xx after the retries */
  'REGISTRY_SERVER_ERROR',
  /** answers that break the protocol (bad headers, ranges, links, JSON) */
  'REGISTRY_BAD_RESPONSE',
  'RESPONSE_TOO_LARGE',
  'MANIFEST_TOO_LARGE',
  /** content that is not what was asked for */
  'DIGEST_MISMATCH',
  'SIZE_MISMATCH',
  /** plain http to a host that is neither loopback nor in insecureRegistries; a redirect from https to http */
  'INSECURE_REGISTRY',
  'INSECURE_REDIRECT',
  /** the caller's sink or source failed */
  'WRITE_FAILED',
  'UPLOAD_SOURCE_FAILED',
  'INVALID_REFERENCE',
  'INVALID_ARGUMENT',
] as const;

// ---- constants ---------------------------------------------------------------------------------

const DEFAULT_MAX_MANIFEST = 4 * 1024 * 1024;
const ERROR_BODY_MAX = 64 * 1024;
const TAG = /^[\w][\w.-]{0,127}$/;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const REPOSITORY = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

type Retry = 'idempotent' | 'never';

interface Op {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  url: URL;
  scopes: readonly string[];
  headers?: Record<string, string>;
  /** a fresh body for each attempt */
  body?: () => Buffer | StreamBody;
  retry: Retry;
  redirects?: boolean;
  signal?: AbortSignal | undefined;
}

// ---- the client --------------------------------------------------------------------------------

export class RegistryClient {
  /** `host[:port]` as requests go to it (`docker.io` is served by `registry-1.docker.io`) */
  readonly host: string;
  private readonly timeoutMs: number;
  private readonly idleTimeoutMs: number;
  private readonly retries: number;
  private readonly maxManifest: number;
  private readonly maxList: number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  private readonly hashThreadMinBytes: number;
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private endpointPromise: Promise<{ endpoint: RegistryEndpoint; ping: PingResult }> | undefined;

  constructor(
    host: string,
    private readonly options: RegistryClientOptions = {},
  ) {
    this.host = registryHostFor(host);
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
    this.retries = options.retries ?? 4;
    this.maxManifest = options.maxManifestBytes ?? DEFAULT_MAX_MANIFEST;
    this.maxList = options.maxListBytes ?? 4 * 1024 * 1024;
    this.sleep = options.sleep ?? defaultSleep;
    this.random = options.random ?? Math.random;
    this.hashThreadMinBytes = options.hashThreadMinBytes ?? 8 * 1024 * 1024;
    const maxSockets = options.maxSockets ?? 16;
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets });
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets });
  }

  /** Closes idle connections. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  // ---- endpoint and ping -----------------------------------------------------------------------

  /** `GET /v2/`: picks the endpoint (https, or http for insecure hosts) and learns the auth challenge. */
  async ping(opts: CallOptions = {}): Promise<PingResult> {
    return (await this.endpoint(opts.signal)).ping;
  }

  /** The base URL in use (after a ping). */
  async baseUrl(): Promise<string> {
    return (await this.endpoint()).endpoint.base;
  }

  private endpoint(signal?: AbortSignal): Promise<{ endpoint: RegistryEndpoint; ping: PingResult }> {
    if (!this.endpointPromise) {
      this.endpointPromise = this.discover(signal);
      // a failed discovery is tried again next time
      this.endpointPromise.catch(() => (this.endpointPromise = undefined));
    }
    return this.endpointPromise;
  }

  private async discover(signal: AbortSignal | undefined): Promise<{ endpoint: RegistryEndpoint; ping: PingResult }> {
    let candidates: RegistryEndpoint[];
    if (this.options.endpoint !== undefined) {
      const u = new URL(this.options.endpoint);
      if (u.protocol !== 'https:' && u.protocol !== 'http:')
        throw new DctError('INVALID_ARGUMENT', `registry endpoint ${this.options.endpoint} is not an http(s) URL`);
      const insecure = isInsecureHost(u.host, this.options.insecureRegistries);
      if (u.protocol === 'http:' && !insecure) {
        throw new DctError(
          'INSECURE_REGISTRY',
          `refusing plain http to ${u.host}: only loopback registries and those in the dct config's insecureRegistries may be reached without TLS`,
        );
      }
      const tls = u.protocol === 'https:' ? await registryTls(u.host, this.options) : undefined;
      candidates = [
        { base: u.origin, tls: insecure && u.protocol === 'https:' ? { ...(tls ?? {}), rejectUnauthorized: false } : tls, insecure },
      ];
    } else {
      candidates = await registryEndpoints(this.host, this.options);
    }
    let last: unknown;
    for (const [i, endpoint] of candidates.entries()) {
      const url = new URL('/v2/', endpoint.base);
      try {
        const op: Op = { method: 'GET', url, scopes: [], retry: candidates.length > 1 ? 'never' : 'idempotent', signal };
        const res = await this.attempts(op, endpoint);
        if (res.status === 401 && this.options.auth) this.options.auth.noteChallenges(url, res.headersDistinct['www-authenticate']);
        const apiVersion = header(res, 'docker-distribution-api-version');
        await discard(res);
        return { endpoint, ping: { endpoint: endpoint.base, status: res.status, ...(apiVersion !== undefined ? { apiVersion } : {}) } };
      } catch (err) {
        last = err;
        const network = err instanceof DctError && (err.code === 'NETWORK_ERROR' || err.code === 'TIMEOUT');
        if (!network || i === candidates.length - 1) break;
      }
    }
    if (last instanceof DctError && (last.code === 'NETWORK_ERROR' || last.code === 'TIMEOUT')) {
      throw new RegistryError(
        'REGISTRY_UNREACHABLE',
        `cannot reach the registry ${this.host} (${candidates.map((c) => c.base).join(', ')}): ${last.message}`,
        undefined,
        [],
        { cause: last },
      );
    }
    throw last;
  }

  // ---- manifests -------------------------------------------------------------------------------

  /**
   * `GET /v2/<repo>/manifests/<tag|digest>`: the bytes as served, checked against a digest
   * reference and the `Docker-Content-Digest` header, parsed (schema 1 refused).
   */
  async getManifest(repo: string, reference: string, opts: CallOptions & { accept?: readonly string[] } = {}): Promise<FetchedManifest> {
    checkRepository(repo);
    const refDigest = checkReference(reference);
    const op: Op = {
      method: 'GET',
      url: await this.url(`/v2/${repo}/manifests/${reference}`),
      scopes: [repositoryScope(repo, 'pull')],
      headers: { Accept: (opts.accept ?? MANIFEST_ACCEPT_TYPES).join(', ') },
      retry: 'idempotent',
      redirects: true,
      signal: opts.signal,
    };
    const what = `the manifest ${repo}:${reference}`.replace(`:${refDigest}`, `@${refDigest}`);
    const res = await this.exchange(op);
    if (res.status !== 200) throw await this.failure(res, what, 'manifest');
    const bytes = await readBody(res, this.maxManifest, (n) => manifestTooLarge(what, n, this.maxManifest));
    const served = this.servedDigest(res);
    for (const [expected, by] of [
      [refDigest, 'the reference'],
      [served, 'the registry (Docker-Content-Digest)'],
    ] as const) {
      if (expected === undefined) continue;
      const got = digestOf(bytes, parseDigest(expected).algorithm);
      if (got !== expected) {
        throw new RegistryError(
          'DIGEST_MISMATCH',
          `${what} served by ${res.url.origin} hashes to ${got}, not to ${expected} given by ${by}: refusing it`,
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
  async headManifest(
    repo: string,
    reference: string,
    opts: CallOptions & { accept?: readonly string[] } = {},
  ): Promise<ManifestInfo | undefined> {
    checkRepository(repo);
    const refDigest = checkReference(reference);
    const res = await this.exchange({
      method: 'HEAD',
      url: await this.url(`/v2/${repo}/manifests/${reference}`),
      scopes: [repositoryScope(repo, 'pull')],
      headers: { Accept: (opts.accept ?? MANIFEST_ACCEPT_TYPES).join(', ') },
      retry: 'idempotent',
      redirects: true,
      signal: opts.signal,
    });
    if (res.status === 404) {
      await discard(res);
      return undefined;
    }
    if (res.status !== 200) throw await this.failure(res, `the manifest ${repo}:${reference}`, 'manifest');
    await discard(res);
    const digest = this.servedDigest(res);
    if (
      refDigest !== undefined &&
      digest !== undefined &&
      digest !== refDigest &&
      parseDigest(digest).algorithm === parseDigest(refDigest).algorithm
    ) {
      throw new RegistryError('DIGEST_MISMATCH', `${res.url.origin} answered a HEAD for ${repo}@${refDigest} with the digest ${digest}`);
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
    const res = await this.exchange({
      method: 'PUT',
      url: await this.url(`/v2/${repo}/manifests/${reference}`),
      scopes: [repositoryScope(repo, 'pull,push')],
      headers: { 'Content-Type': mediaType },
      body: () => body,
      retry: 'idempotent',
      signal: opts.signal,
    });
    if (res.status !== 201 && res.status !== 200 && res.status !== 202) throw await this.failure(res, `pushing ${what}`, 'manifest');
    await discard(res);
    const served = this.servedDigest(res);
    if (served !== undefined && served !== digestOf(body, parseDigest(served).algorithm)) {
      throw new RegistryError('DIGEST_MISMATCH', `${res.url.origin} stored ${what} as ${served}, but its bytes hash to ${manifest.digest}`);
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
    const res = await this.exchange({
      method: 'DELETE',
      url: await this.url(`/v2/${repo}/manifests/${digest}`),
      scopes: [repositoryScope(repo, 'delete')],
      retry: 'idempotent',
      signal: opts.signal,
    });
    if (res.status !== 202 && res.status !== 200 && res.status !== 204)
      throw await this.failure(res, `deleting the manifest ${repo}@${digest}`, 'manifest');
    await discard(res);
  }

  // ---- blobs -----------------------------------------------------------------------------------

  /** `HEAD /v2/<repo>/blobs/<digest>`: its size, or undefined when the repository does not have it. */
  async hasBlob(repo: string, digest: string, opts: CallOptions = {}): Promise<BlobInfo | undefined> {
    checkRepository(repo);
    parseDigest(digest);
    const res = await this.exchange({
      method: 'HEAD',
      url: await this.url(`/v2/${repo}/blobs/${digest}`),
      scopes: [repositoryScope(repo, 'pull')],
      retry: 'idempotent',
      redirects: true,
      signal: opts.signal,
    });
    await discard(res);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw await this.failure(res, `the blob ${repo}@${digest}`, 'blob');
    const size = contentLength(res);
    const served = res.url.origin === (await this.baseUrl()) ? this.servedDigest(res) : undefined;
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
  async getBlob(
    repo: string,
    descriptor: Pick<Descriptor, 'digest' | 'size'> & Partial<Descriptor>,
    sink: Writable,
    opts: GetBlobOptions = {},
  ): Promise<GetBlobResult> {
    checkRepository(repo);
    const { digest, size } = checkDescriptor(descriptor);
    const offset = opts.offset ?? 0;
    if (!Number.isSafeInteger(offset) || offset < 0) throw new DctError('INVALID_ARGUMENT', `invalid resume offset ${offset}`);
    if (offset > 0 && !opts.digester)
      throw new DctError('INVALID_ARGUMENT', 'resuming a download needs the digest state of the bytes already written (digester)');
    // a large blob is hashed on the hashing thread, beside the download instead of between its reads
    const digester: BlobDigester =
      opts.digester ?? (size >= this.hashThreadMinBytes ? new ThreadDigester(parseDigest(digest).algorithm) : Digester.for(digest));
    try {
      return await this.fetchBlob(repo, digest, size, offset, digester, sink, opts);
    } catch (err) {
      if (digester instanceof ThreadDigester) digester.drop();
      throw err;
    }
  }

  private async fetchBlob(
    repo: string,
    digest: string,
    size: number,
    offset: number,
    digester: BlobDigester,
    sink: Writable,
    opts: GetBlobOptions,
  ): Promise<GetBlobResult> {
    if (digester.size !== offset)
      throw new DctError('INVALID_ARGUMENT', `the digester has hashed ${digester.size} bytes, not the ${offset} of the resume offset`);
    if (digester.algorithm !== parseDigest(digest).algorithm)
      throw new DctError('INVALID_ARGUMENT', `the digester computes ${digester.algorithm}, the blob is addressed by ${digest}`);
    const what = `the blob ${repo}@${digest}`;
    if (offset > size) throw new RegistryError('SIZE_MISMATCH', `${what}: ${offset} bytes are already written, more than its ${size}`);
    const base = await this.url(`/v2/${repo}/blobs/${digest}`);
    let fetched = 0;
    let resumes = 0;
    let failures = 0;
    while (offset < size) {
      let res: TransportResponse;
      res = await this.exchange({
        method: 'GET',
        url: base,
        scopes: [repositoryScope(repo, 'pull')],
        headers: offset > 0 ? { Range: `bytes=${offset}-` } : {},
        retry: 'idempotent',
        redirects: true,
        signal: opts.signal,
      });
      let skip = 0;
      if (res.status === 200) {
        skip = offset;
        const declared = contentLength(res);
        if (declared !== undefined && declared !== size) {
          res.body.destroy();
          throw new RegistryError(
            'SIZE_MISMATCH',
            `${res.url.origin} serves ${what} with ${declared} bytes, not the ${size} of its descriptor`,
            200,
          );
        }
      } else if (res.status === 206) {
        const range = parseContentRange(header(res, 'content-range'));
        if (!range || range.start !== offset || (range.total !== undefined && range.total !== size) || range.end >= size) {
          res.body.destroy();
          if (range?.total !== undefined && range.total !== size)
            throw new RegistryError(
              'SIZE_MISMATCH',
              `${res.url.origin} serves ${what} with ${range.total} bytes, not the ${size} of its descriptor`,
              206,
            );
          throw new RegistryError(
            'REGISTRY_BAD_RESPONSE',
            `${res.url.origin} answered a request for bytes ${offset}- of ${what} with the range ${JSON.stringify(header(res, 'content-range') ?? '')}`,
            206,
          );
        }
      } else {
        throw await this.failure(res, what, 'blob');
      }
      const served = res.url.origin === (await this.baseUrl()) ? this.servedDigest(res) : undefined;
      if (served !== undefined && served !== digest) {
        res.body.destroy();
        throw new RegistryError('DIGEST_MISMATCH', `${res.url.origin} serves ${served} when asked for ${what}`);
      }
      try {
        for await (const raw of res.body as AsyncIterable<Buffer>) {
          let chunk = raw;
          if (skip > 0) {
            if (chunk.length <= skip) {
              skip -= chunk.length;
              continue;
            }
            chunk = chunk.subarray(skip);
            skip = 0;
          }
          if (offset + chunk.length > size) {
            res.body.destroy();
            throw new RegistryError('SIZE_MISMATCH', `${res.url.origin} sent more than the ${size} bytes of ${what}: refusing it`);
          }
          const hashing = digester.update(chunk);
          offset += chunk.length;
          fetched += chunk.length;
          await write(sink, chunk, what, opts.signal);
          if (hashing) await hashing;
          opts.onProgress?.(offset, size);
        }
      } catch (err) {
        if (err instanceof SinkError) throw err.cause;
        const e = err instanceof RegistryError ? err : streamError(res, err);
        if (!isTransient(e) || failures >= this.retries) throw e;
        failures++;
        resumes++;
        await this.sleep(this.backoff(failures - 1), opts.signal);
        continue;
      }
      if (offset < size) {
        throw new RegistryError(
          'SIZE_MISMATCH',
          `${res.url.origin} sent ${offset} bytes of ${what}, fewer than its ${size}: the blob is truncated`,
        );
      }
    }
    const got = await digester.digest();
    if (got !== digest) throw new RegistryError('DIGEST_MISMATCH', `${what} downloaded from ${this.host} hashes to ${got}: refusing it`);
    if (opts.end !== false) {
      sink.end();
      await finished(sink);
    }
    return { digest, size, fetched, resumes };
  }

  /**
   * Uploads a blob: `POST /v2/<repo>/blobs/uploads/`, then one `PUT …?digest=` with the
   * content (monolithic), or `PATCH` chunks with `Content-Range` and an empty final `PUT`
   * (chunked). The content is checked against the descriptor while it is sent (its last
   * bytes are held back until they verify). A failed attempt is resumed where the
   * registry says the upload stands (chunked) or restarted with a new session.
   */
  async uploadBlob(
    repo: string,
    descriptor: Pick<Descriptor, 'digest' | 'size'> & Partial<Descriptor>,
    source: BlobSource,
    opts: UploadOptions = {},
  ): Promise<UploadResult> {
    checkRepository(repo);
    checkDescriptor(descriptor);
    return this.upload(repo, descriptor, source, opts, undefined);
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
    descriptor: Pick<Descriptor, 'digest' | 'size'> & Partial<Descriptor>,
    source?: BlobSource,
    opts: UploadOptions = {},
  ): Promise<MountResult> {
    checkRepository(repo);
    checkRepository(fromRepo);
    const { digest } = checkDescriptor(descriptor);
    const url = await this.url(`/v2/${repo}/blobs/uploads/`);
    url.searchParams.set('mount', digest);
    url.searchParams.set('from', fromRepo);
    const res = await this.exchange({
      method: 'POST',
      url,
      scopes: [repositoryScope(repo, 'pull,push'), repositoryScope(fromRepo, 'pull')],
      retry: 'idempotent',
      signal: opts.signal,
    });
    if (res.status === 201) {
      await discard(res);
      const served = this.servedDigest(res);
      if (served !== undefined && served !== digest)
        throw new RegistryError('DIGEST_MISMATCH', `${res.url.origin} mounted ${served} when asked to mount ${digest}`, 201);
      return { mounted: true, uploaded: false };
    }
    if (res.status !== 202) throw await this.failure(res, `mounting ${digest} from ${fromRepo} into ${repo}`, 'blob');
    await discard(res);
    const session = this.location(res, `mounting ${digest} into ${repo}`);
    if (source === undefined) {
      await this.cancelUpload(repo, session);
      return { mounted: false, uploaded: false };
    }
    await this.upload(repo, descriptor, source, opts, { url: session, minChunk: chunkMinLength(res) });
    return { mounted: false, uploaded: true };
  }

  /** The blob in the repository, by the cheapest way: already there, mounted from one of `mountFrom`, or uploaded. */
  async ensureBlob(
    repo: string,
    descriptor: Pick<Descriptor, 'digest' | 'size'> & Partial<Descriptor>,
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
  async listTags(repo: string, opts: CallOptions & { pageSize?: number; maxPages?: number } = {}): Promise<string[]> {
    checkRepository(repo);
    let url: URL | undefined = await this.url(`/v2/${repo}/tags/list`);
    if (opts.pageSize !== undefined) url.searchParams.set('n', String(opts.pageSize));
    const tags: string[] = [];
    const seen = new Set<string>();
    const maxPages = opts.maxPages ?? 10_000;
    for (let page = 0; url !== undefined; page++) {
      if (page >= maxPages)
        throw new RegistryError('REGISTRY_BAD_RESPONSE', `the tag list of ${repo} on ${this.host} has more than ${maxPages} pages`);
      if (seen.has(url.href))
        throw new RegistryError('REGISTRY_BAD_RESPONSE', `the tag list of ${repo} on ${this.host} links back to a page already read`);
      seen.add(url.href);
      const res = await this.exchange({
        method: 'GET',
        url,
        scopes: [repositoryScope(repo, 'pull')],
        headers: { Accept: 'application/json' },
        retry: 'idempotent',
        redirects: true,
        signal: opts.signal,
      });
      if (res.status !== 200) throw await this.failure(res, `the tags of ${repo}`, 'repository');
      const body = await readBody(
        res,
        this.maxList,
        () => new RegistryError('RESPONSE_TOO_LARGE', `a page of the tag list of ${repo} is larger than ${this.maxList} bytes`, 200),
      );
      const json = parseJson(body, `the tag list of ${repo}`);
      const list = json['tags'];
      if (list !== null && list !== undefined && (!Array.isArray(list) || !list.every((t) => typeof t === 'string'))) {
        throw new RegistryError('REGISTRY_BAD_RESPONSE', `the tag list of ${repo} from ${this.host} is not a list of strings`, 200);
      }
      tags.push(...((list as string[] | null | undefined) ?? []));
      url = this.nextLink(res);
    }
    return tags;
  }

  /**
   * The manifests that refer to `digest` (OCI 1.1 `GET /v2/<repo>/referrers/<digest>`, with
   * Link pagination); when the registry has no referrers API (404), the index tagged
   * `sha256-<hex>` (the referrers tag schema), or nothing.
   */
  async referrers(repo: string, digest: string, opts: CallOptions & { artifactType?: string } = {}): Promise<ReferrersResult> {
    checkRepository(repo);
    parseDigest(digest);
    let url: URL | undefined = await this.url(`/v2/${repo}/referrers/${digest}`);
    if (opts.artifactType !== undefined) url.searchParams.set('artifactType', opts.artifactType);
    const out: Descriptor[] = [];
    const seen = new Set<string>();
    let filtered = true;
    for (let page = 0; url !== undefined; page++) {
      if (page >= 1000 || seen.has(url.href))
        throw new RegistryError('REGISTRY_BAD_RESPONSE', `the referrers of ${repo}@${digest} on ${this.host} do not end`);
      seen.add(url.href);
      const res = await this.exchange({
        method: 'GET',
        url,
        scopes: [repositoryScope(repo, 'pull')],
        headers: { Accept: OCI_MEDIA_TYPES.index },
        retry: 'idempotent',
        redirects: true,
        signal: opts.signal,
      });
      if (res.status === 404 && page === 0) {
        await discard(res);
        return this.referrersByTag(repo, digest, opts);
      }
      if (res.status !== 200) throw await this.failure(res, `the referrers of ${repo}@${digest}`, 'manifest');
      if (
        opts.artifactType !== undefined &&
        !(header(res, 'oci-filters-applied') ?? '')
          .split(',')
          .map((s) => s.trim())
          .includes('artifactType')
      )
        filtered = false;
      const body = await readBody(
        res,
        this.maxList,
        () =>
          new RegistryError('RESPONSE_TOO_LARGE', `a page of the referrers of ${repo}@${digest} is larger than ${this.maxList} bytes`, 200),
      );
      const index = parseManifest(body, {
        contentType: OCI_MEDIA_TYPES.index,
        maxBytes: this.maxList,
        name: `the referrers of ${repo}@${digest}`,
      });
      if (index.kind !== 'index')
        throw new RegistryError('REGISTRY_BAD_RESPONSE', `the referrers answer for ${repo}@${digest} is not an index`, 200);
      out.push(...index.manifests);
      url = this.nextLink(res);
    }
    const manifests = filtered || opts.artifactType === undefined ? out : out.filter((d) => d.artifactType === opts.artifactType);
    return { manifests, via: 'api' };
  }

  private async referrersByTag(repo: string, digest: string, opts: CallOptions & { artifactType?: string }): Promise<ReferrersResult> {
    const tag = referrersTag(digest);
    let fetched: FetchedManifest;
    try {
      fetched = await this.getManifest(repo, tag, { accept: [OCI_MEDIA_TYPES.index], ...(opts.signal ? { signal: opts.signal } : {}) });
    } catch (err) {
      if (err instanceof DctError && err.code === 'MANIFEST_NOT_FOUND') return { manifests: [], via: 'none' };
      throw err;
    }
    if (fetched.manifest.kind !== 'index')
      throw new RegistryError('REGISTRY_BAD_RESPONSE', `the referrers tag ${repo}:${tag} is not an index`);
    const all = (fetched.manifest as ImageIndex).manifests;
    return { manifests: opts.artifactType === undefined ? all : all.filter((d) => d.artifactType === opts.artifactType), via: 'tag' };
  }

  // ---- uploads ---------------------------------------------------------------------------------

  private async upload(
    repo: string,
    descriptor: Pick<Descriptor, 'digest' | 'size'>,
    source: BlobSource,
    opts: UploadOptions,
    firstSession: { url: URL; minChunk: number | undefined } | undefined,
  ): Promise<UploadResult> {
    const { digest, size } = descriptor;
    const what = `the blob ${digest} for ${repo}`;
    let session = firstSession;
    let retries = 0;
    for (;;) {
      try {
        session ??= await this.startUpload(repo, opts.signal);
        const chunked = opts.chunked ?? size > (this.options.chunkedThreshold ?? 512 * 1024 * 1024);
        const done = chunked
          ? await this.uploadChunks(repo, descriptor, source, session, opts, () => retries++)
          : await this.uploadWhole(repo, descriptor, source, session.url, opts);
        const served = this.servedDigest(done);
        if (served !== undefined && served !== digest)
          throw new RegistryError('DIGEST_MISMATCH', `${done.url.origin} stored ${what} as ${served}`, done.status);
        const location = header(done, 'location');
        return { digest, ...(location !== undefined ? { location } : {}), retries };
      } catch (err) {
        if (session) await this.cancelUpload(repo, session.url).catch(() => undefined);
        session = undefined;
        // an expired or lost session is also worth a new one
        const retryable =
          isTransient(err) ||
          (err instanceof RegistryError && ((err.status !== undefined && retryableStatus(err.status)) || err.code === 'UPLOAD_UNKNOWN'));
        if (!retryable || retries >= this.retries || opts.signal?.aborted) throw err;
        retries++;
        await this.sleep(this.backoff(retries - 1), opts.signal);
      }
    }
  }

  private async startUpload(repo: string, signal: AbortSignal | undefined): Promise<{ url: URL; minChunk: number | undefined }> {
    const res = await this.exchange({
      method: 'POST',
      url: await this.url(`/v2/${repo}/blobs/uploads/`),
      scopes: [repositoryScope(repo, 'pull,push')],
      retry: 'idempotent',
      signal,
    });
    if (res.status !== 202) throw await this.failure(res, `starting an upload to ${repo}`, 'blob');
    await discard(res);
    return { url: this.location(res, `starting an upload to ${repo}`), minChunk: chunkMinLength(res) };
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
    const res = await this.exchange({
      method: 'PUT',
      url,
      scopes: [repositoryScope(repo, 'pull,push')],
      headers: { 'Content-Type': 'application/octet-stream' },
      body: () => ({
        length: descriptor.size,
        open: () =>
          openRange(source, 0, descriptor.size).pipe(
            new VerifyingStream(Digester.for(descriptor.digest), descriptor, what, opts.onProgress),
          ),
      }),
      retry: 'never',
      signal: opts.signal,
    });
    if (res.status !== 201 && res.status !== 204 && res.status !== 200)
      throw await this.failure(res, `uploading ${what} to ${repo}`, 'blob');
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
    const chunkSize = Math.max(opts.chunkSize ?? this.options.chunkSize ?? 64 * 1024 * 1024, session.minChunk ?? 1);
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
        res = await this.exchange({
          method: 'PATCH',
          url: location,
          scopes,
          headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${start}-${end - 1}` },
          body: () => ({
            length: end - start,
            open: () => {
              sent = before.copy();
              return openRange(source, start, end).pipe(new ChunkHasher(sent, end - start, what));
            },
          }),
          retry: 'never',
          signal: opts.signal,
        });
        if (res.status !== 202 && res.status !== 204)
          throw await this.failure(res, `uploading bytes ${start}-${end - 1} of ${what} to ${repo}`, 'blob');
        await discard(res);
        location = this.location(res, `uploading ${what}`, location);
        const range = parseUploadRange(header(res, 'range'));
        if (range !== undefined && range !== end) {
          throw new RegistryError(
            'REGISTRY_BAD_RESPONSE',
            `${res.url.origin} holds ${range} bytes of ${what} after a chunk that ended at ${end}`,
            res.status,
          );
        }
        if (!sent || sent.size !== end)
          throw new RegistryError('SIZE_MISMATCH', `the source of ${what} did not yield bytes ${start}-${end - 1}`);
        digester = sent;
        offset = end;
        opts.onProgress?.(offset, size);
      } catch (err) {
        // 416: the registry holds another amount than this chunk assumed; ask it where it stands
        const retryable =
          isTransient(err) ||
          (err instanceof RegistryError && err.status !== undefined && (retryableStatus(err.status) || err.status === 416));
        if (!retryable || failures >= this.retries || opts.signal?.aborted) throw err;
        failures++;
        onRetry();
        await this.sleep(this.backoff(failures - 1), opts.signal);
        // where does the upload stand? (GET on the session: 204 with Range: 0-<last>)
        const status = await this.exchange({ method: 'GET', url: location, scopes, retry: 'idempotent', signal: opts.signal });
        if (status.status !== 204 && status.status !== 200) throw await this.failure(status, `resuming the upload of ${what}`, 'blob');
        await discard(status);
        location = this.location(status, `resuming the upload of ${what}`, location);
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
      throw new RegistryError(
        'DIGEST_MISMATCH',
        `the content uploaded as ${what} hashes to ${digester.digest()}: the source does not hold the blob`,
      );
    }
    const url = withDigest(location, digest);
    const res = await this.exchange({ method: 'PUT', url, scopes, retry: 'never', signal: opts.signal });
    if (res.status !== 201 && res.status !== 204 && res.status !== 200)
      throw await this.failure(res, `finishing the upload of ${what} to ${repo}`, 'blob');
    await discard(res);
    return res;
  }

  private async cancelUpload(repo: string, session: URL): Promise<void> {
    try {
      const res = await this.exchange({ method: 'DELETE', url: session, scopes: [repositoryScope(repo, 'pull,push')], retry: 'never' });
      await discard(res);
    } catch {
      // best effort: registries expire abandoned sessions
    }
  }

  // ---- the exchange: auth, redirects, retries ----------------------------------------------------

  private async url(path: string): Promise<URL> {
    const { endpoint } = await this.endpoint();
    return new URL(path, endpoint.base);
  }

  private async exchange(op: Op): Promise<TransportResponse> {
    const { endpoint } = await this.endpoint(op.signal);
    return this.attempts(op, endpoint);
  }

  /** Sends with retries on 429, 5xx and network failures (idempotent operations only). */
  private async attempts(op: Op, endpoint: RegistryEndpoint): Promise<TransportResponse> {
    for (let attempt = 0; ; attempt++) {
      let res: TransportResponse;
      try {
        res = await this.withAuthAndRedirects(op, endpoint);
      } catch (err) {
        if (op.retry === 'idempotent' && isTransient(err) && attempt < this.retries && !op.signal?.aborted) {
          await this.sleep(this.backoff(attempt), op.signal);
          continue;
        }
        throw err;
      }
      if (op.retry === 'idempotent' && retryableStatus(res.status) && attempt < this.retries) {
        const after = retryAfterMs(header(res, 'retry-after'));
        if (after !== undefined && after > (this.options.maxRetryAfterMs ?? 60_000)) return res;
        await discard(res);
        await this.sleep(after ?? this.backoff(attempt), op.signal);
        continue;
      }
      return res;
    }
  }

  private backoff(attempt: number): number {
    const base = this.options.backoffMs ?? 250;
    const max = this.options.maxBackoffMs ?? 10_000;
    const d = Math.min(max, base * 2 ** attempt);
    return Math.round(d / 2 + (d / 2) * this.random());
  }

  private async withAuthAndRedirects(op: Op, endpoint: RegistryEndpoint): Promise<TransportResponse> {
    const auth = this.options.auth;
    const registryOrigin = new URL(endpoint.base).origin;
    let url = op.url;
    for (let redirects = 0; ; redirects++) {
      const own = url.origin === registryOrigin;
      const tls = own ? endpoint.tls : foreignTls(endpoint.tls);
      let authorization = own && auth && op.scopes.length > 0 ? await auth.authorizationFor(url, op.scopes, endpoint.tls) : undefined;
      let res = await this.sendOnce(op, url, tls, authorization);
      if (res.status === 401 && own && auth && op.scopes.length > 0) {
        const retry = await auth.authorizeAfter401(url, res.headersDistinct['www-authenticate'], op.scopes, {
          ...(authorization !== undefined ? { rejected: authorization } : {}),
          ...(endpoint.tls ? { tls: endpoint.tls } : {}),
        });
        if (retry !== undefined) {
          await discard(res);
          authorization = retry;
          res = await this.sendOnce(op, url, tls, authorization);
        }
      }
      const location = header(res, 'location');
      if (!op.redirects || !REDIRECTS.has(res.status) || location === undefined) return res;
      await discard(res);
      if (redirects >= (this.options.maxRedirects ?? 5)) {
        throw new RegistryError(
          'REGISTRY_BAD_RESPONSE',
          `${describeUrl(op.method, op.url)}: more than ${this.options.maxRedirects ?? 5} redirects`,
          res.status,
        );
      }
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        throw new RegistryError('REGISTRY_BAD_RESPONSE', `${describeUrl(op.method, url)} redirects to an invalid URL`, res.status);
      }
      if (next.protocol !== 'https:' && next.protocol !== 'http:')
        throw new RegistryError('REGISTRY_BAD_RESPONSE', `${describeUrl(op.method, url)} redirects to a ${next.protocol} URL`, res.status);
      if (
        url.protocol === 'https:' &&
        next.protocol === 'http:' &&
        !isLoopbackHost(next.host) &&
        !isInsecureHost(next.host, this.options.insecureRegistries)
      ) {
        throw new RegistryError(
          'INSECURE_REDIRECT',
          `${describeUrl(op.method, url)} redirects to plain http (${next.origin}): refusing to leave https`,
          res.status,
        );
      }
      url = next;
    }
  }

  private sendOnce(op: Op, url: URL, tls: TlsSettings | undefined, authorization: string | undefined): Promise<TransportResponse> {
    const headers: Record<string, string> = { 'User-Agent': this.options.userAgent ?? 'dct', ...(op.headers ?? {}) };
    if (authorization !== undefined) headers['Authorization'] = authorization;
    const body = op.body?.();
    return send({
      method: op.method,
      url,
      headers,
      ...(body !== undefined ? { body } : {}),
      ...(tls ? { tls } : {}),
      agent: url.protocol === 'https:' ? this.httpsAgent : this.httpAgent,
      timeoutMs: this.timeoutMs,
      idleTimeoutMs: this.idleTimeoutMs,
      ...(op.signal ? { signal: op.signal } : {}),
    });
  }

  // ---- responses -----------------------------------------------------------------------------------

  private servedDigest(res: TransportResponse): string | undefined {
    const value = header(res, 'docker-content-digest');
    if (value === undefined || value.trim() === '') return undefined;
    try {
      return parseDigest(value.trim()).digest;
    } catch {
      throw new RegistryError(
        'REGISTRY_BAD_RESPONSE',
        `${res.url.origin} sent an invalid Docker-Content-Digest ${JSON.stringify(value.slice(0, 100))}`,
        res.status,
      );
    }
  }

  /** The `Location` of an upload answer, resolved against the request (it may be relative). */
  private location(res: TransportResponse, what: string, fallback?: URL): URL {
    const value = header(res, 'location');
    if (value === undefined || value === '') {
      if (fallback) return fallback;
      throw new RegistryError('REGISTRY_BAD_RESPONSE', `${res.url.origin} gave no upload location when ${what}`, res.status);
    }
    let u: URL;
    try {
      u = new URL(value, res.url);
    } catch {
      throw new RegistryError('REGISTRY_BAD_RESPONSE', `${res.url.origin} gave an invalid upload location when ${what}`, res.status);
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:')
      throw new RegistryError('REGISTRY_BAD_RESPONSE', `${res.url.origin} gave a ${u.protocol} upload location`, res.status);
    if (res.url.protocol === 'https:' && u.protocol === 'http:' && !isInsecureHost(u.host, this.options.insecureRegistries)) {
      throw new RegistryError(
        'INSECURE_REDIRECT',
        `${res.url.origin} sends the upload to plain http (${u.origin}): refusing to leave https`,
        res.status,
      );
    }
    return u;
  }

  private nextLink(res: TransportResponse): URL | undefined {
    const next = parseNextLink(res.headersDistinct['link'] ?? []);
    if (next === undefined) return undefined;
    let u: URL;
    try {
      u = new URL(next, res.url);
    } catch {
      throw new RegistryError('REGISTRY_BAD_RESPONSE', `${res.url.origin} sent an invalid Link header`, res.status);
    }
    if (u.origin !== res.url.origin)
      throw new RegistryError('REGISTRY_BAD_RESPONSE', `${res.url.origin} links the next page to another server (${u.origin})`, res.status);
    return u;
  }

  /** The error for an unexpected answer, with the registry's `errors[]`. */
  private async failure(res: TransportResponse, what: string, kind: 'manifest' | 'blob' | 'repository'): Promise<RegistryError> {
    let body: Buffer = Buffer.alloc(0);
    if (res.body.readable) {
      try {
        body = await readBody(res, ERROR_BODY_MAX, () => new DctError('RESPONSE_TOO_LARGE', 'error body too large'));
      } catch {
        // the status says enough
      }
    }
    const errors = registryErrors(body);
    const said =
      errors.length > 0
        ? `: ${errors
            .map((e) => `${e.code}: ${e.message}${detailText(e.detail)}`)
            .join('; ')
            .slice(0, 500)}`
        : '';
    const status = res.status;
    const where = `${what} (${res.url.origin}, HTTP ${status}${said})`;
    const codes = new Set(errors.map((e) => e.code));
    if (status === 401) {
      const login = this.host === DOCKER_HUB_REGISTRY ? 'docker login' : `docker login ${this.host}`;
      return new RegistryError('REGISTRY_UNAUTHORIZED', `authentication required for ${where}: log in with \`${login}\``, status, errors);
    }
    if (status === 403) return new RegistryError('REGISTRY_DENIED', `access denied to ${where}`, status, errors);
    if (status === 404) {
      if (kind === 'manifest')
        return new RegistryError(
          'MANIFEST_NOT_FOUND',
          `${what} not found on ${res.url.origin}${said || ': manifest unknown'}`,
          status,
          errors,
        );
      if (kind === 'blob' && !codes.has('NAME_UNKNOWN') && !codes.has('BLOB_UPLOAD_UNKNOWN'))
        return new RegistryError('BLOB_NOT_FOUND', `${what} not found on ${res.url.origin}${said || ': blob unknown'}`, status, errors);
      if (codes.has('BLOB_UPLOAD_UNKNOWN'))
        return new RegistryError('UPLOAD_UNKNOWN', `${where}: the upload session is gone`, status, errors);
      return new RegistryError('REPOSITORY_UNKNOWN', `${what}: the repository is not known to ${res.url.origin}${said}`, status, errors);
    }
    if (status === 429) {
      const after = header(res, 'retry-after');
      return new RegistryError(
        'REGISTRY_TOO_MANY_REQUESTS',
        `${where}: too many requests${after !== undefined ? ` (retry after ${after.slice(0, 40)})` : ''}`,
        status,
        errors,
      );
    }
    if (status === 413) return new RegistryError('REGISTRY_REJECTED', `${where}: too large for the registry`, status, errors);
    if (status >= 400 && status < 500) return new RegistryError('REGISTRY_REJECTED', `the registry refused ${where}`, status, errors);
    if (status >= 500) return new RegistryError('REGISTRY_SERVER_ERROR', `the registry failed on ${where}`, status, errors);
    if (status >= 300 && status < 400)
      return new RegistryError('REGISTRY_BAD_RESPONSE', `unexpected redirect for ${where}`, status, errors);
    return new RegistryError('REGISTRY_BAD_RESPONSE', `unexpected answer to ${where}`, status, errors);
  }
}

// ---- helpers -------------------------------------------------------------------------------------

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new DctError('ABORTED', 'aborted'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new DctError('ABORTED', 'aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The upload URL with `digest=` added, its own query kept verbatim (it may be signed). */
function withDigest(location: URL, digest: string): URL {
  const u = new URL(location);
  u.search = `${u.search === '' ? '?' : `${u.search}&`}digest=${encodeURIComponent(digest)}`;
  return u;
}

function retryableStatus(status: number): boolean {
  return status === 429 || status === 500 || status === 502 || status === 503 || status === 504 || status === 408;
}

/** `Retry-After`: seconds or an HTTP date (relative to now; the adapter may read the clock). */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, t - now);
}

/** The target of `rel="next"` in `Link` header values. */
export function parseNextLink(values: readonly string[]): string | undefined {
  for (const value of values) {
    for (const m of value.matchAll(/<([^>]*)>\s*((?:;\s*[^;,]*)*)/g)) {
      const params = m[2] ?? '';
      if (/;\s*rel\s*=\s*"?(?:[^";,]*\s)?next(?:\s[^";,]*)?"?/i.test(params)) return m[1];
    }
  }
  return undefined;
}

function parseContentRange(value: string | undefined): { start: number; end: number; total: number | undefined } | undefined {
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec((value ?? '').trim());
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) return undefined;
  return { start, end, total: m[3] === '*' ? undefined : Number(m[3]) };
}

/** An upload's `Range: 0-<last>` → bytes held (`0-0` is ambiguous: distribution sends it for an empty upload too). */
function parseUploadRange(value: string | undefined): number | undefined {
  const m = /^(?:bytes=)?0-(\d+)$/.exec((value ?? '').trim());
  if (!m) return undefined;
  const last = Number(m[1]);
  return last === 0 ? undefined : last + 1;
}

function chunkMinLength(res: TransportResponse): number | undefined {
  const v = Number(header(res, 'oci-chunk-min-length'));
  return Number.isSafeInteger(v) && v > 0 ? v : undefined;
}

function contentLength(res: TransportResponse): number | undefined {
  const v = header(res, 'content-length');
  if (v === undefined || !/^\d+$/.test(v.trim())) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Client certificates stay with the registry; the CAs it trusts are kept. */
function foreignTls(tls: TlsSettings | undefined): TlsSettings | undefined {
  if (tls?.ca !== undefined) return { ca: tls.ca };
  return tls?.extraCa !== undefined ? { extraCa: tls.extraCa } : undefined;
}

function checkRepository(repo: string): void {
  if (typeof repo !== 'string' || repo.length > 255 || !REPOSITORY.test(repo)) {
    throw new DctError('INVALID_REFERENCE', `invalid repository name ${JSON.stringify(String(repo).slice(0, 100))}`);
  }
}

/** A tag or a digest; returns the digest when it is one. */
function checkReference(reference: string): string | undefined {
  if (typeof reference === 'string' && reference.includes(':')) {
    try {
      return parseDigest(reference).digest;
    } catch (err) {
      throw new DctError('INVALID_REFERENCE', `invalid digest reference: ${(err as Error).message}`, { cause: err });
    }
  }
  if (typeof reference !== 'string' || !TAG.test(reference))
    throw new DctError('INVALID_REFERENCE', `invalid tag ${JSON.stringify(String(reference).slice(0, 150))}`);
  return undefined;
}

function checkDescriptor(d: Pick<Descriptor, 'digest' | 'size'> & Partial<Descriptor>): { digest: string; size: number } {
  parseDescriptor({ mediaType: d.mediaType ?? 'application/octet-stream', digest: d.digest, size: d.size });
  return { digest: d.digest, size: d.size };
}

function manifestTooLarge(what: string, size: number | undefined, max: number): RegistryError {
  return new RegistryError(
    'MANIFEST_TOO_LARGE',
    `${what} ${size !== undefined ? `has ${size} bytes` : 'is larger'}, more than the ${max} allowed for a manifest`,
  );
}

function parseJson(body: Buffer, what: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new RegistryError('REGISTRY_BAD_RESPONSE', `${what} is not JSON`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new RegistryError('REGISTRY_BAD_RESPONSE', `${what} is not a JSON object`);
  return json as Record<string, unknown>;
}

/** The distribution spec's `{"errors":[{"code","message","detail"}]}`, as far as it is there. */
export function registryErrors(body: Buffer): RegistryErrorDetail[] {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return [];
  }
  const list = typeof json === 'object' && json !== null ? (json as Record<string, unknown>)['errors'] : undefined;
  if (!Array.isArray(list)) return [];
  const out: RegistryErrorDetail[] = [];
  for (const e of list.slice(0, 10)) {
    if (typeof e !== 'object' || e === null) continue;
    const o = e as Record<string, unknown>;
    const code = typeof o['code'] === 'string' ? o['code'].slice(0, 100) : 'UNKNOWN';
    const message = typeof o['message'] === 'string' ? o['message'].slice(0, 300) : '';
    out.push({ code, message, ...(o['detail'] !== undefined ? { detail: o['detail'] } : {}) });
  }
  return out;
}

function detailText(detail: unknown): string {
  if (detail === undefined || detail === null) return '';
  const text = typeof detail === 'string' ? detail : JSON.stringify(detail);
  return text === '' || text === '{}' ? '' : ` (${text.slice(0, 200)})`;
}

/** A failure of the caller's sink (never retried). */
class SinkError extends Error {
  declare readonly cause: DctError;
  constructor(cause: DctError) {
    super(cause.message, { cause });
  }
}

function sinkError(err: unknown, what: string): SinkError {
  const e =
    err instanceof DctError
      ? err
      : new DctError('WRITE_FAILED', `cannot write ${what}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  return new SinkError(e);
}

/** Writes with back-pressure; a sink that fails or closes ends the wait. */
async function write(sink: Writable, chunk: Buffer, what: string, signal: AbortSignal | undefined): Promise<void> {
  if (sink.errored || sink.destroyed || sink.writableEnded) throw sinkError(sink.errored ?? new Error('the destination was closed'), what);
  if (sink.write(chunk)) return;
  if (sink.errored || sink.destroyed) throw sinkError(sink.errored ?? new Error('the destination was closed'), what);
  await new Promise<void>((resolve, reject) => {
    const done = (err?: unknown) => {
      sink.off('drain', onDrain);
      sink.off('error', onError);
      sink.off('close', onClose);
      signal?.removeEventListener('abort', onAbort);
      if (err === undefined) resolve();
      else reject(err);
    };
    const onDrain = () => done();
    const onError = (err: Error) => done(sinkError(err, what));
    const onClose = () => done(sinkError(sink.errored ?? new Error('the destination was closed'), what));
    const onAbort = () => done(new DctError('ABORTED', `downloading ${what}: aborted`));
    sink.on('drain', onDrain);
    sink.on('error', onError);
    sink.on('close', onClose);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The `sha256-<hex>` tag of the referrers tag schema (algorithm ≤ 32, hex ≤ 64 characters). */
export function referrersTag(digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  return `${algorithm.slice(0, 32)}-${hex.slice(0, 64)}`;
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
