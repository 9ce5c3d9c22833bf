/**
 * The Notary v1 API as functions from a matched route to a prepared response
 * (notary server/handlers). The HTTP layer only reads bodies and writes bytes.
 */
import { DctError } from '../core/errors.js';
import type { FileUpdate, KeyService, TufStore } from '../core/ports.js';
import { parseMetadata } from '../core/tuf/metadata.js';
import { isValidRoleName } from '../core/tuf/roles.js';
import type { PublicKey } from '../core/keys/public-key.js';
import { validationError } from '../app/notary-server/update-errors.js';
import { validateUpdate, type UploadedFile } from '../app/notary-server/validate-update.js';
import {
  getCurrentSnapshot,
  getCurrentTimestamp,
  getServerKey,
  REFRESH_MARGIN_MS,
  rotateServerKey,
} from '../app/notary-server/server-metadata.js';
import { ApiError, notFound } from './api-errors.js';
import { KeyCreationGate, limitKeyCreation } from './key-creation-limit.js';
import { multipartBoundary, parseUploadParts } from './multipart.js';
import type { ResponseCache } from './response-cache.js';
import {
  emptyResponse,
  jsonResponse,
  metadataCaching,
  metadataResponse,
  type MetadataCaching,
  type PreparedResponse,
} from './responses.js';
import type { Route } from './routes.js';

/** The largest version a store holds (notary's and dct's INTEGER columns). */
const MAX_STORED_VERSION = 2 ** 31 - 1;

/**
 * Most records of one changefeed page. notary-server takes any 32-bit
 * `records` (2147483647 reads the whole table); dct serves at most this many,
 * in the direction asked, and clients page on with the last ID they got.
 */
export const MAX_CHANGEFEED_RECORDS = 1000;

export interface TrustApiContext {
  store: TufStore;
  keys: KeyService;
  now: () => Date;
  cache: ResponseCache;
  /** GUN prefixes this server serves (notary `repositories.gun_prefixes`); empty = all */
  gunPrefixes: readonly string[];
  /** `maxChangefeedRecords`: most records of a changefeed page (default MAX_CHANGEFEED_RECORDS) */
  limits: { maxRoleBytes: number; maxParts: number; maxChangefeedRecords?: number };
  /** cache headers of metadata answers (notary `caching.max_age`); notary's defaults when absent */
  caching?: MetadataCaching;
  /** server key creations at once (a gate of this module when absent) */
  keyCreations?: KeyCreationGate;
}

export interface ApiRequest {
  headers: Record<string, string | string[] | undefined>;
  query: URLSearchParams;
  body?: Buffer;
  /** counts a read that turns out to write (a server key created) against the client's write limit; false = over it */
  countWrite?: () => boolean;
}

/** The cache key of a GET route whose answer may be served from the cache (joined: one flat string, not a chain of pieces). */
export function cacheKey(route: Route): string | undefined {
  switch (route.name) {
    case 'currentMetadata':
      return ['c', route.gun, route.role].join('\u0000');
    case 'metadataByChecksum':
      return ['s', route.gun, route.role, route.checksum].join('\u0000');
    case 'metadataByVersion':
      return ['v', route.gun, route.role, route.version].join('\u0000');
    default:
      return undefined;
  }
}

/**
 * The answer to a matched route. Failures are ApiErrors (notary's code and
 * status) wherever the cause is known; anything else is a server fault the
 * HTTP layer answers with 500 UNKNOWN.
 */
export async function handleRoute(ctx: TrustApiContext, route: Route, req: ApiRequest): Promise<PreparedResponse> {
  try {
    return await dispatch(ctx, route, req);
  } catch (err) {
    throw toApiError(err);
  }
}

async function dispatch(ctx: TrustApiContext, route: Route, req: ApiRequest): Promise<PreparedResponse> {
  if ('gun' in route && route.gun !== undefined && !gunAllowed(ctx, route.gun)) {
    if (route.name === 'update') throw new ApiError('INVALID_GUN', `Require GUNs with prefix: [${ctx.gunPrefixes.join(' ')}]`);
    throw new ApiError('METADATA_NOT_FOUND');
  }
  switch (route.name) {
    case 'base':
      return jsonResponse('{}', 'text/plain; charset=utf-8');
    case 'health':
      return jsonResponse('{}');
    case 'currentMetadata':
      return cached(ctx, route, route.gun, () => currentMetadata(ctx, route.gun, route.role));
    case 'metadataByChecksum':
      return cached(ctx, route, route.gun, async () => {
        const file = await ctx.store.getByChecksum(route.gun, route.role, route.checksum);
        if (!file) throw notFound();
        return metadataResponse(file.data, file.createdAt, cachingOf(ctx).consistent);
      });
    case 'metadataByVersion':
      // a version no store column holds (notary: 32-bit) is simply not there; never a database error
      if (route.version > MAX_STORED_VERSION) throw notFound();
      return cached(ctx, route, route.gun, async () => {
        const file = await ctx.store.getByVersion(route.gun, route.role, route.version);
        if (!file) throw notFound();
        return metadataResponse(file.data, file.createdAt, cachingOf(ctx).consistent);
      });
    case 'update':
      return update(ctx, route.gun, req);
    case 'delete':
      await ctx.store.deleteRepository(route.gun);
      ctx.cache.invalidate(route.gun);
      return emptyResponse();
    case 'getKey':
      return keyResponse(await getServerKey(keyCtx(ctx, req), route.gun, route.role));
    case 'rotateKey':
      return keyResponse(await rotateServerKey(keyCtx(ctx, req), route.gun, route.role));
    case 'changefeed':
      return changefeed(ctx, route.gun, req.query);
    default:
      throw new ApiError('METADATA_NOT_FOUND');
  }
}

const DEFAULT_CACHING = metadataCaching();

function cachingOf(ctx: TrustApiContext): MetadataCaching {
  return ctx.caching ?? DEFAULT_CACHING;
}

function serverCtx(ctx: TrustApiContext) {
  return { store: ctx.store, keys: ctx.keys, now: ctx.now() };
}

const DEFAULT_KEY_CREATIONS = new KeyCreationGate();

/** The context of a key request: creating a key counts as the client's write and waits its turn. */
function keyCtx(ctx: TrustApiContext, req: ApiRequest) {
  return { ...serverCtx(ctx), keys: limitKeyCreation(ctx.keys, ctx.keyCreations ?? DEFAULT_KEY_CREATIONS, req.countWrite) };
}

function gunAllowed(ctx: TrustApiContext, gun: string): boolean {
  return ctx.gunPrefixes.length === 0 || ctx.gunPrefixes.some((p) => gun.startsWith(p));
}

async function cached(ctx: TrustApiContext, route: Route, gun: string, build: () => Promise<PreparedResponse>): Promise<PreparedResponse> {
  const key = cacheKey(route) as string;
  const hit = ctx.cache.get(key, ctx.now().getTime());
  if (hit) return hit;
  const res = await build();
  ctx.cache.set(key, gun, res);
  return res;
}

async function currentMetadata(ctx: TrustApiContext, gun: string, role: string): Promise<PreparedResponse> {
  if (role === 'timestamp') {
    const ts = await getCurrentTimestamp(serverCtx(ctx), gun);
    if (!ts) throw notFound();
    return metadataResponse(ts.data, ts.createdAt, cachingOf(ctx).current, await freshUntil(ctx, gun, ts.data));
  }
  if (role === 'snapshot') {
    const snap = await getCurrentSnapshot(serverCtx(ctx), gun);
    if (!snap) throw notFound();
    const expires = parseMetadata(snap.data, 'snapshot').signed.expires.toDate().getTime();
    return metadataResponse(snap.data, snap.createdAt, cachingOf(ctx).current, refreshDeadline(ctx, expires));
  }
  const file = await ctx.store.getCurrent(gun, role);
  if (!file) throw notFound();
  return metadataResponse(file.data, file.createdAt, cachingOf(ctx).current);
}

/**
 * A cached timestamp must be rebuilt when the server would re-sign it: once it,
 * or the snapshot it pins, comes within the refresh margin of expiring.
 */
async function freshUntil(ctx: TrustApiContext, gun: string, timestamp: Buffer): Promise<number> {
  const ts = parseMetadata(timestamp, 'timestamp').signed;
  let until = ts.expires.toDate().getTime() - REFRESH_MARGIN_MS.timestamp;
  const sha = ts.snapshotMeta.hashes['sha256']?.toString('hex');
  const snap = sha ? await ctx.store.getByChecksum(gun, 'snapshot', sha) : undefined;
  if (snap) until = Math.min(until, refreshDeadline(ctx, parseMetadata(snap.data, 'snapshot').signed.expires.toDate().getTime()));
  return until;
}

/** When a snapshot is re-signed (within the margin), or, for one the server cannot re-sign, when it expires. */
function refreshDeadline(ctx: TrustApiContext, snapshotExpires: number): number {
  const early = snapshotExpires - REFRESH_MARGIN_MS.snapshot;
  return early > ctx.now().getTime() ? early : snapshotExpires;
}

async function update(ctx: TrustApiContext, gun: string, req: ApiRequest): Promise<PreparedResponse> {
  const contentType = req.headers['content-type'];
  const boundary = multipartBoundary(Array.isArray(contentType) ? contentType[0] : contentType);
  if (!boundary || !req.body) throw new ApiError('MALFORMED_UPLOAD');
  // no parts is an update too (notary's CLI publishes one when nothing is staged): as
  // notary-server, the server then re-signs snapshot (if it holds the key) and timestamp
  const parts = parseUploadParts(req.body, boundary, ctx.limits.maxParts);
  const uploads: UploadedFile[] = [];
  for (const part of parts) {
    const role = part.filename.endsWith('.json') ? part.filename.slice(0, -5) : part.filename;
    if (role === '') throw new ApiError('NO_FILENAME');
    if (!isValidRoleName(role)) throw new ApiError('INVALID_ROLE', role);
    if (part.data.length > ctx.limits.maxRoleBytes) {
      throw new ApiError('TOO_LARGE', { role, limit: ctx.limits.maxRoleBytes }, `${role} is larger than ${ctx.limits.maxRoleBytes} bytes`);
    }
    uploads.push({ role, data: part.data });
  }
  let files: FileUpdate[];
  try {
    files = await validateUpdate({ gun, now: ctx.now(), store: ctx.store, keys: ctx.keys }, uploads);
  } catch (err) {
    throw validationFailure(err);
  }
  try {
    await ctx.store.updateMany(gun, files);
  } catch (err) {
    throw storageFailure(err);
  } finally {
    ctx.cache.invalidate(gun);
  }
  return emptyResponse();
}

/**
 * notary: every failure of validateUpdate is the client's (400): validation
 * verdicts carry their detail, anything else is INVALID_UPDATE without one.
 * Only non-DctErrors (bugs) stay server faults.
 */
function validationFailure(err: unknown): unknown {
  const mapped = toApiError(err);
  if (mapped instanceof ApiError) return mapped;
  if (err instanceof DctError) return new ApiError('INVALID_UPDATE', undefined, err.message, {}, { cause: err });
  return err;
}

/**
 * notary: a version the store already has (or passed) is VERSION; other
 * storage failures are the server's (500 UPDATING). A version no store can
 * hold (beyond notary's 32-bit columns, or negative) is the client's.
 */
function storageFailure(err: unknown): unknown {
  if (err instanceof DctError) {
    if (err.code === 'VERSION_CONFLICT') return new ApiError('VERSION', {}, err.message, {}, { cause: err });
    if (err.code === 'INVALID_VERSION')
      return new ApiError('INVALID_UPDATE', validationError(err.message).detail(), err.message, {}, { cause: err });
  }
  return new ApiError('UPDATING', undefined, err instanceof Error ? err.message : String(err), {}, { cause: err });
}

/**
 * Known failures as notary's wire errors (spec §5.3; codes of
 * app/notary-server/update-errors.ts). Server-side faults with a known cause
 * — the server must re-sign but holds no key, stored metadata no longer
 * parses — are 500 UNKNOWN on purpose (notary answers them so). Anything else
 * is returned unchanged.
 */
export function toApiError(err: unknown): unknown {
  if (err instanceof ApiError || !(err instanceof DctError)) return err;
  const detailOf = (e: DctError): unknown => {
    const withDetail = e as DctError & { detail?: unknown };
    return typeof withDetail.detail === 'function' ? (withDetail.detail as () => unknown)() : undefined;
  };
  const cause = { cause: err };
  switch (err.code) {
    case 'INVALID_UPDATE':
      return new ApiError('INVALID_UPDATE', detailOf(err), err.message, {}, cause);
    case 'MALFORMED_JSON':
      return new ApiError('MALFORMED_JSON', undefined, err.message, {}, cause);
    case 'INVALID_ROLE':
      return new ApiError('INVALID_ROLE', detailOf(err), err.message, {}, cause);
    case 'VERSION_CONFLICT':
      return new ApiError('VERSION', {}, err.message, {}, cause);
    case 'INVALID_PARAMETERS':
      return new ApiError('INVALID_PARAMETERS', err.message, err.message, {}, cause);
    case 'SIGNING_KEYS_UNAVAILABLE':
    case 'STORED_METADATA_INVALID':
      return new ApiError('UNKNOWN', {}, err.message, {}, cause);
    default:
      return err;
  }
}

/** Go's encoding/json of a TUF public key: `public` before `private`. */
function keyResponse(key: PublicKey): PreparedResponse {
  const json = key.toJSON();
  return jsonResponse(
    `{"keytype":${JSON.stringify(json.keytype)},"keyval":{"public":${JSON.stringify(json.keyval.public)},"private":null}}`,
    'text/plain; charset=utf-8',
  );
}

/**
 * A changefeed page's `change_id` and `records` as notary-server reads them (Go's 32-bit
 * integers; 400 INVALID_PARAMETERS with Go's error text otherwise): `change_id` defaults to 0,
 * `records` 0 means notary's page of 100, a negative count pages backwards, and at most `max`
 * records are served in the direction asked. notary requires `records`; the audit feed passes
 * `recordsDefault` '0' to make it optional.
 */
export function parseChangefeedPage(query: URLSearchParams, max: number, recordsDefault = ''): { changeId: number; records: number } {
  const recordsParam = query.get('records') ?? recordsDefault;
  const records = parseGoInt32(recordsParam);
  if (typeof records === 'string') throw new ApiError('INVALID_PARAMETERS', `invalid records parameter: ${records}`);
  const changeParam = query.get('change_id') ?? '';
  const changeId = changeParam === '' ? 0 : parseGoInt32(changeParam);
  if (typeof changeId === 'string') {
    throw new ApiError(
      'INVALID_PARAMETERS',
      `did not recognize parameters: change ID expected to be integer, provided ID was: ${changeParam}`,
    );
  }
  // notary: 0 is its default page of 100; negative pages backwards
  const wanted = records === 0 ? 100 : records;
  return { changeId, records: Math.sign(wanted) * Math.min(Math.abs(wanted), max) };
}

async function changefeed(ctx: TrustApiContext, gun: string | undefined, query: URLSearchParams): Promise<PreparedResponse> {
  const page = parseChangefeedPage(query, ctx.limits.maxChangefeedRecords ?? MAX_CHANGEFEED_RECORDS);
  const list = await ctx.store.changes({ ...(gun ? { gun } : {}), ...page });
  const out = list.map((c) => ({
    ID: String(c.id),
    CreatedAt: c.createdAt.toISOString(),
    GUN: c.gun,
    Version: c.version,
    SHA256: c.sha256,
    Category: c.category,
  }));
  return jsonResponse(JSON.stringify({ count: out.length, records: out.length ? out : null }));
}

/** Go's strconv.ParseInt(s, 10, 32): the number, or the text of Go's error. */
function parseGoInt32(s: string): number | string {
  if (!/^[+-]?[0-9]+$/.test(s)) return `strconv.ParseInt: parsing ${JSON.stringify(s)}: invalid syntax`;
  const n = Number(s);
  if (n < -(2 ** 31) || n > 2 ** 31 - 1) return `strconv.ParseInt: parsing ${JSON.stringify(s)}: value out of range`;
  return n;
}
