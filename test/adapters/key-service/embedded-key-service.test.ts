import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EmbeddedKeyService } from '../../../src/adapters/key-service/embedded-key-service.js';
import { PrivateKeyCipher } from '../../../src/adapters/key-service/key-encryption.js';
import { isDctError } from '../../../src/core/errors.js';
import { verifySignature } from '../../../src/core/keys/signature.js';
import type { PrivateKeyStore, StoredPrivateKey } from '../../../src/core/ports.js';

/** The smallest PrivateKeyStore: rows in a Map, copied in and out like a database would. */
class InMemoryPrivateKeyStore implements PrivateKeyStore {
  readonly rows = new Map<string, StoredPrivateKey>();
  readonly markUsedCalls: Array<{ keyId: string; when: Date }> = [];

  putKey(key: StoredPrivateKey): Promise<void> {
    if (this.rows.has(key.keyId)) return Promise.reject(new Error(`duplicate key ${key.keyId}`));
    this.rows.set(key.keyId, { ...key });
    return Promise.resolve();
  }
  getKey(keyId: string): Promise<StoredPrivateKey | undefined> {
    const row = this.rows.get(keyId);
    return Promise.resolve(row && { ...row });
  }
  findUnusedKey(gun: string, role: string, algorithm: string): Promise<StoredPrivateKey | undefined> {
    const row = [...this.rows.values()].find((r) => r.gun === gun && r.role === role && r.algorithm === algorithm && r.lastUsed === null);
    return Promise.resolve(row && { ...row });
  }
  markUsed(keyId: string, when: Date): Promise<void> {
    this.markUsedCalls.push({ keyId, when });
    const row = this.rows.get(keyId);
    if (row) row.lastUsed = when;
    return Promise.resolve();
  }
  deleteKey(keyId: string): Promise<void> {
    this.rows.delete(keyId);
    return Promise.resolve();
  }
}

const PASSPHRASE = 'server key passphrase';
const NOW = new Date('2026-03-01T12:00:00Z');
const GUN = 'registry.example.com/app';
const MESSAGE = Buffer.from('{"signed":{"_type":"Timestamp"}}');

function newService(store: PrivateKeyStore, passphrase = PASSPHRASE): EmbeddedKeyService {
  return new EmbeddedKeyService({ store, passphrase, now: () => NOW, scrypt: { N: 1024, r: 8, p: 1 } });
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  let caught: unknown;
  await promise.catch((err: unknown) => (caught = err));
  assert.ok(isDctError(caught, code), `expected ${code}, got ${String(caught)}`);
}

describe('EmbeddedKeyService', () => {
  it('creates ECDSA P-256 keys by default and stores them encrypted', async () => {
    const store = new InMemoryPrivateKeyStore();
    const key = await newService(store).createKey(GUN, 'timestamp');
    assert.equal(key.keyType, 'ecdsa');
    const row = store.rows.get(key.id);
    assert.ok(row);
    assert.equal(row.gun, GUN);
    assert.equal(row.role, 'timestamp');
    assert.equal(row.algorithm, 'ecdsa');
    assert.deepEqual(JSON.parse(row.publicKey), key.toJSON());
    assert.match(row.encryptedPrivateKey, /^dct-v1\$scrypt\$/);
    assert.ok(!row.encryptedPrivateKey.includes('PRIVATE KEY'));
    assert.deepEqual(row.createdAt, NOW);
    assert.equal(row.lastUsed, null);
  });

  it('creates Ed25519 keys when asked, and refuses RSA, other roles and empty guns', async () => {
    const service = newService(new InMemoryPrivateKeyStore());
    const key = await service.createKey(GUN, 'snapshot', 'ed25519');
    assert.equal(key.keyType, 'ed25519');
    const signature = await (await service.signer(key.id))!.sign(MESSAGE);
    assert.equal(signature.method, 'eddsa');
    assert.ok(verifySignature(key, signature.method, signature.sig, MESSAGE));
    await rejectsWith(service.createKey(GUN, 'timestamp', 'rsa'), 'UNSUPPORTED_KEY_TYPE');
    await rejectsWith(service.createKey(GUN, 'root' as 'timestamp'), 'INVALID_ARGUMENT');
    await rejectsWith(service.createKey('', 'timestamp'), 'INVALID_ARGUMENT');
  });

  it('hands out the pending key for the same gun, role and algorithm until it signs', async () => {
    const store = new InMemoryPrivateKeyStore();
    const service = newService(store);
    const first = await service.createKey(GUN, 'timestamp');
    assert.equal((await service.createKey(GUN, 'timestamp')).id, first.id);
    assert.equal((await service.createKey(GUN, 'timestamp', 'ecdsa')).id, first.id);
    assert.notEqual((await service.createKey(GUN, 'snapshot')).id, first.id);
    assert.notEqual((await service.createKey(GUN, 'timestamp', 'ed25519')).id, first.id);
    assert.notEqual((await service.createKey(`${GUN}2`, 'timestamp')).id, first.id);

    await (await service.signer(first.id))!.sign(MESSAGE);
    const next = await service.createKey(GUN, 'timestamp');
    assert.notEqual(next.id, first.id, 'a used key is never handed out again');
  });

  it('converges concurrent createKey calls on one pending key', async () => {
    const store = new InMemoryPrivateKeyStore();
    const service = newService(store);
    const keys = await Promise.all(Array.from({ length: 8 }, () => service.createKey(GUN, 'timestamp')));
    assert.equal(new Set(keys.map((k) => k.id)).size, 1);
    assert.equal(store.rows.size, 1);
  });

  it('getKey returns the public key and owner, undefined for unknown or malformed IDs', async () => {
    const service = newService(new InMemoryPrivateKeyStore());
    const key = await service.createKey(GUN, 'snapshot');
    const held = await service.getKey(key.id);
    assert.equal(held?.publicKey.id, key.id);
    assert.equal(held?.gun, GUN);
    assert.equal(held?.role, 'snapshot');
    assert.equal(await service.getKey('0'.repeat(64)), undefined);
    assert.equal(await service.getKey('../../etc/passwd'), undefined);
    assert.equal(await service.signer('0'.repeat(64)), undefined);
  });

  it('signs with notary ECDSA (raw r||s) and marks the key used once, at the first signature', async () => {
    const store = new InMemoryPrivateKeyStore();
    const service = newService(store);
    const key = await service.createKey(GUN, 'timestamp');
    const signer = (await service.signer(key.id))!;
    assert.equal(signer.publicKey.id, key.id);
    assert.equal(store.markUsedCalls.length, 0, 'getting a signer does not use the key');
    const signatures = await Promise.all(Array.from({ length: 5 }, (_, i) => signer.sign(Buffer.from(`message ${i}`))));
    signatures.forEach((s, i) => {
      assert.equal(s.keyid, key.id);
      assert.equal(s.method, 'ecdsa');
      assert.equal(s.sig.length, 64);
      assert.ok(verifySignature(key, s.method, s.sig, Buffer.from(`message ${i}`)));
    });
    assert.deepEqual(store.markUsedCalls, [{ keyId: key.id, when: NOW }]);
    assert.deepEqual(store.rows.get(key.id)?.lastUsed, NOW);
  });

  it('decrypts a stored key once, however often it signs', async (t) => {
    const store = new InMemoryPrivateKeyStore();
    const key = await newService(store).createKey(GUN, 'timestamp');
    const decrypt = t.mock.method(PrivateKeyCipher.prototype, 'decrypt');
    const restarted = newService(store);
    for (let i = 0; i < 3; i++) await (await restarted.signer(key.id))!.sign(MESSAGE);
    await Promise.all(Array.from({ length: 4 }, async () => (await restarted.signer(key.id))!.sign(MESSAGE)));
    assert.equal(decrypt.mock.callCount(), 1);
  });

  it('keeps keys across restarts with the same passphrase; another passphrase is WRONG_PASSPHRASE', async () => {
    const store = new InMemoryPrivateKeyStore();
    const key = await newService(store).createKey(GUN, 'timestamp');
    const signature = await (await newService(store).signer(key.id))!.sign(MESSAGE);
    assert.ok(verifySignature(key, signature.method, signature.sig, MESSAGE));

    const wrong = newService(store, 'another passphrase');
    assert.equal((await wrong.getKey(key.id))?.publicKey.id, key.id, 'public data needs no passphrase');
    await rejectsWith(wrong.signer(key.id), 'WRONG_PASSPHRASE');
  });

  it('refuses a tampered blob, a blob moved onto another key and a row whose public key does not match', async () => {
    const store = new InMemoryPrivateKeyStore();
    const service = newService(store);
    const a = await service.createKey(GUN, 'timestamp');
    const b = await service.createKey(GUN, 'snapshot');
    const rowA = store.rows.get(a.id)!;
    const rowB = store.rows.get(b.id)!;

    const parts = rowA.encryptedPrivateKey.split('$');
    const ciphertext = Buffer.from(parts[9]!, 'base64url');
    ciphertext[ciphertext.length - 1] = ciphertext[ciphertext.length - 1]! ^ 0x80;
    parts[9] = ciphertext.toString('base64url');
    const original = rowA.encryptedPrivateKey;
    rowA.encryptedPrivateKey = parts.join('$');
    await rejectsWith(newService(store).signer(a.id), 'KEY_DECRYPTION_FAILED');

    rowA.encryptedPrivateKey = rowB.encryptedPrivateKey;
    await rejectsWith(newService(store).signer(a.id), 'KEY_DECRYPTION_FAILED');

    rowA.encryptedPrivateKey = original;
    rowA.publicKey = rowB.publicKey;
    await rejectsWith(newService(store).signer(a.id), 'INVALID_STORED_KEY');
  });

  it('keeps a bounded number of decrypted keys', async (t) => {
    const store = new InMemoryPrivateKeyStore();
    const creator = newService(store);
    const keys = [];
    for (let i = 0; i < 3; i++) keys.push(await creator.createKey(`${GUN}/${i}`, 'timestamp'));
    const service = new EmbeddedKeyService({ store, passphrase: PASSPHRASE, now: () => NOW, cacheSize: 2 });
    const decrypt = t.mock.method(PrivateKeyCipher.prototype, 'decrypt');
    for (const key of keys) await service.signer(key.id);
    await service.signer(keys[0]!.id); // evicted by the third
    await service.signer(keys[2]!.id); // still cached
    assert.equal(decrypt.mock.callCount(), 4);
  });
});
