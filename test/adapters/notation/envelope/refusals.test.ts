/**
 * Signatures dct must refuse, each with its own code: a tampered payload or signature, a foreign
 * certificate, an expired certificate without timestamp, a signature for another digest, a
 * certificate chain that loops, is out of order or breaks notation's certificate rules.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { decode, encode, Tagged } from 'cborg';
import { buildJwsEnvelope, encodeJwsProtectedHeader } from '../../../../src/adapters/notation/envelope/jws-envelope.js';
import { payloadBytes } from '../../../../src/adapters/notation/envelope/payload.js';
import { signBytes } from '../../../../src/adapters/notation/envelope/signature-algorithm.js';
import { signEnvelope } from '../../../../src/adapters/notation/envelope/sign-envelope.js';
import { verifyEnvelopeSync, type EnvelopeCheckOutcome } from '../../../../src/adapters/notation/envelope/verify-envelope.js';
import { isDctError } from '../../../../src/core/errors.js';
import type { Descriptor } from '../../../../src/core/oci/descriptor.js';
import type { EnvelopeVerificationOutcome, NotationCheck } from '../../../../src/core/notation/verification-types.js';
import { JWS, input } from './notation-fixtures.js';
import { selfSignedSigner, threeLevelSigner, type TestSigner } from './test-certificates.js';

const target: Descriptor = {
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest: 'sha256:53b0191218aed9a3c1f7c661736ac40cfc8eb928642348fd843ba3f0483c0c20',
  size: 582,
};
const NOW = new Date(Date.now() + 60_000);
const code = (out: EnvelopeVerificationOutcome, check: NotationCheck) => {
  const found: EnvelopeCheckOutcome | undefined = out.checks.find((c) => c.check === check);
  return found?.code;
};

describe('refused signatures', () => {
  let chain3: TestSigner & { root: X509Certificate; intermediate: X509Certificate };
  before(() => {
    chain3 = threeLevelSigner();
  });
  const sign = (format: 'jws' | 'cose', s: TestSigner = chain3, chain = s.chain) =>
    signEnvelope({ targetArtifact: target, format, key: s.key, chain, signingTime: new Date() });
  const verify = (bytes: Uint8Array, mediaType: string, anchors = { ca: [chain3.root] }) =>
    verifyEnvelopeSync({ ...input(bytes, mediaType, { anchors, now: NOW }), expectedSubject: target });

  it('baseline: the three-level signatures verify', () => {
    for (const format of ['jws', 'cose'] as const) {
      const env = sign(format);
      assert.equal(verify(env.bytes, env.mediaType).verdict, 'verified');
    }
  });

  it('a tampered JWS payload or signature: NOTATION_SIGNATURE_INVALID', () => {
    const env = JSON.parse(sign('jws').bytes.toString()) as Record<string, string>;
    const payload = JSON.parse(Buffer.from(env['payload']!, 'base64url').toString()) as { targetArtifact: Descriptor };
    payload.targetArtifact.size = 583;
    const tampered = { ...env, payload: Buffer.from(JSON.stringify(payload)).toString('base64url') };
    assert.equal(code(verify(Buffer.from(JSON.stringify(tampered)), JWS), 'integrity'), 'NOTATION_SIGNATURE_INVALID');
    const sig = Buffer.from(env['signature']!, 'base64url');
    sig.writeUInt8(sig.readUInt8(10) ^ 1, 10);
    assert.equal(
      code(verify(Buffer.from(JSON.stringify({ ...env, signature: sig.toString('base64url') })), JWS), 'integrity'),
      'NOTATION_SIGNATURE_INVALID',
    );
  });

  it('a tampered COSE payload or protected header: NOTATION_SIGNATURE_INVALID', () => {
    const env = sign('cose');
    const parts = (decode(env.bytes, { useMaps: true, tags: Tagged.preserve(18) }) as Tagged).value as [
      Uint8Array,
      Map<unknown, unknown>,
      Uint8Array,
      Uint8Array,
    ];
    const payload = Buffer.from(parts[2]).toString().replace('"size":582', '"size":583');
    const tampered = encode(new Tagged(18, [parts[0], parts[1], Buffer.from(payload), parts[3]]));
    assert.equal(code(verify(tampered, env.mediaType), 'integrity'), 'NOTATION_SIGNATURE_INVALID');
    const header = decode(parts[0], { useMaps: true, tags: Tagged.preserve(1) }) as Map<unknown, unknown>;
    header.set('io.cncf.notary.signingTime', new Tagged(1, 1));
    const reheadered = encode(new Tagged(18, [encode(header), parts[1], parts[2], parts[3]]));
    assert.equal(code(verify(reheadered, env.mediaType), 'integrity'), 'NOTATION_SIGNATURE_INVALID');
  });

  it('a foreign certificate swapped into x5c: the signature does not verify with it', () => {
    const env = JSON.parse(sign('jws').bytes.toString()) as { header: { x5c: string[] } };
    const foreign = selfSignedSigner('rsa:2048').chain[0]!;
    env.header.x5c = [foreign.raw.toString('base64')];
    const out = verify(Buffer.from(JSON.stringify(env)), JWS, { ca: [foreign] });
    assert.equal(code(out, 'integrity'), 'NOTATION_SIGNATURE_INVALID');
  });

  it('a foreign root in the trust store: NOTATION_UNTRUSTED_SIGNER', () => {
    const other = threeLevelSigner();
    for (const format of ['jws', 'cose'] as const) {
      const env = sign(format);
      assert.equal(code(verify(env.bytes, env.mediaType, { ca: [other.root] }), 'authenticity'), 'NOTATION_UNTRUSTED_SIGNER');
    }
  });

  it('an ECDSA signature labelled with another algorithm: refused', () => {
    const ec = selfSignedSigner('P-256');
    const env = JSON.parse(sign('jws', ec).bytes.toString()) as Record<string, string>;
    const header = JSON.parse(Buffer.from(env['protected']!, 'base64url').toString()) as Record<string, unknown>;
    header['alg'] = 'ES384';
    const relabelled = { ...env, protected: Buffer.from(JSON.stringify(header)).toString('base64url') };
    const out = verify(Buffer.from(JSON.stringify(relabelled)), JWS, { ca: ec.chain });
    assert.equal(code(out, 'integrity'), 'NOTATION_SIGNATURE_INVALID');
    assert.match(out.checks[0]?.error ?? '', /^mismatch between signature algorithm derived from signing certificate \(ECDSA-SHA-256\)/);
  });

  it('a signature for another digest: NOTATION_SUBJECT_MISMATCH', () => {
    const env = sign('jws');
    const out = verifyEnvelopeSync({
      ...input(env.bytes, env.mediaType, { anchors: { ca: [chain3.root] }, now: NOW }),
      expectedSubject: { ...target, digest: 'sha256:' + '0'.repeat(64) },
    });
    assert.equal(out.verdict, 'failed');
    assert.equal(code(out, 'integrity'), 'NOTATION_SUBJECT_MISMATCH');
  });

  it('an expired certificate without a timestamp: NOTATION_CERTIFICATE_NOT_VALID_NOW (strict), logged at permissive', () => {
    const env = sign('cose');
    const later = new Date(NOW.getTime() + 400 * 86_400_000);
    const strict = verifyEnvelopeSync(input(env.bytes, env.mediaType, { anchors: { ca: [chain3.root] }, now: later }));
    assert.equal(strict.verdict, 'failed');
    assert.equal(code(strict, 'authenticTimestamp'), 'NOTATION_CERTIFICATE_NOT_VALID_NOW');
    const permissive = verifyEnvelopeSync(
      input(env.bytes, env.mediaType, { anchors: { ca: [chain3.root] }, now: later, level: 'permissive' }),
    );
    assert.equal(permissive.verdict, 'verified');
    // with a tsa store but no countersignature, the timestamp is required
    const tsa = verifyEnvelopeSync(input(env.bytes, env.mediaType, { anchors: { ca: [chain3.root], tsa: [chain3.root] }, now: later }));
    assert.equal(code(tsa, 'authenticTimestamp'), 'NOTATION_TIMESTAMP_INVALID');
  });

  it('chains that loop, are out of order, or lack their root: NOTATION_CERTIFICATE_CHAIN_INVALID', () => {
    const [leaf, intermediate, root] = chain3.chain as [X509Certificate, X509Certificate, X509Certificate];
    const withChain = (certs: X509Certificate[]) => {
      const env = JSON.parse(sign('jws').bytes.toString()) as { header: { x5c: string[] } };
      env.header.x5c = certs.map((c) => c.raw.toString('base64'));
      return verify(Buffer.from(JSON.stringify(env)), JWS);
    };
    for (const certs of [
      [leaf, intermediate, intermediate, root],
      [leaf, intermediate, root, root],
      [leaf, root, intermediate],
      [leaf, intermediate],
      [leaf],
      [leaf, intermediate, root, leaf],
    ]) {
      const out = withChain(certs);
      assert.equal(out.verdict, 'failed');
      assert.equal(code(out, 'integrity'), 'NOTATION_CERTIFICATE_CHAIN_INVALID', out.checks[0]?.error);
    }
    assert.match(withChain([leaf, intermediate, intermediate, root]).checks[0]?.error ?? '', /twice \(a loop\)/);
  });

  it('extended attributes: non-critical ones verify; an unknown critical one without a plugin is refused', () => {
    const s = selfSignedSigner('P-384');
    const envelopeWith = (critical: string[]) => {
      const protectedText = Buffer.from(
        encodeJwsProtectedHeader(
          'ES384',
          new Date(),
          undefined,
          new Map([
            ['buildId', '42'],
            ['policy', 'strict'],
          ]),
          critical,
        ),
      ).toString('base64url');
      const payloadText = payloadBytes(target, 'jws').toString('base64url');
      const signature = signBytes('ES384', s.key, Buffer.from(`${protectedText}.${payloadText}`));
      return Buffer.from(
        JSON.stringify({
          payload: payloadText,
          protected: protectedText,
          header: { x5c: [s.chain[0]!.raw.toString('base64')] },
          signature: signature.toString('base64url'),
        }),
      );
    };
    const plain = verify(envelopeWith([]), JWS, { ca: s.chain });
    assert.equal(plain.verdict, 'verified', JSON.stringify(plain.checks));
    const critical = verify(envelopeWith(['policy']), JWS, { ca: s.chain });
    assert.equal(critical.verdict, 'failed');
    assert.equal(code(critical, 'integrity'), 'NOTATION_CRITICAL_HEADER_UNSUPPORTED');
    assert.match(critical.checks[0]?.error ?? '', /unsupported critical attributes \["policy"\]/);
  });

  const NOT_CA = ['-addext', 'basicConstraints=critical,CA:FALSE'];
  const leafRules: [string, string[], RegExp][] = [
    [
      'EKU serverAuth only',
      [...NOT_CA, '-addext', 'keyUsage=critical,digitalSignature', '-addext', 'extendedKeyUsage=serverAuth'],
      /must contain codeSigning/,
    ],
    [
      'EKU codeSigning + timeStamping',
      [...NOT_CA, '-addext', 'keyUsage=critical,digitalSignature', '-addext', 'extendedKeyUsage=codeSigning,timeStamping'],
      /must not contain timeStamping/,
    ],
    [
      'no digitalSignature',
      [...NOT_CA, '-addext', 'keyUsage=critical,keyEncipherment', '-addext', 'extendedKeyUsage=codeSigning'],
      /must contain digitalSignature/,
    ],
    ['no key usage', [...NOT_CA, '-addext', 'extendedKeyUsage=codeSigning'], /must contain digitalSignature/],
    [
      'a CA as signing leaf',
      ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,digitalSignature'],
      /CA field must be false/,
    ],
  ];
  for (const [name, extensions, message] of leafRules) {
    it(`a signing certificate with ${name}: refused when signing and when verifying`, () => {
      const s = selfSignedSigner('rsa:2048', '/C=US/ST=WA/O=Notary/CN=bad leaf', 30, extensions);
      assert.throws(
        () => sign('jws', s),
        (err: unknown) => isDctError(err, 'NOTATION_CERTIFICATE_CHAIN_INVALID') && message.test((err as Error).message),
      );
      // the envelope written without signEnvelope's checks: the verifier refuses it on its own
      const bytes = buildJwsEnvelope({ targetArtifact: target, algorithm: 'PS256', key: s.key, chain: s.chain, signingTime: new Date() });
      const out = verify(bytes, JWS, { ca: s.chain });
      assert.equal(code(out, 'integrity'), 'NOTATION_CERTIFICATE_CHAIN_INVALID');
      assert.match(out.checks[0]?.error ?? '', message);
      assert.equal(out.verdict, 'failed');
    });
  }
});
