/**
 * Certificate files (PEM, DER, several, garbage), the checks a trusted certificate must pass,
 * the generate-test certificate, and `signingkeys.json` with notation-go's config fixtures.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { isDctError } from '../../../src/core/errors.js';
import { certificateSubjectString } from '../../../src/core/notation/distinguished-name.js';
import {
  addSigningKey,
  getSigningKey,
  parseSigningKeys,
  removeSigningKeys,
  serializeSigningKeys,
  setDefaultSigningKey,
} from '../../../src/core/notation/signing-keys.js';
import { createTestCertificate } from '../../../src/core/notation/test-certificate.js';
import {
  certificateExtension,
  parseCertificateFile,
  rootCertificateProblem,
  trustedCertificatesProblem,
} from '../../../src/core/notation/trusted-certificates.js';
import { readFixture } from '../../support/fixtures.js';

const x509 = (name: string) => readFixture('notation', 'notation-core-go', 'x509', name);
const store = (...p: string[]) => readFixture('notation', 'notation-go', 'verifier', 'truststore', 'x509', ...p);

describe('certificate files', () => {
  it('reads one or several PEM or DER certificates', () => {
    assert.equal(parseCertificateFile(x509('pem.crt')).length, 1);
    assert.equal(parseCertificateFile(x509('der.der')).length, 1);
    assert.ok(parseCertificateFile(x509('multi-pem.crt')).length > 1);
    assert.ok(parseCertificateFile(x509('multi-der.der')).length > 1);
    assert.equal(parseCertificateFile(x509('der.der'))[0]?.fingerprint256, parseCertificateFile(x509('pem.crt'))[0]?.fingerprint256);
    assert.equal(parseCertificateFile(Buffer.alloc(0)).length, 0);
  });
  it('refuses garbage and truncated certificates', () => {
    for (const bad of [
      x509('invalid'),
      x509('der.der').subarray(0, 100),
      Buffer.from('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'),
    ]) {
      assert.throws(
        () => parseCertificateFile(bad),
        (e: unknown) => isDctError(e, 'NOTATION_CERTIFICATE_FILE_INVALID'),
      );
    }
  });
});

describe('trusted certificate checks', () => {
  it('CA and self-signed certificates pass; a leaf signed by another does not', () => {
    assert.equal(trustedCertificatesProblem(parseCertificateFile(store('ca', 'valid-trust-store', 'GlobalSign.der'))), undefined);
    assert.equal(
      trustedCertificatesProblem(parseCertificateFile(store('ca', 'valid-trust-store-self-signed', 'openssl-minimum-self-signed.pem'))),
      undefined,
    );
    assert.equal(
      trustedCertificatesProblem(parseCertificateFile(store('ca', 'trust-store-with-leaf-certs', 'non-ca.crt'))),
      'certificate with subject "CN=wabbit-networks.io,O=Notary,L=Seattle,ST=WA,C=US" is not a CA certificate or self-signed signing certificate',
    );
    assert.equal(trustedCertificatesProblem([]), 'input certs cannot be empty');
  });
  it('tsa certificates must be self-issued root CAs', () => {
    assert.equal(rootCertificateProblem(parseCertificateFile(store('tsa', 'test-timestamp', 'globalsignRoot.cer'))[0]!), undefined);
    assert.equal(
      rootCertificateProblem(parseCertificateFile(store('tsa', 'test-nonCA', 'wabbit-networks.io.crt'))[0]!),
      'certificate with subject "CN=wabbit-networks.io,O=Notary,L=Seattle,ST=WA,C=US" is not a root CA certificate: x509: invalid signature: parent certificate cannot sign this kind of certificate',
    );
    assert.equal(
      rootCertificateProblem(parseCertificateFile(store('tsa', 'test-nonSelfIssued', 'nonSelfIssued.crt'))[0]!),
      'certificate with subject "CN=Notation Test Revokable RSA Chain Cert 2,O=Notary,L=Seattle,ST=WA,C=US" is not a root CA certificate: issuer (CN=Notation Test Revokable RSA Chain Cert Root,O=Notary,L=Seattle,ST=WA,C=US) and subject (CN=Notation Test Revokable RSA Chain Cert 2,O=Notary,L=Seattle,ST=WA,C=US) are not the same',
    );
  });
});

describe('the generate-test certificate', () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const now = new Date('2026-01-01T00:00:00.400Z');
  const cert = new X509Certificate(createTestCertificate({ name: 'wabbit-networks.io', privateKey, now, serial: 42 }));
  it("has notation's subject, one day of validity, and is self-signed", () => {
    assert.equal(certificateSubjectString(cert), 'CN=wabbit-networks.io,O=Notary,L=Seattle,ST=WA,C=US');
    assert.equal(cert.subject, cert.issuer);
    assert.equal(new Date(cert.validFrom).toISOString(), '2026-01-01T00:00:00.000Z');
    assert.equal(new Date(cert.validTo).toISOString(), '2026-01-02T00:00:00.000Z');
    assert.equal(cert.serialNumber, '2A');
    assert.equal(cert.ca, false);
    assert.ok(cert.verify(cert.publicKey));
    assert.ok(cert.checkPrivateKey(privateKey));
  });
  it('is for code signing, with a critical digitalSignature key usage, and is a trusted certificate as notation checks it', () => {
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.3']);
    assert.deepEqual([...(certificateExtension(cert, '2.5.29.15') ?? [])], [0x03, 0x02, 0x07, 0x80]);
    assert.equal(trustedCertificatesProblem([cert]), undefined);
  });
  it('needs an RSA key', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    assert.throws(
      () => createTestCertificate({ name: 'x', privateKey: ec, now }),
      (e: unknown) => isDctError(e, 'NOTATION_SIGNING_KEY_INVALID'),
    );
  });
});

describe('signingkeys.json', () => {
  const config = (dir: string) => readFixture('notation', 'notation-go', 'config', dir, 'signingkeys.json');
  it('reads the valid example: local and plugin keys, the default', () => {
    const keys = parseSigningKeys(config('valid'));
    assert.equal(keys.default, 'wabbit-networks');
    assert.deepEqual(
      keys.keys.map((k) => k.name),
      ['wabbit-networks', 'import.acme-rockets', 'external-key'],
    );
    assert.deepEqual(keys.keys[2], { name: 'external-key', id: 'id1', pluginName: 'pluginX', pluginConfig: { key: 'value' } });
    assert.equal(getSigningKey(keys).keyPath, '/home/demo/.config/notation/localkeys/wabbit-networks.key');
    assert.equal(getSigningKey(keys, 'import.acme-rockets').name, 'import.acme-rockets');
  });
  it('writes what it read as Go writes it', () => {
    assert.equal(serializeSigningKeys(parseSigningKeys(config('valid'))).toString(), config('valid').toString().trimEnd() + '\n');
  });
  it('refuses duplicate names and a default that is not a key', () => {
    assert.throws(
      () => parseSigningKeys(config('malformed-duplicate')),
      (e: unknown) =>
        isDctError(e, 'NOTATION_SIGNING_KEYS_MALFORMED') &&
        e.message === "malformed signingkeys.json: multiple keys with name 'wabbit-networks' found",
    );
    assert.throws(
      () => parseSigningKeys(config('malformed-invalid-default')),
      (e: unknown) =>
        isDctError(e, 'NOTATION_SIGNING_KEYS_MALFORMED') &&
        e.message === "malformed signingkeys.json: default key 'missing-default' not found",
    );
    for (const bad of ['{', '{"keys":{}}', '{"keys":[{"name":""}]}', '{"default":"","keys":[]}', '{"keys":[{"name":3}]}']) {
      assert.throws(
        () => parseSigningKeys(Buffer.from(bad)),
        (e: unknown) => isDctError(e, 'NOTATION_SIGNING_KEYS_MALFORMED'),
        bad,
      );
    }
  });
  it('adds, makes default and removes keys as notation does', () => {
    let keys = parseSigningKeys(Buffer.from('{"keys":[]}'));
    assert.throws(
      () => getSigningKey(keys),
      (e: unknown) => isDctError(e, 'NOTATION_DEFAULT_KEY_NOT_SET'),
    );
    keys = addSigningKey(keys, { name: 'a', keyPath: '/a.key', certPath: '/a.crt' }, false);
    keys = addSigningKey(keys, { name: 'b', keyPath: '/b.key', certPath: '/b.crt' }, true);
    assert.equal(keys.default, 'b');
    assert.throws(
      () => addSigningKey(keys, { name: 'a' }, false),
      (e: unknown) => isDctError(e, 'NOTATION_SIGNING_KEY_EXISTS') && e.message === 'signing key with name "a" already exists',
    );
    assert.equal(setDefaultSigningKey(keys, 'a').default, 'a');
    assert.throws(
      () => setDefaultSigningKey(keys, 'c'),
      (e: unknown) => isDctError(e, 'NOTATION_SIGNING_KEY_NOT_FOUND') && e.message === 'signing key c not found',
    );
    const { config: after, removed } = removeSigningKeys(keys, ['b']);
    assert.deepEqual(removed, ['b']);
    assert.equal(after.default, undefined);
    assert.throws(
      () => removeSigningKeys(keys, ['a', 'zz']),
      (e: unknown) => isDctError(e, 'NOTATION_SIGNING_KEY_NOT_FOUND'),
    );
  });
});

describe('certificate files: hostile input', () => {
  // (BEGIN lines without END in bulk, with the hang guard: test/core/pem-blocks.test.ts)
  it('many BEGIN lines without END, or thousands of certificates, are refused', () => {
    const begins = Buffer.from('-----BEGIN CERTIFICATE-----\n'.repeat(100000));
    assert.throws(
      () => parseCertificateFile(begins),
      (e: unknown) => isDctError(e, 'NOTATION_CERTIFICATE_FILE_INVALID'),
    );
    const der = parseCertificateFile(x509('der.der'))[0]!.raw;
    assert.throws(
      () => parseCertificateFile(Buffer.concat(Array.from({ length: 1001 }, () => der))),
      (e: unknown) => isDctError(e, 'NOTATION_CERTIFICATE_FILE_INVALID'),
    );
  });
  it('a PEM block of another type is not a certificate', () => {
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' });
    assert.throws(
      () => parseCertificateFile(Buffer.from(key)),
      (e: unknown) => isDctError(e, 'NOTATION_CERTIFICATE_FILE_INVALID'),
    );
  });
});
