/**
 * The behaviour every trust-server store must show (TufStore + PrivateKeyStore),
 * as node:test cases registered for a factory that returns a fresh, empty store.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isDctError } from '../../../src/core/errors.js';
import type { FileUpdate, PrivateKeyStore, StoredPrivateKey, TufStore } from '../../../src/core/ports.js';

export type ServerStore = TufStore & PrivateKeyStore;
export type StoreFactory = () => Promise<ServerStore>;

export const sha256Hex = (data: Buffer) => createHash('sha256').update(data).digest('hex');
export const rejectsWith = (p: Promise<unknown>, code: string) => assert.rejects(p, (err: unknown) => isDctError(err, code));

/** Metadata-like bytes for `role` at `version`. */
export function meta(role: string, version: number, salt = ''): FileUpdate {
  return { role, version, data: Buffer.from(`{"signed":{"_type":"${role}","version":${version}${salt}}}`) };
}

/** Resolves once `condition()` holds, polling; fails after `timeoutMs`. */
export async function eventually(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function privateKey(keyId: string, createdAt: Date, overrides: Partial<StoredPrivateKey> = {}): StoredPrivateKey {
  return {
    keyId,
    gun: 'example.com/app',
    role: 'timestamp',
    algorithm: 'ecdsa',
    publicKey: `{"keytype":"ecdsa","keyval":{"private":null,"public":"${keyId}"}}`,
    encryptedPrivateKey: `jwe.${keyId}`,
    createdAt,
    lastUsed: null,
    ...overrides,
  };
}

export function storeContract(name: string, factory: StoreFactory): void {
  describe(`${name}: TufStore and PrivateKeyStore contract`, () => {
    let store: ServerStore;
    beforeEach(async () => {
      store = await factory();
    });
    afterEach(async () => {
      await store.close();
    });

    it('gets the current version, a version, and a version by checksum', async () => {
      const v1 = meta('root', 1);
      const v2 = meta('root', 2);
      await store.updateMany('example.com/app', [v1]);
      await store.updateMany('example.com/app', [v2]);
      const current = await store.getCurrent('example.com/app', 'root');
      assert.equal(current?.version, 2);
      assert.deepEqual(current?.data, v2.data);
      assert.equal(current?.gun, 'example.com/app');
      assert.equal(current?.role, 'root');
      assert.ok(current?.createdAt instanceof Date && !Number.isNaN(current.createdAt.getTime()));
      assert.deepEqual((await store.getByVersion('example.com/app', 'root', 1))?.data, v1.data);
      const byChecksum = await store.getByChecksum('example.com/app', 'root', sha256Hex(v1.data));
      assert.equal(byChecksum?.version, 1);
      assert.equal(byChecksum?.sha256, sha256Hex(v1.data));
      assert.equal(await store.getByVersion('example.com/app', 'root', 3), undefined);
      assert.equal(await store.getByVersion('example.com/app', 'root', 2 ** 40), undefined);
      assert.equal(await store.getByVersion('example.com/app', 'root', 1.5), undefined);
      assert.equal(await store.getByChecksum('example.com/app', 'root', '0'.repeat(64)), undefined);
      assert.equal(await store.getByChecksum('example.com/app', 'targets', sha256Hex(v1.data)), undefined);
      assert.equal(await store.getCurrent('example.com/app', 'targets'), undefined);
      assert.equal(await store.getCurrent('example.com/other', 'root'), undefined);
    });

    it('keeps the bytes exactly (every byte value, invalid UTF-8, 1 MiB)', async () => {
      const every = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const big = Buffer.alloc(1 << 20, 0xab);
      const odd = Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0x0a, 0x0d]);
      await store.updateMany('g', [
        { role: 'root', version: 1, data: every },
        { role: 'targets', version: 1, data: big },
        { role: 'targets/releases', version: 1, data: odd },
      ]);
      for (const [role, data] of [
        ['root', every],
        ['targets', big],
        ['targets/releases', odd],
      ] as const) {
        const stored = await store.getCurrent('g', role);
        assert.ok(stored?.data.equals(data), role);
        assert.equal(stored?.sha256, sha256Hex(data));
      }
    });

    it('refuses a version not newer than the stored one with VERSION_CONFLICT', async () => {
      await store.updateMany('g', [meta('targets', 3)]);
      await rejectsWith(store.updateMany('g', [meta('targets', 3, ',"x":1')]), 'VERSION_CONFLICT');
      await rejectsWith(store.updateMany('g', [meta('targets', 2)]), 'VERSION_CONFLICT');
      await rejectsWith(store.updateMany('g', [meta('snapshot', 1), meta('snapshot', 1, ',"x":1')]), 'VERSION_CONFLICT');
      await store.updateMany('g', [meta('targets', 5)]);
      assert.equal((await store.getCurrent('g', 'targets'))?.version, 5);
      assert.equal(await store.getCurrent('g', 'snapshot'), undefined);
      await rejectsWith(store.updateMany('g', [meta('targets', 1.5)]), 'INVALID_VERSION');
      await rejectsWith(store.updateMany('g', [meta('targets', 2 ** 31)]), 'INVALID_VERSION');
    });

    it('stores a batch atomically: one conflicting file stores nothing', async () => {
      await store.updateMany('g', [meta('root', 1), meta('targets', 1)]);
      const batch = [meta('targets', 2), meta('snapshot', 1), meta('timestamp', 1), meta('root', 1, ',"x":1')];
      await rejectsWith(store.updateMany('g', batch), 'VERSION_CONFLICT');
      assert.equal((await store.getCurrent('g', 'targets'))?.version, 1);
      assert.equal(await store.getCurrent('g', 'snapshot'), undefined);
      assert.equal(await store.getCurrent('g', 'timestamp'), undefined);
      assert.deepEqual(await store.changes({ changeId: 0, records: 100 }), []);
      await store.updateMany('g', batch.slice(0, 3));
      assert.equal((await store.getCurrent('g', 'timestamp'))?.version, 1);
    });

    it('lets exactly one of 10 concurrent updates of the same version win', async () => {
      await store.updateMany('g', [meta('timestamp', 1)]);
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => store.updateMany('g', [meta('snapshot', 2, `,"n":${i}`), meta('timestamp', 2, `,"n":${i}`)])),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of results) if (r.status === 'rejected') assert.ok(isDctError(r.reason, 'VERSION_CONFLICT'), String(r.reason));
      const winner = await store.getCurrent('g', 'timestamp');
      const snapshot = await store.getCurrent('g', 'snapshot');
      assert.equal(winner?.data.toString().slice(-8), snapshot?.data.toString().slice(-8), 'both files of the winning batch');
      assert.equal((await store.changes({ changeId: 0, records: 100 })).length, 2);
    });

    it('records timestamps and deletions in the changefeed and pages it', async () => {
      const ts = (v: number) => meta('timestamp', v);
      await store.updateMany('a', [meta('root', 1), meta('targets', 1), meta('snapshot', 1), ts(1)]);
      await store.updateMany('b', [ts(1)]);
      await store.updateMany('a', [ts(2)]);
      await store.updateMany('a', [meta('targets', 2)]); // no timestamp: no record
      assert.equal(await store.deleteRepository('b'), true);
      await store.updateMany('b', [ts(1)]);
      const all = await store.changes({ changeId: 0, records: 100 });
      assert.deepEqual(
        all.map((c) => [c.gun, c.version, c.category]),
        [
          ['a', 1, 'update'],
          ['b', 1, 'update'],
          ['a', 2, 'update'],
          ['b', 0, 'deletion'],
          ['b', 1, 'update'],
        ],
      );
      assert.equal(all[0]?.sha256, sha256Hex(ts(1).data));
      assert.equal(all[3]?.sha256, '');
      assert.ok(
        all.every((c, i) => i === 0 || c.id > (all[i - 1]?.id ?? Infinity)),
        'ascending ids',
      );
      assert.ok(all.every((c) => c.createdAt instanceof Date && !Number.isNaN(c.createdAt.getTime())));
      const ids = all.map((c) => c.id);
      const page = async (opts: { gun?: string; changeId: number; records: number }) => (await store.changes(opts)).map((c) => c.id);

      assert.deepEqual(await page({ changeId: ids[1]!, records: 2 }), ids.slice(2, 4));
      assert.deepEqual(await page({ changeId: ids[4]!, records: 10 }), []);
      assert.deepEqual(await page({ changeId: ids[3]!, records: -2 }), ids.slice(1, 3));
      assert.deepEqual(await page({ changeId: ids[1]!, records: -5 }), ids.slice(0, 1));
      assert.deepEqual(await page({ changeId: -1, records: -2 }), ids.slice(3));
      assert.deepEqual(await page({ changeId: -1, records: 2 }), ids.slice(3), 'negative id: latest');
      assert.deepEqual(await page({ changeId: 0, records: -2 }), ids.slice(3), 'backwards from 0: latest (as notary)');
      assert.deepEqual(await page({ changeId: 0, records: 0 }), []);
      assert.deepEqual(await page({ gun: 'b', changeId: 0, records: 100 }), [ids[1], ids[3], ids[4]]);
      assert.deepEqual(await page({ gun: 'b', changeId: ids[1]!, records: 1 }), [ids[3]]);
      assert.deepEqual(await page({ gun: 'a', changeId: -1, records: -1 }), [ids[2]]);
      assert.deepEqual(await page({ gun: 'nobody', changeId: 0, records: 10 }), []);
      await rejectsWith(store.changes({ changeId: 0.5, records: 10 }), 'INVALID_PARAMETERS');
      await rejectsWith(store.changes({ changeId: 0, records: Number.NaN }), 'INVALID_PARAMETERS');
    });

    it('deletes exactly one GUN (a/b, not a/bc) and records the deletion only when rows were removed', async () => {
      for (const gun of ['a/b', 'a/bc', 'a/b/c']) await store.updateMany(gun, [meta('root', 1), meta('timestamp', 1)]);
      assert.equal(await store.deleteRepository('a/b'), true);
      assert.equal(await store.getCurrent('a/b', 'root'), undefined);
      assert.equal(await store.getByVersion('a/b', 'timestamp', 1), undefined);
      assert.equal((await store.getCurrent('a/bc', 'root'))?.version, 1);
      assert.equal((await store.getCurrent('a/b/c', 'timestamp'))?.version, 1);
      assert.equal(await store.deleteRepository('a/b'), false);
      assert.equal(await store.deleteRepository('unknown'), false);
      const changes = await store.changes({ changeId: 0, records: 100 });
      assert.deepEqual(
        changes.filter((c) => c.category === 'deletion').map((c) => [c.gun, c.version, c.sha256]),
        [['a/b', 0, '']],
      );
      await store.updateMany('a/b', [meta('root', 1)]); // a deleted GUN starts over
      assert.equal((await store.getCurrent('a/b', 'root'))?.version, 1);
    });

    it('lists repositories in byte order of their GUN, paged, with the time of their latest file; deleted ones leave', async () => {
      assert.deepEqual(await store.listRepositories({ limit: 10 }), []);
      // upper case sorts before lower case and "Z" before "a" in bytes; "a/b" before "a/b/c" before "a/bc"
      const guns = ['a/bc', 'Zed/x', 'a/b', 'a/b/c', 'é/x'];
      for (const gun of guns) await store.updateMany(gun, [meta('root', 1)]);
      const before = Date.now();
      await new Promise((r) => setTimeout(r, 5));
      await store.updateMany('a/b', [meta('targets', 1), meta('timestamp', 1)]);
      const all = await store.listRepositories({ limit: 100 });
      assert.deepEqual(
        all.map((r) => r.gun),
        ['Zed/x', 'a/b', 'a/b/c', 'a/bc', 'é/x'],
      );
      const ab = all.find((r) => r.gun === 'a/b');
      assert.ok(ab && ab.updatedAt.getTime() >= before - 1, 'the latest file of a/b is newer than its first');
      assert.ok((all.find((r) => r.gun === 'a/bc')?.updatedAt.getTime() ?? Infinity) <= before + 1);
      const first = await store.listRepositories({ limit: 2 });
      assert.deepEqual(
        first.map((r) => r.gun),
        ['Zed/x', 'a/b'],
      );
      const rest = await store.listRepositories({ after: 'a/b', limit: 2 });
      assert.deepEqual(
        rest.map((r) => r.gun),
        ['a/b/c', 'a/bc'],
      );
      assert.deepEqual(
        (await store.listRepositories({ after: 'a/bc', limit: 2 })).map((r) => r.gun),
        ['é/x'],
      );
      assert.deepEqual(await store.listRepositories({ after: 'é/x', limit: 2 }), []);
      assert.deepEqual(await store.listRepositories({ limit: 0 }), []);
      await store.deleteRepository('a/b/c');
      assert.deepEqual(
        (await store.listRepositories({ limit: 100 })).map((r) => r.gun),
        ['Zed/x', 'a/b', 'a/bc', 'é/x'],
      );
    });

    it('stores private keys: put, get, find a pending one, mark used, delete', async () => {
      const t0 = new Date('2026-01-02T03:04:05.678Z');
      await store.putKey(privateKey('k2', new Date(t0.getTime() + 1000)));
      await store.putKey(privateKey('k1', t0));
      await store.putKey(privateKey('k3', t0, { role: 'snapshot' }));
      await store.putKey(privateKey('k4', t0, { algorithm: 'ed25519' }));
      await rejectsWith(store.putKey(privateKey('k1', t0)), 'PRIVATE_KEY_EXISTS');
      assert.deepEqual(await store.getKey('k1'), privateKey('k1', t0));
      assert.equal(await store.getKey('nope'), undefined);
      assert.equal((await store.findUnusedKey('example.com/app', 'timestamp', 'ecdsa'))?.keyId, 'k1', 'the oldest pending key');
      const used = new Date('2026-02-03T04:05:06.789Z');
      await store.markUsed('k1', used);
      assert.deepEqual((await store.getKey('k1'))?.lastUsed, used);
      assert.equal((await store.findUnusedKey('example.com/app', 'timestamp', 'ecdsa'))?.keyId, 'k2');
      assert.equal((await store.findUnusedKey('example.com/app', 'snapshot', 'ecdsa'))?.keyId, 'k3');
      assert.equal((await store.findUnusedKey('example.com/app', 'timestamp', 'ed25519'))?.keyId, 'k4');
      assert.equal(await store.findUnusedKey('example.com/other', 'timestamp', 'ecdsa'), undefined);
      await store.deleteKey('k2');
      await store.deleteKey('k2');
      assert.equal(await store.getKey('k2'), undefined);
      assert.equal(await store.findUnusedKey('example.com/app', 'timestamp', 'ecdsa'), undefined);
      await store.markUsed('unknown', used);
    });

    it('calls watchers after a write committed, until they unsubscribe', async () => {
      const seen: Array<[string, number | undefined]> = [];
      const unsubscribe = await store.watch((gun) => {
        void store.getCurrent(gun, 'timestamp').then((f) => seen.push([gun, f?.version]));
      });
      await store.updateMany('w/one', [meta('timestamp', 1)]);
      await eventually(() => seen.some(([g]) => g === 'w/one'), 'the update notification');
      assert.ok(
        seen.every(([g, v]) => g === 'w/one' && v === 1),
        'the listener reads the committed data',
      );
      await rejectsWith(store.updateMany('w/one', [meta('timestamp', 1)]), 'VERSION_CONFLICT');
      await store.deleteRepository('w/one');
      await eventually(() => seen.some(([, v]) => v === undefined), 'the deletion notification');
      await unsubscribe();
      // a listener may be called twice for one change (in process and by NOTIFY): let calls made before unsubscribing finish
      await new Promise((r) => setTimeout(r, 200));
      const count = seen.length;
      await store.updateMany('w/two', [meta('timestamp', 1)]);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(seen.length, count, 'no calls after unsubscribing');
    });
  });
}
