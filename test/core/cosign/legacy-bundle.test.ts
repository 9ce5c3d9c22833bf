/**
 * A legacy cosign signature (payload, signature, certificate, Rekor bundle annotation) turned
 * into the Sigstore bundle holding the same evidence, checked by the Sigstore bundle verifier:
 * made from a real Rekor-logged message signature (sigstore-js's v0.1 fixture, as cosign would
 * have stored it in the `.sig` layout), it verifies for its identity and is refused for
 * another artifact or identity.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SigstoreBundleVerifier } from '../../../src/adapters/sigstore/bundle-verifier.js';
import { legacySignatureBundle, parseRekorBundle, rekorBundleAnnotation } from '../../../src/core/cosign/legacy-bundle.js';
import { readFixture } from '../../support/fixtures.js';

interface V01 {
  verificationMaterial: { x509CertificateChain: { certificates: Array<{ rawBytes: string }> } };
  messageSignature: { signature: string };
}

const dir = ['cosign', 'sigstore-js', 'client-fixtures'];
const fixture = JSON.parse(readFixture(...dir, 'v0.1-messageSignature-withSigningCert.sigstore.json').toString()) as V01;
const trustedRoot = JSON.parse(readFixture(...dir, 'trusted_root.json').toString()) as unknown;
const artifact = readFixture(...dir, 'artifact.txt');
const pem = (der: string) => `-----BEGIN CERTIFICATE-----\n${der.replace(/(.{64})/g, '$1\n').trimEnd()}\n-----END CERTIFICATE-----\n`;
const certs = fixture.verificationMaterial.x509CertificateChain.certificates.map((c) => pem(c.rawBytes));
const annotation = rekorBundleAnnotation(fixture);
const policy = { kind: 'identity' as const, identity: { exact: 'brian@dehamer.com' }, issuer: { exact: 'https://github.com/login/oauth' } };

describe('legacy cosign signature as a Sigstore bundle', () => {
  it("writes the Rekor bundle annotation in cosign's layout", () => {
    assert.ok(annotation);
    assert.match(
      annotation,
      /^\{"SignedEntryTimestamp":"MEUCIFUNcHgH[^"]+","Payload":\{"body":"eyJ[^"]+","integratedTime":1667957590,"logIndex":6757503,"logID":"c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d"\}\}$/,
    );
    assert.throws(() => parseRekorBundle('{"Payload":{}}'), { code: 'COSIGN_INVALID_SIGNATURE_MANIFEST' });
  });

  const legacy = (payload: Buffer) =>
    legacySignatureBundle({
      payload,
      signature: fixture.messageSignature.signature,
      certificatePem: certs[0],
      chainPem: certs.slice(1).join(''),
      rekorBundle: parseRekorBundle(annotation as string),
    });

  it('verifies through the Sigstore bundle verifier (certificate, SET, identity)', async () => {
    const v = await new SigstoreBundleVerifier().verify(legacy(artifact), { bytes: artifact }, policy, { trustedRoot });
    assert.equal(v.signer.kind, 'certificate');
    assert.equal(v.signer.san, 'brian@dehamer.com');
    assert.equal(v.timeSource, 'tlog');
  });

  it('is refused for another payload and another identity', async () => {
    const other = Buffer.from('hello, world?');
    await assert.rejects(new SigstoreBundleVerifier().verify(legacy(other), { bytes: other }, policy, { trustedRoot }));
    await assert.rejects(
      new SigstoreBundleVerifier().verify(
        legacy(artifact),
        { bytes: artifact },
        { ...policy, identity: { exact: 'mallory@example.com' } },
        { trustedRoot },
      ),
    );
  });
});
