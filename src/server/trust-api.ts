/**
 * The Notary v1 API as functions from a matched route to a prepared response
 * (notary server/handlers). The HTTP layer only reads bodies and writes bytes.
 */
import { DctError, isDctError } from '../core/errors.js';
import type { KeyService, TufStore } from '../core/ports.js';
import { parseMetadata } from '../core/tuf/metadata.js';
import { isValidRoleName } from '../core/tuf/roles.js';
import type { Timestamp, Snapshot } from '../core/tuf/snapshot.js';
import type { PublicKey } from '../core/keys/public-key.js';
import { validateUpdate } from '../app/notary-server/validate-update.js';
import { getCurrentSnapshot, getCurrentTimestamp, getServerKey, rotateServerKey } from '../app/notary-server/server-metadata.js';
import { ApiError, notFound } from './api-errors.js';
import { multipartBoundary, parseUploadParts } from './multipart.js';
import type { ResponseCache } from './response-cache.js';
import { emptyResponse, jsonResponse, metadataResponse, type PreparedResponse } from './responses.js';
import type { Route } from './routes.js';

export interface TrustApiContext {
  store: TufStore;
  keys: KeyService;
  now: () => Date;
  cache: ResponseCache;
  /** GUN prefixes this server serves (notary `repositories.gun_prefixes`); empty = all */
  gunPrefixes: readonly string[];
  limits: { maxRoleBytes: number; maxParts: number };
}

export interface ApiRequest {
  headers: Record<string, string | string[] | undefined>;
  query: URLSearchParams;
  body?: Buffer;
}

/** The cache key of a GET route whose answer may be served from the cache. */
export function cacheKey(route: Route): string | undefined {
  switch (route.name) {
    case 'currentMetadata':
      return `c\u0000${route.gun}\u0000${route.role}`;
    case 'metadataByChecksum':
      return `s\u0000${route.gun}\u0000${route.role}\u0000${route.checksum}`;
    case 'metadataByVersion':
      return `v\u0000${route.gun}\u0000${route.role}\u0000${route.version}`;
    default:
      return undefined;
  }
}

export async function handleRoute(ctx: TrustApiContext, route: Route, req: ApiRequest): Promise<PreparedResponse> {
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
        return metadataResponse(file.data, file.createdAt, true);
      });
    case 'metadataByVersion':
      return cached(ctx, route, route.gun, async () => {
        const file = await ctx.store.getByVersion(route.gun, route.role, route.version);
        if (!file) throw notFound();
        return metadataResponse(file.data, file.createdAt, true);
      });
    case 'update':
      return update(ctx, route.gun, req);
    case 'delete':
      await ctx.store.deleteRepository(route.gun);
      ctx.cache.invalidate(route.gun);
      return emptyResponse();
    case 'getKey':
      return keyResponse(await getServerKey(serverCtx(ctx), route.gun, route.role));
    case 'rotateKey':
      return keyResponse(await rotateServerKey(serverCtx(ctx), route.gun, route.role));
    case 'changefeed':
      return changefeed(ctx, route.gun, req.query);
    default:
      throw new ApiError('METADATA_NOT_FOUND');
  }
}

function serverCtx(ctx: TrustApiContext) {
  return { store: ctx.store, keys: ctx.keys, now: ctx.now() };
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
    return metadataResponse(ts.data, ts.createdAt, false, await freshUntil(ctx, gun, ts.data));
  }
  if (role === 'snapshot') {
    const snap = await getCurrentSnapshot(serverCtx(ctx), gun);
    if (!snap) throw notFound();
    const expires = (parseMetadata(snap.data, 'snapshot').signed as Snapshot).expires.toDate().getTime();
    return metadataResponse(snap.data, snap.createdAt, false, expires);
  }
  const file = await ctx.store.getCurrent(gun, role);
  if (!file) throw notFound();
  return metadataResponse(file.data, file.createdAt, false);
}

/** A cached timestamp must be rebuilt once it, or the snapshot it pins, expires (lazy re-signing). */
async function freshUntil(ctx: TrustApiContext, gun: string, timestamp: Buffer): Promise<number> {
  const ts = parseMetadata(timestamp, 'timestamp').signed as Timestamp;
  let until = ts.expires.toDate().getTime();
  const sha = ts.snapshotMeta.hashes['sha256']?.toString('hex');
  const snap = sha ? await ctx.store.getByChecksum(gun, 'snapshot', sha) : undefined;
  if (snap) until = Math.min(until, (parseMetadata(snap.data, 'snapshot').signed as Snapshot).expires.toDate().getTime());
  return until;
}

async function update(ctx: TrustApiContext, gun: string, req: ApiRequest): Promise<PreparedResponse> {
  const contentType = req.headers['content-type'];
  const boundary = multipartBoundary(Array.isArray(contentType) ? contentType[0] : contentType);
  if (!boundary || !req.body) throw new ApiError('MALFORMED_UPLOAD');
  const parts = parseUploadParts(req.body, boundary, ctx.limits.maxParts);
  if (parts.length === 0) throw new ApiError('MALFORMED_UPLOAD');
  const uploads = new Map<string, Buffer>();
  for (const part of parts) {
    const role = part.filename.endsWith('.json') ? part.filename.slice(0, -5) : part.filename;
    if (role === '') throw new ApiError('NO_FILENAME');
    if (!isValidRoleName(role)) throw new ApiError('INVALID_ROLE', role);
    if (part.data.length > ctx.limits.maxRoleBytes) {
      throw new ApiError('TOO_LARGE', { role, limit: ctx.limits.maxRoleBytes }, `${role} is larger than ${ctx.limits.maxRoleBytes} bytes`);
    }
    uploads.set(role, part.data); // a repeated role: the last one wins, as in notary
  }
  let files;
  try {
    files = await validateUpdate(
      { gun, now: ctx.now(), store: ctx.store, keys: ctx.keys },
      [...uploads].map(([role, data]) => ({ role, data })),
    );
  } catch (err) {
    throw toApiError(err);
  }
  try {
    await ctx.store.updateMany(gun, files);
  } catch (err) {
    if (isDctError(err, 'VERSION_CONFLICT')) throw new ApiError('VERSION', {});
    throw err;
  } finally {
    ctx.cache.invalidate(gun);
  }
  return emptyResponse();
}

/** Maps validation failures to notary's wire errors; anything else stays a server error. */
function toApiError(err: unknown): unknown {
  if (err instanceof ApiError) return err;
  if (err instanceof DctError) {
    const withDetail = err as DctError & { detail?: () => unknown };
    switch (err.code) {
      case 'INVALID_UPDATE':
        return new ApiError('INVALID_UPDATE', typeof withDetail.detail === 'function' ? withDetail.detail() : undefined);
      case 'MALFORMED_JSON':
        return new ApiError('MALFORMED_JSON');
      case 'INVALID_ROLE':
        return new ApiError('INVALID_ROLE');
      case 'VERSION_CONFLICT':
        return new ApiError('VERSION', {});
    }
  }
  return err;
}

/** Go's encoding/json of a TUF public key: `public` before `private`. */
function keyResponse(key: PublicKey): PreparedResponse {
  const json = key.toJSON();
  return jsonResponse(
    `{"keytype":${JSON.stringify(json.keytype)},"keyval":{"public":${JSON.stringify(json.keyval.public)},"private":null}}`,
    'text/plain; charset=utf-8',
  );
}

async function changefeed(ctx: TrustApiContext, gun: string | undefined, query: URLSearchParams): Promise<PreparedResponse> {
  const recordsParam = query.get('records');
  const records = Number(recordsParam ?? '');
  if (recordsParam === null || recordsParam.trim() === '' || !Number.isSafeInteger(records)) {
    throw new ApiError('INVALID_PARAMETERS', `invalid records parameter: ${JSON.stringify(recordsParam ?? '')}`);
  }
  const changeParam = query.get('change_id');
  const changeId = changeParam === null || changeParam === '' ? 0 : Number(changeParam);
  if (!Number.isSafeInteger(changeId)) {
    throw new ApiError('INVALID_PARAMETERS', `did not recognize parameters: change ID expected to be integer, provided ${changeParam}`);
  }
  const list = await ctx.store.changes({ ...(gun ? { gun } : {}), changeId, records: records === 0 ? 100 : records });
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
