/**
 * The envelope writers against notation-core-go's conformance vectors (byte-exact protected
 * headers and COSE_Sign1 message), and the strict readers: what notation refuses, dct refuses.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decode, encode, Tagged } from 'cborg';
import { encodeCoseProtectedHeader, encodeCoseSign1 } from '../../../../src/adapters/notation/envelope/cose-envelope.js';
import { encodeJwsProtectedHeader } from '../../../../src/adapters/notation/envelope/jws-envelope.js';
import { Base64Error, decodeBase64Std, decodeBase64Url } from '../../../../src/adapters/notation/envelope/base64.js';
import { parseEnvelope } from '../../../../src/adapters/notation/envelope/parse-envelope.js';
import { verifyEnvelopeSync } from '../../../../src/adapters/notation/envelope/verify-envelope.js';
import { isDctError } from '../../../../src/core/errors.js';
import type { EnvelopeAnswer } from '../../../support/envelope-attack-calls.js';
import { runWithin } from '../../../support/hang-guard.js';
import { COSE, JWS, input, notationFixture } from './notation-fixtures.js';

/** Hang guard, not a timing assertion: these inputs are refused in well under a second on a loaded machine. */
const HANG_GUARD_MS = 30_000;
const ATTACK_CALLS = new URL('../../../support/envelope-attack-calls.ts', import.meta.url);

const conformance = (name: string) =>
  JSON.parse(notationFixture('notation-core-go', 'signature', name).toString()) as Record<string, unknown>;
const refused = (bytes: Uint8Array, mediaType: string, code: string, message?: RegExp) =>
  assert.throws(
    () => parseEnvelope(bytes, mediaType),
    (err: unknown) => isDctError(err, code) && (message === undefined || message.test((err as Error).message)),
  );

describe('envelope encoding (notation-core-go conformance vectors)', () => {
  it('JWS: the protected header is byte for byte the vector’s', () => {
    const v = conformance('jws-conformance.json') as { protected: string; payload: string };
    const extended = new Map([
      ['signedCritKey1', 'signedCritValue1'],
      ['signedKey1', 'signedValue1'],
      ['signedKey2', 'signedValue1'],
      ['signedKey3', 'signedValue1'],
      ['signedKey4', 'signedValue1'],
    ]);
    const header = encodeJwsProtectedHeader('ES256', new Date('2022-08-29T13:50:00Z'), new Date('2099-08-30T13:50:00Z'), extended, [
      'signedCritKey1',
    ]);
    assert.equal(Buffer.from(header).toString('base64url'), v.protected);
  });

  it('COSE: the protected header and the whole tagged message are byte for byte the vector’s', () => {
    const v = conformance('cose-conformance.json') as {
      payload: string;
      protectedHeaders: { cborHex: string };
      unprotectedHeaders: { cborHex: string };
      expectedOutput: { cborHex: string };
    };
    const extended = new Map([
      ['signedKey1', 'signedValue1'],
      ['signedCritKey1', 'signedCritValue1'],
    ]);
    const protectedBytes = encodeCoseProtectedHeader('PS384', new Date(1661321924000), new Date(1661408324000), extended, [
      'signedCritKey1',
    ]);
    assert.equal(Buffer.from(protectedBytes).toString('hex').toUpperCase(), v.protectedHeaders.cborHex);
    const unprotected = new Map([['io.cncf.notary.signingAgent', 'NotationConformanceTest/1.0.0']]);
    assert.equal(Buffer.from(encode(unprotected)).toString('hex').toUpperCase(), v.unprotectedHeaders.cborHex);
    const expected = Buffer.from(v.expectedOutput.cborHex, 'hex');
    const signature = (decode(expected, { useMaps: true, tags: Tagged.preserve(18) }) as Tagged).value as Uint8Array[];
    const message = encodeCoseSign1(protectedBytes, unprotected, Buffer.from(v.payload, 'hex'), signature[3]!);
    assert.equal(message.toString('hex').toUpperCase(), v.expectedOutput.cborHex);
  });

  it('the conformance vectors are not notation signatures: no certificate chain, not a notation payload', () => {
    refused(notationFixture('notation-core-go', 'signature', 'jws-conformance.json'), JWS, 'NOTATION_ENVELOPE_MALFORMED');
    const v = conformance('cose-conformance.json') as { expectedOutput: { cborHex: string } };
    refused(Buffer.from(v.expectedOutput.cborHex, 'hex'), COSE, 'NOTATION_ENVELOPE_MALFORMED');
  });
});

describe('strict envelope reading', () => {
  const jws = () => JSON.parse(notationFixture('notation-go', 'envelopes', 'jws_signature.sig').toString()) as Record<string, unknown>;
  const reprotect = (edit: (h: Record<string, unknown>) => void) => {
    const env = jws();
    const header = JSON.parse(Buffer.from(env['protected'] as string, 'base64url').toString()) as Record<string, unknown>;
    edit(header);
    env['protected'] = Buffer.from(JSON.stringify(header)).toString('base64url');
    return Buffer.from(JSON.stringify(env));
  };

  it('JWS protected headers notation refuses', () => {
    refused(
      reprotect((h) => (h['alg'] = 'RS256')),
      JWS,
      'NOTATION_ENVELOPE_UNSUPPORTED',
    );
    refused(
      reprotect((h) => (h['alg'] = 'none')),
      JWS,
      'NOTATION_ENVELOPE_UNSUPPORTED',
    );
    refused(
      reprotect((h) => (h['cty'] = 'application/json')),
      JWS,
      'NOTATION_ENVELOPE_MALFORMED',
      /payload content type "application\/json" not supported/,
    );
    refused(
      reprotect((h) => delete h['crit']),
      JWS,
      'NOTATION_ENVELOPE_MALFORMED',
    );
    refused(
      reprotect((h) => (h['crit'] = ['io.cncf.notary.signingScheme', 'missing'])),
      JWS,
      'NOTATION_ENVELOPE_MALFORMED',
      /"missing" as critical/,
    );
    refused(
      reprotect((h) => (h['io.cncf.notary.expiry'] = '2099-01-01T00:00:00Z')),
      JWS,
      'NOTATION_ENVELOPE_MALFORMED',
      /must be marked critical/,
    );
    refused(
      reprotect((h) => (h['io.cncf.notary.signingScheme'] = 'notary.default.x509')),
      JWS,
      'NOTATION_ENVELOPE_MALFORMED',
    );
    refused(
      reprotect((h) => (h['io.cncf.notary.signingTime'] = 'yesterday')),
      JWS,
      'NOTATION_ENVELOPE_MALFORMED',
    );
    refused(
      reprotect((h) => (h['io.cncf.notary.signingTime'] = '2023-02-30T00:00:00Z')),
      JWS,
      'NOTATION_ENVELOPE_MALFORMED',
    );
    refused(
      reprotect(
        (h) => (
          (h['io.cncf.notary.authenticSigningTime'] = '2023-01-01T00:00:00Z'),
          (h['crit'] as string[]).push('io.cncf.notary.authenticSigningTime')
        ),
      ),
      JWS,
      'NOTATION_ENVELOPE_MALFORMED',
      /not allowed under signing scheme "notary.x509"/,
    );
  });

  it('JWS structure notation refuses', () => {
    const without = (key: string) => {
      const env = jws();
      delete env[key];
      return Buffer.from(JSON.stringify(env));
    };
    for (const key of ['protected', 'payload', 'header']) refused(without(key), JWS, 'NOTATION_ENVELOPE_MALFORMED');
    refused(without('signature'), JWS, 'NOTATION_ENVELOPE_MALFORMED');
    const env = jws();
    (env['header'] as Record<string, unknown>)['x5c'] = [];
    refused(Buffer.from(JSON.stringify(env)), JWS, 'NOTATION_ENVELOPE_MALFORMED', /no x5c/);
    (env['header'] as Record<string, unknown>)['x5c'] = ['bm90IGEgY2VydGlmaWNhdGU='];
    refused(Buffer.from(JSON.stringify(env)), JWS, 'NOTATION_ENVELOPE_MALFORMED', /x5c\[0\] is not an X.509 certificate/);
    refused(
      Buffer.from(JSON.stringify({ ...jws(), payload: Buffer.from('{"targetArtifact":{}}').toString('base64url') })),
      JWS,
      'NOTATION_ENVELOPE_MALFORMED',
    );
    refused(Buffer.from(JSON.stringify({ signatures: [] })), JWS, 'NOTATION_ENVELOPE_MALFORMED', /general serialization/);
    refused(Buffer.from('[]'), JWS, 'NOTATION_ENVELOPE_MALFORMED');
  });

  const cose = notationFixture('notation-go', 'envelopes', 'cose_signature.sig');
  const coseParts = () => (decode(cose, { useMaps: true, tags: Tagged.preserve(18) }) as Tagged).value as unknown[];

  it('COSE structure notation refuses: untagged, detached payload, wrong arity, no x5chain, bad header values', () => {
    refused(encode(coseParts()), COSE, 'NOTATION_ENVELOPE_MALFORMED', /tag 18/);
    refused(encode(new Tagged(98, coseParts())), COSE, 'NOTATION_ENVELOPE_MALFORMED');
    const parts = coseParts();
    refused(encode(new Tagged(18, [parts[0], parts[1], null, parts[3]])), COSE, 'NOTATION_ENVELOPE_MALFORMED', /detached/);
    refused(encode(new Tagged(18, parts.slice(0, 3))), COSE, 'NOTATION_ENVELOPE_MALFORMED');
    refused(encode(new Tagged(18, [parts[0], new Map(), parts[2], parts[3]])), COSE, 'NOTATION_ENVELOPE_MALFORMED', /x5chain/);
    const header = decode(parts[0] as Uint8Array, { useMaps: true, tags: Tagged.preserve(1) }) as Map<unknown, unknown>;
    const withHeader = (edit: (h: Map<unknown, unknown>) => void) => {
      const h = new Map(header);
      edit(h);
      return encode(new Tagged(18, [encode(h), parts[1], parts[2], parts[3]]));
    };
    refused(
      withHeader((h) => h.set(1, -257)),
      COSE,
      'NOTATION_ENVELOPE_UNSUPPORTED',
    );
    refused(
      withHeader((h) => h.set('io.cncf.notary.signingTime', 1678769122)),
      COSE,
      'NOTATION_ENVELOPE_MALFORMED',
      /tag 1/,
    );
    refused(
      withHeader((h) => h.set(4, new Uint8Array(2))),
      COSE,
      'NOTATION_ENVELOPE_MALFORMED',
      /unsupported label 4/,
    );
    refused(
      withHeader((h) => h.delete(2)),
      COSE,
      'NOTATION_ENVELOPE_MALFORMED',
    );
    // a map with a repeated key, written by hand: {1: -37, 1: -37}
    refused(
      encode(new Tagged(18, [Buffer.from('a201382401382f', 'hex'), parts[1], parts[2], parts[3]])),
      COSE,
      'NOTATION_ENVELOPE_MALFORMED',
    );
  });

  it('truncated and garbage envelopes are refused, never crash', () => {
    const jwsBytes = notationFixture('notation-go', 'envelopes', 'jws_signature.sig');
    for (let n = 0; n < jwsBytes.length; n += 97) refused(jwsBytes.subarray(0, n), JWS, 'NOTATION_ENVELOPE_MALFORMED');
    for (let n = 0; n < cose.length; n += 61) refused(cose.subarray(0, n), COSE, 'NOTATION_ENVELOPE_MALFORMED');
    for (const garbage of [Buffer.from('malformed signature'), Buffer.from([0xff, 0xfe, 0x00]), Buffer.from('null'), Buffer.from('"x"')]) {
      refused(garbage, JWS, 'NOTATION_ENVELOPE_MALFORMED');
      refused(garbage, COSE, 'NOTATION_ENVELOPE_MALFORMED');
    }
    refused(cose, JWS, 'NOTATION_ENVELOPE_MALFORMED');
    refused(jwsBytes, COSE, 'NOTATION_ENVELOPE_MALFORMED');
  });

  it('huge and hostile inputs are refused, never hang', async () => {
    const env = jws();
    const header = env['header'] as { x5c: string[] };
    header.x5c = Array.from({ length: 20 }, () => header.x5c[0]!);
    const cases: Array<[bytes: Uint8Array, mediaType: string, code: string, message?: RegExp]> = [
      [Buffer.alloc(5 * 1024 * 1024, 0x20), JWS, 'NOTATION_ENVELOPE_TOO_LARGE'],
      [Buffer.from('['.repeat(1_000_000)), JWS, 'NOTATION_ENVELOPE_MALFORMED'],
      // CBOR claiming a 2^32-item array / 2^32-byte string in a few bytes
      [Buffer.from('d2849affffffff', 'hex'), COSE, 'NOTATION_ENVELOPE_MALFORMED'],
      [Buffer.from('d2845affffffff00', 'hex'), COSE, 'NOTATION_ENVELOPE_MALFORMED'],
      // CBOR nested 100,000 arrays deep
      [Buffer.concat([Buffer.from('d284', 'hex'), Buffer.alloc(100_000, 0x81)]), COSE, 'NOTATION_ENVELOPE_MALFORMED'],
      // 20 certificates in x5c
      [Buffer.from(JSON.stringify(env)), JWS, 'NOTATION_ENVELOPE_MALFORMED', /at most 10/],
    ];
    // parsing runs in a worker the guard stops: a hang fails the test instead of stalling it
    const answer = await runWithin(HANG_GUARD_MS, ATTACK_CALLS, 'envelopeAnswers', [cases.map(([bytes, mediaType]) => [bytes, mediaType])]);
    assert.ok('returned' in answer, JSON.stringify(answer));
    const answers = answer.returned as EnvelopeAnswer[];
    cases.forEach(([, , code, message], i) => {
      const got = answers[i];
      assert.ok(got && 'code' in got, `case ${i} parsed`);
      assert.equal(got.code, code, `case ${i}: ${got.message}`);
      if (message) assert.match(got.message, message);
    });
  });
});

describe('strict base64', () => {
  it('decodes canonical base64url and base64, refuses what Go refuses', () => {
    assert.equal(decodeBase64Url('aGk').toString(), 'hi');
    assert.equal(decodeBase64Std('aGk=').toString(), 'hi');
    assert.throws(() => decodeBase64Url('aGk='), /input byte 3/);
    assert.throws(() => decodeBase64Url('aGl'), Base64Error); // non-zero trailing bits
    assert.throws(() => decodeBase64Url('a'), Base64Error);
    assert.throws(() => decodeBase64Std('aGk'), Base64Error); // missing padding
    assert.throws(() => decodeBase64Std('aG=k'), Base64Error);
    assert.throws(() => decodeBase64Std('aGl='), Base64Error);
    assert.throws(() => decodeBase64Std('a-k='), /input byte 1/);
  });
});

describe('mutated envelopes', () => {
  it('every byte-level mutation of the fixtures parses, or is refused with a DctError; verification never throws', () => {
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const samples: [Buffer, string][] = [
      [notationFixture('notation-go', 'envelopes', 'jws_signature.sig'), JWS],
      [notationFixture('notation-go', 'envelopes', 'cose_signature.sig'), COSE],
      [notationFixture('notation-go', 'verifier', 'timestamp', 'sigEnv', 'coseWithTimestamp.sig'), COSE],
    ];
    let refusedCount = 0;
    for (const [original, mediaType] of samples) {
      for (let n = 0; n < 300; n++) {
        const bytes = Buffer.from(original);
        for (let k = 0; k < 1 + Math.floor(random() * 4); k++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
        try {
          parseEnvelope(bytes, mediaType);
        } catch (err) {
          assert.ok(isDctError(err), `not a DctError: ${String(err)}`);
          refusedCount++;
        }
        const out = verifyEnvelopeSync(input(bytes, mediaType));
        assert.notEqual(out.verdict, 'verified');
      }
    }
    assert.ok(refusedCount > 100);
  });
});
