/**
 * The authentic-timestamp check with notation-go's real GlobalSign-countersigned envelopes
 * (`verifier/timestamp/sigEnv`), the loose tokens it injects (`countersignature/*.p7s`) and
 * notation-core-go's token whose CMS signature does not verify; outcomes and messages as
 * `TestAuthenticTimestamp` expects them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkAuthenticTimestamp } from '../../../../src/adapters/notation/envelope/authentic-timestamp.js';
import { parseEnvelope } from '../../../../src/adapters/notation/envelope/parse-envelope.js';
import type { EnvelopeCheckOutcome } from '../../../../src/adapters/notation/envelope/verify-envelope.js';
import { isDctError } from '../../../../src/core/errors.js';
import { verifyEnvelopeSync } from '../../../../src/adapters/notation/envelope/verify-envelope.js';
import { TimestampError, parseTimestampToken, verifyTimestampToken } from '../../../../src/adapters/notation/envelope/timestamp-token.js';
import type { TrustAnchors } from '../../../../src/core/notation/verification-types.js';
import { COSE, JWS, input, loadCertificates, notationFixture, trustStore } from './notation-fixtures.js';

const sigEnv = (name: string) => notationFixture('notation-go', 'verifier', 'timestamp', 'sigEnv', name);
const mediaTypeOf = (bytes: Buffer) => (bytes[0] === 0x7b ? JWS : COSE);
const ca = trustStore('ca', 'valid-trust-store');
const tsa = trustStore('tsa', 'test-timestamp');

/** Runs verification with the signer's own certificate trusted, so only the timestamp step decides. */
function timestampCheck(bytes: Buffer, anchors: Partial<TrustAnchors>, verifyTimestamp: 'always' | 'afterCertExpiry' = 'always') {
  const first = verifyEnvelopeSync(input(bytes, mediaTypeOf(bytes), { anchors: { ca }, level: 'audit' }));
  const out = verifyEnvelopeSync(
    input(bytes, mediaTypeOf(bytes), { anchors: { ca: [...ca, first.chain[0]!], ...anchors }, verifyTimestamp }),
  );
  const check: EnvelopeCheckOutcome | undefined = out.checks.find((c) => c.check === 'authenticTimestamp');
  assert.ok(check, JSON.stringify(out.checks));
  return { out, check };
}

describe('authentic timestamp (RFC 3161 countersignatures)', () => {
  for (const name of ['jwsWithTimestamp.sig', 'coseWithTimestamp.sig', 'jwsExpiredWithTimestamp.sig', 'coseExpiredWithTimestamp.sig']) {
    it(`${name}: passes with tsa:test-timestamp`, () => {
      const { out, check } = timestampCheck(sigEnv(name), { tsa });
      assert.equal(check.ok, true, check.error);
      assert.equal(out.verdict, 'verified', JSON.stringify(out.checks));
      assert.ok(out.timestamp?.startsWith('2024-06-18T0'), out.timestamp);
    });
  }

  it('jwsWithTimestamp.sig: the countersignature time is the token genTime', () => {
    const { out } = timestampCheck(sigEnv('jwsWithTimestamp.sig'), { tsa });
    assert.match(out.timestamp ?? '', /^2024-06-18T06:29:37/);
  });

  it('coseWithTimestamp.sig: passes with verifyTimestamp afterCertExpiry (cert unexpired: checked at now)', () => {
    const { check } = timestampCheck(sigEnv('coseWithTimestamp.sig'), { tsa }, 'afterCertExpiry');
    assert.equal(check.ok, true, check.error);
  });

  it('coseExpiredWithTimestamp.sig without a tsa store: the expired certificate fails at verification time', () => {
    const { out, check } = timestampCheck(sigEnv('coseExpiredWithTimestamp.sig'), {});
    assert.equal(check.ok, false);
    assert.equal(check.code, 'NOTATION_CERTIFICATE_NOT_VALID_NOW');
    assert.equal(
      check.error,
      'verification time is after certificate "CN=testTSA,O=Notary,L=Seattle,ST=WA,C=US" validity period, it was expired at "Tue, 18 Jun 2024 07:30:31 +0000"',
    );
    assert.equal(out.verdict, 'failed');
  });

  it('jwsExpiredWithTimestamp.sig with afterCertExpiry: the expired chain is checked at the timestamp (passes)', () => {
    const { check } = timestampCheck(sigEnv('jwsExpiredWithTimestamp.sig'), { tsa }, 'afterCertExpiry');
    assert.equal(check.ok, true, check.error);
  });

  it('timestampBeforeNotBefore.sig: fails, timestamp before the certificate validity', () => {
    const { check } = timestampCheck(sigEnv('timestampBeforeNotBefore.sig'), { tsa });
    assert.equal(check.code, 'NOTATION_TIMESTAMP_INVALID');
    assert.equal(
      check.error,
      'timestamp can be before certificate "CN=testTSA,O=Notary,L=Seattle,ST=WA,C=US" validity period, it will be valid from "Fri, 18 Sep 2099 11:54:34 +0000"',
    );
  });

  it('timestampAfterNotAfter.sig: fails, timestamp after the certificate validity', () => {
    const { check } = timestampCheck(sigEnv('timestampAfterNotAfter.sig'), { tsa });
    assert.equal(check.code, 'NOTATION_TIMESTAMP_INVALID');
    assert.equal(
      check.error,
      'timestamp can be after certificate "CN=testTSA,O=Notary,L=Seattle,ST=WA,C=US" validity period, it was expired at "Tue, 18 Sep 2001 11:54:34 +0000"',
    );
  });

  it('withoutTimestamp.sig: fails, no countersignature', () => {
    const { check } = timestampCheck(sigEnv('withoutTimestamp.sig'), { tsa });
    assert.equal(check.code, 'NOTATION_TIMESTAMP_INVALID');
    assert.equal(check.error, 'no timestamp countersignature was found in the signature envelope');
  });

  it('with tsa:test-mismatch (DigiCert root): the TSA chain does not reach an anchor', () => {
    const { check } = timestampCheck(sigEnv('jwsWithTimestamp.sig'), { tsa: trustStore('tsa', 'test-mismatch') });
    assert.equal(check.code, 'NOTATION_TIMESTAMP_INVALID');
    assert.equal(
      check.error,
      'failed to verify the timestamp countersignature with error: failed to verify signed token: x509: certificate signed by unknown authority',
    );
  });

  // as TestAuthenticTimestamp does: the token goes into withoutTimestamp.sig's content, whose
  // signature is replaced by the bytes the token was (or was not) made over
  const injected: [string, string, string][] = [
    [
      'TimeStampTokenWithInvalideContentType.p7s',
      'notation',
      'failed to parse timestamp countersignature with error: unexpected content type: 1.2.840.113549.1.7.1. Expected to be id-ct-TSTInfo (1.2.840.113549.1.9.16.1.4)',
    ],
    [
      'TimeStampTokenWithInvalidTSTInfo.p7s',
      'notation',
      'failed to get the timestamp TSTInfo with error: cannot unmarshal TSTInfo from timestamp token',
    ],
    [
      'TimeStampToken.p7s',
      'mismatch',
      'failed to get timestamp from timestamp countersignature with error: invalid TSTInfo: mismatched message',
    ],
    [
      'TimeStampTokenWithoutCertificate.p7s',
      'notation',
      'failed to verify the timestamp countersignature with error: failed to verify signed token: signing certificate not found in the timestamp token',
    ],
  ];
  for (const [file, signed, message] of injected) {
    it(`withoutTimestamp.sig + ${file}: ${message.slice(0, 60)}…`, () => {
      const content = parseEnvelope(sigEnv('withoutTimestamp.sig'), JWS);
      content.timestampSignature = notationFixture('notation-go', 'verifier', 'timestamp', 'countersignature', file);
      content.signature = Buffer.from(signed);
      assert.throws(
        () => checkAuthenticTimestamp(content, input(Buffer.alloc(0), JWS, { anchors: { ca, tsa } })),
        (err: unknown) => isDctError(err, 'NOTATION_TIMESTAMP_INVALID') && (err as Error).message === message,
      );
    });
  }

  it('TimeStampToken.p7s over "notation": token and TSA chain verify, but it predates the alpine certificate', () => {
    const content = parseEnvelope(sigEnv('withoutTimestamp.sig'), JWS);
    content.timestampSignature = notationFixture('notation-go', 'verifier', 'timestamp', 'countersignature', 'TimeStampToken.p7s');
    content.signature = Buffer.from('notation');
    assert.throws(
      () => checkAuthenticTimestamp(content, input(Buffer.alloc(0), JWS, { anchors: { ca, tsa } })),
      (err: unknown) =>
        isDctError(err, 'NOTATION_TIMESTAMP_INVALID') &&
        (err as Error).message ===
          'timestamp can be before certificate "CN=alpine,O=Notary,L=Seattle,ST=WA,C=US" validity period, it will be valid from "Tue, 09 May 2023 04:55:12 +0000"',
    );
  });

  it("notation-core-go's TimeStampTokenWithInvalidSignature.p7s: the CMS signature does not verify", () => {
    const token = parseTimestampToken(notationFixture('notation-core-go', 'timestamp', 'TimeStampTokenWithInvalidSignature.p7s'));
    assert.ok(token.tstInfo);
    const root = loadCertificates('notation-core-go', 'timestamp', 'tsaRootCert.cer');
    assert.throws(
      () => verifyTimestampToken(token, root, token.tstInfo!.genTime),
      (err: unknown) => err instanceof TimestampError && err.message.startsWith('failed to verify signed token: cms verification failure'),
    );
  });

  it('a token that is not DER is refused, not crashed on', () => {
    for (const bad of [
      Buffer.from('invalid\n'),
      Buffer.alloc(0),
      Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]),
      Buffer.from([0x30, 0x03, 0x02, 0x01]),
      // 100,000 nested indefinite-length SEQUENCEs
      Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i % 2 === 0 ? 0x30 : 0x80))),
    ])
      assert.throws(() => parseTimestampToken(bad), TimestampError);
  });
});
