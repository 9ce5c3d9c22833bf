/**
 * Repositories for the server benchmark: one with 100 targets published through
 * the Notary API (server-managed snapshot, as `docker trust` sets it up), a
 * chain of pre-signed targets versions for the publish latency, and many small
 * repositories written straight into a store for the memory measurement.
 */
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { NotaryClient } from '../../src/adapters/notary-http/notary-client.js';
import {
  createRepository,
  signerFor,
  targetFromContent,
  updateTargets,
  type PublishFile,
  type RepositoryState,
  type TargetInput,
} from '../../src/app/create-repository.js';
import { signTimestamp } from '../../src/app/notary-server/server-signing.js';
import { PublicKey } from '../../src/core/keys/public-key.js';
import { KeySigner } from '../../src/core/keys/signer.js';
import type { TufStore } from '../../src/core/ports.js';

const newEcKey = (): KeyObject => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;

function targets(count: number, prefix: string): Record<string, TargetInput> {
  const out: Record<string, TargetInput> = {};
  for (let i = 1; i <= count; i++) out[`${prefix}-${String(i).padStart(4, '0')}`] = targetFromContent(Buffer.from(`${prefix} ${i}\n`));
  return out;
}

export interface PublishedRepository {
  state: RepositoryState;
  targetsKey: KeyObject;
}

/** Creates `gun` on the server with `count` targets; the server holds the snapshot and timestamp keys. */
export async function publishRepository(client: NotaryClient, gun: string, count: number): Promise<PublishedRepository> {
  const targetsKey = newEcKey();
  const created = await createRepository({
    gun,
    now: new Date(),
    rootKey: newEcKey(),
    targetsKey,
    serverSnapshotKey: await client.getKey(gun, 'snapshot'),
    timestampKey: await client.getKey(gun, 'timestamp'),
    targets: targets(count, 'tag'),
  });
  await client.publish(gun, created.files);
  return { state: { gun, root: created.root, targets: created.targets }, targetsKey };
}

/** `count` successive targets versions (each adds one target), signed ahead so only the upload is timed. */
export async function presignTargetsChain(repo: PublishedRepository, count: number): Promise<PublishFile[][]> {
  const chain: PublishFile[][] = [];
  let state = repo.state;
  for (let i = 0; i < count; i++) {
    const update = await updateTargets(state, {
      now: new Date(),
      targetsKey: repo.targetsKey,
      add: { [`pub-${String(i).padStart(5, '0')}`]: targetFromContent(Buffer.from(`published ${i}\n`)) },
    });
    chain.push(update.files);
    state = { ...state, targets: update.targets };
  }
  return chain;
}

/**
 * Writes `count` small valid repositories (root with a certificate for the GUN,
 * targets with one target, snapshot, timestamp; version 1 each) into `store`.
 * Keys are shared by all of them, so each costs only the signatures: the root
 * certificate's CN must be the GUN, so root, snapshot and timestamp are signed
 * per repository. The snapshot and timestamp keys are client-held: the server
 * serves these repositories but could not re-sign them (not needed while the
 * timestamps are fresh, 14 days).
 */
export async function populateRepositories(
  store: TufStore,
  gunOf: (i: number) => string,
  count: number,
  onProgress?: (done: number) => void,
): Promise<void> {
  const rootKey = newEcKey();
  // signers made once: the public key is derived (exported) once, not per repository
  const targetsKey = signerFor(newEcKey());
  const snapshotKey = signerFor(newEcKey());
  const timestampPrivate = newEcKey();
  const timestampKey = PublicKey.fromKeyObject(createPublicKey(timestampPrivate));
  const timestampSigner = new KeySigner(timestampPrivate, timestampKey);
  const content = { latest: targetFromContent(Buffer.from('bench\n')) };
  for (let i = 0; i < count; i++) {
    const gun = gunOf(i);
    const now = new Date();
    const repo = await createRepository({ gun, now, rootKey, targetsKey, snapshotKey, timestampKey, targets: content });
    const snapshot = repo.bytes.snapshot as Buffer;
    const timestamp = await signTimestamp({ now, prev: undefined, snapshot, signers: [timestampSigner] });
    await store.updateMany(gun, [
      { role: 'root', version: 1, data: repo.bytes.root },
      { role: 'targets', version: 1, data: repo.bytes.targets },
      { role: 'snapshot', version: 1, data: snapshot },
      { role: 'timestamp', version: timestamp.version, data: timestamp.data },
    ]);
    if (onProgress && (i + 1) % 1000 === 0) onProgress(i + 1);
  }
}
