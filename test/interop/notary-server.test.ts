/**
 * Interop with the REAL notary 0.7 (Debian): dct builds and uploads a
 * repository to the real notary-server, the real `notary` CLI reads it, uses
 * dct-written key files to publish, and dct reads back what notary wrote.
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NotaryClient, NotaryHttpError } from '../../src/adapters/notary-http/notary-client.js';
import { FileKeyStore } from '../../src/adapters/keystore/file-keystore.js';
import {
  createRepository,
  targetFromContent,
  updateTargets,
  type CreatedRepository,
  type TargetInput,
} from '../../src/app/create-repository.js';
import type { JsonValue } from '../../src/core/canonical-json.js';
import { decodePrivateKeyFile } from '../../src/core/keys/key-file.js';
import { checkFileMeta } from '../../src/core/tuf/file-meta.js';
import { parseMetadata, parseTargets, type Metadata } from '../../src/core/tuf/metadata.js';
import type { Root } from '../../src/core/tuf/root.js';
import { verifyThreshold } from '../../src/core/tuf/verify.js';
import { interopSkip } from '../support/interop.js';
import {
  ensureReferenceTools,
  notaryCli,
  parseNotaryKeyList,
  parseNotaryList,
  startReferenceStack,
  tempDir,
  type ReferenceStack,
} from '../support/reference-stack.js';

const PASSPHRASES = {
  NOTARY_ROOT_PASSPHRASE: 'dct-interop-root',
  NOTARY_TARGETS_PASSPHRASE: 'dct-interop-targets',
  NOTARY_SNAPSHOT_PASSPHRASE: 'dct-interop-snapshot',
};

const newEcKey = (): KeyObject => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const unavailable = await ensureReferenceTools();

describe('interop: real notary-server', { skip: interopSkip(unavailable && `reference notary stack unavailable: ${unavailable}`) }, () => {
  let stack: ReferenceStack;
  let client: NotaryClient;
  const temps: Array<() => void> = [];
  const tmp = (prefix: string) => {
    const t = tempDir(prefix);
    temps.push(t.cleanup);
    return t.path;
  };

  // shared by the tests below, in order
  let gun: string;
  let repo: CreatedRepository;
  const keys = { root: newEcKey(), targets: newEcKey(), snapshot: newEcKey() };
  const contents = new Map<string, { bytes: Buffer; custom?: JsonValue }>();
  let keyTrustDir: string;

  before(async () => {
    stack = await startReferenceStack({ logLevel: 'warn' });
    client = new NotaryClient({ baseUrl: stack.serverUrl, caFile: stack.caFile, timeoutMs: 20_000 });
    gun = `127.0.0.1:${stack.registryPort}/dct/interop-${randomBytes(6).toString('hex')}`;
  });

  after(async () => {
    client?.close();
    for (const cleanup of temps) cleanup();
    await stack?.stop();
  });

  const notaryList = async (trustDir: string, g = gun) => parseNotaryList((await notaryCli(stack, trustDir, ['list', g])).stdout);

  it('a. a dct-built repository (x509 root, targets, snapshot) is listed by the real notary', async () => {
    contents.set('release/<&>-v1', { bytes: Buffer.from('hello from dct\n') });
    contents.set('v2-custom', {
      bytes: randomBytes(1000),
      // no <, >, & in custom: notary re-signs `custom` verbatim from the file (where they are
      // \u003c-escaped) but verifies over the re-canonicalised value, so a later `notary publish`
      // of this role would fail its own server's signature check (spec §2.3)
      custom: { zeta: 1, alpha: { note: 'a/b "q" \\ é 日本', list: [3, 2, 1] }, flag: true, none: null },
    });
    const targets: Record<string, TargetInput> = {};
    for (const [name, c] of contents) targets[name] = targetFromContent(c.bytes, c.custom);

    const timestampKey = await client.getKey(gun, 'timestamp');
    assert.ok(['ecdsa', 'ed25519'].includes(timestampKey.keyType), timestampKey.keyType);
    await assert.rejects(
      client.getMetadata(gun, 'root'),
      (err: unknown) => err instanceof NotaryHttpError && err.code === 'METADATA_NOT_FOUND' && err.status === 404,
    );

    repo = await createRepository({
      gun,
      now: new Date(),
      rootKey: keys.root,
      targetsKey: keys.targets,
      snapshotKey: keys.snapshot,
      timestampKey,
      targets,
    });
    assert.deepEqual(
      repo.files.map((f) => f.role),
      ['root', 'targets', 'snapshot'],
    );
    assert.equal(repo.keys.root.keyType, 'ecdsa-x509');
    await client.publish(gun, repo.files);

    // the server stores and serves our exact bytes, and its timestamp points at our snapshot
    assert.ok((await client.getMetadata(gun, 'root')).equals(repo.bytes.root));
    const timestamp = parseMetadata(await client.getMetadata(gun, 'timestamp'), 'timestamp');
    assert.equal(timestamp.signed.snapshotMeta.hashes['sha256']?.toString('hex'), sha256(repo.bytes.snapshot as Buffer));
    assert.ok((await client.getMetadata(gun, 'snapshot')).equals(repo.bytes.snapshot as Buffer));
    assert.ok((await client.getMetadata(gun, 'targets', { sha256: sha256(repo.bytes.targets) })).equals(repo.bytes.targets));
    assert.ok((await client.getMetadata(gun, 'targets', { version: 1 })).equals(repo.bytes.targets));

    const rows = await notaryList(tmp('dct-notary-a-'));
    assert.equal(rows.length, 2, JSON.stringify(rows));
    for (const [name, c] of contents) {
      const row = rows.find((r) => r.name === name);
      assert.ok(row, `notary list is missing ${name}: ${JSON.stringify(rows)}`);
      assert.equal(row.digest, sha256(c.bytes));
      assert.equal(row.size, c.bytes.length);
      assert.equal(row.role, 'targets');
    }

    const lookupDir = tmp('dct-notary-a-lookup-');
    for (const [name, c] of contents) {
      const { stdout } = await notaryCli(stack, lookupDir, ['lookup', gun, name]);
      assert.equal(stdout.trim(), `${name} sha256:${sha256(c.bytes)} ${c.bytes.length}`);
    }
  });

  it('b. key files written by dct are listed and used by the real notary', async (t) => {
    if (!repo) return t.skip('needs test a');
    keyTrustDir = tmp('dct-notary-b-');
    const store = new FileKeyStore(keyTrustDir);
    const rootId = await store.save({ privateKey: keys.root, role: 'root', passphrase: PASSPHRASES.NOTARY_ROOT_PASSPHRASE });
    const targetsId = await store.save({
      privateKey: keys.targets,
      role: 'targets',
      gun,
      passphrase: PASSPHRASES.NOTARY_TARGETS_PASSPHRASE,
    });
    const snapshotId = await store.save({
      privateKey: keys.snapshot,
      role: 'snapshot',
      gun,
      passphrase: PASSPHRASES.NOTARY_SNAPSHOT_PASSPHRASE,
    });
    // the root key file is named by the canonical ID (the bare key's, not the certificate's)
    assert.equal(rootId, repo.keys.root.canonicalId);
    assert.notEqual(rootId, repo.keys.root.id);
    assert.equal(targetsId, repo.keys.targets.id);
    assert.equal(snapshotId, repo.keys.snapshot.id);

    const { stdout } = await notaryCli(stack, keyTrustDir, ['key', 'list']);
    const listed = parseNotaryKeyList(stdout);
    const expected = [
      { role: 'root', keyId: rootId, gun: '' },
      { role: 'targets', keyId: targetsId, gun },
      { role: 'snapshot', keyId: snapshotId, gun },
    ];
    assert.equal(listed.length, expected.length, stdout);
    for (const e of expected) {
      const row = listed.find((r) => r.keyId === e.keyId);
      assert.ok(row, `notary key list lacks ${e.role} key ${e.keyId}:\n${stdout}`);
      assert.equal(row.role, e.role);
      // notary abbreviates long GUNs as "...<tail>"
      if (e.gun === '') assert.equal(row.gun, '');
      else assert.ok(row.gun === e.gun || (row.gun.startsWith('...') && e.gun.endsWith(row.gun.slice(3))), `${row.gun} vs ${e.gun}`);
      assert.equal(row.location, join(keyTrustDir, 'private'));
    }

    // notary needs the trusted metadata cached: a `list` with the same trust dir does that (TOFU)
    assert.equal((await notaryList(keyTrustDir)).length, 2);
    const v3 = Buffer.from('v3 published by the real notary with dct keys\n');
    const file = join(tmp('dct-notary-b-files-'), 'v3.txt');
    writeFileSync(file, v3);
    const env = { ...PASSPHRASES };
    await notaryCli(stack, keyTrustDir, ['add', gun, 'v3', file], { env });
    const published = await notaryCli(stack, keyTrustDir, ['publish', gun], { env });
    assert.match(published.stdout, /Successfully published changes/);
    contents.set('v3', { bytes: v3 });

    const rows = await notaryList(tmp('dct-notary-b-fresh-'));
    assert.deepEqual(rows.map((r) => r.name).sort(), [...contents.keys()].sort());
    const row = rows.find((r) => r.name === 'v3');
    assert.equal(row?.digest, sha256(v3));
    assert.equal(row?.size, v3.length);

    // and dct reads notary's re-encryption-free files back: the stored key still decrypts with ours
    const loaded = await store.load(targetsId, PASSPHRASES.NOTARY_TARGETS_PASSPHRASE);
    assert.equal(loaded.publicKey.id, targetsId);
  });

  it('c. dct downloads and verifies what the real notary published', async (t) => {
    if (!contents.has('v3')) return t.skip('needs test b');
    const root = parseMetadata(await client.getMetadata(gun, 'root'), 'root');
    const roleOf = (r: Metadata<Root>, name: string) => ({
      keys: r.signed.keys,
      ...(r.signed.roles[name] ?? { keyids: [], threshold: 1 }),
    });
    verifyThreshold(root, roleOf(root, 'root'), 'root');
    assert.ok(root.raw?.equals(repo.bytes.root), 'root unchanged by notary publish');

    const tsBytes = await client.getMetadata(gun, 'timestamp');
    const timestamp = parseMetadata(tsBytes, 'timestamp');
    verifyThreshold(timestamp, roleOf(root, 'timestamp'), 'timestamp');

    const snapshotSha = timestamp.signed.snapshotMeta.hashes['sha256']?.toString('hex') as string;
    const snapBytes = await client.getMetadata(gun, 'snapshot', { sha256: snapshotSha });
    checkFileMeta(snapBytes, timestamp.signed.snapshotMeta, 'snapshot');
    const snapshot = parseMetadata(snapBytes, 'snapshot');
    verifyThreshold(snapshot, roleOf(root, 'snapshot'), 'snapshot');
    assert.equal(snapshot.signed.version, 2);
    checkFileMeta(root.raw as Buffer, snapshot.signed.meta['root'] as never, 'root');

    const targetsMeta = snapshot.signed.meta['targets'];
    assert.ok(targetsMeta);
    const targetsBytes = await client.getMetadata(gun, 'targets', { sha256: targetsMeta.hashes['sha256']?.toString('hex') as string });
    checkFileMeta(targetsBytes, targetsMeta, 'targets');
    const targets = parseTargets(targetsBytes, 'targets');
    verifyThreshold(targets, roleOf(root, 'targets'), 'targets');
    assert.equal(targets.signed.version, 2);
    assert.deepEqual([...targets.signed.targets.names()].sort(), [...contents.keys()].sort());
    assert.deepEqual(targets.signed.targets.get('v2-custom')?.custom, contents.get('v2-custom')?.custom);
    for (const [name, c] of contents) {
      checkFileMeta(c.bytes, targets.signed.targets.get(name)!, name);
    }

    // Go's bytes re-serialise identically with dct's typed models
    for (const [md, bytes] of [
      [root, root.raw],
      [timestamp, tsBytes],
      [snapshot, snapBytes],
      [targets, targetsBytes],
    ] as const) {
      assert.equal(md.serialize().toString('utf8'), (bytes as Buffer).toString('utf8'));
    }
  });

  it('d. dct publishes a later targets change (targets + snapshot v3) that notary lists', async (t) => {
    if (!contents.has('v3')) return t.skip('needs test b');
    const root = parseMetadata(await client.getMetadata(gun, 'root'), 'root');
    const targets = parseTargets(await client.getMetadata(gun, 'targets'), 'targets');
    const snapshot = parseMetadata(await client.getMetadata(gun, 'snapshot'), 'snapshot');
    // the keys come back from the files dct wrote (and notary used)
    const store = new FileKeyStore(keyTrustDir);
    const targetsKey = (await store.load(repo.keys.targets.id, PASSPHRASES.NOTARY_TARGETS_PASSPHRASE)).privateKey;
    const snapshotKey = decodePrivateKeyFile(
      readFileSync(join(keyTrustDir, 'private', `${repo.keys.snapshot.id}.key`), 'utf8'),
      PASSPHRASES.NOTARY_SNAPSHOT_PASSPHRASE,
    ).privateKey;

    const v4 = Buffer.from('v4 from dct\n');
    const update = await updateTargets(
      { gun, root, targets, snapshot },
      { now: new Date(), targetsKey, snapshotKey, add: { v4: targetFromContent(v4) }, remove: ['release/<&>-v1'] },
    );
    assert.equal(update.targets.signed.version, 3);
    assert.equal(update.snapshot?.signed.version, 3);
    await client.publish(gun, update.files);
    contents.delete('release/<&>-v1');
    contents.set('v4', { bytes: v4 });

    // the real notary, with the cache from test b, accepts the update
    const rows = await notaryList(keyTrustDir);
    assert.deepEqual(rows.map((r) => r.name).sort(), [...contents.keys()].sort());
    assert.equal(rows.find((r) => r.name === 'v4')?.digest, sha256(v4));

    // publishing the same versions again is refused with notary's VERSION error
    await assert.rejects(
      client.publish(gun, update.files),
      (err: unknown) => err instanceof NotaryHttpError && err.code === 'VERSION' && err.status === 400,
    );
  });

  it('e. a repository with a server-managed snapshot key', async () => {
    const gun2 = `127.0.0.1:${stack.registryPort}/dct/interop-sm-${randomBytes(6).toString('hex')}`;
    const timestampKey = await client.getKey(gun2, 'timestamp');
    const serverSnapshotKey = await client.getKey(gun2, 'snapshot');
    const first = Buffer.from('first\n');
    const targetsKey = newEcKey();
    const created = await createRepository({
      gun: gun2,
      now: new Date(),
      rootKey: newEcKey(),
      targetsKey,
      serverSnapshotKey,
      timestampKey,
      targets: { first: targetFromContent(first) },
    });
    assert.deepEqual(
      created.files.map((f) => f.role),
      ['root', 'targets'],
    );
    assert.equal(created.keys.serverManagedSnapshot, true);
    await client.publish(gun2, created.files);

    const trustDir = tmp('dct-notary-e-');
    assert.deepEqual(
      (await notaryList(trustDir, gun2)).map((r) => [r.name, r.digest]),
      [['first', sha256(first)]],
    );

    // the server re-signs the snapshot from its re-serialisation of our targets: it must hash our exact bytes
    const snapshot = parseMetadata(await client.getMetadata(gun2, 'snapshot'), 'snapshot');
    checkFileMeta(created.bytes.targets, snapshot.signed.meta['targets'] as never, 'targets');
    checkFileMeta(created.bytes.root, snapshot.signed.meta['root'] as never, 'root');

    const second = Buffer.from('second\n');
    const update = await updateTargets(created, { now: new Date(), targetsKey, add: { second: targetFromContent(second) } });
    assert.deepEqual(
      update.files.map((f) => f.role),
      ['targets'],
    );
    await client.publish(gun2, update.files);
    const rows = await notaryList(trustDir, gun2);
    assert.deepEqual(rows.map((r) => r.name).sort(), ['first', 'second']);

    await client.deleteRepository(gun2);
    await assert.rejects(
      client.getMetadata(gun2, 'root'),
      (err: unknown) => err instanceof NotaryHttpError && err.code === 'METADATA_NOT_FOUND',
    );
  });

  it('f. custom data with <>& : accepted and read by notary, but the real notary cannot re-sign it (spec §2.3)', async () => {
    const gun4 = `127.0.0.1:${stack.registryPort}/dct/interop-html-${randomBytes(6).toString('hex')}`;
    const rootKey = newEcKey();
    const targetsKey = newEcKey();
    const snapshotKey = newEcKey();
    const content = Buffer.from('html\n');
    const created = await createRepository({
      gun: gun4,
      now: new Date(),
      rootKey,
      targetsKey,
      snapshotKey,
      timestampKey: await client.getKey(gun4, 'timestamp'),
      targets: { 'a<&>b': targetFromContent(content, { note: '<b>&' }) },
    });
    assert.match(created.bytes.targets.toString('utf8'), /"a\\u003c\\u0026\\u003eb":\{"custom":\{"note":"\\u003cb\\u003e\\u0026"\}/);
    await client.publish(gun4, created.files);

    const trustDir = tmp('dct-notary-g-');
    assert.deepEqual(
      (await notaryList(trustDir, gun4)).map((r) => [r.name, r.digest]),
      [['a<&>b', sha256(content)]],
    );

    const store = new FileKeyStore(trustDir);
    await store.save({ privateKey: targetsKey, role: 'targets', gun: gun4, passphrase: PASSPHRASES.NOTARY_TARGETS_PASSPHRASE });
    await store.save({ privateKey: snapshotKey, role: 'snapshot', gun: gun4, passphrase: PASSPHRASES.NOTARY_SNAPSHOT_PASSPHRASE });
    const file = join(tmp('dct-notary-g-files-'), 'x.txt');
    writeFileSync(file, 'x\n');
    const env = { ...PASSPHRASES };
    await notaryCli(stack, trustDir, ['add', gun4, 'x', file], { env });
    // notary 0.7 signs `custom` as the raw (\u003c-escaped) bytes but verifies the re-canonicalised value
    await assert.rejects(notaryCli(stack, trustDir, ['publish', gun4], { env }), /valid signatures did not meet threshold for targets/);
    await client.deleteRepository(gun4);
  });

  it('g. server errors decode into stable codes', async () => {
    const gun3 = `127.0.0.1:${stack.registryPort}/dct/interop-err-${randomBytes(6).toString('hex')}`;
    const timestampKey = await client.getKey(gun3, 'timestamp');
    const created = await createRepository({
      gun: gun3,
      now: new Date(),
      rootKey: newEcKey(),
      targetsKey: newEcKey(),
      snapshotKey: newEcKey(),
      timestampKey,
    });
    // targets signed by a key that is not the targets key
    const wrong = await createRepository({
      gun: gun3,
      now: new Date(),
      rootKey: newEcKey(),
      targetsKey: newEcKey(),
      snapshotKey: newEcKey(),
      timestampKey,
    });
    const files = [created.files[0], { role: 'targets', bytes: wrong.bytes.targets }, created.files[2]].filter((f) => f !== undefined);
    await assert.rejects(client.publish(gun3, files), (err: unknown) => {
      assert.ok(err instanceof NotaryHttpError, String(err));
      assert.equal(err.code, 'INVALID_UPDATE');
      assert.equal(err.status, 400);
      assert.equal(err.details.validation?.name, 'ErrBadTargets');
      assert.match(err.message, /The targets metadata is invalid: valid signatures did not meet threshold for targets/);
      return true;
    });
    await assert.rejects(
      client.getMetadata(gun3, 'targets/nope'),
      (err: unknown) => err instanceof NotaryHttpError && err.code === 'METADATA_NOT_FOUND',
    );
    await client.deleteRepository(gun3);
  });
});
