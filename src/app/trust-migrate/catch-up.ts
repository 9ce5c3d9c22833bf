/**
 * A repository migrated earlier whose source was signed since (a transition period where
 * some signers still push to the old server): the targets roles that moved on at the
 * source are published to the destination as they are, and the destination makes the
 * snapshot. Only when the destination signs the snapshot itself (a client-held snapshot
 * would need re-signing here) and nothing was signed at the destination since: each
 * changed role must be newer at the source. Anything else is a conflict, not overwritten.
 */
import { DctError } from '../../core/errors.js';
import type { KeyRing, RoleFile } from '../../core/ports.js';
import type { TrustedSet } from '../../core/trust/trusted-set.js';
import type { SourceState } from './repository-state.js';

function conflict(gun: string, why: string): DctError {
  return new DctError(
    'MIGRATE_CONFLICT',
    `${gun}: the destination already holds this repository with other targets: ${why}; not overwritten`,
  );
}

/** The source's targets roles the destination lacks, parents first; throws MIGRATE_CONFLICT when they cannot simply be added. */
export async function catchUpFiles(gun: string, state: SourceState, existing: TrustedSet, keyRing: KeyRing): Promise<RoleFile[]> {
  const snapshotKeys = existing.root.signed.roles['snapshot']?.keyids ?? [];
  for (const id of snapshotKeys) {
    const key = existing.root.signed.keys[id];
    if ((await keyRing.has(id)) || (key && (await keyRing.has(key.canonicalId)))) {
      throw conflict(gun, 'the snapshot key is held by the client (catching up would re-sign it; not supported yet)');
    }
  }
  const sourceRoles = new Set(state.targetsFiles.map((f) => f.role));
  for (const role of existing.targetsRoles()) {
    if (!sourceRoles.has(role)) throw conflict(gun, `${role} exists only at the destination (signed there since)`);
  }
  const out: RoleFile[] = [];
  for (const file of state.targetsFiles) {
    const there = existing.targets(file.role);
    const bytes = there ? (there.raw ?? there.serialize()) : undefined;
    if (bytes?.equals(file.bytes)) continue;
    const sourceVersion = state.set.targets(file.role)!.signed.version;
    if (there && there.signed.version >= sourceVersion) {
      throw conflict(
        gun,
        `${file.role} is version ${there.signed.version} at the destination, ${sourceVersion} at the source (signed there since)`,
      );
    }
    out.push(file);
  }
  return out;
}
