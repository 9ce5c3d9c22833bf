/**
 * A snapshot signed by the client, as `notary publish` signs it when the trust dir holds
 * the snapshot key: the meta of the files given (root and targets roles, bytes as they
 * are published) over the meta the destination already pins, version + 1 of the
 * previous one. Used by `dct trust migrate` where the destination cannot sign the
 * snapshot itself (a catch-up, a new root).
 */
import type { PublicKey } from '../../core/keys/public-key.js';
import type { KeyRing, RoleFile } from '../../core/ports.js';
import { defaultExpires } from '../../core/tuf/common.js';
import { fileMetaOf, type FileMeta } from '../../core/tuf/file-meta.js';
import { setOwn } from '../../core/tuf/json-reader.js';
import { Metadata } from '../../core/tuf/metadata.js';
import { Snapshot } from '../../core/tuf/snapshot.js';
import { signersFor } from '../client/repository-draft.js';

export interface ClientSnapshotInput {
  /** the snapshot role's keys and threshold in the root the destination will serve */
  keys: readonly PublicKey[];
  threshold: number;
  /** the version the new snapshot follows (0: none) */
  previousVersion: number;
  /** what the destination's current snapshot pins (kept unless a file replaces it) */
  previousMeta: Readonly<Record<string, FileMeta>>;
  files: readonly RoleFile[];
  keyRing: KeyRing;
  now: Date;
}

/** Whether the trust dir holds a key of `keys` (by canonical or TUF ID). */
export async function holdsKeyOf(ring: KeyRing, keys: readonly PublicKey[]): Promise<boolean> {
  for (const k of keys) if ((await ring.has(k.canonicalId)) || (await ring.has(k.id))) return true;
  return false;
}

export async function signClientSnapshot(input: ClientSnapshotInput): Promise<RoleFile> {
  const meta: Record<string, FileMeta> = {};
  for (const [role, fm] of Object.entries(input.previousMeta)) setOwn(meta, role, fm);
  for (const f of input.files) setOwn(meta, f.role, fileMetaOf(f.bytes));
  const snapshot = new Snapshot(input.previousVersion + 1, defaultExpires('snapshot', input.now), meta);
  const signers = await signersFor(input.keyRing, input.keys, 'snapshot', input.threshold);
  return { role: 'snapshot', bytes: (await new Metadata(snapshot, []).sign(signers)).serialize() };
}
