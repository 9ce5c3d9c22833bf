import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { badRoot, badTargets, UpdateValidationError } from '../../../src/app/notary-server/update-errors.js';
import { isDctError } from '../../../src/core/errors.js';
import { fileMetaOf } from '../../../src/core/tuf/file-meta.js';
import { Metadata, parseMetadata, parseTargets } from '../../../src/core/tuf/metadata.js';
import { Root } from '../../../src/core/tuf/root.js';
import { Targets } from '../../../src/core/tuf/targets.js';
import { fixturePath } from '../../support/fixtures.js';
import { newKey, newRootKey } from '../../support/repo-simulator.js';
import { DAY_MS, GUN, readAsClient, TestClient, TestServer } from './notary-sim.js';

/** Asserts an INVALID_UPDATE with notary's detail. */
async function rejects(promise: Promise<unknown>, kind: string, msg: string | RegExp): Promise<UpdateValidationError> {
  let caught: unknown;
  await assert.rejects(promise, (err) => ((caught = err), true));
  assert.ok(caught instanceof UpdateValidationError, `expected an UpdateValidationError, got ${String(caught)}`);
  assert.equal(caught.code, 'INVALID_UPDATE');
  assert.equal(caught.kind, kind, caught.message);
  if (typeof msg === 'string') assert.equal(caught.msg, msg);
  else assert.match(caught.msg, msg);
  return caught;
}

const expectCode = (code: string) => (err: unknown) => {
  assert.ok(isDctError(err, code), `expected ${code}, got ${(err as { code?: string }).code}: ${(err as Error).message}`);
  return true;
};

const rolesOf = (files: { role: string }[]) => files.map((f) => f.role);

/** A repository after its first publish (root v1, targets v1, snapshot v1, timestamp v1). */
async function published(opts: { serverSnapshot?: boolean } = {}) {
  const server = new TestServer();
  const client = await TestClient.init(server, opts);
  await server.publish(client.initialUploads());
  return { server, client };
}

describe('validateUpdate: first publish', () => {
  it('client-managed snapshot: stores root, targets, snapshot as uploaded plus a server timestamp v1', async () => {
    const server = new TestServer();
    const client = await TestClient.init(server, { serverSnapshot: false });
    const uploads = client.initialUploads();
    const files = await server.publish(uploads);
    assert.deepEqual(rolesOf(files), ['root', 'targets', 'snapshot', 'timestamp']);
    for (const u of uploads) assert.ok(files.find((f) => f.role === u.role)!.data.equals(u.data), `${u.role} stored as uploaded`);
    const ts = files[3]!;
    assert.equal(ts.version, 1);
    const timestamp = parseMetadata(ts.data, 'timestamp').signed;
    assert.deepEqual(timestamp.snapshotMeta, fileMetaOf(uploads.find((u) => u.role === 'snapshot')!.data));
    assert.equal(timestamp.expires.toDate().getTime(), server.now.getTime() + 14 * DAY_MS);
    const set = await readAsClient(server);
    assert.equal(set.timestamp!.signed.version, 1);
  });

  it('server-managed snapshot: generates snapshot v1 and timestamp v1 whose hashes match the stored bytes', async () => {
    const server = new TestServer();
    const client = await TestClient.init(server);
    client.addTarget('latest', 'manifest');
    const targets = await client.sign('targets'); // v2, as a publish after init
    const root = client.initialUploads()[0]!;
    const files = await server.publish([targets, root]);
    assert.deepEqual(rolesOf(files), ['root', 'targets', 'snapshot', 'timestamp']);
    const snapshot = parseMetadata(files[2]!.data, 'snapshot').signed;
    assert.equal(snapshot.version, 1);
    assert.deepEqual(Object.keys(snapshot.meta).sort(), ['root', 'targets']);
    const storedRoot = await server.store.getCurrent(GUN, 'root');
    const storedTargets = await server.store.getCurrent(GUN, 'targets');
    assert.deepEqual(snapshot.meta['root'], fileMetaOf(storedRoot!.data));
    assert.deepEqual(snapshot.meta['targets'], fileMetaOf(storedTargets!.data));
    assert.equal(snapshot.expires.toDate().getTime(), server.now.getTime() + 3 * 365 * DAY_MS);
    const timestamp = parseMetadata(files[3]!.data, 'timestamp').signed;
    assert.deepEqual(timestamp.snapshotMeta, fileMetaOf(files[2]!.data));
    const set = await readAsClient(server);
    assert.equal(set.findTarget('latest')?.role, 'targets');
  });

  it('an uploaded timestamp is ignored and a repeated role: the last one wins', async () => {
    const server = new TestServer();
    const client = await TestClient.init(server);
    const first = await client.sign('targets');
    const second = await client.sign('targets');
    const timestamp = Buffer.from('{"signed":{"_type":"Timestamp","expires":"2030-01-01T00:00:00Z","version":9},"signatures":[]}');
    const files = await server.validate([client.initialUploads()[0]!, first, { role: 'timestamp', data: timestamp }, second]);
    assert.ok(files.find((f) => f.role === 'targets')!.data.equals(second.data));
    assert.equal(files.find((f) => f.role === 'timestamp')!.version, 1);
  });
});

describe('validateUpdate: later updates', () => {
  it('targets-only update with a server snapshot: snapshot v2 carries root over, timestamp v2', async () => {
    const { server, client } = await published();
    const before = parseMetadata((await server.store.getCurrent(GUN, 'snapshot'))!.data, 'snapshot').signed;
    client.addTarget('v2', 'image manifest v2');
    const files = await server.publish([await client.sign('targets')]);
    assert.deepEqual(rolesOf(files), ['targets', 'snapshot', 'timestamp']);
    const snapshot = parseMetadata(files[1]!.data, 'snapshot').signed;
    assert.equal(snapshot.version, 2);
    assert.deepEqual(snapshot.meta['root'], before.meta['root']);
    assert.deepEqual(snapshot.meta['targets'], fileMetaOf(files[0]!.data));
    assert.equal(files[2]!.version, 2);
    assert.equal((await readAsClient(server)).findTarget('v2')?.role, 'targets');
  });

  it('docker-style targets/releases + targets/<signer>: parents come from storage', async () => {
    const { server, client } = await published();
    const alice = newKey();
    client.delegate('targets/releases', alice);
    client.delegate('targets/alice', alice);
    await server.publish([await client.sign('targets')]); // `docker trust signer add`: only targets changes
    client.addTarget('v1', 'manifest', 'targets/releases');
    client.addTarget('v1', 'manifest', 'targets/alice');
    const files = await server.publish([await client.sign('targets/releases'), await client.sign('targets/alice')]); // `docker trust sign`
    assert.deepEqual(rolesOf(files), ['targets/alice', 'targets/releases', 'snapshot', 'timestamp']);
    const snapshot = parseMetadata(files[2]!.data, 'snapshot').signed;
    assert.equal(snapshot.version, 3);
    assert.deepEqual(Object.keys(snapshot.meta).sort(), ['root', 'targets', 'targets/alice', 'targets/releases']);
    const set = await readAsClient(server);
    assert.equal(set.findTarget('v1', ['targets/releases', 'targets'])?.role, 'targets/releases');
  });

  it('a stale delegation entry of the previous snapshot is carried over (spec §5.4 note)', async () => {
    const { server, client } = await published();
    const bob = newKey();
    client.delegate('targets/bob', bob);
    await server.publish([await client.sign('targets'), await client.sign('targets/bob')]);
    const model = client.model('targets');
    model.delegations.roles = model.delegations.roles.filter((r) => r.name !== 'targets/bob');
    const files = await server.publish([await client.sign('targets')]);
    const snapshot = parseMetadata(files[1]!.data, 'snapshot').signed;
    assert.ok(snapshot.meta['targets/bob'], 'kept');
  });

  it('re-uploading the same version is a VERSION_CONFLICT (notary answers VERSION)', async () => {
    const { server, client } = await published();
    const again = { role: 'targets', data: client.files.get('targets')! };
    await assert.rejects(server.validate([again]), expectCode('VERSION_CONFLICT'));
  });
});

describe('validateUpdate: root rotation', () => {
  async function rotated(version: number) {
    const { server, client } = await published();
    const next = newRootKey(GUN, server.now);
    const root = Root.fromJSON(client.root.toJSON());
    root.version = version;
    delete root.keys[client.rootKey.publicKey.id];
    root.keys[next.publicKey.id] = next.publicKey;
    root.roles['root'] = { keyids: [next.publicKey.id], threshold: 1 };
    return { server, client, next, root };
  }

  it('signed by the old and the new root key: accepted', async () => {
    const { server, client, next, root } = await rotated(2);
    const files = await server.publish([await client.signRoot(root, [client.rootKey, next])]);
    assert.deepEqual(rolesOf(files), ['root', 'snapshot', 'timestamp']);
    assert.equal((await readAsClient(server)).root.signed.version, 2);
  });

  it('signed by the new key only: ErrBadRoot', async () => {
    const { server, client, next, root } = await rotated(2);
    await rejects(
      server.validate([await client.signRoot(root, [next])]),
      'ErrBadRoot',
      'could not rotate trust to a new trusted root: failed to validate data with current trusted certificates',
    );
  });

  it('signed by the old key only: ErrBadRoot (its own keys must sign too)', async () => {
    const { server, client, root } = await rotated(2);
    await rejects(
      server.validate([await client.signRoot(root, [client.rootKey])]),
      'ErrBadRoot',
      'could not validate the path to a trusted root: failed to validate integrity of roots',
    );
  });

  it('a version jump by 2: ErrBadRoot with notary message', async () => {
    const { server, client, next, root } = await rotated(3);
    await rejects(
      server.validate([await client.signRoot(root, [client.rootKey, next])]),
      'ErrBadRoot',
      'Root modifications must increment the version. Current 1, new 3',
    );
  });

  it('a certificate for another GUN: ErrBadRoot', async () => {
    const server = new TestServer();
    const client = await TestClient.init(server, { gun: 'other.example.com/x' });
    await rejects(
      server.validate(client.initialUploads(), GUN),
      'ErrBadRoot',
      'could not validate the path to a trusted root: unable to retrieve valid leaf certificates',
    );
  });
});

describe('validateUpdate: refused uploads', () => {
  it('tampered targets (old signature kept): ErrBadTargets as notary (F:24)', async () => {
    const { server, client } = await published();
    const signed = parseTargets(await client.sign('targets').then((u) => u.data), 'targets');
    signed.signed.targets.set('evil', fileMetaOf(Buffer.from('evil')));
    const tampered = new Metadata(signed.signed, signed.signatures).serialize();
    const err = await rejects(
      server.validate([{ role: 'targets', data: tampered }]),
      'ErrBadTargets',
      'valid signatures did not meet threshold for targets',
    );
    const fixture = readFileSync(fixturePath('notary-0.7', 'http-exchanges', '24-post-tampered-targets.txt'), 'utf8');
    const body = JSON.parse(fixture.slice(fixture.indexOf('{"errors"')).trim()) as { errors: Array<{ detail: unknown }> };
    assert.equal(JSON.stringify(err.detail()), JSON.stringify(body.errors[0]!.detail));
  });

  it('unsigned targets: ErrBadTargets "tuf: data has no signatures" (F:25)', async () => {
    const { server, client } = await published();
    const m = client.model('targets');
    m.version++;
    await rejects(
      server.validate([{ role: 'targets', data: new Metadata(m, []).serialize() }]),
      'ErrBadTargets',
      'tuf: data has no signatures',
    );
  });

  it('expired targets: ErrBadTargets "targets expired at <Go date>"', async () => {
    const { server, client } = await published();
    const upload = await client.sign('targets', { expires: new Date(server.now.getTime() - DAY_MS) });
    await rejects(server.validate([upload]), 'ErrBadTargets', 'targets expired at Sun Nov 22 12:00:00 UTC 2026');
  });

  it('a delegation signed by the wrong key: ErrBadTargets', async () => {
    const { server, client } = await published();
    client.delegate('targets/releases', newKey());
    await server.publish([await client.sign('targets')]);
    const upload = await client.sign('targets/releases', { signers: [newKey()] });
    await rejects(server.validate([upload]), 'ErrBadTargets', 'valid signatures did not meet threshold for targets/releases');
  });

  it('a delegation its parent does not list: ErrBadTargets "delegation does not exist"', async () => {
    const { server, client } = await published();
    const bob = newKey();
    client.models.set('targets/bob', new Targets('targets/bob', 0, client.model('targets').expires));
    client.roleKeys.set('targets/bob', bob);
    await rejects(
      server.validate([await client.sign('targets/bob')]),
      'ErrBadTargets',
      'tuf: invalid role targets/bob. delegation does not exist',
    );
  });

  it('a nested delegation whose parent was never stored: ErrBadTargets', async () => {
    const { server, client } = await published();
    client.delegate('targets/team', newKey());
    await server.publish([await client.sign('targets')]);
    client.delegate('targets/team/ci', newKey(), [''], 'targets/team');
    await rejects(
      server.validate([await client.sign('targets/team/ci')]),
      'ErrBadTargets',
      'tuf: invalid role targets/team/ci. delegation does not exist',
    );
  });

  it('a delegation with no targets anywhere: ErrBadTargets "targets must be loaded first"', async () => {
    const server = new TestServer();
    const client = await TestClient.init(server);
    client.delegate('targets/releases', newKey());
    await rejects(
      server.validate([client.initialUploads()[0]!, await client.sign('targets/releases')]),
      'ErrBadTargets',
      'targets must be loaded first',
    );
  });

  it('an uploaded snapshot whose targets hash does not match: ErrBadSnapshot', async () => {
    const { server, client } = await published({ serverSnapshot: false });
    client.addTarget('v2', 'x');
    await client.sign('targets');
    const snapshot = await client.signSnapshot();
    client.addTarget('v3', 'y');
    await client.sign('targets');
    const targets = await client.sign('targets'); // version 3 (F:27 uploaded a targets file as root)
    await rejects(
      server.validate([targets, snapshot]),
      'ErrBadSnapshot',
      /^sha256 checksum for targets did not match: expected [0-9a-f]{64}$/,
    );
  });

  it('an uploaded snapshot pinning targets never uploaded: ErrBadSnapshot (stricter than notary)', async () => {
    const { server, client } = await published({ serverSnapshot: false });
    client.addTarget('v2', 'x');
    await client.sign('targets');
    await rejects(
      server.validate([await client.signSnapshot()]),
      'ErrBadSnapshot',
      'snapshot pins targets content that was never uploaded',
    );
  });

  it('no root stored and none uploaded: ErrValidation', async () => {
    const server = new TestServer();
    const client = await TestClient.init(server);
    await rejects(server.validate([await client.sign('targets')]), 'ErrValidation', 'no pre-existing root and no root provided in update.');
  });

  it('no snapshot uploaded and the server holds no snapshot key: ErrBadHierarchy, Missing "snapshot"', async () => {
    const { server, client } = await published({ serverSnapshot: false });
    client.addTarget('v2', 'x');
    const err = await rejects(
      server.validate([await client.sign('targets')]),
      'ErrBadHierarchy',
      'no snapshot was included in update and server does not hold current snapshot key for repository',
    );
    assert.equal(
      JSON.stringify(err.detail()),
      '{"Name":"ErrBadHierarchy","Error":{"Missing":"snapshot","Msg":"no snapshot was included in update and server does not hold current snapshot key for repository"}}',
    );
  });

  it('the server holds no timestamp key: ErrBadRoot with notary two spaces', async () => {
    const server = new TestServer();
    const client = await TestClient.init(server);
    server.keys.forget(client.root.roles['timestamp']!.keyids[0]!);
    await rejects(
      server.validate([client.initialUploads()[0]!, await client.sign('targets')]),
      'ErrBadRoot',
      'no  timestamp keys exist on the server',
    );
  });

  it('a timestamp key the server made for another repository is not used', async () => {
    const server = new TestServer();
    const client = await TestClient.init(server);
    const foreign = await server.keys.createKey('other.example.com/x', 'timestamp');
    const root = client.root;
    delete root.keys[root.roles['timestamp']!.keyids[0]!];
    root.keys[foreign.id] = foreign;
    root.roles['timestamp'] = { keyids: [foreign.id], threshold: 1 };
    const upload = await client.signRoot(root, [client.rootKey]);
    await rejects(server.validate([upload, await client.sign('targets')]), 'ErrBadRoot', 'no  timestamp keys exist on the server');
  });

  it('not JSON, or no envelope: MALFORMED_JSON; not a role: INVALID_ROLE', async () => {
    const server = new TestServer();
    await assert.rejects(server.validate([{ role: 'targets', data: Buffer.from('garbage') }]), expectCode('MALFORMED_JSON'));
    await assert.rejects(
      server.validate([{ role: 'targets', data: Buffer.from('{"signed":{"_type":"Targets"},"signatures":[]}') }]),
      expectCode('MALFORMED_JSON'),
    );
    await assert.rejects(server.validate([{ role: 'targets', data: Buffer.from('[1]') }]), expectCode('MALFORMED_JSON'));
    await assert.rejects(server.validate([{ role: 'foo', data: Buffer.from('{}') }]), (err: unknown) => {
      assert.ok(isDctError(err, 'INVALID_ROLE'));
      assert.equal((err as unknown as { detail(): unknown }).detail(), 'foo');
      return true;
    });
  });

  it('a file of the wrong _type: notary type message', async () => {
    const { server, client } = await published();
    await client.sign('targets');
    const targets = await client.sign('targets'); // version 3 (F:27 uploaded a targets file as root)
    await rejects(
      server.validate([{ role: 'root', data: targets.data }]),
      'ErrBadRoot',
      'Root modifications must increment the version. Current 1, new 3',
    );
    const doc = JSON.parse(targets.data.toString()) as { signed: { version: number } };
    doc.signed.version = 2;
    await rejects(
      server.validate([{ role: 'root', data: Buffer.from(JSON.stringify(doc)) }]),
      'ErrBadRoot',
      'root type metadata invalid: expected type Root, not Targets',
    );
  });
});

describe('UpdateValidationError', () => {
  it('detail() is notary SerializableError JSON and fromDetail() reads it back', () => {
    assert.equal(JSON.stringify(badRoot('m').detail()), '{"Name":"ErrBadRoot","Error":{"Msg":"m"}}');
    assert.equal(badTargets('x').message, 'The targets metadata is invalid: x');
    const back = UpdateValidationError.fromDetail({ Name: 'ErrBadHierarchy', Error: { Missing: 'snapshot', Msg: 'm' } })!;
    assert.equal(back.kind, 'ErrBadHierarchy');
    assert.equal(back.missing, 'snapshot');
    assert.equal(back.message, 'Metadata hierarchy is incomplete: m');
    assert.equal(UpdateValidationError.fromDetail({ Name: 'Nope' }), undefined);
  });
});
