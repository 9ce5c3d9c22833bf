/**
 * signEnvelope: JWS and COSE round trips with RSA and ECDSA keys (made by openssl) and the
 * notation e2e key pair, the structure notation writes (header order, payload, media types),
 * and refusals (small RSA keys, a key that is not the leaf's, a broken chain).
 */
import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { decode, Tagged } from 'cborg';
import { signEnvelope } from '../../../../src/adapters/notation/envelope/sign-envelope.js';
import { verifyEnvelopeSync } from '../../../../src/adapters/notation/envelope/verify-envelope.js';
import { isDctError } from '../../../../src/core/errors.js';
import type { Descriptor } from '../../../../src/core/oci/descriptor.js';
import { COSE, JWS, input, notationFixture } from './notation-fixtures.js';
import { selfSignedSigner, threeLevelSigner, type TestSigner } from './test-certificates.js';

const target: Descriptor = {
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest: 'sha256:b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9',
  size: 517,
};
const signingTime = new Date('2026-03-01T10:20:30.456Z');
/** the openssl certificates start now */
const NOW = new Date(Date.now() + 60_000);

const e2e: TestSigner = {
  key: createPrivateKey(notationFixture('notation-cli', 'localkeys', 'e2e.key')),
  chain: [new X509Certificate(notationFixture('notation-cli', 'localkeys', 'e2e.crt'))],
};

const b64json = (s: string) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as Record<string, unknown>;

describe('signEnvelope', () => {
  const signers = new Map<string, TestSigner>();
  before(() => {
    for (const kind of ['rsa:2048', 'rsa:3072', 'P-256', 'P-384', 'P-521']) signers.set(kind, selfSignedSigner(kind));
  });

  const expectedAlg: Record<string, [string, number]> = {
    'rsa:2048': ['PS256', -37],
    'rsa:3072': ['PS384', -38],
    'P-256': ['ES256', -7],
    'P-384': ['ES384', -35],
    'P-521': ['ES512', -36],
  };

  for (const format of ['jws', 'cose'] as const) {
    for (const kind of Object.keys(expectedAlg)) {
      it(`${format} with ${kind}: verifies with its certificate as a ca anchor, uses ${expectedAlg[kind]![0]}`, () => {
        const s = signers.get(kind)!;
        const signedAt = new Date();
        const env = signEnvelope({
          targetArtifact: target,
          format,
          key: s.key,
          chain: s.chain,
          signingTime: signedAt,
          signingAgent: 'dct/test',
        });
        assert.equal(env.mediaType, format === 'jws' ? JWS : COSE);
        const out = verifyEnvelopeSync({
          ...input(env.bytes, env.mediaType, { anchors: { ca: [s.chain[0]!] }, now: NOW }),
          expectedSubject: target,
        });
        assert.equal(out.verdict, 'verified', JSON.stringify(out.checks));
        assert.equal(out.signingTime, new Date(Math.floor(signedAt.getTime() / 1000) * 1000).toISOString());
        assert.deepEqual(out.targetArtifact, target);
        if (format === 'jws') {
          const envelope = JSON.parse(env.bytes.toString()) as Record<string, string>;
          assert.equal(b64json(envelope['protected']!)['alg'], expectedAlg[kind]![0]);
        } else {
          const msg = decode(env.bytes, { useMaps: true, tags: Tagged.preserve(18) }) as Tagged;
          const header = decode((msg.value as Uint8Array[])[0]!, { useMaps: true, tags: Tagged.preserve(1) }) as Map<unknown, unknown>;
          assert.equal(header.get(1), expectedAlg[kind]![1]);
        }
      });
    }
  }

  it('writes the JWS as notation does: top-level and header field order, sorted protected header, sorted payload', () => {
    const env = signEnvelope({
      targetArtifact: { ...target, annotations: { purpose: 'e2e', 'a<b': 'x&y' } },
      format: 'jws',
      key: e2e.key,
      chain: e2e.chain,
      signingTime,
      expiry: new Date('2026-03-02T10:20:30Z'),
      signingAgent: 'notation-go/1.3.0',
    });
    const text = env.bytes.toString();
    assert.match(
      text,
      /^\{"payload":"[\w-]+","protected":"[\w-]+","header":\{"x5c":\["[\w+/=]+"\],"io\.cncf\.notary\.signingAgent":"notation-go\/1\.3\.0"\},"signature":"[\w-]+"\}$/,
    );
    const envelope = JSON.parse(text) as Record<string, string>;
    assert.equal(
      Buffer.from(envelope['protected']!, 'base64url').toString(),
      '{"alg":"PS256","crit":["io.cncf.notary.signingScheme","io.cncf.notary.expiry"],"cty":"application/vnd.cncf.notary.payload.v1+json",' +
        '"io.cncf.notary.expiry":"2026-03-02T10:20:30Z","io.cncf.notary.signingScheme":"notary.x509","io.cncf.notary.signingTime":"2026-03-01T10:20:30Z"}',
    );
    assert.equal(
      Buffer.from(envelope['payload']!, 'base64url').toString(),
      '{"targetArtifact":{"annotations":{"a\\u003cb":"x\\u0026y","purpose":"e2e"},"digest":"sha256:b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9","mediaType":"application/vnd.oci.image.manifest.v1+json","size":517}}',
    );
    const out = verifyEnvelopeSync(input(env.bytes, env.mediaType, { anchors: { ca: e2e.chain }, now: NOW }));
    assert.equal(out.verdict, 'failed'); // expired on 2026-03-02
    assert.equal(out.checks.find((c) => c.check === 'expiry')?.error, 'digital signature has expired on "Mon, 02 Mar 2026 10:20:30 +0000"');
    assert.deepEqual(out.userMetadata, { purpose: 'e2e', 'a<b': 'x&y' });
  });

  it('writes the COSE_Sign1 as notation does: tag 18, x5chain label 33, payload in OCI field order', () => {
    const env = signEnvelope({ targetArtifact: target, format: 'cose', key: e2e.key, chain: e2e.chain, signingTime, signingAgent: 'dct' });
    assert.deepEqual([...env.bytes.subarray(0, 2)], [0xd2, 0x84]);
    const msg = decode(env.bytes, { useMaps: true, tags: Tagged.preserve(18) }) as Tagged;
    const [prot, unprot, payload] = msg.value as [Uint8Array, Map<unknown, unknown>, Uint8Array];
    assert.equal(
      Buffer.from(prot).toString('hex'),
      // {1: -37, 2: ["io.cncf.notary.signingScheme"], 3: "application/vnd.cncf.notary.payload.v1+json",
      //  "io.cncf.notary.signingTime": 1(1772360430), "io.cncf.notary.signingScheme": "notary.x509"}
      'a50138240281781c696f2e636e63662e6e6f746172792e7369676e696e67536368656d6503782b6170706c69636174696f6e2f766e642e636e63662e6e6f746172792e7061796c6f61642e76312b6a736f6e781a696f2e636e63662e6e6f746172792e7369676e696e6754696d65c11a69a412ee781c696f2e636e63662e6e6f746172792e7369676e696e67536368656d656b6e6f746172792e78353039',
    );
    assert.deepEqual([...unprot.keys()], [33, 'io.cncf.notary.signingAgent']);
    const annotated = signEnvelope({
      targetArtifact: { ...target, annotations: { z: '1', a: '2' } },
      format: 'cose',
      key: e2e.key,
      chain: e2e.chain,
      signingTime,
    });
    const annotatedPayload = ((decode(annotated.bytes, { useMaps: true, tags: Tagged.preserve(18) }) as Tagged).value as Uint8Array[])[2]!;
    assert.match(Buffer.from(annotatedPayload).toString(), /"size":517,"annotations":\{"a":"2","z":"1"\}\}\}$/);
    assert.equal(
      Buffer.from(payload).toString(),
      '{"targetArtifact":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9","size":517}}',
    );
  });

  it('signs with the notation e2e key pair (e2e.key + e2e.crt) in both formats; each verifies against e2e.crt', () => {
    for (const format of ['jws', 'cose'] as const) {
      const env = signEnvelope({ targetArtifact: target, format, key: e2e.key, chain: e2e.chain, signingTime, signingAgent: 'dct' });
      const out = verifyEnvelopeSync({
        ...input(env.bytes, env.mediaType, {
          anchors: { ca: e2e.chain },
          now: NOW,
          identities: ['x509.subject:CN=e2e,O=Notary,L=Seattle,ST=WA,C=US'],
        }),
        expectedSubject: target,
      });
      assert.equal(out.verdict, 'verified', JSON.stringify(out.checks));
    }
  });

  it('signs with a three-level chain; the envelope carries it leaf first and verifies against the root', () => {
    const s = threeLevelSigner();
    for (const format of ['jws', 'cose'] as const) {
      const env = signEnvelope({ targetArtifact: target, format, key: s.key, chain: s.chain, signingTime: new Date() });
      const out = verifyEnvelopeSync(
        input(env.bytes, env.mediaType, {
          anchors: { ca: [s.root] },
          now: NOW,
          identities: ['x509.subject:C=US,ST=WA,O=Notary,CN=dct test leaf'],
        }),
      );
      assert.equal(out.verdict, 'verified', JSON.stringify(out.checks));
      assert.equal(out.chain.length, 3);
    }
  });

  it('refuses to sign at a time the certificate is not valid (NOTATION_CERTIFICATE_NOT_VALID_NOW)', () => {
    const s = signers.get('P-256')!;
    for (const at of [new Date('2020-01-01T00:00:00Z'), new Date(Date.now() + 400 * 86_400_000)])
      assert.throws(
        () => signEnvelope({ targetArtifact: target, format: 'cose', key: s.key, chain: s.chain, signingTime: at }),
        (err: unknown) =>
          isDctError(err, 'NOTATION_CERTIFICATE_NOT_VALID_NOW') && /was invalid at signing time/.test((err as Error).message),
      );
  });

  it('refuses RSA keys under 2048 bits, other key types, a key that is not the leaf’s, and an empty chain', () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    const ed = generateKeyPairSync('ed25519').privateKey;
    const base = { targetArtifact: target, format: 'jws' as const, chain: e2e.chain, signingTime };
    for (const [key, code] of [
      [small, 'NOTATION_SIGNING_KEY_UNSUPPORTED'],
      [ed, 'NOTATION_SIGNING_KEY_UNSUPPORTED'],
      [signers.get('rsa:2048')!.key, 'NOTATION_SIGNING_KEY_UNSUPPORTED'],
    ] as const)
      assert.throws(
        () => signEnvelope({ ...base, key }),
        (err: unknown) => isDctError(err, code),
      );
    assert.throws(
      () => signEnvelope({ ...base, key: e2e.key, chain: [] }),
      (err: unknown) => isDctError(err, 'NOTATION_CERTIFICATE_CHAIN_INVALID'),
    );
    const s = threeLevelSigner();
    assert.throws(
      () => signEnvelope({ ...base, key: s.key, chain: [s.chain[0]!, s.root] }),
      (err: unknown) => isDctError(err, 'NOTATION_CERTIFICATE_CHAIN_INVALID'),
    );
  });
});
