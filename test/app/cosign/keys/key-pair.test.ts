/** The key-pair use cases over their ports: when the password is asked, and how files are saved. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cosignKeyCodec } from '../../../../src/adapters/cosign/cosign-key-codec.js';
import { generateKeyPair, importKeyPair, loadPrivateKey, saveKeyPair } from '../../../../src/app/cosign/keys/key-pair.js';
import { isDctError } from '../../../../src/core/errors.js';
import { readFixture } from '../../../support/fixtures.js';

describe('key-pair use cases', () => {
  it('generate asks for a new (confirmed) password; import checks the key before asking', async () => {
    const asked: boolean[] = [];
    const pw = (confirm: boolean) => {
      asked.push(confirm);
      return Promise.resolve('pw');
    };
    const pair = await generateKeyPair(cosignKeyCodec, pw);
    assert.deepEqual(asked, [true]);
    assert.ok(cosignKeyCodec.readPrivate(pair.privatePem, 'pw'));
    await assert.rejects(
      importKeyPair(cosignKeyCodec, readFixture('cosign', 'keys', 'import', 'invalidrsasmallkey.key'), pw),
      (e: unknown) => isDctError(e, 'COSIGN_KEY_NOT_ALLOWED'),
    );
    assert.deepEqual(asked, [true]);
  });
  it('an unencrypted key file loads without asking for a password', async () => {
    let asked = 0;
    const key = await loadPrivateKey(cosignKeyCodec, readFixture('cosign', 'keys', 'import', 'validecp256.key'), () => {
      asked++;
      return Promise.resolve('');
    });
    assert.equal(key.asymmetricKeyType, 'ec');
    assert.equal(asked, 0);
  });
  it('saveKeyPair: modes 0600/0644; an existing key declined is COSIGN_KEY_FILE_EXISTS and nothing is written', async () => {
    const writes: Array<[string, number]> = [];
    const files = {
      exists: (p: string) => Promise.resolve(p === 'old.key'),
      write: (p: string, _t: string, m: number) => Promise.resolve(void writes.push([p, m])),
    };
    await saveKeyPair(
      files,
      'new',
      { privatePem: 'k', publicPem: 'p' },
      () => Promise.resolve(false),
      () => undefined,
    );
    assert.deepEqual(writes, [
      ['new.key', 0o600],
      ['new.pub', 0o644],
    ]);
    writes.length = 0;
    await assert.rejects(
      saveKeyPair(
        files,
        'old',
        { privatePem: 'k', publicPem: 'p' },
        () => Promise.resolve(false),
        () => undefined,
      ),
      (e: unknown) => isDctError(e, 'COSIGN_KEY_FILE_EXISTS'),
    );
    assert.deepEqual(writes, []);
  });
});
