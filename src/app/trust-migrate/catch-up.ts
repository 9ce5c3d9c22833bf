/**
 * A repository migrated earlier whose source was signed since (a transition period where
 * some signers still push to the old server): the targets roles that moved on at the
 * source are published to the destination as they are, with a snapshot signed by the
 * client when the trust dir holds the snapshot key (as `notary publish` would), else made
 * by the destination. Only when nothing was signed at the destination since: each
 * changed role must be newer at the source, under the same targets keys. Anything else is
 * a conflict, not overwritten; its message names the tags to sign at the destination.
 */
import { DctError } from '../../core/errors.js';
import type { KeyRing, RoleFile } from '../../core/ports.js';
import { tagTableOf } from '../../core/trust-bundle/tag-table.js';
import type { TrustedSet } from '../../core/trust/trusted-set.js';
import { getOwn } from '../../core/tuf/json-reader.js';
import { holdsKeyOf, signClientSnapshot } from './client-snapshot.js';
import type { MigrateRepositoryPorts, MigrationOutcome, OutcomeBase } from './migration-outcome.js';
import { sameTargets, verifiedAfter, type SourceState } from './repository-state.js';

export interface CatchUp {
  /** the targets roles to publish, parents first */
  roles: string[];
  /** those roles' files, then the client's snapshot when it holds the key */
  files: RoleFile[];
}

/** What to do when the destination was signed since: which tags the source signs that it lacks, and how to carry them. */
function signedThereSince(gun: string, why: string, state: SourceState, existing: TrustedSet, destination: string): DctError {
  const there = new Map(tagTableOf(existing).map((t) => [t.name, t.digest]));
  const missing = tagTableOf(state.set)
    .filter((t) => there.get(t.name) !== t.digest)
    .map((t) => t.name);
  const fix =
    missing.length > 0
      ? `the source signs ${missing.join(', ')} otherwise than the destination: sign ${missing.length === 1 ? 'it' : 'them'} at the destination ` +
        `(\`notary -s ${destination} add ${gun} TAG FILE\` then \`notary -s ${destination} publish ${gun}\`, or \`docker trust sign\` ` +
        `with DOCKER_CONTENT_TRUST_SERVER=${destination}) and stop signing at the source`
      : 'the destination already signs every tag of the source: this repository is migrated, leave it out of reruns';
  return new DctError('MIGRATE_CONFLICT', `${gun}: the destination was signed since the migration (${why}); not overwritten: ${fix}`);
}

function conflict(gun: string, why: string, fix: string): DctError {
  return new DctError(
    'MIGRATE_CONFLICT',
    `${gun}: the destination already holds this repository with other targets: ${why}; not overwritten: ${fix}`,
  );
}

const sameIds = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().join() === [...b].sort().join();

/** The files that bring the destination up to the source; throws MIGRATE_CONFLICT when they cannot simply be added. */
export async function catchUp(
  gun: string,
  state: SourceState,
  existing: TrustedSet,
  p: { keyRing: KeyRing; now: Date; destination: string; dryRun: boolean },
): Promise<CatchUp> {
  const targetsKeys = (s: TrustedSet) => s.root.signed.roles['targets']?.keyids ?? [];
  if (!sameIds(targetsKeys(state.set), targetsKeys(existing))) {
    throw conflict(
      gun,
      'its targets key changed at the source since the migration',
      `delete it at the destination (\`notary -s ${p.destination} delete ${gun} --remote\`) and migrate it again`,
    );
  }
  const sourceRoles = new Set(state.targetsFiles.map((f) => f.role));
  for (const role of existing.targetsRoles()) {
    if (!sourceRoles.has(role)) throw signedThereSince(gun, `${role} exists only there`, state, existing, p.destination);
  }
  const files: RoleFile[] = [];
  for (const file of state.targetsFiles) {
    const there = existing.targets(file.role);
    const bytes = there ? (there.raw ?? there.serialize()) : undefined;
    if (bytes?.equals(file.bytes)) continue;
    const sourceVersion = state.set.targets(file.role)!.signed.version;
    if (there && there.signed.version >= sourceVersion) {
      const why = `${file.role} is version ${there.signed.version} there, ${sourceVersion} at the source`;
      throw signedThereSince(gun, why, state, existing, p.destination);
    }
    files.push(file);
  }
  const roles = files.map((f) => f.role);
  const spec = existing.root.signed.roles['snapshot'];
  const keys = (spec?.keyids ?? []).map((id) => getOwn(existing.root.signed.keys, id)).filter((k) => k !== undefined);
  if (spec && !p.dryRun && (await holdsKeyOf(p.keyRing, keys))) {
    const previous = existing.snapshot?.signed;
    files.push(
      await signClientSnapshot({
        keys,
        threshold: spec.threshold,
        previousVersion: previous?.version ?? 0,
        previousMeta: previous?.meta ?? {},
        files,
        keyRing: p.keyRing,
        now: p.now,
      }),
    );
  }
  return { roles, files };
}

/**
 * A destination that already holds the repository (`existing`, read with `reread`'s
 * trust): skipped when it signs the same targets, else caught up (catch-up.ts).
 */
export async function updateExisting(
  gun: string,
  state: SourceState,
  existing: TrustedSet,
  base: OutcomeBase & Pick<MigrationOutcome, 'newRoot'>,
  p: MigrateRepositoryPorts,
  reread: () => Promise<TrustedSet | undefined>,
  skipReason = 'already at the destination with the same targets',
): Promise<MigrationOutcome> {
  if (sameTargets(existing, state.set)) {
    return { ...base, status: 'skipped', reason: skipReason, destinationRoot: existing.root.signed.version };
  }
  const destination = `https://${p.destination.serverName}`;
  const { roles, files } = await catchUp(gun, state, existing, { keyRing: p.keyRing, now: p.now, destination, dryRun: p.dryRun });
  const reason = `signed at the source since: ${roles.join(', ')}`;
  if (p.dryRun) return { ...base, status: 'would-update', reason };
  await p.destination.publish(files);
  const after = await verifiedAfter(gun, state, reread);
  return { ...base, status: 'updated', reason, destinationRoot: after.root.signed.version };
}
