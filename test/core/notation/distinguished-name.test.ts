/**
 * Distinguished names and trusted identities as notation-go's tests use them
 * (`TestVerifyX509TrustedIdentities` with `verifier/signing-cert.pem` and `bad-cert.pem`), and a
 * certificate's subject printed as Go prints it.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { isDctError } from '../../../src/core/errors.js';
import {
  certificateIssuerString,
  certificateSubjectString,
  isSubsetDN,
  parseDistinguishedName,
} from '../../../src/core/notation/distinguished-name.js';
import { trustedIdentityMismatch } from '../../../src/core/notation/trusted-identity.js';
import { readFixture } from '../../support/fixtures.js';

const cert = (...p: string[]) => new X509Certificate(readFixture('notation', 'notation-go', 'verifier', ...p));
const signingCert = () => cert('verifier', 'signing-cert.pem');

describe('distinguished names', () => {
  it('parses RFC 4514 with notation rules: S is ST, spaces trimmed, escapes decoded', () => {
    assert.deepEqual(
      { ...parseDistinguishedName(' C=US, S=WA , O=Acme\\, Inc.,CN=a\\2Bb') },
      { C: 'US', ST: 'WA', O: 'Acme, Inc.', CN: 'a+b' },
    );
  });
  it('refuses what notation refuses, with its messages', () => {
    const cases: Array<[string, RegExp]> = [
      ['C=US,ST=WA', /has no mandatory RDN attribute for "O"/],
      ['C=US,ST=WA,O=a,O=b', /has duplicate RDN attribute for "O", DN can only have unique RDN attributes/],
      ['C=US,ST=WA,O=a+OU=b', /has multi-valued RDN attributes, remove multi-valued RDN attributes as they are not supported/],
      ['C=US,S=WA,ST=WA,O=a', /duplicate RDN attribute for "ST"/],
      ['C=bad=#identity,O=LOL,ST=LOL', /notation does not support x509.subject identities containing "=#"/],
      ['C=US,ST', /parsing distinguished name \(DN\) "C=US,ST" failed with err: .*follow RFC 4514 standard/],
      ['=US,ST=WA,O=a', /parsing distinguished name/],
      ['C=US,ST=WA,O=a,', /failed with err: DN ended with incomplete type, value pair/],
      ['', /has no mandatory RDN attribute for "C"/],
    ];
    for (const [dn, message] of cases) {
      assert.throws(
        () => parseDistinguishedName(dn),
        (e: unknown) => isDctError(e, 'NOTATION_DN_INVALID') && message.test(e.message),
        dn,
      );
    }
  });
  it('a subset DN matches a larger one, never the other way round', () => {
    const small = parseDistinguishedName('C=US,ST=WA,O=SomeOrg');
    const big = parseDistinguishedName('C=US,ST=WA,L=Seattle,O=SomeOrg,OU=SomeOU,CN=SomeCN');
    assert.equal(isSubsetDN(small, big), true);
    assert.equal(isSubsetDN(big, small), false);
  });
  it("prints a certificate's subject and issuer as Go's pkix.Name.String()", () => {
    assert.equal(certificateSubjectString(signingCert()), 'CN=SomeCN,OU=SomeOU,O=SomeOrg,L=Seattle,ST=WA,C=US');
    // written C, ST, L, CN, OU, O: Go prints its fields in its own order
    assert.equal(certificateSubjectString(cert('verifier', 'bad-cert.pem')), 'CN=Bad=#CN,OU=SomeOU,O=SomeOrg,L=Seattle,ST=WA,C=US');
    const nonSelfIssued = cert('truststore', 'x509', 'tsa', 'test-nonSelfIssued', 'nonSelfIssued.crt');
    assert.equal(certificateIssuerString(nonSelfIssued), 'CN=Notation Test Revokable RSA Chain Cert Root,O=Notary,L=Seattle,ST=WA,C=US');
  });
});

describe('trusted identities (TestVerifyX509TrustedIdentities)', () => {
  it('a wildcard trusts any signer', () => {
    assert.equal(trustedIdentityMismatch('p', ['*'], signingCert()), undefined);
  });
  it('a DN whose attributes the subject has matches', () => {
    assert.equal(trustedIdentityMismatch('p', ['x509.subject:C=US,O=SomeOrg,ST=WA'], signingCert()), undefined);
    assert.equal(
      trustedIdentityMismatch('p', ['x509.subject:C=IND,O=SomeOrg,ST=TS', 'x509.subject:C=US,O=SomeOrg,ST=WA'], signingCert()),
      undefined,
    );
  });
  it('a DN the subject does not have does not match, in notation words', () => {
    assert.equal(
      trustedIdentityMismatch('p', ['x509.subject:C=IND,O=SomeOrg,ST=TS'], signingCert()),
      'signing certificate from the digital signature does not match the X.509 trusted identities [map["C":"IND" "O":"SomeOrg" "ST":"TS"]] defined in the trust policy "p"',
    );
  });
  it('an identity that does not parse is an error', () => {
    assert.match(trustedIdentityMismatch('p', ['x509.subject:C=bad=#identity,O=LOL,ST=LOL'], signingCert()) ?? '', /"=#"/);
  });
  it('a certificate whose subject notation cannot parse cannot be matched', () => {
    assert.match(
      trustedIdentityMismatch('p', ['x509.subject:C=US,O=SomeOrg,ST=WA'], cert('verifier', 'bad-cert.pem')) ?? '',
      /^error while parsing the certificate subject from the digital signature/,
    );
  });
  it('no x509.subject identity at all is an error', () => {
    assert.equal(
      trustedIdentityMismatch('p', ['x509.other:abc'], signingCert()),
      'no x509 trusted identities are configured in the trust policy "p"',
    );
  });
  it('the mock envelopes signer matches the policy of the notation-go verifier tests', () => {
    const root = cert('truststore', 'x509', 'ca', 'valid-trust-store', 'NotationTestRoot.pem');
    assert.equal(
      trustedIdentityMismatch('test-statement-name', ['x509.subject:CN=Notation Test Root,O=Notary,L=Seattle,ST=WA,C=US'], root),
      undefined,
    );
    assert.notEqual(
      trustedIdentityMismatch('test-statement-name', ['x509.subject:CN=LOL,O=DummyOrg,L=Hyderabad,ST=TG,C=IN'], root),
      undefined,
    );
  });
});
