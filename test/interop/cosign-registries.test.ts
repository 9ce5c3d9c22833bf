/**
 * cosign's real OCI attestation (cosign's own test data, `oci-attestation/`) on both
 * registries, as cosign's TestVerifyImageAttestationsSigstoreBundle uses it: the image its
 * statement names (go-containerregistry's empty image) is pushed, the bundle is attached as
 * cosign attaches it (referrer with `artifactType` bundle v0.3, through the referrers API or
 * the tag schema), then `dct cosign verify-attestation` with the snapshot trusted root and
 * identity/issuer regexps `.*` verifies it; subject regexp `wrong` finds no matching
 * attestation; the same bundle attached to another image is refused (its statement names
 * another digest).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RegistryClient } from '../../src/adapters/registry/registry-client.js';
import { RegistrySignatureStore } from '../../src/adapters/registry/signature-registry-client.js';
import { KeyedBundleVerifier } from '../../src/adapters/cosign/keyed-bundle-verifier.js';
import { SigstoreBundleVerifier } from '../../src/adapters/sigstore/bundle-verifier.js';
import { CosignFormatVerifier } from '../../src/app/cosign/cosign-format-verifier.js';
import { attachReferrer } from '../../src/app/signatures/attach-referrer.js';
import { buildBundleReferrer, bundleLayer } from '../../src/core/cosign/bundle-referrer.js';
import type { Descriptor } from '../../src/core/oci/descriptor.js';
import { DOCKER_MEDIA_TYPES, EMPTY_JSON_DESCRIPTOR } from '../../src/core/oci/media-types.js';
import { pushImage, REGISTRIES, sha256, type TestRegistry } from '../app/cosign/images/registries.js';
import { cosign } from '../app/cosign/images/run-cosign.js';
import { fixturePath, readFixture } from '../support/fixtures.js';
import { readFileSync } from 'node:fs';

const SUBJECT_DIGEST = 'sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4';
const PREDICATE = 'https://cosign.sigstore.dev/attestation/v1';

async function attach(store: RegistrySignatureStore, repo: string, subject: Descriptor): Promise<{ via: string }> {
  const bundle = readFixture('cosign', 'oci-attestation', 'oci-attestation.sigstore.json');
  const layer = bundleLayer(bundle);
  await store.writeBlob(repo, { ...EMPTY_JSON_DESCRIPTOR }, Buffer.from('{}'));
  await store.writeBlob(repo, layer, bundle);
  const referrer = buildBundleReferrer({
    bundle: layer,
    subject,
    content: 'dsse-envelope',
    predicateType: PREDICATE,
    created: '2025-02-28T19:18:11Z',
  });
  return attachReferrer(store, repo, {
    bytes: referrer.bytes,
    mediaType: referrer.mediaType,
    subject,
    artifactType: referrer.artifactType,
  });
}

for (const [name, via, start, skip] of REGISTRIES)
  describe(`cosign's OCI attestation fixture: ${name}`, { skip }, () => {
    let registry: TestRegistry;
    let store: RegistrySignatureStore;
    const root = fixturePath('cosign', 'oci-attestation', 'trusted_root_pgi.json');
    const verifyArgs = (ref: string, identity = '.*') => [
      'verify-attestation',
      '--trusted-root',
      root,
      '--certificate-identity-regexp',
      identity,
      '--certificate-oidc-issuer-regexp',
      '.*',
      ref,
    ];

    before(async () => {
      registry = await start();
      store = new RegistrySignatureStore(new RegistryClient(registry.host, {}));
      const manifest = readFixture('cosign', 'oci-attestation', 'subject-image-manifest.json');
      const config = readFixture('cosign', 'oci-attestation', 'subject-image-config.json');
      await store.writeBlob(
        'cosign/attested',
        { mediaType: DOCKER_MEDIA_TYPES.config, digest: sha256(config), size: config.length },
        config,
      );
      await store.putManifest('cosign/attested', 'v1', manifest, DOCKER_MEDIA_TYPES.manifest);
      const subject = { mediaType: DOCKER_MEDIA_TYPES.manifest, digest: sha256(manifest), size: manifest.length };
      assert.equal(subject.digest, SUBJECT_DIGEST);
      assert.equal((await attach(store, 'cosign/attested', subject)).via, via);
      const other = await pushImage(store, 'cosign/other', 'v1', 'another image');
      await attach(store, 'cosign/other', other);
    });
    after(async () => registry?.stop());

    it('verifies with the trusted root and identity and issuer regexps .*', async () => {
      const r = await cosign(verifyArgs(`${registry.host}/cosign/attested:v1`));
      assert.equal(r.code, 0, r.err);
      assert.match(r.err, /\nVerification for .*\/cosign\/attested:v1 --\n/);
      assert.match(r.err, / {2}- The code-signing certificate was verified using trusted certificate authority certificates\n$/);
      const lines = r.out.trimEnd().split('\n');
      assert.equal(lines.length, 1);
      const envelope = JSON.parse(lines[0] as string) as { payloadType: string; payload: string };
      assert.equal(envelope.payloadType, 'application/vnd.in-toto+json');
      const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString()) as {
        predicateType: string;
        subject: Array<{ digest: { sha256: string } }>;
      };
      assert.equal(statement.predicateType, PREDICATE);
      assert.equal(`sha256:${statement.subject[0]?.digest.sha256}`, SUBJECT_DIGEST);
    });

    it('finds no matching attestation for the subject regexp `wrong`', async () => {
      const r = await cosign(verifyArgs(`${registry.host}/cosign/attested:v1`, 'wrong'));
      assert.equal(r.code, 1);
      assert.match(r.err, /^Error: no matching attestations: /);
    });

    it('refuses the same bundle attached to another image', async () => {
      const r = await cosign(verifyArgs(`${registry.host}/cosign/other:v1`));
      assert.equal(r.code, 1);
      assert.match(r.err, /^Error: no matching attestations: /);
    });

    it('keeps only the wanted predicate type (--type)', async () => {
      const r = await cosign([...verifyArgs(`${registry.host}/cosign/attested:v1`), '--type', 'slsaprovenance1']);
      assert.equal(r.code, 1);
      assert.match(
        r.err,
        /Error: none of the attestations matched the predicate type: https:\/\/slsa\.dev\/provenance\/v1, found: https:\/\/cosign\.sigstore\.dev\/attestation\/v1\n/,
      );
    });

    it("dct verify reports it: verified, signed by the Fulcio identity, on the log's word", async () => {
      const verifier = new CosignFormatVerifier(() => store, {
        bundleVerifier: new KeyedBundleVerifier(new SigstoreBundleVerifier()),
        ignoreTlog: false,
        trustedRoot: JSON.parse(readFileSync(root, 'utf8')) as unknown,
      });
      const reports = await verifier.verify({ registry: registry.host, repository: 'cosign/attested', digest: SUBJECT_DIGEST });
      assert.deepEqual(
        reports.map((r) => [r.verdict, r.signer?.kind, r.signer?.san, r.signer?.issuer, r.timeSource, r.signedAt, r.foundAt.via]),
        [
          [
            'verified',
            'certificate',
            'cody@soyland.com',
            'https://github.com/login/oauth',
            'tlog',
            '2025-02-28T19:18:11.000Z',
            via === 'api' ? 'referrers-api' : 'referrers-tag',
          ],
        ],
      );
      const other = await verifier.verify({
        registry: registry.host,
        repository: 'cosign/other',
        digest: (await store.getManifest('cosign/other', 'v1'))!.digest,
      });
      assert.equal(other[0]?.verdict, 'failed');
    });
  });
