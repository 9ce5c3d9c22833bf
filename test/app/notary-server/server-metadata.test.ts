import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getCurrentSnapshot, getCurrentTimestamp, getServerKey, rotateServerKey } from '../../../src/app/notary-server/server-metadata.js';
import { isDctError } from '../../../src/core/errors.js';
import { fileMetaOf } from '../../../src/core/tuf/file-meta.js';
import { parseMetadata } from '../../../src/core/tuf/metadata.js';
import { DAY_MS, GUN, readAsClient, TestClient, TestServer } from './notary-sim.js';

async function published(opts: { serverSnapshot?: boolean } = {}) {
  const server = new TestServer();
  const client = await TestClient.init(server, opts);
  await server.publish(client.initialUploads());
  return { server, client };
}

const timestampOf = (data: Buffer) => parseMetadata(data, 'timestamp').signed;
const snapshotOf = (data: Buffer) => parseMetadata(data, 'snapshot').signed;

describe('getCurrentTimestamp / getCurrentSnapshot: lazy re-signing (spec §5.5)', () => {
  it('returns the stored timestamp while it and its snapshot are fresh', async () => {
    const { server } = await published();
    const writes = server.store.writes;
    const ts = await getCurrentTimestamp(server.serverCtx(), GUN);
    assert.equal(ts?.version, 1);
    assert.equal(server.store.writes, writes);
  });

  it('15 days later: a fresh timestamp v2 pinning the current snapshot; v1 stays retrievable', async () => {
    const { server } = await published();
    const v1 = (await server.store.getCurrent(GUN, 'timestamp'))!;
    server.later(15 * DAY_MS);
    const ts = (await getCurrentTimestamp(server.serverCtx(), GUN))!;
    assert.equal(ts.version, 2);
    const snapshot = (await server.store.getCurrent(GUN, 'snapshot'))!;
    assert.equal(snapshot.version, 1, 'the snapshot is not expired: kept');
    const timestamp = timestampOf(ts.data);
    assert.deepEqual(timestamp.snapshotMeta, fileMetaOf(snapshot.data));
    assert.equal(timestamp.expires.toDate().getTime(), server.now.getTime() + 14 * DAY_MS);
    assert.ok((await server.store.getByVersion(GUN, 'timestamp', 1))!.data.equals(v1.data));
    // refreshed once: a second read returns the same file
    const again = (await getCurrentTimestamp(server.serverCtx(), GUN))!;
    assert.equal(again.version, 2);
    assert.deepEqual(server.store.versions(GUN, 'timestamp'), [1, 2]);
    const feed = await server.store.changes({ gun: GUN, changeId: 0, records: 10 });
    assert.deepEqual(
      feed.map((c) => c.version),
      [1, 2],
    );
    assert.equal((await readAsClient(server)).timestamp!.signed.version, 2);
  });

  it('refreshes BEFORE expiry: 13.5 days later the timestamp is re-signed; 12 days later it is not', async () => {
    const { server } = await published();
    server.later(12 * DAY_MS);
    assert.equal((await getCurrentTimestamp(server.serverCtx(), GUN))!.version, 1);
    server.later(DAY_MS + DAY_MS / 2);
    const ts = (await getCurrentTimestamp(server.serverCtx(), GUN))!;
    assert.equal(ts.version, 2);
    assert.equal(timestampOf(ts.data).expires.toDate().getTime(), server.now.getTime() + 14 * DAY_MS);
  });

  it('an expired server-managed snapshot is re-signed (version + 1, meta carried over) with a new timestamp', async () => {
    const { server } = await published();
    const before = snapshotOf((await server.store.getCurrent(GUN, 'snapshot'))!.data);
    server.later(3 * 365 * DAY_MS + DAY_MS);
    const ts = (await getCurrentTimestamp(server.serverCtx(), GUN))!;
    assert.equal(ts.version, 2);
    const snap = (await getCurrentSnapshot(server.serverCtx(), GUN))!;
    assert.equal(snap.version, 2);
    const after = snapshotOf(snap.data);
    assert.deepEqual(after.meta, before.meta);
    assert.ok(!after.expires.isBefore(server.now));
    assert.deepEqual(timestampOf(ts.data).snapshotMeta, fileMetaOf(snap.data));
  });

  it('an expired client-managed snapshot is left alone; only the timestamp is re-signed', async () => {
    const { server } = await published({ serverSnapshot: false });
    server.later(3 * 365 * DAY_MS + DAY_MS);
    const ts = (await getCurrentTimestamp(server.serverCtx(), GUN))!;
    assert.equal(ts.version, 2);
    assert.deepEqual(server.store.versions(GUN, 'snapshot'), [1]);
    assert.equal((await getCurrentSnapshot(server.serverCtx(), GUN))!.version, 1);
  });

  it('concurrent refreshers agree on one new timestamp', async () => {
    const { server } = await published();
    server.later(15 * DAY_MS);
    const results = await Promise.all([1, 2, 3].map(() => getCurrentTimestamp(server.serverCtx(), GUN)));
    assert.deepEqual(
      results.map((r) => r!.version),
      [2, 2, 2],
    );
    assert.ok(results.every((r) => r!.data.equals(results[0]!.data)));
    assert.deepEqual(server.store.versions(GUN, 'timestamp'), [1, 2]);
  });

  it('nothing stored: undefined (404)', async () => {
    const server = new TestServer();
    assert.equal(await getCurrentTimestamp(server.serverCtx(), GUN), undefined);
    assert.equal(await getCurrentSnapshot(server.serverCtx(), GUN), undefined);
  });

  it('a stale timestamp whose key the server lost: SIGNING_KEYS_UNAVAILABLE (notary: 500)', async () => {
    const { server, client } = await published();
    server.keys.forget(client.root.roles['timestamp']!.keyids[0]!);
    assert.equal((await getCurrentTimestamp(server.serverCtx(), GUN))!.version, 1, 'fresh: served as is');
    server.later(13 * DAY_MS + DAY_MS / 2);
    assert.equal(
      (await getCurrentTimestamp(server.serverCtx(), GUN))!.version,
      1,
      'due for an early refresh it cannot make: still valid, served',
    );
    server.later(DAY_MS);
    await assert.rejects(getCurrentTimestamp(server.serverCtx(), GUN), (err) => isDctError(err, 'SIGNING_KEYS_UNAVAILABLE'));
  });
});

describe('getServerKey / rotateServerKey (spec §5.7)', () => {
  it('before a root: creates a key, and reuses a pending one (notary-signer behaviour)', async () => {
    const server = new TestServer();
    const a = await getServerKey(server.serverCtx(), GUN, 'timestamp');
    const b = await getServerKey(server.serverCtx(), GUN, 'timestamp');
    assert.equal(a.id, b.id);
    assert.equal(a.keyType, 'ecdsa');
    const snapshotKey = await getServerKey(server.serverCtx(), GUN, 'snapshot');
    assert.notEqual(snapshotKey.id, a.id);
  });

  it('before a root, with a key service that never reuses keys: a new key each call (notary local service)', async () => {
    const server = new TestServer(undefined, { algorithm: 'ed25519', reusePending: false });
    const a = await getServerKey(server.serverCtx(), GUN, 'timestamp');
    const b = await getServerKey(server.serverCtx(), GUN, 'timestamp');
    assert.notEqual(a.id, b.id);
    assert.equal(a.keyType, 'ed25519');
  });

  it('after the root lists it: the same key, every time', async () => {
    const server = new TestServer(undefined, { reusePending: false });
    const client = await TestClient.init(server);
    await server.publish(client.initialUploads());
    for (const role of ['timestamp', 'snapshot'] as const) {
      const inRoot = client.root.roles[role]!.keyids[0]!;
      assert.equal((await getServerKey(server.serverCtx(), GUN, role)).id, inRoot);
      assert.equal((await getServerKey(server.serverCtx(), GUN, role)).id, inRoot);
    }
  });

  it('a root key the service does not hold for this repository: a new key', async () => {
    const { server, client } = await published();
    const listed = client.root.roles['timestamp']!.keyids[0]!;
    server.keys.forget(listed);
    const key = await getServerKey(server.serverCtx(), GUN, 'timestamp');
    assert.notEqual(key.id, listed);
    assert.ok(server.keys.holds(key.id));
  });

  it('rotateServerKey: a new key, the root unchanged', async () => {
    const { server, client } = await published();
    const current = client.root.roles['timestamp']!.keyids[0]!;
    const rotated = await rotateServerKey(server.serverCtx(), GUN, 'timestamp');
    assert.notEqual(rotated.id, current);
    assert.equal((await getServerKey(server.serverCtx(), GUN, 'timestamp')).id, current);
    await assert.rejects(rotateServerKey(server.serverCtx(), GUN, 'targets' as 'timestamp'), (err) => isDctError(err, 'INVALID_ROLE'));
  });
});

describe('MemoryTufStore (test support used by server tests)', () => {
  it('updateMany is all or nothing; changes page forward and backward', async () => {
    const { server } = await published();
    const store = server.store;
    const snapshot = (await store.getCurrent(GUN, 'snapshot'))!;
    await assert.rejects(
      store.updateMany(GUN, [
        { role: 'targets', version: 9, data: Buffer.from('x') },
        { role: 'snapshot', version: snapshot.version, data: Buffer.from('y') },
      ]),
      (err) => isDctError(err, 'VERSION_CONFLICT'),
    );
    assert.deepEqual(store.versions(GUN, 'targets'), [1], 'nothing of the failed batch stored');
    for (const v of [2, 3, 4]) await store.updateMany(GUN, [{ role: 'timestamp', version: v, data: Buffer.from(`t${v}`) }]);
    assert.deepEqual(
      (await store.changes({ changeId: 1, records: 2 })).map((c) => c.version),
      [2, 3],
    );
    assert.deepEqual(
      (await store.changes({ changeId: -1, records: -2 })).map((c) => c.version),
      [3, 4],
    );
    assert.deepEqual(
      (await store.changes({ changeId: 4, records: -2 })).map((c) => c.version),
      [2, 3],
    );
    assert.equal(await store.deleteRepository(GUN), true);
    assert.equal(await store.getCurrent(GUN, 'root'), undefined);
    assert.deepEqual((await store.changes({ gun: GUN, changeId: -1, records: -1 }))[0]!.category, 'deletion');
  });
});
