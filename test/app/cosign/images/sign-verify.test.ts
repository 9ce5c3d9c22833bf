/**
 * cosign's image use cases on both registries: sign then verify in both layouts (bundle
 * referrer through the referrers API or the tag schema; the legacy `.sig` tag), and each bad
 * signature refused with its own code: a tampered payload, a foreign key, a signature for
 * another digest, a signature artifact of the wrong manifest type, a referrers list of 10,000.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { RegistryClient } from '../../../../src/adapters/registry/registry-client.js';
import { RegistrySignatureStore } from '../../../../src/adapters/registry/signature-registry-client.js';
import { CosignFormatVerifier } from '../../../../src/app/cosign/cosign-format-verifier.js';
import type { CosignImage } from '../../../../src/app/cosign/cosign-image.js';
import { KeyedBundleVerifier } from '../../../../src/adapters/cosign/keyed-bundle-verifier.js';
import type { CosignVerifyOptions } from '../../../../src/app/cosign/cosign-policy.js';
import { signImage } from '../../../../src/app/cosign/sign-image.js';
import { attachReferrer } from '../../../../src/app/signatures/attach-referrer.js';
import { verifyImage } from '../../../../src/app/cosign/verify-image.js';
import { BUNDLE_V03_MEDIA_TYPE } from '../../../../src/core/cosign/bundle-referrer.js';
import { buildLegacySignatureManifest, legacySignatureTag } from '../../../../src/core/cosign/legacy-signatures.js';
import type { Descriptor } from '../../../../src/core/oci/descriptor.js';
import { OCI_MEDIA_TYPES } from '../../../../src/core/oci/media-types.js';
import type { SignatureRegistry } from '../../../../src/core/signatures/signature-registry.js';
import { pushImage, REGISTRIES, sha256, type TestRegistry } from './registries.js';
import { TestKeySigner } from './test-key-signer.js';

for (const [name, via, start, skip] of REGISTRIES)
  describe(`cosign sign and verify: ${name}`, { skip }, () => {
    let registry: TestRegistry;
    let store: RegistrySignatureStore;
    const signer = TestKeySigner.generate();
    const other = TestKeySigner.generate();
    const image = (repo: string, reference: string, s: SignatureRegistry = store): CosignImage => ({
      registry: s,
      registryHost: registry.host,
      repo,
      repository: `${registry.host}/${repo}`,
      reference,
    });
    const opts = (key = signer.publicKey): CosignVerifyOptions => ({
      policy: { kind: 'key', publicKey: key },
      bundleVerifier: new KeyedBundleVerifier(),
      ignoreTlog: true,
    });
    const verify = (img: CosignImage, newBundleFormat: boolean, key = signer.publicKey, annotations?: Record<string, string>) =>
      verifyImage({
        image: img,
        displayName: `${img.repository}:${img.reference}`,
        newBundleFormat,
        ...opts(key),
        ...(annotations ? { annotations } : {}),
      });

    before(async () => {
      registry = await start();
      store = new RegistrySignatureStore(new RegistryClient(registry.host, {}));
    });
    after(async () => registry?.stop());

    it(`signs in cosign 3's bundle layout (referrer via ${via}) and verifies it`, async () => {
      const pushed = await pushImage(store, 'cosign/bundle', 'v1', 'bundle image');
      const [signed] = await signImage({
        image: image('cosign/bundle', 'v1'),
        signer,
        format: 'bundle',
        tlogUpload: false,
        annotations: { env: 'prod' },
      });
      assert.equal(signed?.digest, pushed.digest);
      assert.equal(signed?.referrer?.via, via);
      const referrers = await store.referrers('cosign/bundle', pushed.digest);
      assert.equal(referrers.manifests.length, 1);
      assert.equal(referrers.manifests[0]?.artifactType, BUNDLE_V03_MEDIA_TYPE);

      const result = await verify(image('cosign/bundle', 'v1'), true, signer.publicKey, { env: 'prod' });
      assert.equal(result.layout, 'bundle');
      assert.deepEqual(
        result.verified.map((v) => [v.digest, v.type, v.optional]),
        [[pushed.digest, 'https://sigstore.dev/cosign/sign/v1', { env: 'prod' }]],
      );
      assert.equal(result.reports[0]?.verdict, 'verified');
      assert.equal(result.reports[0]?.foundAt.via, via === 'api' ? 'referrers-api' : 'referrers-tag');
      await assert.rejects(
        verify(image('cosign/bundle', 'v1'), true, signer.publicKey, { env: 'dev' }),
        (err: Error & { code?: string }) => {
          assert.equal(err.code, 'COSIGN_NO_MATCHING_ATTESTATIONS');
          assert.match(err.message, /missing or incorrect annotation/);
          return true;
        },
      );
      await assert.rejects(verify(image('cosign/bundle', 'v1'), true, other.publicKey), { code: 'COSIGN_NO_MATCHING_ATTESTATIONS' });
    });

    it('signs in the legacy layout (sha256-<hex>.sig), adds a second signer, does not add the same signature twice', async () => {
      const pushed = await pushImage(store, 'cosign/legacy', 'v1', 'legacy image');
      const img = image('cosign/legacy', 'v1');
      const [first] = await signImage({ image: img, signer, format: 'legacy', tlogUpload: false });
      assert.equal(first?.signatureTag, legacySignatureTag(pushed.digest, 'sig'));
      assert.equal(first?.alreadySigned, false);
      const [again] = await signImage({ image: img, signer, format: 'legacy', tlogUpload: false });
      assert.equal(again?.alreadySigned, true);
      await signImage({ image: img, signer: other, format: 'legacy', tlogUpload: false });
      const sig = await store.getManifest('cosign/legacy', legacySignatureTag(pushed.digest, 'sig'));
      assert.equal((JSON.parse(sig!.bytes.toString()) as { layers: unknown[] }).layers.length, 2);

      const result = await verify(img, true);
      assert.equal(result.layout, 'legacy');
      assert.equal(result.verified.length, 1);
      assert.equal(result.verified[0]?.digest, pushed.digest);
      assert.equal(result.verified[0]?.dockerReference, `${registry.host}/cosign/legacy`);
      assert.deepEqual(
        result.reports.map((r) => [r.verdict, r.code ?? '']),
        [
          ['verified', ''],
          ['failed', 'COSIGN_SIGNATURE_INVALID'],
        ],
      );
    });

    it('refuses a tampered payload, a foreign key and a signature made for another digest, each with its code', async () => {
      const a = await pushImage(store, 'cosign/bad', 'a', 'image a');
      const b = await pushImage(store, 'cosign/bad', 'b', 'image b');
      const c = await pushImage(store, 'cosign/bad', 'c', 'image c');
      await signImage({ image: image('cosign/bad', 'a'), signer, format: 'legacy', tlogUpload: false });
      const sigA = await store.getManifest('cosign/bad', legacySignatureTag(a.digest, 'sig'));
      const layerA = (JSON.parse(sigA!.bytes.toString()) as { layers: Descriptor[] }).layers[0] as Descriptor;

      // another digest: a's signature copied to b's signature tag
      await store.putManifest('cosign/bad', legacySignatureTag(b.digest, 'sig'), sigA!.bytes, sigA!.mediaType);
      await assert.rejects(verify(image('cosign/bad', 'b'), false), (err: Error & { code?: string; cause?: { code?: string } }) => {
        assert.equal(err.code, 'COSIGN_NO_MATCHING_SIGNATURES');
        assert.equal(err.cause?.code, 'COSIGN_DIGEST_MISMATCH');
        assert.match(err.message, new RegExp(`invalid or missing digest in claim: ${a.digest}`));
        return true;
      });

      // --check-claims=false: the signature alone, as cosign then accepts it
      const lax = await verifyImage({
        image: image('cosign/bad', 'b'),
        displayName: 'x',
        newBundleFormat: false,
        ...opts(),
        checkClaims: false,
      });
      assert.equal(lax.verified[0]?.digest, a.digest);

      // tampered: c's payload with a's signature
      const payloadC = Buffer.from(
        `{"critical":{"identity":{"docker-reference":"${registry.host}/cosign/bad"},"image":{"docker-manifest-digest":"${c.digest}"},"type":"cosign container image signature"},"optional":null}`,
      );
      await store.writeBlob('cosign/bad', { mediaType: layerA.mediaType, digest: sha256(payloadC), size: payloadC.length }, payloadC);
      const tampered = buildLegacySignatureManifest([{ ...layerA, digest: sha256(payloadC), size: payloadC.length }]);
      await store.writeBlob('cosign/bad', tampered.configDescriptor, tampered.config);
      await store.putManifest('cosign/bad', legacySignatureTag(c.digest, 'sig'), tampered.manifest, tampered.mediaType);
      await assert.rejects(verify(image('cosign/bad', 'c'), false), (err: Error & { code?: string; cause?: { code?: string } }) => {
        assert.equal(err.cause?.code, 'COSIGN_SIGNATURE_INVALID');
        assert.match(err.message, /^no matching signatures: invalid signature when validating ASN\.1 encoded signature$/);
        return true;
      });

      // foreign key
      const foreign = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
      await assert.rejects(
        verify(image('cosign/bad', 'a'), false, foreign),
        (err: Error & { code?: string; cause?: { code?: string } }) => {
          assert.equal(err.code, 'COSIGN_NO_MATCHING_SIGNATURES');
          assert.equal(err.cause?.code, 'COSIGN_SIGNATURE_INVALID');
          return true;
        },
      );
      // without --insecure-ignore-tlog a keyed signature with no log entry is refused
      await assert.rejects(
        verifyImage({ image: image('cosign/bad', 'a'), displayName: 'x', newBundleFormat: false, ...opts(), ignoreTlog: false }),
        (err: Error & { cause?: { code?: string } }) => {
          assert.equal(err.cause?.code, 'COSIGN_TLOG_REQUIRED');
          return true;
        },
      );
    });

    it('refuses a signature artifact of the wrong manifest type, and an image without signatures', async () => {
      const d = await pushImage(store, 'cosign/wrong', 'v1', 'wrong type');
      await assert.rejects(verify(image('cosign/wrong', 'v1'), true), { code: 'COSIGN_NO_SIGNATURES', message: 'no signatures found' });
      const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MEDIA_TYPES.index, manifests: [d] }));
      await store.putManifest('cosign/wrong', legacySignatureTag(d.digest, 'sig'), index, OCI_MEDIA_TYPES.index);
      await assert.rejects(verify(image('cosign/wrong', 'v1'), true), { code: 'COSIGN_INVALID_SIGNATURE_MANIFEST' });
      await assert.rejects(verify(image('cosign/wrong', 'nope'), true), { code: 'COSIGN_IMAGE_NOT_FOUND' });
    });

    it('skips a referrer that says it is a bundle and is not (as cosign), and reports it with its code', async () => {
      const d = await pushImage(store, 'cosign/broken', 'v1', 'broken bundle');
      const junk = Buffer.from('not a bundle');
      const junkLayer = { mediaType: 'application/octet-stream', digest: sha256(junk), size: junk.length };
      await store.writeBlob('cosign/broken', junkLayer, junk);
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MEDIA_TYPES.manifest,
          artifactType: BUNDLE_V03_MEDIA_TYPE,
          config: {
            mediaType: 'application/vnd.oci.empty.v1+json',
            digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
            size: 2,
          },
          layers: [junkLayer],
          subject: d,
        }),
      );
      await attachReferrer(store, 'cosign/broken', { bytes: manifest, mediaType: OCI_MEDIA_TYPES.manifest, subject: d });
      await assert.rejects(verify(image('cosign/broken', 'v1'), true), { code: 'COSIGN_NO_SIGNATURES' });
      await signImage({ image: image('cosign/broken', 'v1'), signer, format: 'legacy', tlogUpload: false });
      const result = await verify(image('cosign/broken', 'v1'), true);
      assert.equal(result.layout, 'legacy');
      const reports = await new CosignFormatVerifier(() => store, { ...opts(), policies: [opts().policy] }).verify({
        registry: registry.host,
        repository: 'cosign/broken',
        digest: d.digest,
      });
      assert.deepEqual(
        reports.map((r) => [r.verdict, r.code ?? '']),
        [
          ['failed', 'COSIGN_INVALID_BUNDLE_REFERRER'],
          ['verified', ''],
        ],
      );
    });

    it('refuses a list of 10,000 bundle referrers before reading any', async () => {
      const d = await pushImage(store, 'cosign/many', 'v1', 'many referrers');
      const many: Descriptor[] = Array.from({ length: 10_000 }, (_, i) => ({
        mediaType: OCI_MEDIA_TYPES.manifest,
        digest: sha256(Buffer.from(String(i))),
        size: 100,
        artifactType: BUNDLE_V03_MEDIA_TYPE,
      }));
      let reads = 0;
      const flooded: SignatureRegistry = {
        ...bind(store),
        referrers: () => Promise.resolve({ manifests: many, via: 'api' }),
        getManifest: (repo, ref, accept) => {
          // a referrer's manifest (by digest); the legacy `.sig` tag is looked up beside the referrers
          if (ref.startsWith('sha256:')) reads++;
          return store.getManifest(repo, ref, accept);
        },
      };
      await assert.rejects(verify(image('cosign/many', 'v1', flooded), true), { code: 'COSIGN_TOO_MANY_SIGNATURES' });
      assert.equal(reads, 0);
      const reports = await new CosignFormatVerifier(() => flooded, { ...opts(), policies: [opts().policy] }).verify({
        registry: registry.host,
        repository: 'cosign/many',
        digest: d.digest,
      });
      assert.deepEqual(
        reports.map((r) => r.code),
        ['COSIGN_TOO_MANY_SIGNATURES'],
      );
    });

    it('reports every signature of both layouts for dct verify', async () => {
      const d = await pushImage(store, 'cosign/both', 'v1', 'both layouts');
      await signImage({ image: image('cosign/both', 'v1'), signer, format: 'bundle', tlogUpload: false });
      await signImage({ image: image('cosign/both', 'v1'), signer, format: 'legacy', tlogUpload: false });
      await signImage({ image: image('cosign/both', 'v1'), signer: other, format: 'legacy', tlogUpload: false });
      const reports = await new CosignFormatVerifier(() => store, { ...opts(), policies: [opts().policy] }).verify({
        registry: registry.host,
        repository: 'cosign/both',
        digest: d.digest,
      });
      assert.deepEqual(
        reports.map((r) => [r.format, r.subject, r.verdict, r.code ?? '', r.foundAt.via, r.signer?.kind ?? '']),
        [
          ['cosign', d.digest, 'verified', '', via === 'api' ? 'referrers-api' : 'referrers-tag', 'key'],
          ['cosign', d.digest, 'verified', '', 'cosign-tag', 'key'],
          ['cosign', d.digest, 'failed', 'COSIGN_SIGNATURE_INVALID', 'cosign-tag', ''],
        ],
      );
    });
  });

function bind(store: RegistrySignatureStore): SignatureRegistry {
  return {
    getManifest: (...a) => store.getManifest(...a),
    putManifest: (...a) => store.putManifest(...a),
    readBlob: (...a) => store.readBlob(...a),
    writeBlob: (...a) => store.writeBlob(...a),
    referrers: (...a) => store.referrers(...a),
    supportsReferrersApi: (...a) => store.supportsReferrersApi(...a),
  };
}
