/**
 * Server-signed metadata on read, and the server-key endpoints (spec §5.5, §5.7;
 * `N:server/timestamp/timestamp.go`, `N:server/snapshot/snapshot.go`).
 *
 * `GET timestamp.json` refreshes lazily: when the latest timestamp, or the
 * snapshot it pins, expires within REFRESH_MARGIN_MS (notary waits until it has
 * expired) or the timestamp no longer matches that
 * snapshot), the server re-signs what it holds keys for — the snapshot
 * (version + 1, meta carried over, root entry refreshed) and the timestamp
 * (version + 1) — and stores them together, so clients never see an expired
 * server-signed timestamp while the server holds the key. Old versions stay
 * retrievable by version and checksum.
 */
import { DctError, isDctError } from '../../core/errors.js';
import type { PublicKey } from '../../core/keys/public-key.js';
import type { FileUpdate, KeyService, StoredFile, TufStore } from '../../core/ports.js';
import { checkFileMeta, sha256Hex, type FileMeta } from '../../core/tuf/file-meta.js';
import { firstHeldKey, heldSigners, parseStored, signSnapshot, signTimestamp, type ServerKeyRole } from './server-signing.js';

export interface ServerContext {
  store: TufStore;
  keys: KeyService;
  now: Date;
  /** algorithm for keys the key service creates (its own default when absent) */
  keyAlgorithm?: string;
}

/**
 * Server-signed metadata is re-signed this long BEFORE it expires, so that no
 * client ever receives a timestamp (or snapshot) about to lapse.
 */
export const REFRESH_MARGIN_MS = { timestamp: 24 * 3600 * 1000, snapshot: 7 * 24 * 3600 * 1000 } as const;

/** Attempts when concurrent refreshers race (each loser re-reads what the winner stored). */
const MAX_REFRESH_ATTEMPTS = 5;

/**
 * The current timestamp of `gun`, re-signed first if stale (§5.5); undefined
 * when there is no timestamp or the snapshot it pins is not stored (404).
 * Fails with SIGNING_KEYS_UNAVAILABLE when the timestamp must be re-signed but
 * the key service holds no timestamp key of the repository (notary: 500).
 */
export async function getCurrentTimestamp(ctx: ServerContext, gun: string): Promise<StoredFile | undefined> {
  for (let attempt = 1; ; attempt++) {
    const tsFile = await ctx.store.getCurrent(gun, 'timestamp');
    if (!tsFile) return undefined;
    const timestamp = parseStored(tsFile, 'timestamp').signed;
    const pin = timestamp.snapshotMeta;
    const snapFile = await pinnedSnapshot(ctx.store, gun, pin);
    if (!snapFile) return undefined;
    const snapshot = parseStored(snapFile, 'snapshot').signed;

    const soon = (margin: number) => new Date(ctx.now.getTime() + margin);
    const snapshotExpired = snapshot.expires.isBefore(soon(REFRESH_MARGIN_MS.snapshot));
    const timestampStale = timestamp.expires.isBefore(soon(REFRESH_MARGIN_MS.timestamp)) || !pins(snapFile.data, pin);
    if (!snapshotExpired && !timestampStale) return tsFile;

    const rootFile = await ctx.store.getCurrent(gun, 'root');
    if (!rootFile) throw new DctError('MISSING_METADATA', `${gun} has a timestamp but no root`);
    const root = parseStored(rootFile, 'root').signed;
    const updates: FileUpdate[] = [];
    let snapshotBytes = snapFile.data;
    if (snapshotExpired) {
      // re-signed only when the server holds the snapshot key; a client-managed snapshot stays as it is
      const signers = await heldSigners(ctx.keys, gun, root, 'snapshot');
      if (signers) {
        const latest = await ctx.store.getCurrent(gun, 'snapshot');
        const version = Math.max(snapshot.version, latest?.version ?? 0) + 1;
        // notary SignSnapshot refreshes the root entry from the current root; the rest is carried over
        const resigned = await signSnapshot({ now: ctx.now, prev: snapshot, refreshed: [['root', rootFile.data]], signers, version });
        updates.push({ role: 'snapshot', ...resigned });
        snapshotBytes = resigned.data;
      }
    }
    if (updates.length === 0 && !timestampStale) return tsFile;

    const tsSigners = await heldSigners(ctx.keys, gun, root, 'timestamp');
    if (!tsSigners && updates.length === 0 && !timestamp.expires.isBefore(ctx.now) && pins(snapFile.data, pin)) {
      return tsFile; // due for an early refresh the server cannot make: still valid, serve it
    }
    if (!tsSigners) {
      throw new DctError(
        'SIGNING_KEYS_UNAVAILABLE',
        `the timestamp of ${gun} must be re-signed but the server holds no timestamp key of it`,
      );
    }
    const resignedTs = await signTimestamp({ now: ctx.now, prev: timestamp, snapshot: snapshotBytes, signers: tsSigners });
    updates.push({ role: 'timestamp', ...resignedTs });
    try {
      await ctx.store.updateMany(gun, updates);
    } catch (err) {
      // another request (or replica) refreshed first: use what it stored
      if (isDctError(err, 'VERSION_CONFLICT') && attempt < MAX_REFRESH_ATTEMPTS) continue;
      throw err;
    }
    return (
      (await ctx.store.getByVersion(gun, 'timestamp', resignedTs.version)) ?? {
        gun,
        role: 'timestamp',
        version: resignedTs.version,
        data: resignedTs.data,
        sha256: sha256Hex(resignedTs.data),
        createdAt: ctx.now,
      }
    );
  }
}

/** The snapshot the current (refreshed) timestamp pins (§5.5); undefined → 404. */
export async function getCurrentSnapshot(ctx: ServerContext, gun: string): Promise<StoredFile | undefined> {
  const tsFile = await getCurrentTimestamp(ctx, gun);
  if (!tsFile) return undefined;
  return pinnedSnapshot(ctx.store, gun, parseStored(tsFile, 'timestamp').signed.snapshotMeta);
}

/**
 * `GET {timestamp,snapshot}.key` (§5.7): with a stored root, the first key of
 * the role in it that the key service holds for this repository; otherwise a
 * key from `createKey` (a pending unused one, or a new one — the key service
 * decides, as notary-signer does). Storage is not changed.
 */
export async function getServerKey(ctx: ServerContext, gun: string, role: ServerKeyRole): Promise<PublicKey> {
  assertServerKeyRole(role);
  const rootFile = await ctx.store.getCurrent(gun, 'root');
  if (rootFile) {
    const held = await firstHeldKey(ctx.keys, gun, parseStored(rootFile, 'root').signed, role);
    if (held) return held;
  }
  return ctx.keys.createKey(gun, role, ctx.keyAlgorithm);
}

/** `POST {timestamp,snapshot}.key` (§5.7): a key for the client to rotate to; storage is not changed. */
export async function rotateServerKey(ctx: ServerContext, gun: string, role: ServerKeyRole): Promise<PublicKey> {
  assertServerKeyRole(role);
  return ctx.keys.createKey(gun, role, ctx.keyAlgorithm);
}

function assertServerKeyRole(role: string): asserts role is ServerKeyRole {
  if (role !== 'timestamp' && role !== 'snapshot') {
    throw new DctError('INVALID_ROLE', `the server manages only timestamp and snapshot keys, not ${JSON.stringify(role)}`);
  }
}

/** The stored snapshot a timestamp pins: looked up by sha256 of the stored bytes (§1.9). */
async function pinnedSnapshot(store: TufStore, gun: string, pin: FileMeta): Promise<StoredFile | undefined> {
  const sha256 = pin.hashes['sha256'];
  return sha256 ? store.getByChecksum(gun, 'snapshot', sha256.toString('hex')) : undefined;
}

function pins(bytes: Buffer, meta: FileMeta): boolean {
  try {
    checkFileMeta(bytes, meta, 'snapshot');
    return true;
  } catch {
    return false;
  }
}
