/**
 * The key use cases over an in-memory key store: what import stores and under
 * which names, what export writes, the rotation checks, and that removal and root
 * rotation wait for a confirmation.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import { changePassphrase } from '../../../src/app/keys/change-passphrase.js';
import { exportKeys } from '../../../src/app/keys/export-keys.js';
import { importKeys, type ImportEvent } from '../../../src/app/keys/import-keys.js';
import { isKeyError } from '../../../src/app/keys/key-error.js';
import type { KeyFileInfo, KeyFiles, KeyPassphrases, NewKeyFile } from '../../../src/app/keys/key-files.js';
import { listKeys } from '../../../src/app/keys/list-keys.js';
import { removeKey } from '../../../src/app/keys/remove-key.js';
import { rotateKey, type RotateKeyDeps } from '../../../src/app/keys/rotate-key.js';
import { decodePemBlocks, encodePem } from '../../../src/core/encoding.js';
import { DctError } from '../../../src/core/errors.js';
import { decodePrivateKeyFile, encodePrivateKeyFile, publicKeyOf, readKeyFileHeaders } from '../../../src/core/keys/key-file.js';
import type { KeyRing } from '../../../src/core/ports.js';

const DIR = '/trust/private';

class MemoryKeyFiles implements KeyFiles {
  readonly privateDir = DIR;
  readonly files = new Map<string, string>();

  async list(): Promise<KeyFileInfo[]> {
    const out: KeyFileInfo[] = [];
    for (const [name, text] of this.files) {
      const h = readKeyFileHeaders(text);
      out.push({ keyId: name, role: h.role ?? '', ...(h.gun ? { gun: h.gun } : {}), path: `${DIR}/${name}.key` });
    }
    return out;
  }
  async info(keyId: string) {
    return (await this.list()).find((k) => k.keyId === keyId);
  }
  async load(keyId: string, passphrase: string | undefined) {
    return decodePrivateKeyFile(this.files.get(keyId) as string, passphrase);
  }
  async save(key: NewKeyFile): Promise<string> {
    const id = publicKeyOf(key.privateKey).id;
    this.files.set(id, encodePrivateKeyFile(key));
    return id;
  }
  async remove(keyId: string) {
    return this.files.delete(keyId);
  }
  async readText(key: KeyFileInfo) {
    return this.files.get(key.keyId) as string;
  }
  async writeText(name: string, text: string) {
    this.files.set(name, text);
  }
}

const PASS = 'correct horse';
const passphrases: KeyPassphrases = {
  forNewKey: async () => PASS,
  unlock: async (_key, open) => {
    try {
      return await open('');
    } catch {
      return open(PASS);
    }
  },
};

function newKey(): KeyObject {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
}

describe('importKeys', () => {
  it('locks unencrypted keys, keeps encrypted blocks as they are, takes the gun from a legacy path', async () => {
    const keys = new MemoryKeyFiles();
    const plain = newKey();
    const locked = encodePrivateKeyFile({ privateKey: newKey(), role: 'targets', passphrase: 'other', gun: 'x' });
    const lockedBlock = decodePemBlocks(locked)[0]!;
    const pem =
      encodePrivateKeyFile({ privateKey: plain, role: 'targets/releases', passphrase: '' }) +
      encodePem({ ...lockedBlock, headers: { ...lockedBlock.headers, path: 'tuf_keys/example.com/app/abcdef_targets', gun: '' } });
    const imported = await importKeys({ keys, passphrases }, { pem, fallbackRole: '', fallbackGun: '' });
    const plainId = publicKeyOf(plain).id;
    assert.deepEqual(imported, [
      { keyId: plainId, role: 'targets/releases' },
      { keyId: 'abcdef_targets', role: 'targets' },
    ]);
    assert.equal((await keys.load(plainId, PASS)).role, 'targets/releases');
    assert.throws(() => decodePrivateKeyFile(keys.files.get(plainId) as string, undefined));
    const stored = decodePemBlocks(keys.files.get('abcdef_targets') as string)[0]!;
    assert.equal(stored.headers['gun'], 'example.com/app');
    assert.equal(stored.headers['path'], undefined);
    assert.deepEqual(stored.bytes, lockedBlock.bytes);
  });

  it('skips a canonical key without a gun (a warning), and fails when nothing could be imported', async () => {
    const keys = new MemoryKeyFiles();
    const events: ImportEvent[] = [];
    const pem = encodePrivateKeyFile({ privateKey: newKey(), role: 'snapshot', passphrase: '' });
    await assert.rejects(
      importKeys({ keys, passphrases }, { pem, fallbackRole: '', fallbackGun: '' }, (e) => events.push(e)),
      (err: unknown) => isKeyError(err, 'KEY_IMPORT_FAILED') && err.message === 'failed to import all keys: invalid key pem block',
    );
    assert.equal(events.length, 1);
    assert.match(events[0]!.message, /Cannot have canonical role key without a gun/);
    assert.equal(keys.files.size, 0);
    // with a fallback gun it goes in, and the role defaults to `delegation` only when none is given
    const imported = await importKeys({ keys, passphrases }, { pem, fallbackRole: 'targets', fallbackGun: 'g' });
    assert.equal(imported[0]!.role, 'snapshot');
  });

  it('refuses unsafe file names from a path header', async () => {
    const keys = new MemoryKeyFiles();
    const block = decodePemBlocks(encodePrivateKeyFile({ privateKey: newKey(), role: 'x', passphrase: 'p' }))[0]!;
    const pem = encodePem({ ...block, headers: { ...block.headers, path: '.hidden' } });
    await assert.rejects(importKeys({ keys, passphrases }, { pem, fallbackRole: '', fallbackGun: '' }), /invalid key file name/);
  });
});

describe('exportKeys, listKeys, removeKey, changePassphrase', () => {
  it('exports with a path header per block, filtered by gun or key ID; lists root first', async () => {
    const keys = new MemoryKeyFiles();
    const a = await keys.save({ privateKey: newKey(), role: 'targets', gun: 'g1', passphrase: PASS });
    const b = await keys.save({ privateKey: newKey(), role: 'root', passphrase: PASS });
    const all = await exportKeys(keys, { guns: [], keyIds: [] });
    assert.deepEqual(all.keyIds, [a, b].sort());
    assert.deepEqual(
      decodePemBlocks(all.pem).map((x) => x.headers['path']),
      [a, b].sort(),
    );
    assert.deepEqual((await exportKeys(keys, { guns: ['g1'], keyIds: [] })).keyIds, [a]);
    assert.deepEqual((await exportKeys(keys, { guns: [], keyIds: [b] })).keyIds, [b]);
    assert.deepEqual(
      (await listKeys(keys)).map((k) => [k.role, k.gun, k.location]),
      [
        ['root', '', DIR],
        ['targets', 'g1', DIR],
      ],
    );
  });

  it('removes only once confirmed; unknown keys fail', async () => {
    const keys = new MemoryKeyFiles();
    const id = await keys.save({ privateKey: newKey(), role: 'targets', gun: 'g', passphrase: PASS });
    assert.deepEqual(await removeKey(keys, id, async () => false), { removed: false });
    assert.ok(keys.files.has(id));
    const asked: string[] = [];
    const done = await removeKey(keys, id, async (k) => (asked.push(`${k.keyId} ${k.role} ${k.location}`), true));
    assert.deepEqual(asked, [`${id} targets ${DIR}`]);
    assert.equal(done.removed, true);
    assert.ok(!keys.files.has(id));
    await assert.rejects(
      removeKey(keys, id, async () => true),
      (e: unknown) => isKeyError(e, 'KEY_NOT_FOUND'),
    );
  });

  it('changes a passphrase: the key opens with the new one only', async () => {
    const keys = new MemoryKeyFiles();
    const id = await keys.save({ privateKey: newKey(), role: 'targets', gun: 'g', passphrase: 'old passphrase' });
    const swap: KeyPassphrases = { forNewKey: async () => 'new passphrase', unlock: async (_k, open) => open('old passphrase') };
    await changePassphrase({ keys, passphrases: swap }, id);
    assert.equal((await keys.load(id, 'new passphrase')).gun, 'g');
    await assert.rejects(changePassphrase({ keys, passphrases: swap }, id), /could not retrieve local key for key ID provided/);
  });
});

describe('rotateKey', () => {
  const ring = (keys: MemoryKeyFiles): KeyRing => ({
    list: async () => [],
    has: async (id) => keys.files.has(id),
    unlock: async (id) => (keys.files.has(id) ? (await keys.load(id, PASS)).privateKey : undefined),
    generate: async (role, gun) => {
      const privateKey = newKey();
      const keyId = await keys.save({ privateKey, role, passphrase: PASS, ...(gun ? { gun } : {}) });
      return { keyId, privateKey };
    },
  });
  const deps = (keys: MemoryKeyFiles, over: Partial<RotateKeyDeps> = {}): RotateKeyDeps => ({
    keys,
    passphrases,
    ring: ring(keys),
    remote: undefined,
    readKeyFile: async () => assert.fail('no key files'),
    confirmRootRotation: async () => assert.fail('not root'),
    publish: async () => undefined,
    ...over,
  });

  it('refuses what notary does not permit, before anything is published', async () => {
    const keys = new MemoryKeyFiles();
    const refused = (role: string, serverManaged: boolean) =>
      rotateKey(deps(keys, { publish: async () => assert.fail('published') }), { gun: 'g', role, serverManaged, keyFiles: [] });
    await assert.rejects(refused('targets/x', false), { message: 'notary does not currently permit rotating the targets/x key' });
    await assert.rejects(refused('targets', true), { message: 'notary does not permit the server managing the targets key' });
    await assert.rejects(refused('timestamp', false), { message: 'notary does not permit the client managing the timestamp key' });
    await assert.rejects(
      refused('snapshot', true),
      (e: unknown) => isKeyError(e, 'KEY_STEP_FAILED') && e.step === 'unable to rotate remote key',
    );
  });

  it('generates a new key and publishes one root change; a root rotation waits for the confirmation', async () => {
    const keys = new MemoryKeyFiles();
    const published: unknown[] = [];
    const result = await rotateKey(deps(keys, { publish: async (c) => void published.push(...c) }), {
      gun: 'g',
      role: 'targets',
      serverManaged: false,
      keyFiles: [],
    });
    assert.equal(result.rotated, true);
    assert.equal(published.length, 1);
    assert.equal(keys.files.size, 1);
    const aborted = await rotateKey(deps(keys, { confirmRootRotation: async () => false, publish: async () => assert.fail('published') }), {
      gun: 'g',
      role: 'root',
      serverManaged: false,
      keyFiles: [],
    });
    assert.deepEqual(aborted, { rotated: false });
    assert.equal(keys.files.size, 1);
  });

  it('a key file to rotate to is opened, then stored under a new passphrase (whose failure names the step)', async () => {
    const keys = new MemoryKeyFiles();
    const file = encodePrivateKeyFile({ privateKey: newKey(), role: 'targets', passphrase: PASS });
    const noPassphrase: KeyPassphrases = { ...passphrases, forNewKey: async () => Promise.reject(new Error('no tty')) };
    await assert.rejects(
      rotateKey(deps(keys, { passphrases: noPassphrase, readKeyFile: async () => file }), {
        gun: 'g',
        role: 'targets',
        serverManaged: false,
        keyFiles: ['k.pem'],
      }),
      (e: unknown) =>
        isKeyError(e, 'KEY_STEP_FAILED') &&
        e.step === 'Error importing key' &&
        isKeyError(e.cause, 'PASSPHRASE_ATTEMPTS_EXCEEDED') &&
        e.message === 'Error importing key: maximum number of passphrase attempts exceeded',
    );
    const result = await rotateKey(deps(keys, { readKeyFile: async () => file }), {
      gun: 'g',
      role: 'targets',
      serverManaged: false,
      keyFiles: ['k.pem'],
    });
    assert.ok(result.rotated);
    assert.deepEqual([...keys.files.keys()], result.keyIds);
  });

  it('a server-managed rotation asks the server; its failure names the step', async () => {
    const keys = new MemoryKeyFiles();
    const remote = { rotateKey: async () => Promise.reject(new DctError('NETWORK_ERROR', 'down')) };
    await assert.rejects(rotateKey(deps(keys, { remote }), { gun: 'g', role: 'timestamp', serverManaged: true, keyFiles: [] }), {
      message: 'unable to rotate remote key: down',
    });
  });
});
