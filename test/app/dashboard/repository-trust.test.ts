/**
 * A repository whose data expired is verified a second time, as of an instant it was valid, so
 * its tags and signers still show: that pass verifies the files the first pass read (no second
 * store read of them), and still reads and verifies what the first pass never reached.
 */
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { createRepository, targetFromContent } from '../../../src/app/create-repository.js';
import { readRepositoryTrust } from '../../../src/app/dashboard/repository-trust.js';
import { signTimestamp } from '../../../src/app/notary-server/server-signing.js';
import { PublicKey } from '../../../src/core/keys/public-key.js';
import { KeySigner } from '../../../src/core/keys/signer.js';
import type { TufStore } from '../../../src/core/ports.js';
import { MemoryTufStore } from '../../support/memory-stores.js';

const DAY_MS = 86_400_000;
const ec = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;

/** A repository written `daysAgo` days ago (its timestamp lasts 14 days), the timestamp key client-held. */
async function repositoryOf(store: TufStore, gun: string, daysAgo: number): Promise<void> {
  const now = new Date(Date.now() - daysAgo * DAY_MS);
  const timestampPrivate = ec();
  const timestampKey = PublicKey.fromKeyObject(createPublicKey(timestampPrivate));
  const repo = await createRepository({
    gun,
    now,
    rootKey: ec(),
    targetsKey: ec(),
    snapshotKey: ec(),
    timestampKey,
    targets: { latest: targetFromContent(Buffer.from('latest\n')) },
  });
  const snapshot = repo.bytes.snapshot as Buffer;
  const timestamp = await signTimestamp({ now, prev: undefined, snapshot, signers: [new KeySigner(timestampPrivate, timestampKey)] });
  await store.updateMany(gun, [
    { role: 'root', version: 1, data: repo.bytes.root },
    { role: 'targets', version: 1, data: repo.bytes.targets },
    { role: 'snapshot', version: 1, data: snapshot },
    { role: 'timestamp', version: timestamp.version, data: timestamp.data },
  ]);
}

/** The store, counting the reads of files. */
function counted(store: MemoryTufStore): { store: TufStore; reads: string[] } {
  const reads: string[] = [];
  const proxy = new Proxy(store, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (name === 'getCurrent' || name === 'getByChecksum' || name === 'getByVersion') reads.push(String(args[1]));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: proxy, reads };
}

describe('the trust of a repository, as the dashboard reads it', () => {
  it('an expired timestamp: expired, its tags still shown, each file read from the store once', async () => {
    const memory = new MemoryTufStore();
    await repositoryOf(memory, 'example.com/expired', 20);
    const c = counted(memory);
    const trust = await readRepositoryTrust(c.store, 'example.com/expired', new Date(), 30);
    assert.equal(trust?.health, 'expired');
    assert.match(trust?.healthReason ?? '', /^timestamp expired at /);
    assert.deepEqual(trust?.set?.targetsRoles(), ['targets']);
    assert.ok(trust?.set?.targets()?.signed.targets.get('latest'));
    assert.deepEqual(c.reads.sort(), ['root', 'snapshot', 'targets', 'timestamp']);
  });

  it('fresh data is read once and ok', async () => {
    const memory = new MemoryTufStore();
    await repositoryOf(memory, 'example.com/fresh', 0);
    const c = counted(memory);
    const trust = await readRepositoryTrust(c.store, 'example.com/fresh', new Date(), 7);
    assert.equal(trust?.health, 'ok');
    assert.deepEqual(c.reads.sort(), ['root', 'snapshot', 'targets', 'timestamp']);
  });

  it('expired data whose targets no longer verify is invalid, though its root and timestamp verified before', async () => {
    const memory = new MemoryTufStore();
    await repositoryOf(memory, 'example.com/bad', 20);
    // the targets file replaced by one of another repository: the snapshot's pin no longer matches
    const other = new MemoryTufStore();
    await repositoryOf(other, 'example.com/other', 20);
    const theirs = (await other.getCurrent('example.com/other', 'targets'))!.data;
    const store = new Proxy(memory, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver) as unknown;
        if (name === 'getByChecksum') {
          return async (gun: string, role: string, sha: string) =>
            role === 'targets' ? { ...(await target.getCurrent(gun, role))!, data: theirs } : target.getByChecksum(gun, role, sha);
        }
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const trust = await readRepositoryTrust(store, 'example.com/bad', new Date(), 30);
    assert.equal(trust?.health, 'invalid');
    assert.equal(trust?.set, undefined);
  });
});
