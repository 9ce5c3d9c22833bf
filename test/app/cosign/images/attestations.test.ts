/**
 * Attestations in cosign's legacy layout (`sha256-<hex>.att`: DSSE envelopes as layers) and
 * `sign --recursive` of an index, on dct's embedded registry.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RegistryClient } from '../../../../src/adapters/registry/registry-client.js';
import { RegistrySignatureStore } from '../../../../src/adapters/registry/signature-registry-client.js';
import type { CosignImage } from '../../../../src/app/cosign/cosign-image.js';
import { KeyedBundleVerifier } from '../../../../src/adapters/cosign/keyed-bundle-verifier.js';
import type { CosignVerifyOptions } from '../../../../src/app/cosign/cosign-policy.js';
import { signImage } from '../../../../src/app/cosign/sign-image.js';
import { verifyAttestation } from '../../../../src/app/cosign/verify-attestation.js';
import { verifyImage } from '../../../../src/app/cosign/verify-image.js';
import { IN_TOTO_PAYLOAD_TYPE } from '../../../../src/core/cosign/intoto-statement.js';
import {
  buildLegacySignatureManifest,
  DSSE_LAYER_MEDIA_TYPE,
  legacyLayerAnnotations,
  legacySignatureLayer,
  legacySignatureTag,
} from '../../../../src/core/cosign/legacy-signatures.js';
import { OCI_MEDIA_TYPES } from '../../../../src/core/oci/media-types.js';
import { pushImage, sha256, startEmbeddedRegistry, type TestRegistry } from './registries.js';
import { TestKeySigner } from './test-key-signer.js';

describe('cosign legacy attestations and recursive signing', () => {
  let registry: TestRegistry;
  let store: RegistrySignatureStore;
  const signer = TestKeySigner.generate();
  const image = (repo: string, reference: string): CosignImage => ({
    registry: store,
    registryHost: registry.host,
    repo,
    repository: `${registry.host}/${repo}`,
    reference,
  });
  const opts = (): CosignVerifyOptions => ({
    policy: { kind: 'key', publicKey: signer.publicKey },
    bundleVerifier: new KeyedBundleVerifier(),
    ignoreTlog: true,
  });

  before(async () => {
    registry = await startEmbeddedRegistry();
    store = new RegistrySignatureStore(new RegistryClient(registry.host, {}));
  });
  after(async () => registry?.stop());

  it('verifies a legacy .att attestation for its digest and predicate type, and refuses it for another image', async () => {
    const d = await pushImage(store, 'cosign/att', 'v1', 'attested');
    const other = await pushImage(store, 'cosign/att', 'v2', 'other');
    const statement = Buffer.from(
      JSON.stringify({
        _type: 'https://in-toto.io/Statement/v0.1',
        predicateType: 'https://slsa.dev/provenance/v1',
        subject: [{ name: 'app', digest: { sha256: d.digest.slice(7) } }],
        predicate: { builder: { id: 'ci' } },
      }),
    );
    const signed = await signer.sign({ kind: 'dsse', payload: statement, payloadType: IN_TOTO_PAYLOAD_TYPE }, { tlogUpload: false });
    const envelope = Buffer.from(JSON.stringify((signed.bundle as { dsseEnvelope: unknown }).dsseEnvelope));
    const layer = legacySignatureLayer(envelope, DSSE_LAYER_MEDIA_TYPE, legacyLayerAnnotations({ signature: '' }));
    await store.writeBlob('cosign/att', layer, envelope);
    const built = buildLegacySignatureManifest([layer]);
    await store.writeBlob('cosign/att', built.configDescriptor, built.config);
    for (const target of [d, other])
      await store.putManifest('cosign/att', legacySignatureTag(target.digest, 'att'), built.manifest, built.mediaType);

    const ok = await verifyAttestation({
      ...opts(),
      image: image('cosign/att', 'v1'),
      predicateType: 'https://slsa.dev/provenance/v1',
      newBundleFormat: true,
    });
    assert.equal(ok.layout, 'legacy');
    assert.equal(ok.verified.length, 1);
    assert.equal(ok.verified[0]?.envelopeJson, envelope.toString());
    await assert.rejects(
      verifyAttestation({
        ...opts(),
        image: image('cosign/att', 'v1'),
        predicateType: 'https://cosign.sigstore.dev/attestation/v1',
        newBundleFormat: true,
      }),
      { code: 'COSIGN_PREDICATE_TYPE_MISMATCH' },
    );
    await assert.rejects(
      verifyAttestation({
        ...opts(),
        image: image('cosign/att', 'v2'),
        predicateType: 'https://slsa.dev/provenance/v1',
        newBundleFormat: true,
      }),
      (err: Error & { code?: string; cause?: { code?: string } }) => {
        assert.equal(err.code, 'COSIGN_NO_MATCHING_ATTESTATIONS');
        assert.equal(err.cause?.code, 'COSIGN_DIGEST_MISMATCH');
        return true;
      },
    );
  });

  it('--recursive signs an index and each manifest it lists', async () => {
    const a = await pushImage(store, 'cosign/multi', 'a', 'arch a');
    const b = await pushImage(store, 'cosign/multi', 'b', 'arch b');
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MEDIA_TYPES.index, manifests: [a, b] }));
    await store.putManifest('cosign/multi', 'v1', index, OCI_MEDIA_TYPES.index);
    const signed = await signImage({ image: image('cosign/multi', 'v1'), signer, format: 'bundle', tlogUpload: false, recursive: true });
    assert.deepEqual(
      signed.map((s) => s.digest),
      [sha256(index), a.digest, b.digest],
    );
    for (const digest of [sha256(index), a.digest, b.digest]) {
      const v = await verifyImage({ ...opts(), image: image('cosign/multi', digest), displayName: digest, newBundleFormat: true });
      assert.equal(v.verified[0]?.digest, digest);
    }
    const single = await signImage({ image: image('cosign/multi', 'v1'), signer, format: 'legacy', tlogUpload: false });
    assert.equal(single.length, 1);
  });
});
