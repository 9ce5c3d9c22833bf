/**
 * notation's trust store on disk, with notation-go's trust store fixtures (the configuration
 * directory is `notation-go/verifier`, as the upstream tests point it at `verifier/testdata`):
 * valid stores (PEM and DER), invalid files, leaf and non-CA certificates, tsa roots, and the
 * symlinks and subdirectories notation refuses (made for real in a temporary copy).
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadTrustAnchors, loadTrustStore } from '../../../../src/adapters/notation/config/trust-store.js';
import { isDctError } from '../../../../src/core/errors.js';
import { parseTrustPolicy } from '../../../../src/core/notation/trust-policy.js';
import { fixturePath, readFixture } from '../../../support/fixtures.js';

const CONFIG = fixturePath('notation', 'notation-go', 'verifier');
const temp = mkdtempSync(join(tmpdir(), 'dct-notation-store-'));
after(() => rmSync(temp, { recursive: true, force: true }));

async function refused(configDir: string, type: string, name: string, code: string, message: string, cause?: string): Promise<void> {
  await assert.rejects(loadTrustStore(configDir, type, name), (e: unknown) => {
    assert.ok(isDctError(e), String(e));
    assert.equal(e.code, code, e.message);
    assert.equal(e.message, message);
    if (cause !== undefined) assert.equal((e.cause as Error).message, cause);
    return true;
  });
}

describe('trust store fixtures (truststore_test.go)', () => {
  it('loads a valid store with PEM and DER certificates', async () => {
    const certs = await loadTrustStore(CONFIG, 'ca', 'valid-trust-store');
    assert.equal(certs.length, 6);
    // GlobalSign.der and GlobalSignRootCA.crt are the same certificate
    const fingerprints = certs.map((c) => c.fingerprint256);
    assert.equal(new Set(fingerprints).size, 5);
  });
  it('loads a store with a minimal self-signed certificate, and the tsa root store', async () => {
    assert.equal((await loadTrustStore(CONFIG, 'ca', 'valid-trust-store-self-signed')).length, 1);
    assert.equal((await loadTrustStore(CONFIG, 'tsa', 'test-timestamp')).length, 1);
    assert.equal((await loadTrustStore(CONFIG, 'tsa', 'test-mismatch')).length, 1);
    assert.equal((await loadTrustStore(CONFIG, 'signingAuthority', 'valid-trust-store')).length, 3);
  });
  it('refuses a file that is not a certificate', () =>
    refused(
      CONFIG,
      'ca',
      'trust-store-with-invalid-certs',
      'NOTATION_TRUSTED_CERTIFICATE_INVALID',
      'failed to read the trusted certificate invalid in trust store trust-store-with-invalid-certs of type ca',
    ));
  it('refuses a leaf certificate, alone or after a root in one file', async () => {
    await refused(
      CONFIG,
      'ca',
      'trust-store-with-leaf-certs',
      'NOTATION_TRUSTED_CERTIFICATE_INVALID',
      'failed to validate the trusted certificate non-ca.crt in trust store trust-store-with-leaf-certs of type ca',
      'certificate with subject "CN=wabbit-networks.io,O=Notary,L=Seattle,ST=WA,C=US" is not a CA certificate or self-signed signing certificate',
    );
    await refused(
      CONFIG,
      'ca',
      'trust-store-with-leaf-certs-in-single-file',
      'NOTATION_TRUSTED_CERTIFICATE_INVALID',
      'failed to validate the trusted certificate RootAndLeafCerts.crt in trust store trust-store-with-leaf-certs-in-single-file of type ca',
    );
  });
  it('refuses tsa certificates that are not self-issued root CAs', async () => {
    await refused(
      CONFIG,
      'tsa',
      'test-nonCA',
      'NOTATION_TRUSTED_CERTIFICATE_INVALID',
      'trusted certificate wabbit-networks.io.crt in trust store test-nonCA of type tsa is invalid: certificate with subject "CN=wabbit-networks.io,O=Notary,L=Seattle,ST=WA,C=US" is not a root CA certificate: x509: invalid signature: parent certificate cannot sign this kind of certificate',
    );
    await refused(
      CONFIG,
      'tsa',
      'test-nonSelfIssued',
      'NOTATION_TRUSTED_CERTIFICATE_INVALID',
      'trusted certificate nonSelfIssued.crt in trust store test-nonSelfIssued of type tsa is invalid: certificate with subject "CN=Notation Test Revokable RSA Chain Cert 2,O=Notary,L=Seattle,ST=WA,C=US" is not a root CA certificate: issuer (CN=Notation Test Revokable RSA Chain Cert Root,O=Notary,L=Seattle,ST=WA,C=US) and subject (CN=Notation Test Revokable RSA Chain Cert 2,O=Notary,L=Seattle,ST=WA,C=US) are not the same',
    );
  });
  it('a missing store, an unknown type and a bad name each have their code', async () => {
    await refused(
      CONFIG,
      'tsa',
      'does-not-exist',
      'NOTATION_TRUST_STORE_NOT_FOUND',
      'the trust store "does-not-exist" of type "tsa" does not exist',
    );
    await refused(CONFIG, 'root', 'x', 'NOTATION_STORE_TYPE_INVALID', 'unsupported trust store type: root');
    await refused(
      CONFIG,
      'ca',
      '../ca',
      'NOTATION_NAME_INVALID',
      'trust store name needs to follow [a-zA-Z0-9_.-]+ format, ../ca is invalid',
    );
  });
});

describe('trust store layout rules (notation-go GetCertificates)', () => {
  const config = join(temp, 'config');
  const x509 = join(config, 'truststore', 'x509');
  mkdirSync(join(x509, 'ca'), { recursive: true });
  cpSync(join(CONFIG, 'truststore', 'x509', 'trust-store-with-directories'), join(x509, 'ca', 'with-directories'), { recursive: true });
  cpSync(join(CONFIG, 'truststore', 'x509', 'ca', 'valid-trust-store'), join(x509, 'ca', 'valid-trust-store'), { recursive: true });
  mkdirSync(join(x509, 'ca', 'cert-symlinks'));
  cpSync(
    join(CONFIG, 'truststore', 'x509', 'trust-store-with-cert-symlinks', 'GlobalSignRootCA.crt'),
    join(x509, 'ca', 'cert-symlinks', 'GlobalSignRootCA.crt'),
  );
  symlinkSync('GlobalSignRootCA.crt', join(x509, 'ca', 'cert-symlinks', 'GlobalSignRootCA_SYMLINK.crt'));
  symlinkSync('valid-trust-store', join(x509, 'ca', 'valid-trust-store_SYMLINK'));
  mkdirSync(join(x509, 'ca', 'empty'));
  mkdirSync(join(x509, 'ca', 'huge'));
  writeFileSync(join(x509, 'ca', 'huge', 'big.pem'), Buffer.alloc(5 * 1024 * 1024, 0x41));
  writeFileSync(join(x509, 'ca', 'not-a-dir'), 'x');

  it('trust-store-with-directories: a subdirectory in a store is refused (notation-go refuses directories and symlinks there)', () =>
    refused(
      config,
      'ca',
      'with-directories',
      'NOTATION_TRUSTED_CERTIFICATE_INVALID',
      'trusted certificate sub-dir in trust store with-directories of type ca is not a regular file (directories or symlinks are not supported)',
    ));
  it('trust-store-with-cert-symlinks: a symlinked certificate is refused', () =>
    refused(
      config,
      'ca',
      'cert-symlinks',
      'NOTATION_TRUSTED_CERTIFICATE_INVALID',
      'trusted certificate GlobalSignRootCA_SYMLINK.crt in trust store cert-symlinks of type ca is not a regular file (directories or symlinks are not supported)',
    ));
  it('valid-trust-store_SYMLINK: a symlinked store is refused', () =>
    refused(
      config,
      'ca',
      'valid-trust-store_SYMLINK',
      'NOTATION_TRUST_STORE_INVALID',
      `the trust store valid-trust-store_SYMLINK of type ca with path ${join(x509, 'ca', 'valid-trust-store_SYMLINK')} is not a regular directory (symlinks are not supported)`,
    ));
  it('an empty store, a file in place of a store, a huge file', async () => {
    await refused(
      config,
      'ca',
      'empty',
      'NOTATION_TRUST_STORE_NOT_FOUND',
      'no x509 certificates were found in trust store "empty" of type "ca"',
    );
    await refused(
      config,
      'ca',
      'not-a-dir',
      'NOTATION_TRUST_STORE_INVALID',
      `the trust store not-a-dir of type ca with path ${join(x509, 'ca', 'not-a-dir')} is not a regular directory (symlinks are not supported)`,
    );
    await refused(
      config,
      'ca',
      'huge',
      'NOTATION_TRUSTED_CERTIFICATE_INVALID',
      'failed to read the trusted certificate big.pem in trust store huge of type ca',
    );
  });
});

describe('trust anchors of a policy statement', () => {
  it('loads the ca and signingAuthority stores of the notation-go verifier policy', async () => {
    const doc = parseTrustPolicy(readFixture('notation', 'notation-go', 'trustpolicies', 'oci-verifier-tests.trustpolicy.json'));
    const anchors = await loadTrustAnchors(CONFIG, doc.trustPolicies[0]!);
    assert.equal(anchors.ca.length, 6);
    assert.equal(anchors.signingAuthority.length, 3);
    assert.equal(anchors.tsa.length, 0);
  });
  it('loads the tsa store of the timestamp policy', async () => {
    const doc = parseTrustPolicy(readFixture('notation', 'notation-go', 'trustpolicies', 'timestamp-tests.trustpolicy.json'));
    const anchors = await loadTrustAnchors(CONFIG, doc.trustPolicies[0]!);
    assert.equal(anchors.tsa.length, 1);
    assert.match(anchors.tsa[0]!.subject, /GlobalSign/);
  });
  it('a store the policy names that does not exist fails (invalid_trust_store_trustpolicy.json)', async () => {
    const doc = parseTrustPolicy(readFixture('notation', 'notation-cli', 'trustpolicies', 'invalid_trust_store_trustpolicy.json'));
    await assert.rejects(
      loadTrustAnchors(CONFIG, doc.trustPolicies[0]!),
      (e: unknown) =>
        isDctError(e, 'NOTATION_TRUST_STORE_NOT_FOUND') && e.message === 'the trust store "invalid_store" of type "ca" does not exist',
    );
  });
});
