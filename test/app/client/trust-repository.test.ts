/**
 * The client use cases end to end against an in-process `dct server`:
 * initialise, publish, read back through the cache, delegations, offline
 * reads, and a cache that stays as it was when the server misbehaves.
 */
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { FileKeyRing } from '../../../src/adapters/keystore/file-key-ring.js';
import { FileKeyStore } from '../../../src/adapters/keystore/file-keystore.js';
import { FileMetadataCache } from '../../../src/adapters/metadata-cache.js';
import { NotaryClient } from '../../../src/adapters/notary-http/notary-client.js';
import { NotaryRemoteRepository } from '../../../src/adapters/notary-http/remote-repository.js';
import type { PassphraseSource } from '../../../src/adapters/passphrase.js';
import { TrustRepository } from '../../../src/app/client/trust-repository.js';
import { PublicKey } from '../../../src/core/keys/public-key.js';
import { delegationRoles, targetsInAllRoles } from '../../../src/core/trust/repository-view.js';
import { fileMetaOf } from '../../../src/core/tuf/file-meta.js';
import { loadConfig } from '../../../src/server/config.js';
import { startServer, type RunningServer } from '../../../src/server/start-server.js';

const passphrases: PassphraseSource = { get: async () => 'client-test-pass' };

describe('TrustRepository against dct server', () => {
  const work = mkdtempSync(join(tmpdir(), 'dct-client-'));
  let server: RunningServer;
  let client: NotaryClient;

  before(async () => {
    const config = loadConfig({
      env: {},
      flags: { listen: '127.0.0.1:0', storage: 'sqlite::memory:', dataDir: join(work, 'data'), logLevel: 'warn', plainHttp: true },
    });
    server = await startServer(config, { DCT_SERVER_KEY_PASSPHRASE: 'k' }, pino({ level: 'warn' }));
    client = new NotaryClient({ baseUrl: server.url });
  });
  after(async () => {
    client?.close();
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  const open = (trustDir: string, gun: string, opts: { offline?: boolean } = {}) =>
    new TrustRepository({
      gun,
      cache: new FileMetadataCache(trustDir, gun),
      keyRing: new FileKeyRing(new FileKeyStore(trustDir), passphrases),
      ...(opts.offline ? {} : { remote: new NotaryRemoteRepository(client, gun, server.url) }),
    });

  /** A reader whose remote records each metadata read (`role` or `role.<sha256>`). */
  const recordingReader = (trustDir: string, gun: string) => {
    const remote = new NotaryRemoteRepository(client, gun, server.url);
    const reads: string[] = [];
    const recording = Object.assign(Object.create(remote) as NotaryRemoteRepository, {
      read: (role: string, max: number, checksum?: string) => {
        reads.push(checksum === undefined ? role : `${role}.<sha256>`);
        return remote.read(role, max, checksum);
      },
    });
    const repo = new TrustRepository({
      gun,
      cache: new FileMetadataCache(trustDir, gun),
      keyRing: new FileKeyRing(new FileKeyStore(trustDir), passphrases),
      remote: recording,
    });
    return { reads, repo };
  };

  it('initialises with a client snapshot, publishes, and a second client reads the targets', async () => {
    const gun = 'example.com/client/notary-style';
    const alice = open(join(work, 'alice'), gun);
    assert.equal(await alice.openDraft(), undefined, 'nothing on the server or in the cache yet');
    const draft = await alice.initialize({ serverManagedSnapshot: false });
    draft.addTarget('targets', 'v1', fileMetaOf(Buffer.from('hello v1\n')));
    const sent = await alice.publish(draft);
    assert.deepEqual(
      sent.map((f) => f.role),
      ['root', 'targets', 'snapshot'],
    );

    const bob = open(join(work, 'bob'), gun);
    const { trusted, warnings } = await bob.read();
    assert.deepEqual(warnings, []);
    assert.equal(trusted.targets()!.signed.version, 2, 'init signs v1 into the cache, the first publish v2 (as notary)');
    assert.equal(trusted.findTarget('v1')?.meta.length, 9);
    const cached = readdirSync(join(work, 'bob', 'tuf', 'example.com', 'client', 'notary-style', 'metadata')).sort();
    assert.deepEqual(cached, ['root.json', 'snapshot.json', 'targets.json', 'timestamp.json']);

    // a second change by alice: the draft comes from the server now
    const next = (await alice.openDraft())!;
    assert.equal(next.initialPublish, false);
    next.removeTarget('targets', 'v1');
    next.addTarget('targets', 'v2', fileMetaOf(Buffer.from('hello v2\n')));
    await alice.publish(next);
    const again = await bob.read();
    assert.equal(again.trusted.findTarget('v1'), undefined);
    assert.equal(again.trusted.findTarget('v2')?.role, 'targets');
  });

  it('docker style: server-managed snapshot, releases + signer delegations, offline read from the cache', async () => {
    const gun = 'example.com/client/docker-style';
    const admin = open(join(work, 'admin'), gun);
    const signerKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const signerPub = PublicKey.fromKeyObject(signerKey.publicKey);
    const draft = await admin.initialize({ serverManagedSnapshot: true });
    draft.changeDelegation('targets/releases', { addKeys: [signerPub], addPaths: [''] });
    draft.changeDelegation('targets/alice', { addKeys: [signerPub], addPaths: [''] });
    assert.deepEqual(
      (await admin.publish(draft)).map((f) => f.role),
      ['root', 'targets'],
    );

    // alice signs with her key only (a separate trust dir holding just that key)
    const aliceDir = join(work, 'alice-signer');
    await new FileKeyStore(aliceDir).save({ privateKey: signerKey.privateKey, role: 'alice', passphrase: 'client-test-pass' });
    const alice = open(aliceDir, gun);
    const d = (await alice.openDraft())!;
    const meta = { length: 423, hashes: { sha256: Buffer.alloc(32, 7) } };
    d.addTarget('targets/releases', 'v1', meta);
    d.addTarget('targets/alice', 'v1', meta);
    assert.deepEqual((await alice.publish(d)).map((f) => f.role).sort(), ['targets/alice', 'targets/releases']);

    const reader = open(join(work, 'reader'), gun);
    const { trusted } = await reader.read();
    assert.equal(trusted.findTarget('v1', ['targets/releases', 'targets'])?.role, 'targets/releases');
    assert.deepEqual(
      targetsInAllRoles(trusted, 'v1').map((t) => t.role),
      ['targets/releases', 'targets/alice'],
    );
    assert.deepEqual(
      delegationRoles(trusted).map((r) => r.name),
      ['targets/releases', 'targets/alice'],
    );

    const offline = await open(join(work, 'reader'), gun, { offline: true }).read();
    assert.equal(offline.offline, true);
    assert.equal(offline.trusted.findTarget('v1')?.role, 'targets/releases');
  });

  it('a snapshot pinning a root the reader does not trust yet: the root is fetched by that checksum (notary root.<sha256>.json)', async () => {
    const gun = 'example.com/client/root-by-checksum';
    const owner = open(join(work, 'rotating-owner'), gun);
    await owner.publish(await owner.initialize({ serverManagedSnapshot: true }));
    const readerDir = join(work, 'rotating-reader');
    await open(readerDir, gun).read();

    // a new targets key: root v2 and targets re-signed, and the server's snapshot pins both
    const draft = (await owner.openDraft())!;
    const ring = new FileKeyRing(new FileKeyStore(join(work, 'rotating-owner')), passphrases);
    const { privateKey } = await ring.generate('targets', gun);
    draft.replaceBaseRoleKeys('targets', [PublicKey.fromKeyObject(createPublicKey(privateKey))]);
    draft.witness('targets');
    assert.deepEqual(
      (await owner.publish(draft)).map((f) => f.role),
      ['root', 'targets'],
    );

    const { reads, repo: reader } = recordingReader(readerDir, gun);
    const { trusted } = await reader.read();
    assert.equal(trusted.root.signed.version, 2);
    // first pass: timestamp, snapshot (verified, but pins another root); then the pinned root, and a second pass
    assert.deepEqual(reads, ['timestamp', 'snapshot.<sha256>', 'root.<sha256>', 'timestamp', 'snapshot.<sha256>', 'targets.<sha256>']);
  });

  it("a publish without changes is still an update, as notary's: a held snapshot key re-signs the snapshot, else the server re-signs", async () => {
    const timestampVersion = async (gun: string) =>
      (JSON.parse((await client.getMetadata(gun, 'timestamp')).toString('utf8')) as { signed: { version: number } }).signed.version;
    for (const [name, serverManagedSnapshot, sent] of [
      ['client-snapshot', false, ['snapshot']],
      ['server-snapshot', true, []],
    ] as const) {
      const gun = `example.com/client/no-change-${name}`;
      const owner = open(join(work, `no-change-${name}`), gun);
      await owner.publish(await owner.initialize({ serverManagedSnapshot }));
      const before = await timestampVersion(gun);
      assert.deepEqual(
        (await owner.publish((await owner.openDraft())!)).map((f) => f.role),
        sent,
        name,
      );
      assert.equal(await timestampVersion(gun), before + 1, `${name}: the server took the update`);
    }
  });

  it('a target added again with the same metadata leaves its role unsigned, as notary (docker re-signing a released tag)', async () => {
    const gun = 'example.com/client/same-target';
    const owner = open(join(work, 'same-target'), gun);
    const d1 = await owner.initialize({ serverManagedSnapshot: true });
    const meta = fileMetaOf(Buffer.from('same\n'));
    d1.addTarget('targets', 'v1', meta);
    await owner.publish(d1);
    const d2 = (await owner.openDraft())!;
    d2.addTarget('targets', 'v1', fileMetaOf(Buffer.from('same\n')));
    assert.deepEqual(
      (await owner.publish(d2)).map((f) => f.role),
      [],
    );
    const d3 = (await owner.openDraft())!;
    d3.addTarget('targets', 'v1', { ...meta, custom: { note: 1 } });
    assert.deepEqual(
      (await owner.publish(d3)).map((f) => f.role),
      ['targets'],
      'other custom data is a change',
    );
  });

  it('a cached delegation that no longer verifies is downloaded again before it is given up (notary tryLoadCacheThenRemote)', async () => {
    const gun = 'example.com/client/stale-delegation';
    const admin = open(join(work, 'stale-admin'), gun);
    const signerKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const signerPub = PublicKey.fromKeyObject(signerKey.publicKey);
    const draft = await admin.initialize({ serverManagedSnapshot: true });
    draft.changeDelegation('targets/releases', { addKeys: [signerPub], addPaths: [''] });
    await admin.publish(draft);
    const signerDir = join(work, 'stale-signer');
    await new FileKeyStore(signerDir).save({ privateKey: signerKey.privateKey, role: 'releases', passphrase: 'client-test-pass' });
    const signer = open(signerDir, gun);
    const d = (await signer.openDraft())!;
    d.addTarget('targets/releases', 'v1', fileMetaOf(Buffer.from('v1')));
    await signer.publish(d);
    const readerDir = join(work, 'stale-reader');
    await open(readerDir, gun).read();

    // the releases key is replaced: the cached (and current) releases file no longer meets its threshold
    const other = PublicKey.fromKeyObject(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey);
    const d2 = (await admin.openDraft())!;
    d2.changeDelegation('targets/releases', { addKeys: [other], removeKeyIds: [signerPub.id] });
    await admin.publish(d2);
    const { reads, repo: reader } = recordingReader(readerDir, gun);
    const { warnings } = await reader.read();
    assert.deepEqual(reads, ['timestamp', 'snapshot.<sha256>', 'targets.<sha256>', 'targets/releases.<sha256>']);
    assert.match(warnings.join('\n'), /^Error getting targets\/releases: /m);
  });

  it('refuses to sign a role whose keys it does not hold, naming the role', async () => {
    const gun = 'example.com/client/no-keys';
    const admin = open(join(work, 'admin2'), gun);
    await admin.publish(await admin.initialize({ serverManagedSnapshot: true }));
    const stranger = open(join(work, 'stranger'), gun);
    const d = (await stranger.openDraft())!;
    d.addTarget('targets', 'v1', fileMetaOf(Buffer.from('x')));
    await assert.rejects(
      stranger.publish(d),
      (err: { code?: string; message: string }) => err.code === 'SIGNING_KEYS_UNAVAILABLE' && /targets/.test(err.message),
    );
  });

  it('a rolled-back cache minimum refuses an older server version and leaves the cache as it was', async () => {
    const gun = 'example.com/client/rollback';
    const owner = open(join(work, 'owner'), gun);
    const d1 = await owner.initialize({ serverManagedSnapshot: true });
    d1.addTarget('targets', 'v1', fileMetaOf(Buffer.from('1')));
    await owner.publish(d1);
    const reader = open(join(work, 'reader-rb'), gun);
    await reader.read();
    const d2 = (await owner.openDraft())!;
    d2.addTarget('targets', 'v2', fileMetaOf(Buffer.from('2')));
    await owner.publish(d2);
    await reader.read();
    const dir = join(work, 'reader-rb', 'tuf', 'example.com', 'client', 'rollback', 'metadata');
    const before = Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f))]));
    // the server forgets the repository and someone re-creates it: new keys, versions from 1
    await client.deleteRepository(gun);
    const intruder = open(join(work, 'intruder'), gun);
    await intruder.publish(await intruder.initialize({ serverManagedSnapshot: true }));
    await assert.rejects(reader.read(), (err: { code?: string }) => err.code === 'ROOT_ROTATION_FAILED' || err.code === 'VERSION_ROLLBACK');
    const after = Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f))]));
    assert.deepEqual(after, before);
  });
});
