/**
 * The server's side of `dct trust migrate` (imported-history.ts): a first publish that
 * carries a repository's root history and its previous server's timestamp. A repository
 * made on server A (root v1, several publishes) moves to server B: root v1, a root v2 that
 * hands timestamp and snapshot to B's keys, targets as they are, A's timestamp. B stores
 * both roots (`<v>.root.json` stays served) and continues A's version numbers; a history
 * that does not verify is refused; without history notary's meaning stays.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getServerKey } from '../../../src/app/notary-server/server-metadata.js';
import { UpdateValidationError } from '../../../src/app/notary-server/update-errors.js';
import type { UploadedFile } from '../../../src/app/notary-server/validate-update.js';
import { defaultExpires } from '../../../src/core/tuf/common.js';
import { parseMetadata } from '../../../src/core/tuf/metadata.js';
import { Root } from '../../../src/core/tuf/root.js';
import { GUN, readAsClient, TestClient, TestServer } from './notary-sim.js';

/** A repository on server A with three publishes (timestamp v3), and the root v2 that moves it to B. */
async function movable(b: TestServer) {
  const a = new TestServer();
  const client = await TestClient.init(a);
  await a.publish(client.initialUploads());
  for (const tag of ['v1', 'v2']) {
    client.addTarget(tag, `hello ${tag}`);
    await a.publish([await client.sign('targets')]);
  }
  const old = client.root;
  const ts = await getServerKey(b.serverCtx(), GUN, 'timestamp');
  const snap = await getServerKey(b.serverCtx(), GUN, 'snapshot');
  const keys = { ...old.keys, [ts.id]: ts, [snap.id]: snap };
  const roles = { ...old.roles, timestamp: { keyids: [ts.id], threshold: 1 }, snapshot: { keyids: [snap.id], threshold: 1 } };
  const v2 = await client.signRoot(new Root(2, defaultExpires('root', b.now), keys, roles), [client.rootKey]);
  const rootV1 = (await a.store.getCurrent(GUN, 'root'))!.data;
  const timestampA = (await a.store.getCurrent(GUN, 'timestamp'))!;
  const uploads: UploadedFile[] = [
    { role: 'root', data: rootV1 },
    v2,
    { role: 'targets', data: client.files.get('targets')! },
    { role: 'timestamp', data: timestampA.data },
  ];
  return { uploads, timestampVersion: timestampA.version };
}

describe('validateUpdate: a first publish carrying a root history (dct trust migrate)', () => {
  it('stores root v1 and v2; the first timestamp and snapshot continue the old versions; a client reads it', async () => {
    const b = new TestServer();
    const { uploads, timestampVersion } = await movable(b);
    assert.equal(timestampVersion, 3);
    const files = await b.publish(uploads);
    assert.deepEqual(
      files.map((f) => [f.role, f.version]),
      [
        ['root', 1],
        ['root', 2],
        ['targets', 3],
        ['snapshot', 4],
        ['timestamp', 4],
      ],
    );
    assert.ok((await b.store.getByVersion(GUN, 'root', 1))!.data.equals(uploads[0]!.data), '1.root.json is served as A served it');
    const set = await readAsClient(b);
    assert.equal(set.root.signed.version, 2);
    assert.equal(set.timestamp!.signed.version, 4);
    for (const tag of ['v1', 'v2']) assert.ok(set.targets('targets')!.signed.targets.get(tag), tag);
    assert.equal(parseMetadata(files[4]!.data, 'timestamp').signed.version, 4);
  });

  it('refuses a history whose root does not sign the next one (another repository root v1)', async () => {
    const b = new TestServer();
    const { uploads } = await movable(b);
    const stranger = await TestClient.init(new TestServer());
    const foreignV1 = stranger.initialUploads().find((u) => u.role === 'root')!;
    await assert.rejects(b.validate([foreignV1, ...uploads.slice(1)]), (err) => {
      assert.ok(err instanceof UpdateValidationError);
      assert.equal(err.kind, 'ErrBadRoot');
      assert.match(err.msg, /root history of the update does not verify.*root version 2 is not signed by root version 1/);
      return true;
    });
  });

  it('without a history the timestamp part is ignored, as notary does: the first timestamp is v1', async () => {
    const b = new TestServer();
    const { uploads } = await movable(b);
    const files = await b.publish(uploads.slice(1)); // root v2 alone (notary accepts 1 or 2 as a first root)
    assert.deepEqual(
      files.filter((f) => f.role === 'timestamp' || f.role === 'root').map((f) => [f.role, f.version]),
      [
        ['root', 2],
        ['timestamp', 1],
      ],
    );
  });
});
