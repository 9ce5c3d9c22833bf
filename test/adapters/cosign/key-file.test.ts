/**
 * cosign's key files (fixtures from cosign's keys_test.go, outcomes from the fixture README):
 * every encrypted and import vector, the public-key parsing vectors, and dct's own files
 * read back by the same reader.
 */
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  generateCosignKeyPair,
  readCosignPrivateKey,
  readCosignPublicKey,
  writeCosignPrivateKey,
  writeCosignPublicKey,
} from '../../../src/adapters/cosign/key-file.js';
import { decodePem } from '../../../src/adapters/cosign/pem-block.js';
import { isDctError } from '../../../src/core/errors.js';
import { readFixture } from '../../support/fixtures.js';

const spkiB64 = (k: KeyObject) => createPublicKey(k).export({ format: 'der', type: 'spki' }).toString('base64');

function refused(fn: () => unknown, code: string, message: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isDctError(err), `not a DctError: ${String(err)}`);
    assert.equal(err.code, code);
    assert.equal(err.message, message);
    return true;
  });
}

describe('encrypted cosign keys (password hello)', () => {
  const expected: Record<string, string> = {
    pemcosignkey:
      'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAECYtspttZZ7e9PMd8wyU2CWDlpEXNbqTve0ZBuOXu9xTjtm7Z107cVLCCk96Ma4D0tesnKeCPwrcspLz7GNZJSw==',
    pemsigstorekey:
      'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE7z9gA/tqa9iHt/f9F3ulyVi4lwqULfHWfhG2mK4eyJ8LDcLstb+VVhxj3pkMjc3fNo+sSfiIY2NLR7c+DG1V4w==',
  };
  for (const [name, spki] of Object.entries(expected)) {
    it(`${name} loads and has the README's public key`, () => {
      const key = readCosignPrivateKey(readFixture('cosign', 'keys', 'encrypted', `${name}.password-hello.key`), 'hello');
      assert.equal(key.type, 'private');
      assert.equal(spkiB64(key), spki);
    });
    it(`${name} with a wrong password is COSIGN_KEY_WRONG_PASSWORD`, () => {
      assert.throws(
        () => readCosignPrivateKey(readFixture('cosign', 'keys', 'encrypted', `${name}.password-hello.key`), 'hell0'),
        (err: unknown) => isDctError(err, 'COSIGN_KEY_WRONG_PASSWORD'),
      );
    });
  }
  it('pemcosigneckey (SEC1 inside) fails as cosign fails', () => {
    refused(
      () => readCosignPrivateKey(readFixture('cosign', 'keys', 'encrypted', 'pemcosigneckey.password-hello.key'), 'hello'),
      'COSIGN_KEY_MALFORMED',
      'parsing private key: x509: failed to parse private key (use ParseECPrivateKey instead for this key format)',
    );
  });
});

describe('import-key-pair vectors', () => {
  const ok: Record<string, string> = {
    'validrsa.key': 'rsa',
    'validrsapkcs1.key': 'rsa',
    'validrsapkcs8.key': 'rsa',
    'validecp256.key': 'ec',
    'validecp384.key': 'ec',
    'validecp521.key': 'ec',
    'validecpkcs8.key': 'ec',
    'ed25519.key': 'ed25519',
  };
  for (const [file, type] of Object.entries(ok)) {
    it(`${file} loads, re-encrypts in cosign's format and loads again with password hello`, () => {
      const key = readCosignPrivateKey(readFixture('cosign', 'keys', 'import', file), '');
      assert.equal(key.asymmetricKeyType, type);
      const pem = writeCosignPrivateKey(key, 'hello');
      assert.equal(decodePem(pem)?.type, 'ENCRYPTED SIGSTORE PRIVATE KEY');
      assert.equal(spkiB64(readCosignPrivateKey(pem, 'hello')), spkiB64(key));
    });
  }
  const refusals: Array<[string, string, string]> = [
    ['invalidrsawithpubkey.key', 'COSIGN_KEY_UNSUPPORTED_PEM_TYPE', 'unsupported private key'],
    ['invalidrsasmallkey.key', 'COSIGN_KEY_NOT_ALLOWED', 'error validating rsa key: key size not supported: 1024'],
    ['invalidrsalargekey.key', 'COSIGN_KEY_NOT_ALLOWED', 'error validating rsa key: key size not supported: 5120'],
    ['invalidecp224.key', 'COSIGN_KEY_NOT_ALLOWED', 'error validating ecdsa key: ECDSA curve P-224 not allowed'],
    ['invalidecunsupported.key', 'COSIGN_KEY_NOT_ALLOWED', 'error parsing ecdsa private key'],
    ['invalidkey.key', 'COSIGN_KEY_INVALID_PEM', 'invalid pem block'],
  ];
  for (const [file, code, message] of refusals) {
    it(`${file} is refused: ${message}`, () =>
      refused(() => readCosignPrivateKey(readFixture('cosign', 'keys', 'import', file), 'hello'), code, message));
  }
});

describe('public keys', () => {
  it('SPKI PEM (RSA 4096), PKCS#1 PEM (same key) and raw DER SPKI (P-256) load', () => {
    const google = readCosignPublicKey(readFixture('cosign', 'key-parsing', 'google'));
    const rsa = readCosignPublicKey(readFixture('cosign', 'key-parsing', 'rsa'));
    assert.equal(google.asymmetricKeyDetails?.modulusLength, 4096);
    assert.equal(rsa.asymmetricKeyDetails?.modulusLength, 4096);
    const der = readCosignPublicKey(readFixture('cosign', 'key-parsing', 'letsencrypt-testflume-2021'));
    assert.equal(der.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  });
  it("cosign's release key loads", () => {
    assert.equal(readCosignPublicKey(readFixture('cosign', 'keys', 'release-cosign.pub')).asymmetricKeyType, 'ec');
  });
  it('garbage is refused', () => {
    refused(
      () => readCosignPublicKey(readFixture('cosign', 'key-parsing', 'garbage-there-are-limits')),
      'COSIGN_KEY_INVALID_PEM',
      'PEM decoding failed',
    );
  });
  it('a private key file is not a public key', () => {
    assert.throws(
      () => readCosignPublicKey(readFixture('cosign', 'keys', 'import', 'validecp256.key')),
      (err: unknown) => isDctError(err, 'COSIGN_KEY_UNSUPPORTED_PEM_TYPE'),
    );
  });
  it('a P-224 public key is refused', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-224' });
    assert.throws(
      () => readCosignPublicKey(publicKey.export({ format: 'pem', type: 'spki' })),
      (err: unknown) => isDctError(err, 'COSIGN_KEY_NOT_ALLOWED'),
    );
  });
});

describe('written key files', () => {
  it('generate: P-256, written as cosign writes it (scrypt N=65536 r=8 p=1, nacl/secretbox), read back', () => {
    const { privateKey } = generateCosignKeyPair();
    assert.equal(privateKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    const pem = writeCosignPrivateKey(privateKey, 'pw');
    const block = decodePem(pem);
    assert.ok(block);
    const doc = JSON.parse(block.bytes.toString()) as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(doc), ['kdf', 'cipher', 'ciphertext']);
    assert.deepEqual(doc['kdf']?.['params'], { N: 65536, r: 8, p: 1 });
    assert.equal(doc['kdf']?.['name'], 'scrypt');
    assert.equal(Buffer.from(doc['kdf']?.['salt'] as string, 'base64').length, 32);
    assert.equal(doc['cipher']?.['name'], 'nacl/secretbox');
    assert.equal(Buffer.from(doc['cipher']?.['nonce'] as string, 'base64').length, 24);
    assert.ok(!pem.includes(privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64').slice(0, 40)));
    assert.ok(pem.split('\n').every((l) => l.length <= 64));
    assert.equal(spkiB64(readCosignPrivateKey(pem, 'pw')), spkiB64(privateKey));
    assert.equal(writeCosignPublicKey(privateKey), createPublicKey(privateKey).export({ format: 'pem', type: 'spki' }));
  });
  it('an empty password works (COSIGN_PASSWORD="")', () => {
    const { privateKey } = generateCosignKeyPair();
    assert.equal(spkiB64(readCosignPrivateKey(writeCosignPrivateKey(privateKey, ''), '')), spkiB64(privateKey));
  });
  it('a tampered ciphertext or absurd scrypt parameters are refused with codes, not crashes', () => {
    const pem = writeCosignPrivateKey(generateCosignKeyPair().privateKey, 'pw');
    const doc = JSON.parse((decodePem(pem) as { bytes: Buffer }).bytes.toString()) as {
      kdf: { params: { N: number } };
      ciphertext: string;
    };
    const reencode = (d: unknown) =>
      `-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n${Buffer.from(JSON.stringify(d)).toString('base64')}\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n`;
    const flipped = Buffer.from(doc.ciphertext, 'base64');
    flipped[5] = (flipped[5] as number) ^ 1;
    assert.throws(
      () => readCosignPrivateKey(reencode({ ...doc, ciphertext: flipped.toString('base64') }), 'pw'),
      (e: unknown) => isDctError(e, 'COSIGN_KEY_WRONG_PASSWORD'),
    );
    assert.throws(
      () => readCosignPrivateKey(reencode({ ...doc, kdf: { ...doc.kdf, params: { ...doc.kdf.params, N: 2 ** 30 } } }), 'pw'),
      (e: unknown) => isDctError(e, 'COSIGN_KEY_MALFORMED'),
    );
    assert.throws(
      () =>
        readCosignPrivateKey(
          '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nbm90IGpzb24=\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n',
          'pw',
        ),
      (e: unknown) => isDctError(e, 'COSIGN_KEY_MALFORMED'),
    );
  });
});
