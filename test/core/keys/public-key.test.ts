import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, sign as cryptoSign, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { canonicalize } from '../../../src/core/canonical-json.js';
import { derChildren, readDerExact } from '../../../src/core/der.js';
import { decodePem } from '../../../src/core/encoding.js';
import {
  certificateCommonName,
  createRootCertificate,
  ROOT_CERTIFICATE_VALIDITY_MS,
  validateCertificate,
} from '../../../src/core/keys/certificate.js';
import { PublicKey } from '../../../src/core/keys/public-key.js';
import { signatureMethodFor, signMessage, verifySignature } from '../../../src/core/keys/signature.js';
import { parseMetadata } from '../../../src/core/tuf/metadata.js';
import { fixturePath } from '../../support/fixtures.js';

const vectorRoot = () => parseMetadata(readFileSync(fixturePath('notary-go-vectors', 'repo', 'metadata', 'root.json')), 'root').signed;

describe('key IDs', () => {
  it('match notary for every key type in the Go vectors (SUMMARY.txt)', () => {
    const summary = readFileSync(fixturePath('notary-go-vectors', 'repo', 'SUMMARY.txt'), 'utf8');
    const root = vectorRoot();
    const certKey = root.keys['c77ae6e8d63e9ae5101c9a6c0f39608ca92722e8a147450125ab9fabe32ad289']!;
    assert.equal(certKey.keyType, 'ecdsa-x509');
    assert.equal(certKey.id, 'c77ae6e8d63e9ae5101c9a6c0f39608ca92722e8a147450125ab9fabe32ad289');
    assert.equal(certKey.canonicalId, 'a9c3e230c5168b6b05615c6a80227b9eff259b3553a3eb5bbcc2e9a8d358f3ee');
    const ed = root.keys['edb58f6c87383535ee5a726b331170cbf4c3495d41656be4e1264e4e014071db']!;
    assert.equal(ed.keyType, 'ed25519');
    assert.equal(ed.canonicalId, ed.id);
    const targets = root.keys['8b0c2f30fdc6de271fa8d74a2275b4108dd30e200475acf6ed41da455a86ab5a']!;
    const preimage = /key ID preimage for targets key \(canonical JSON\):\n(.*)\n/.exec(summary)![1];
    assert.equal(canonicalize(targets.toJSON()), preimage);
  });

  it('of plain RSA and EC keys survive a JSON round trip', () => {
    for (const { keyType } of [{ keyType: 'ec' as const }, { keyType: 'rsa' as const }]) {
      const pair =
        keyType === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
      const key = PublicKey.fromKeyObject(pair.publicKey);
      assert.equal(PublicKey.fromJSON(JSON.parse(JSON.stringify(key.toJSON()))).id, key.id);
    }
  });

  it('the key endpoint body of notary-server parses (public before private)', () => {
    const body = '{"keytype":"ed25519","keyval":{"public":"R7tUuM8hfvhfsG2RpxrCPtS8KnT2TtzJQbgC+PNvFZ4=","private":null}}';
    assert.equal(PublicKey.fromJSON(JSON.parse(body)).id, 'edb58f6c87383535ee5a726b331170cbf4c3495d41656be4e1264e4e014071db');
  });
});

describe('signatures', () => {
  const message = Buffer.from('{"_type":"Targets"}');
  const pairs = {
    ecdsa: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }),
    rsa: generateKeyPairSync('rsa', { modulusLength: 2048 }),
    ed25519: generateKeyPairSync('ed25519'),
  };
  for (const [type, pair] of Object.entries(pairs)) {
    it(`${type}: signs with notary's method and verifies; tampering fails`, () => {
      const key = PublicKey.fromKeyObject(pair.publicKey);
      const method = signatureMethodFor(key.keyType);
      const sig = signMessage(pair.privateKey, method, message);
      assert.equal(verifySignature(key, method, sig, message), true);
      assert.equal(verifySignature(key, method, sig, Buffer.from(message.toString() + ' ')), false);
      const flipped = Buffer.from(sig);
      flipped[5] = (flipped[5] as number) ^ 1;
      assert.equal(verifySignature(key, method, flipped, message), false);
    });
  }

  it('ecdsa signatures are raw r||s (DER is refused, as notary refuses it)', () => {
    const key = PublicKey.fromKeyObject(pairs.ecdsa.publicKey);
    const derSig = cryptoSign('sha256', message, { key: pairs.ecdsa.privateKey, dsaEncoding: 'der' });
    assert.equal(verifySignature(key, 'ecdsa', derSig, message), false);
  });

  it('rsapkcs1v15 verifies; a method that does not fit the key never does', () => {
    const rsa = PublicKey.fromKeyObject(pairs.rsa.publicKey);
    assert.equal(verifySignature(rsa, 'rsapkcs1v15', signMessage(pairs.rsa.privateKey, 'rsapkcs1v15', message), message), true);
    const ec = PublicKey.fromKeyObject(pairs.ecdsa.publicKey);
    assert.equal(verifySignature(ec, 'eddsa', signMessage(pairs.ecdsa.privateKey, 'ecdsa', message), message), false);
    assert.equal(verifySignature(ec, 'unknown', Buffer.alloc(64), message), false);
  });

  it('RSA keys under 2048 bits are refused', () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const key = PublicKey.fromKeyObject(small.publicKey);
    assert.equal(verifySignature(key, 'rsapss', signMessage(small.privateKey, 'rsapss', message), message), false);
  });
});

describe('root certificates', () => {
  const now = new Date('2026-11-23T12:00:00Z');
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pem = createRootCertificate({
    privateKey,
    gun: 'example.com/a_b/c',
    notBefore: now,
    notAfter: new Date(now.getTime() + ROOT_CERTIFICATE_VALIDITY_MS),
    serial: randomBytes(16),
  });
  const cert = new X509Certificate(pem);

  it('are self-signed with CN = GUN and 10-year validity', () => {
    assert.equal(certificateCommonName(cert), 'example.com/a_b/c');
    assert.equal(cert.issuer, cert.subject);
    assert.ok(cert.verify(cert.publicKey));
    assert.equal(new Date(cert.validTo).getTime() - new Date(cert.validFrom).getTime(), ROOT_CERTIFICATE_VALIDITY_MS);
    assert.equal(cert.ca, false);
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.3']);
    validateCertificate(cert, { now, checkExpiry: true });
  });

  it('carry exactly the extensions notary writes (compared with a Go-made root certificate)', () => {
    const extensionsOf = (der: Buffer) =>
      derChildren(derChildren(readDerExact(der))[0]!)
        .at(-1)!
        .raw.toString('hex');
    const goCert = decodePem(readFileSync(fixturePath('notary-go-vectors', 'repo', 'root-cert.pem'), 'utf8')).bytes;
    assert.equal(extensionsOf(cert.raw), extensionsOf(goCert));
  });

  it('make an ecdsa-x509 key whose canonical ID is the bare key ID', () => {
    const key = PublicKey.fromCertificatePem(pem);
    assert.equal(key.keyType, 'ecdsa-x509');
    assert.equal(key.canonicalId, PublicKey.fromKeyObject(cert.publicKey).id);
    assert.notEqual(key.id, key.canonicalId);
  });

  it('expired or not-yet-valid certificates fail validation', () => {
    const later = new Date(now.getTime() + ROOT_CERTIFICATE_VALIDITY_MS + 1000);
    assert.throws(() => validateCertificate(cert, { now: later, checkExpiry: true }), /expired/);
    validateCertificate(cert, { now: later, checkExpiry: false });
    const early = new Date(now.getTime() - 2 * 24 * 3600 * 1000);
    assert.throws(() => validateCertificate(cert, { now: early, checkExpiry: true }), /not valid before/);
  });
});
