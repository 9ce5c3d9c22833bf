import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import { DEFAULT_SCRYPT_PARAMS, PrivateKeyCipher } from '../../../src/adapters/key-service/key-encryption.js';
import { isDctError } from '../../../src/core/errors.js';
import { encodePrivateKeyInfo, publicKeyOf } from '../../../src/core/keys/key-file.js';

const PASSPHRASE = 'correct horse battery staple';
const ecdsaKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
const ed25519Key = generateKeyPairSync('ed25519').privateKey;
const idOf = (key: KeyObject) => publicKeyOf(key).id;

/** Replaces part `index` of a blob (0 = format … 9 = ciphertext). */
function withPart(blob: string, index: number, change: (part: string) => string): string {
  const parts = blob.split('$');
  parts[index] = change(parts[index] as string);
  return parts.join('$');
}

function flipFirstByte(part: string): string {
  const bytes = Buffer.from(part, 'base64url');
  bytes[0] = (bytes[0] as number) ^ 0x01;
  return bytes.toString('base64url');
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<Error> {
  let caught: unknown;
  await promise.catch((err: unknown) => (caught = err));
  assert.ok(isDctError(caught, code), `expected ${code}, got ${String(caught)}`);
  return caught;
}

describe('PrivateKeyCipher', () => {
  const cipher = new PrivateKeyCipher(PASSPHRASE);

  it('writes dct-v1$scrypt$N$r$p$salt$check$iv$tag$ciphertext with base64url parts', async () => {
    const blob = await cipher.encrypt(idOf(ecdsaKey), ecdsaKey);
    const parts = blob.split('$');
    assert.equal(parts.length, 10);
    assert.deepEqual(parts.slice(0, 5), ['dct-v1', 'scrypt', '32768', '8', '1']);
    assert.deepEqual(DEFAULT_SCRYPT_PARAMS, { N: 2 ** 15, r: 8, p: 1 });
    for (const part of parts.slice(5)) assert.match(part, /^[A-Za-z0-9_-]+$/);
    assert.equal(Buffer.from(parts[5] as string, 'base64url').length, 16, 'salt');
    assert.equal(Buffer.from(parts[7] as string, 'base64url').length, 12, 'iv');
    assert.equal(Buffer.from(parts[8] as string, 'base64url').length, 16, 'tag');
  });

  it('round-trips ECDSA P-256 and Ed25519 keys', async () => {
    for (const key of [ecdsaKey, ed25519Key]) {
      const keyId = idOf(key);
      const back = await cipher.decrypt(keyId, await cipher.encrypt(keyId, key));
      assert.equal(idOf(back), keyId);
      assert.deepEqual(encodePrivateKeyInfo(back), encodePrivateKeyInfo(key));
    }
  });

  it('uses a fresh salt and IV every time', async () => {
    const keyId = idOf(ecdsaKey);
    const [a, b] = [await cipher.encrypt(keyId, ecdsaKey), await cipher.encrypt(keyId, ecdsaKey)];
    assert.notEqual(a, b);
    assert.notEqual(a.split('$')[5], b.split('$')[5]);
    assert.notEqual(a.split('$')[7], b.split('$')[7]);
  });

  it('reads blobs written with other scrypt parameters (they are recorded)', async () => {
    const cheap = new PrivateKeyCipher(PASSPHRASE, { scrypt: { N: 1024, r: 8, p: 1 } });
    const keyId = idOf(ed25519Key);
    const blob = await cheap.encrypt(keyId, ed25519Key);
    assert.equal(blob.split('$')[2], '1024');
    assert.equal(idOf(await cipher.decrypt(keyId, blob)), keyId);
  });

  it('tells a wrong passphrase apart, without echoing it', async () => {
    const keyId = idOf(ecdsaKey);
    const blob = await cipher.encrypt(keyId, ecdsaKey);
    const err = await rejectsWith(new PrivateKeyCipher('not the passphrase').decrypt(keyId, blob), 'WRONG_PASSPHRASE');
    assert.ok(!err.message.includes('not the passphrase'));
    assert.ok(!err.message.includes(PASSPHRASE));
  });

  it('refuses an altered ciphertext, tag or IV, and a blob moved onto another key ID', async () => {
    const keyId = idOf(ecdsaKey);
    const blob = await cipher.encrypt(keyId, ecdsaKey);
    for (const index of [7, 8, 9]) {
      const err = await rejectsWith(cipher.decrypt(keyId, withPart(blob, index, flipFirstByte)), 'KEY_DECRYPTION_FAILED');
      assert.ok(!err.message.includes(blob.split('$')[9] as string), 'no ciphertext in messages');
    }
    await rejectsWith(cipher.decrypt(idOf(ed25519Key), blob), 'KEY_DECRYPTION_FAILED');
  });

  it('refuses malformed blobs and unreasonable scrypt parameters', async () => {
    const keyId = idOf(ecdsaKey);
    const blob = await cipher.encrypt(keyId, ecdsaKey);
    const malformed = [
      '',
      'garbage',
      blob.replace(/^dct-v1/, 'dct-v9'),
      blob.replace('$scrypt$', '$pbkdf2$'),
      blob + '$extra',
      withPart(blob, 2, () => String(2 ** 24)), // 2 GiB of scrypt memory
      withPart(blob, 2, () => '1000'), // not a power of two
      withPart(blob, 4, () => '0'),
      withPart(blob, 5, () => 'not+base64url'),
      withPart(blob, 7, () => 'AAAA'), // IV of the wrong length
      withPart(blob, 9, () => ''),
    ];
    for (const bad of malformed) await rejectsWith(cipher.decrypt(keyId, bad), 'KEY_DECRYPTION_FAILED');
  });

  it('caches the derived key: decrypting a stored key again skips scrypt', async () => {
    const fresh = new PrivateKeyCipher(PASSPHRASE);
    const keyId = idOf(ecdsaKey);
    const blob = await cipher.encrypt(keyId, ecdsaKey);
    let start = performance.now();
    await fresh.decrypt(keyId, blob);
    const first = performance.now() - start;
    start = performance.now();
    for (let i = 0; i < 10; i++) await fresh.decrypt(keyId, blob);
    const tenMore = performance.now() - start;
    assert.ok(tenMore < first * 3, `10 cached decryptions took ${tenMore.toFixed(1)} ms, one with scrypt ${first.toFixed(1)} ms`);
  });

  it('refuses an empty passphrase', () => {
    assert.throws(
      () => new PrivateKeyCipher(''),
      (err: unknown) => isDctError(err, 'PASSPHRASE_REQUIRED'),
    );
  });
});
