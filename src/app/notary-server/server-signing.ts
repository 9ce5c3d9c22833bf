/**
 * What notary-server signs itself: snapshots (when the repository's snapshot
 * key is server-managed) and every timestamp (spec §1.4, §1.5, §5.4, §5.5;
 * `N:tuf/builder.go` GenerateSnapshot/GenerateTimestamp, `N:tuf/tuf.go`
 * SignSnapshot/SignTimestamp).
 *
 * Hashing decision (spec §1.9): notary hashes its Go *re-serialisation* of each
 * file, while it stores and serves the uploaded bytes. dct hashes the EXACT
 * stored bytes instead. For Go-canonical uploads (every Go client, and dct's own
 * client, whose serializer is byte-identical) the two are the same; for any
 * other upload only the stored-bytes hash keeps what clients download
 * (`<role>.<sha256>.json`, the bytes the store indexes) consistent with what the
 * snapshot and timestamp pin, so dct stays self-consistent where notary would
 * serve 404s and hash mismatches.
 */
import { DctError } from '../../core/errors.js';
import type { Signer } from '../../core/keys/signer.js';
import type { KeyService, StoredFile } from '../../core/ports.js';
import { defaultExpires } from '../../core/tuf/common.js';
import { fileMetaOf, type FileMeta } from '../../core/tuf/file-meta.js';
import { getOwn, setOwn } from '../../core/tuf/json-reader.js';
import { Metadata, parseMetadata, type RoleMetadata } from '../../core/tuf/metadata.js';
import type { Root } from '../../core/tuf/root.js';
import { Snapshot } from '../../core/tuf/snapshot.js';
import { Timestamp } from '../../core/tuf/timestamp.js';

export type ServerKeyRole = 'timestamp' | 'snapshot';

/** A file the server is about to store, with the version the store checks. */
export interface SignedFile {
  version: number;
  data: Buffer;
}

/**
 * Signers for every key of `role` listed in `root` that the key service holds
 * for this GUN and role — notary signs with all keys it has (§3.5) — or
 * undefined when fewer than the role's threshold are held (notary
 * ErrInsufficientSignatures / ErrNoKeys).
 *
 * Unlike notary, a held key counts only if the key service made it for this
 * very repository and role: otherwise a client could list another repository's
 * server key in its root and have the server sign with it (cross-repository
 * key confusion).
 */
export async function heldSigners(keys: KeyService, gun: string, root: Root, role: ServerKeyRole): Promise<Signer[] | undefined> {
  const spec = getOwn(root.roles, role);
  if (!spec) return undefined;
  const signers: Signer[] = [];
  for (const keyId of new Set(spec.keyids)) {
    if (!getOwn(root.keys, keyId)) continue;
    const held = await keys.getKey(keyId);
    if (!held || held.gun !== gun || held.role !== role || held.publicKey.id !== keyId) continue;
    const signer = await keys.signer(keyId);
    if (signer) signers.push(signer);
  }
  return signers.length >= spec.threshold ? signers : undefined;
}

/** The first key of `role` in `root` that the key service holds for this repository (spec §5.7). */
export async function firstHeldKey(keys: KeyService, gun: string, root: Root, role: ServerKeyRole) {
  for (const keyId of getOwn(root.roles, role)?.keyids ?? []) {
    const inRoot = getOwn(root.keys, keyId);
    if (!inRoot) continue;
    const held = await keys.getKey(keyId);
    if (held && held.gun === gun && held.role === role && held.publicKey.id === keyId) return inRoot;
  }
  return undefined;
}

export interface SnapshotInput {
  now: Date;
  /** the previous snapshot: its `meta` entries are carried over (spec §5.4 note) */
  prev?: Snapshot;
  /** roles whose meta is refreshed from these exact bytes (root and every targets role loaded) */
  refreshed: Iterable<readonly [string, Buffer]>;
  signers: readonly Signer[];
  /** the version to write (default: previous + 1, or 1) */
  version?: number;
}

/** A server snapshot: previous meta carried over, refreshed entries rehashed, now + 3 years. */
export async function signSnapshot(input: SnapshotInput): Promise<SignedFile> {
  const meta: Record<string, FileMeta> = {};
  for (const [role, fm] of Object.entries(input.prev?.meta ?? {})) setOwn(meta, role, fm);
  for (const [role, bytes] of input.refreshed) setOwn(meta, role, fileMetaOf(bytes));
  const version = input.version ?? (input.prev?.version ?? 0) + 1;
  const snapshot = new Snapshot(version, defaultExpires('snapshot', input.now), meta);
  const md = await new Metadata(snapshot, []).sign(input.signers);
  return { version, data: md.serialize() };
}

export interface TimestampInput {
  now: Date;
  prev?: Timestamp;
  /** the exact bytes of the snapshot this timestamp pins */
  snapshot: Buffer;
  signers: readonly Signer[];
  /** the version to sign (default: previous version + 1) */
  version?: number;
}

/** A server timestamp: pins the snapshot bytes, previous version + 1, now + 14 days. */
export async function signTimestamp(input: TimestampInput): Promise<SignedFile> {
  const meta: Record<string, FileMeta> = {};
  for (const [role, fm] of Object.entries(input.prev?.meta ?? {})) setOwn(meta, role, fm);
  setOwn(meta, 'snapshot', fileMetaOf(input.snapshot));
  const version = input.version ?? (input.prev?.version ?? 0) + 1;
  const timestamp = new Timestamp(version, defaultExpires('timestamp', input.now), meta);
  const md = await new Metadata(timestamp, []).sign(input.signers);
  return { version, data: md.serialize() };
}

/** Parses a file from storage; a file that no longer parses is a server-side fault. */
export function parseStored(file: StoredFile, role: 'root'): Metadata<Root>;
export function parseStored(file: StoredFile, role: 'snapshot'): Metadata<Snapshot>;
export function parseStored(file: StoredFile, role: 'timestamp'): Metadata<Timestamp>;
export function parseStored(file: StoredFile, role: string): Metadata<RoleMetadata>;
export function parseStored(file: StoredFile, role: string): Metadata<RoleMetadata> {
  try {
    return parseMetadata(file.data, role);
  } catch (err) {
    throw new DctError(
      'STORED_METADATA_INVALID',
      `stored ${role} version ${file.version} of ${file.gun} does not parse: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}
