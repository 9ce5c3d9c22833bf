import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FileKeyStore } from '../../../src/adapters/keystore/file-keystore.js';
import { decodePem, encodePem } from '../../../src/core/encoding.js';
import { isDctError } from '../../../src/core/errors.js';
import { decodePrivateKeyFile, publicKeyOf } from '../../../src/core/keys/key-file.js';
import { fixturePath } from '../../support/fixtures.js';
import { interopSkip, missingTool } from '../../support/interop.js';

const dirs: string[] = [];
function tempTrustDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dct-keystore-'));
  dirs.push(dir);
  return join(dir, 'trust');
}
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const newEcKey = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const mode = (p: string) => statSync(p).mode & 0o777;
const rejectsWith = (p: Promise<unknown>, code: string) => assert.rejects(p, (err: unknown) => isDctError(err, code));
const VECTOR_KEYS = fixturePath('notary-go-vectors', 'repo', 'private');

const NOTARY_MISSING = missingTool('notary');

describe('FileKeyStore', () => {
  it('saves <trust>/private/<canonical id>.key with modes 0700/0600 and loads it back', async () => {
    const trust = tempTrustDir();
    const store = new FileKeyStore(trust);
    const privateKey = newEcKey();
    const keyId = await store.save({ privateKey, role: 'targets', gun: 'example.com/app', passphrase: 'pass-word' });
    assert.equal(keyId, publicKeyOf(privateKey).id);
    const path = join(trust, 'private', `${keyId}.key`);
    assert.equal(mode(join(trust, 'private')), 0o700);
    assert.equal(mode(trust), 0o700);
    assert.equal(mode(path), 0o600);
    assert.deepEqual(readdirSync(join(trust, 'private')), [`${keyId}.key`], 'no temp file left behind');
    assert.match(readFileSync(path, 'utf8'), /^-----BEGIN ENCRYPTED PRIVATE KEY-----\ngun: example.com\/app\nrole: targets\n\n/);
    assert.equal(await store.has(keyId), true);
    const loaded = await store.load(keyId, 'pass-word');
    assert.deepEqual(
      [loaded.keyId, loaded.role, loaded.gun, loaded.path, loaded.encrypted],
      [keyId, 'targets', 'example.com/app', path, true],
    );
    assert.deepEqual(loaded.privateKey.export({ format: 'jwk' }), privateKey.export({ format: 'jwk' }));
    await rejectsWith(store.load(keyId, 'wrong'), 'WRONG_PASSPHRASE');
    await rejectsWith(store.load(keyId, undefined), 'WRONG_PASSPHRASE');
  });

  it('keeps the gun only for targets/snapshot/timestamp keys, like notary', async () => {
    const store = new FileKeyStore(tempTrustDir());
    const root = await store.save({ privateKey: newEcKey(), role: 'root', gun: 'example.com/app', passphrase: 'x' });
    const deleg = await store.save({ privateKey: newEcKey(), role: 'targets/releases', gun: 'example.com/app', passphrase: '' });
    const snap = await store.save({ privateKey: newEcKey(), role: 'snapshot', gun: 'example.com/app', passphrase: 'x' });
    const byId = new Map((await store.list()).map((k) => [k.keyId, k]));
    assert.equal(byId.get(root)?.gun, undefined);
    assert.equal(byId.get(deleg)?.gun, undefined);
    assert.equal(byId.get(snap)?.gun, 'example.com/app');
    assert.equal((await store.load(deleg, undefined)).encrypted, false);
  });

  it('lists a copy of notary-go-vectors/repo/private with roles and guns, sorted', async () => {
    const trust = tempTrustDir();
    mkdirSync(join(trust, 'private'), { recursive: true });
    for (const f of readdirSync(VECTOR_KEYS)) copyFileSync(join(VECTOR_KEYS, f), join(trust, 'private', f));
    writeFileSync(join(trust, 'private', 'README.txt'), 'not a key');
    writeFileSync(join(trust, 'private', 'deadbeefdeadbeef.key'), 'garbage');
    const listed = await new FileKeyStore(trust).list();
    assert.deepEqual(
      listed.map((k) => [k.keyId.slice(0, 8), k.role, k.gun ?? '', k.legacy]),
      [
        ['095eb320', 'snapshot', 'example.com/vectors/repo', false],
        ['6e828bbb', 'alice', '', false],
        ['8b0c2f30', 'targets', 'example.com/vectors/repo', false],
        ['a9c3e230', 'root', '', false],
        ['c75e74e5', 'root', '', false],
        ['edb58f6c', 'timestamp', 'example.com/vectors/repo', false],
      ],
    );
    const ts = await new FileKeyStore(trust).load(listed[5]?.keyId as string, 'password');
    assert.equal(ts.privateKey.asymmetricKeyType, 'ed25519');
  });

  it('reads the legacy root_keys/ and tuf_keys/<gun>/ layouts (role and gun from the path)', async () => {
    const trust = tempTrustDir();
    const store = new FileKeyStore(trust);
    const stripHeaders = (file: string) => {
      const block = decodePem(readFileSync(join(VECTOR_KEYS, file), 'utf8'));
      return encodePem({ ...block, headers: {} });
    };
    const rootId = 'a9c3e230c5168b6b05615c6a80227b9eff259b3553a3eb5bbcc2e9a8d358f3ee';
    const targetsId = '8b0c2f30fdc6de271fa8d74a2275b4108dd30e200475acf6ed41da455a86ab5a';
    const delegId = '6e828bbb13cf664c3ddd28700d045a2019271f11de39ec22f46b534ca29a0cbf';
    const put = (rel: string, text: string) => {
      mkdirSync(join(trust, 'private', rel, '..'), { recursive: true });
      writeFileSync(join(trust, 'private', rel), text);
    };
    put(`root_keys/${rootId}_root.key`, stripHeaders(`${rootId}.key`));
    put(`tuf_keys/example.com/vectors/repo/${targetsId}_targets.key`, stripHeaders(`${targetsId}.key`));
    put(`tuf_keys/${delegId}_targets/alice.key`, stripHeaders(`${delegId}.key`));
    const listed = await store.list();
    assert.deepEqual(
      listed.map((k) => [k.keyId, k.role, k.gun, k.legacy]),
      [
        [delegId, 'targets/alice', undefined, true],
        [targetsId, 'targets', 'example.com/vectors/repo', true],
        [rootId, 'root', undefined, true],
      ],
    );
    const targets = await store.load(targetsId, 'password');
    assert.deepEqual([targets.role, targets.gun, targets.publicKey.id], ['targets', 'example.com/vectors/repo', targetsId]);
    // a key in both layouts is served from the flat one; remove deletes both
    copyFileSync(join(VECTOR_KEYS, `${rootId}.key`), join(trust, 'private', `${rootId}.key`));
    assert.equal((await store.list()).find((k) => k.keyId === rootId)?.legacy, false);
    assert.equal(await store.remove(rootId), true);
    assert.equal(await store.has(rootId), false);
    assert.equal(await store.remove(rootId), false);
  });

  it('replaces an existing file atomically, removes keys, and rejects bad IDs', async () => {
    const store = new FileKeyStore(tempTrustDir());
    const privateKey = newEcKey();
    const id = await store.save({ privateKey, role: 'targets/a', passphrase: 'one-pass' });
    await store.save({ privateKey, role: 'targets/b', passphrase: 'two-pass' });
    assert.equal((await store.load(id, 'two-pass')).role, 'targets/b');
    assert.equal(readdirSync(store.privateDir).length, 1);
    assert.equal(await store.remove(id), true);
    assert.deepEqual(await store.list(), []);
    await rejectsWith(store.load(id, 'two-pass'), 'KEY_NOT_FOUND');
    await rejectsWith(store.load('../../etc/passwd', ''), 'INVALID_KEY_ID');
    assert.deepEqual(await new FileKeyStore(join(tempTrustDir(), 'missing')).list(), []);
  });
});

describe('FileKeyStore interop with the real notary CLI', () => {
  it('notary key list shows keys we wrote; notary key passwd decrypts them', { skip: interopSkip(NOTARY_MISSING) }, async () => {
    const trust = tempTrustDir();
    const store = new FileKeyStore(trust);
    const keys = [
      { privateKey: newEcKey(), role: 'targets', gun: 'example.com/interop' },
      { privateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, role: 'targets/rsa' },
      { privateKey: generateKeyPairSync('ed25519').privateKey, role: 'snapshot', gun: 'example.com/interop' },
    ];
    const ids: string[] = [];
    for (const k of keys) ids.push(await store.save({ ...k, passphrase: 'interop-pass' }));
    const out = execFileSync('notary', ['-d', trust, 'key', 'list'], { encoding: 'utf8', env: { ...process.env, HOME: trust } });
    keys.forEach((k, i) => {
      const row = out.split('\n').find((l) => l.includes(ids[i] as string));
      assert.ok(row, `notary lists ${ids[i]}:\n${out}`);
      assert.equal(row.trim().split(/\s+/)[0], k.role);
      if (k.gun) assert.ok(row.includes(k.gun));
    });
    const env = {
      ...process.env,
      HOME: trust,
      NOTARY_TARGETS_PASSPHRASE: 'interop-pass',
      NOTARY_SNAPSHOT_PASSPHRASE: 'interop-pass',
      NOTARY_DELEGATION_PASSPHRASE: 'interop-pass',
    };
    for (const id of ids) {
      const run = spawnSync('notary', ['-d', trust, 'key', 'passwd', id], { encoding: 'utf8', env, input: '', timeout: 30_000 });
      assert.equal(run.status, 0, `notary key passwd ${id}: ${run.stdout}${run.stderr}`);
    }
    const wrong = spawnSync('notary', ['-d', trust, 'key', 'passwd', ids[0] as string], {
      encoding: 'utf8',
      env: { ...env, NOTARY_TARGETS_PASSPHRASE: 'wrong-pass' },
      input: '',
      timeout: 30_000,
    });
    assert.notEqual(wrong.status, 0, 'notary refuses a wrong passphrase for our file');
    for (const id of ids) assert.equal((await store.load(id, 'interop-pass')).publicKey.id, id);
  });

  it('decrypts a key made by notary key generate --role targets/ci', { skip: interopSkip(NOTARY_MISSING) }, async () => {
    const trust = tempTrustDir();
    const env = { ...process.env, HOME: trust, NOTARY_DELEGATION_PASSPHRASE: 'delegation-pass' };
    const out = execFileSync('notary', ['-d', trust, 'key', 'generate', 'ecdsa', '--role', 'targets/ci'], {
      encoding: 'utf8',
      env,
      input: '',
    });
    const id = /keyID: ([0-9a-f]{64})/.exec(out)?.[1];
    assert.ok(id, out);
    const store = new FileKeyStore(trust);
    assert.deepEqual(
      (await store.list()).map((k) => [k.keyId, k.role, k.gun]),
      [[id, 'targets/ci', undefined]],
    );
    const loaded = await store.load(id, 'delegation-pass');
    assert.equal(loaded.publicKey.id, id);
    assert.equal(loaded.privateKey.asymmetricKeyType, 'ec');
    assert.equal(decodePrivateKeyFile(readFileSync(loaded.path, 'utf8'), 'delegation-pass').role, 'targets/ci');
    await rejectsWith(store.load(id, 'other-pass'), 'WRONG_PASSPHRASE');
  });
});
