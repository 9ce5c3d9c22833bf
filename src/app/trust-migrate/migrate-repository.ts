/**
 * Moves one repository to a dct server keeping its root (`dct trust migrate`): the
 * destination cannot sign with the source server's timestamp key (nor its snapshot key,
 * when the server held it), so, as `notary key rotate GUN timestamp -r` would, the root
 * key's holder signs root v(N+1) listing the destination's keys (`GET …/timestamp.key`,
 * `snapshot.key`) — the client's own key-rotation change, applied to a draft of the
 * source and signed by the draft (src/app/client). One atomic update then carries the
 * root chain 1..N (history), root v(N+1), targets and delegations as they are, the
 * snapshot (re-signed by the client when it holds the snapshot key, else by the
 * destination) and the source's timestamp, whose version the destination continues
 * (src/app/notary-server/imported-history.ts). A client that trusts the old root sees a
 * normal key rotation. Idempotent: a destination that already signs the same targets is
 * skipped; the publish is atomic, so a rerun after a failure starts that repository over.
 */
import { DctError, isDctError } from '../../core/errors.js';
import type { PublicKey } from '../../core/keys/public-key.js';
import type { KeyRing, RemoteRepository, RoleFile } from '../../core/ports.js';
import { tagTableOf } from '../../core/trust-bundle/tag-table.js';
import { applyChanges } from '../client/change-applier.js';
import { rootRoleChange, type NotaryChange } from '../client/notary-change.js';
import { RepositoryDraft } from '../client/repository-draft.js';
import { isUnreachable } from '../client/update-repository.js';
import type { TrustedSet } from '../../core/trust/trusted-set.js';
import { catchUpFiles } from './catch-up.js';
import { readDestination, readSource, sameTargets, type SourceState } from './repository-state.js';

export interface MigrateRepositoryPorts {
  source: RemoteRepository;
  destination: RemoteRepository;
  /** the trust dir's keys: the root key (and the snapshot key when the client holds it) */
  keyRing: KeyRing;
  now: Date;
  dryRun: boolean;
}

/** `updated`: migrated earlier, then caught up with what the source signed since (catch-up.ts) */
export type MigrationStatus = 'migrated' | 'would-migrate' | 'updated' | 'would-update' | 'skipped' | 'failed';

export interface MigrationOutcome {
  gun: string;
  status: MigrationStatus;
  /** why skipped, or the error of a failure */
  reason?: string;
  code?: string;
  /** the source's root chain (versions) */
  roots: number[];
  tags: number;
  /** the roles whose keys were rotated to the destination's */
  rotated: string[];
  /** the destination's root version after the migration */
  destinationRoot?: number;
}

async function holdsKeyOf(ring: KeyRing, keys: readonly PublicKey[]): Promise<boolean> {
  for (const k of keys) if ((await ring.has(k.canonicalId)) || (await ring.has(k.id))) return true;
  return false;
}

/** The rotation files: root v(N+1) (and a client-signed snapshot) over a draft of the source. */
async function rotation(gun: string, state: SourceState, p: MigrateRepositoryPorts): Promise<{ files: RoleFile[]; rotated: string[] }> {
  const draft = RepositoryDraft.fromTrustedSet(state.set);
  if (!(await holdsKeyOf(p.keyRing, draft.signingKeys('root').keys))) {
    throw new DctError(
      'MIGRATE_ROOT_KEY_MISSING',
      `${gun}: the trust dir holds no root key of this repository (key IDs ${draft
        .signingKeys('root')
        .keys.map((k) => k.canonicalId)
        .join(', ')}): the root that hands timestamp and snapshot to the destination cannot be signed`,
    );
  }
  const changes: NotaryChange[] = [rootRoleChange('timestamp', [await p.destination.getKey('timestamp')])];
  const rotated = ['timestamp'];
  if (!(await holdsKeyOf(p.keyRing, draft.signingKeys('snapshot').keys))) {
    changes.push(rootRoleChange('snapshot', [await p.destination.getKey('snapshot')]));
    rotated.push('snapshot');
  }
  await applyChanges(draft, changes, { holdsKeyOf: (keys) => holdsKeyOf(p.keyRing, keys) });
  return { files: await draft.sign(p.keyRing, p.now), rotated };
}

/** The atomic update: history roots, the new root, targets roles as served, snapshot, the old timestamp. */
function updateFiles(state: SourceState, signed: readonly RoleFile[]): RoleFile[] {
  const newRoot = signed.filter((f) => f.role === 'root');
  const snapshot = signed.filter((f) => f.role === 'snapshot');
  const timestamp = state.files.filter((f) => f.role === 'timestamp');
  const history = state.chain.map((l) => ({ role: 'root', bytes: l.bytes }));
  return [...history, ...newRoot, ...state.targetsFiles, ...snapshot, ...timestamp];
}

/** The destination after a publish, read as a client of the source would: it must sign the source's targets. */
async function verifiedAfter(gun: string, state: SourceState, p: MigrateRepositoryPorts): Promise<TrustedSet> {
  const after = await readDestination(gun, p.destination, state, p.now).catch((err: unknown) => {
    throw new DctError('MIGRATE_VERIFY_FAILED', `${gun}: the destination does not read back: ${(err as Error).message}`, { cause: err });
  });
  if (!after || !sameTargets(after, state.set)) {
    throw new DctError('MIGRATE_VERIFY_FAILED', `${gun}: the destination does not serve the source's targets after the publish`);
  }
  return after;
}

export async function migrateRepository(gun: string, p: MigrateRepositoryPorts): Promise<MigrationOutcome> {
  const state = await readSource(gun, p.source, p.now);
  const base = { gun, roots: state.chain.map((l) => l.version), tags: tagTableOf(state.set).length, rotated: [] as string[] };
  let existing;
  try {
    existing = await readDestination(gun, p.destination, state, p.now);
  } catch (err) {
    if (isUnreachable(err)) throw err; // the destination is down: a rerun finishes, nothing to call a conflict
    const why = `${(err as Error).message}${isDctError(err) ? ` [${err.code}]` : ''}`;
    throw new DctError('MIGRATE_CONFLICT', `${gun}: the destination holds trust data a client of the source refuses: ${why}`, {
      cause: err,
    });
  }
  if (existing) {
    if (sameTargets(existing, state.set)) {
      return {
        ...base,
        status: 'skipped',
        reason: 'already at the destination with the same targets',
        destinationRoot: existing.root.signed.version,
      };
    }
    const files = await catchUpFiles(gun, state, existing, p.keyRing);
    const roles = files.map((f) => f.role).join(', ');
    if (p.dryRun) return { ...base, status: 'would-update', reason: `signed at the source since: ${roles}` };
    await p.destination.publish(files);
    const after = await verifiedAfter(gun, state, p);
    return { ...base, status: 'updated', reason: `signed at the source since: ${roles}`, destinationRoot: after.root.signed.version };
  }
  if (p.dryRun) return { ...base, status: 'would-migrate', reason: 'not at the destination' };
  const { files, rotated } = await rotation(gun, state, p);
  await p.destination.publish(updateFiles(state, files));
  const after = await verifiedAfter(gun, state, p);
  return { ...base, status: 'migrated', rotated, destinationRoot: after.root.signed.version };
}
