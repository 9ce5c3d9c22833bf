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
import { DctError } from '../../core/errors.js';
import type { RoleFile } from '../../core/ports.js';
import { tagTableOf } from '../../core/trust-bundle/tag-table.js';
import { applyChanges } from '../client/change-applier.js';
import { rootRoleChange, type NotaryChange } from '../client/notary-change.js';
import { RepositoryDraft } from '../client/repository-draft.js';
import { updateExisting } from './catch-up.js';
import { holdsKeyOf } from './client-snapshot.js';
import type { MigrateRepositoryPorts, MigrationOutcome } from './migration-outcome.js';
import { reRootRepository } from './re-root-repository.js';
import { readDestination, readExisting, readSource, verifiedAfter, type SourceState } from './repository-state.js';

export type { MigrateRepositoryPorts, MigrationOutcome, MigrationStatus } from './migration-outcome.js';

/** The rotation files: root v(N+1) (and a client-signed snapshot) over a draft of the source. */
async function rotation(gun: string, state: SourceState, p: MigrateRepositoryPorts): Promise<{ files: RoleFile[]; rotated: string[] }> {
  const draft = RepositoryDraft.fromTrustedSet(state.set);
  if (!(await holdsKeyOf(p.keyRing, draft.signingKeys('root').keys))) {
    throw new DctError(
      'MIGRATE_ROOT_KEY_MISSING',
      `${gun}: the trust dir holds no root key of this repository (key IDs ${draft
        .signingKeys('root')
        .keys.map((k) => k.canonicalId)
        .join(', ')}): the root that hands timestamp and snapshot to the destination cannot be signed; ` +
        'run with the trust dir that holds it, or migrate with --new-root (a new root key; clients re-trust the repository)',
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

export async function migrateRepository(gun: string, p: MigrateRepositoryPorts): Promise<MigrationOutcome> {
  const state = await readSource(gun, p.source, p.now);
  const base = { gun, roots: state.chain.map((l) => l.version), tags: tagTableOf(state.set).length, rotated: [] as string[] };
  if (p.newRootKey) return reRootRepository(gun, state, base, { ...p, newRootKey: p.newRootKey });
  const reread = () => readDestination(gun, p.destination, state, p.now);
  const existing = await readExisting(gun, reread, '; if an earlier run gave it a new root there, rerun with --new-root');
  if (existing) return updateExisting(gun, state, existing, base, p, reread);
  if (p.dryRun) return { ...base, status: 'would-migrate', reason: 'not at the destination' };
  const { files, rotated } = await rotation(gun, state, p);
  await p.destination.publish(updateFiles(state, files));
  const after = await verifiedAfter(gun, state, reread);
  return { ...base, status: 'migrated', rotated, destinationRoot: after.root.signed.version };
}
