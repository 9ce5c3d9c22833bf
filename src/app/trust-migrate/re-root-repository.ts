/**
 * `dct trust migrate --new-root`: one repository moves to the destination under a new
 * root (new-root.ts) when its root key is lost or must change; the old root key is not
 * needed. Every client that trusted the old root refuses the new one (a cached root
 * pins trust, trust pinning applies on first contact only) until it forgets the
 * repository: the CLI prints what to run. The destination is read back as a client
 * pinned to the new root key would read it. Idempotent: a destination that holds the
 * repository under a root whose key this trust dir holds was re-rooted by an earlier
 * run — skipped, or caught up with what the source signed since. A destination holding
 * it under the source's root, or a root of someone else's, is a conflict: a server
 * takes a new root only when its current root signed it.
 */
import { DctError } from '../../core/errors.js';
import type { PublicKey } from '../../core/keys/public-key.js';
import { parseMetadata } from '../../core/tuf/metadata.js';
import type { Root } from '../../core/tuf/root.js';
import { getOwn } from '../../core/tuf/json-reader.js';
import { updateExisting } from './catch-up.js';
import type { MigrateRepositoryPorts, MigrationOutcome, OutcomeBase } from './migration-outcome.js';
import { newRootFiles } from './new-root.js';
import { readExisting, readTrusting, verifiedAfter, type SourceState } from './repository-state.js';

function rootKeysOf(root: Root): PublicKey[] {
  return (root.roles['root']?.keyids ?? []).map((id) => getOwn(root.keys, id)).filter((k): k is PublicKey => k !== undefined);
}

/** The canonical IDs of every root key of the source's chain, v1 to the current root. */
function sourceRootKeyIds(state: SourceState): Set<string> {
  const roots = [...state.chain.map((l) => parseMetadata(l.bytes, 'root').signed), state.set.root.signed];
  return new Set(roots.flatMap((r) => rootKeysOf(r).map((k) => k.canonicalId)));
}

function conflict(gun: string, why: string, fix: string): DctError {
  return new DctError('MIGRATE_CONFLICT', `${gun}: the destination already holds this repository ${why}; not overwritten: ${fix}`);
}

export async function reRootRepository(
  gun: string,
  state: SourceState,
  base: OutcomeBase,
  p: MigrateRepositoryPorts & Required<Pick<MigrateRepositoryPorts, 'newRootKey'>>,
): Promise<MigrationOutcome> {
  const destination = `https://${p.destination.serverName}`;
  const sourceRootKeys = sourceRootKeyIds(state);
  const existing = await readExisting(gun, () => readTrusting(gun, p.destination, p.now, {}));
  if (existing) {
    const keys = rootKeysOf(existing.root.signed);
    const deleteFirst = `delete it there (\`notary -s ${destination} delete ${gun} --remote\`) and rerun`;
    if (keys.some((k) => sourceRootKeys.has(k.canonicalId))) {
      throw conflict(
        gun,
        "under the source's root (migrated keeping it) or one of its earlier roots",
        `a server takes a new root only when the current one signed it: with the old root key, rotate it there (\`notary -s ${destination} key rotate ${gun} root\`), or ${deleteFirst}`,
      );
    }
    const held: PublicKey[] = [];
    for (const k of keys) if (await p.keyRing.has(k.canonicalId)) held.push(k);
    const ours = held[0];
    if (!ours) {
      const ids = keys.map((k) => k.canonicalId).join(', ');
      throw conflict(gun, `under another root (key IDs ${ids})`, `run with the trust dir that holds that root key, or ${deleteFirst}`);
    }
    const rootBytes = existing.root.raw ?? existing.root.serialize();
    return updateExisting(
      gun,
      state,
      existing,
      { ...base, newRoot: { keyId: ours.canonicalId, rootKeyId: ours.id } },
      p,
      () => readTrusting(gun, p.destination, p.now, { root: rootBytes }),
      'already at the destination under its new root with the same targets',
    );
  }
  if (p.dryRun) return { ...base, status: 'would-migrate', reason: 'not at the destination', newRoot: {} };
  const key = await p.newRootKey();
  if (sourceRootKeys.has(key.keyId)) {
    throw new DctError(
      'INVALID_ARGUMENT',
      `${gun}: root key ${key.keyId} is this repository's root key already: migrate without --new-root`,
    );
  }
  const made = await newRootFiles(gun, state.set, state.targetsFiles, { ...p, rootKey: key.privateKey });
  await p.destination.publish(made.files);
  const pinning = { certs: { [gun]: [made.rootKeyId] } };
  const after = await verifiedAfter(gun, state, () => readTrusting(gun, p.destination, p.now, { pinning }));
  return {
    ...base,
    status: 'migrated',
    rotated: made.rotated,
    destinationRoot: after.root.signed.version,
    newRoot: { keyId: key.keyId, rootKeyId: made.rootKeyId },
  };
}
