/**
 * Trusted identities (`x509.subject:` subset match, notation-go's TestVerifyX509TrustedIdentities
 * certificates) and the offline revocation check (the notation CLI's CRL chain: its certificates
 * name CRL distribution points, so dct reports the status unknown, never "not revoked").
 */
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { describe, it } from 'node:test';
import { checkTrustedIdentity } from '../../../../src/adapters/notation/envelope/authenticity.js';
import { certificateSubjectString, isSubsetDN, parseDistinguishedName } from '../../../../src/core/notation/distinguished-name.js';
import { signEnvelope } from '../../../../src/adapters/notation/envelope/sign-envelope.js';
import { verifyEnvelopeSync } from '../../../../src/adapters/notation/envelope/verify-envelope.js';
import { isDctError } from '../../../../src/core/errors.js';
import { input, loadCertificates, notationFixture } from './notation-fixtures.js';

describe('trusted identities', () => {
  const signing = loadCertificates('notation-go', 'verifier', 'verifier', 'signing-cert.pem')[0]!;
  const bad = loadCertificates('notation-go', 'verifier', 'verifier', 'bad-cert.pem')[0]!;
  const mismatch = (err: unknown) => isDctError(err, 'NOTATION_IDENTITY_MISMATCH');

  it('prints subjects as Go does', () => {
    assert.equal(certificateSubjectString(signing), 'CN=SomeCN,OU=SomeOU,O=SomeOrg,L=Seattle,ST=WA,C=US');
  });

  it('x509.subject:C=US,O=SomeOrg,ST=WA matches; C=IND,O=SomeOrg,ST=TS does not', () => {
    checkTrustedIdentity(signing, ['x509.subject:C=US,O=SomeOrg,ST=WA']);
    checkTrustedIdentity(signing, ['x509.subject:C=IND,O=SomeOrg,ST=TS', 'x509.subject:C=US,O=SomeOrg,ST=WA']);
    checkTrustedIdentity(signing, ['*']);
    assert.throws(() => checkTrustedIdentity(signing, ['x509.subject:C=IND,O=SomeOrg,ST=TS']), mismatch);
  });

  it('x509.subject:C=bad=#identity,O=LOL,ST=LOL is an error', () => {
    assert.throws(() => checkTrustedIdentity(signing, ['x509.subject:C=bad=#identity,O=LOL,ST=LOL']), mismatch);
  });

  it('bad-cert.pem (CN=Bad=#CN) cannot be matched', () => {
    assert.throws(() => checkTrustedIdentity(bad, ['x509.subject:C=US,O=SomeOrg,ST=WA']), mismatch);
  });

  it('identities of other kinds are ignored; none left is an error; a missing separator is an error', () => {
    assert.throws(() => checkTrustedIdentity(signing, ['x509.sanUri:spiffe://x']), /no x509 trusted identities/);
    assert.throws(() => checkTrustedIdentity(signing, ['x509.subject']), mismatch);
    assert.throws(() => checkTrustedIdentity(signing, ['x509.subject:']), mismatch);
  });

  it("parses RFC 4514 (the core parser, with notation's mandatory C, ST and O): escapes, spaces, hex pairs; refuses duplicates and stray '='", () => {
    assert.deepEqual(Object.entries(parseDistinguishedName(' CN = a\\,b , O=x\\2Cy,ST=WA,C=US ')), [
      ['CN', 'a,b'],
      ['O', 'x,y'],
      ['ST', 'WA'],
      ['C', 'US'],
    ]);
    assert.throws(() => parseDistinguishedName('C=US,C=CA,ST=WA,O=x'), /duplicate|multiple|repeated/i);
    assert.throws(() => parseDistinguishedName('CN'));
    assert.throws(() => parseDistinguishedName(''));
    assert.throws(() => parseDistinguishedName('CN=a,O=x'), /mandatory/);
    assert.ok(isSubsetDN({ O: 'x' }, { CN: 'a', O: 'x' }));
    assert.ok(!isSubsetDN({ O: 'x', L: 'y' }, { CN: 'a', O: 'x' }));
  });
});

describe('revocation, offline', () => {
  const chain = loadCertificates('notation-cli', 'crl', 'certchain_with_crl.pem');
  const key = createPrivateKey(notationFixture('notation-cli', 'crl', 'leaf.key'));
  const target = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: 'sha256:' + '1'.repeat(64), size: 10 };
  const env = signEnvelope({ targetArtifact: target, format: 'jws', key, chain, signingTime: new Date() });
  const root = chain[chain.length - 1]!;

  it('a chain with CRL distribution points: enforced revocation fails as not checked, never as passed', () => {
    const out = verifyEnvelopeSync(input(env.bytes, env.mediaType, { anchors: { ca: [root] } }));
    const revocation = out.checks.find((c) => c.check === 'revocation');
    assert.equal(revocation?.ok, false);
    assert.match(revocation?.error ?? '', /revocation status is unknown: dct does not check revocation online/);
    assert.equal(out.verdict, 'failed');
  });

  it('at permissive (revocation logged) it verifies, with the warning kept', () => {
    const out = verifyEnvelopeSync(input(env.bytes, env.mediaType, { anchors: { ca: [root] }, level: 'permissive' }));
    assert.equal(out.verdict, 'verified');
    assert.equal(out.checks.find((c) => c.check === 'revocation')?.ok, false);
  });

  it('a chain that names no CRL/OCSP endpoint passes, with a note that nothing was checked', () => {
    const e2eEnv = notationFixture(
      'notation-cli',
      'oci-layouts',
      'e2e-valid-signature',
      'blobs',
      'sha256',
      'c9af07e038b2b1a463e648986ad7273157511ffeba0b689f33e5472bae471f50',
    );
    const e2e = loadCertificates('notation-cli', 'localkeys', 'e2e.crt');
    const out = verifyEnvelopeSync(input(e2eEnv, 'application/jose+json', { anchors: { ca: e2e } }));
    const revocation = out.checks.find((c) => c.check === 'revocation');
    assert.equal(revocation?.ok, true);
    assert.match(revocation?.error ?? '', /^revocation was not checked/);
  });
});
