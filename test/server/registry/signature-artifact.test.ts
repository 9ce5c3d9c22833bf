/**
 * The pull gate and signature artifacts: cosign's and Notation's signature manifests
 * (referrers, cosign's `sha256-<hex>.sig` tag, the tag schema's referrers index) are
 * served in a gated repository without a DCT signature of their own — verifiers must
 * read them — while anything that can carry a filesystem stays gated, `subject` or not:
 * an image manifest with a subject, a docker schema 2 manifest, a multi-arch index, a
 * `.sig`-tagged manifest with tar layers. Unit cases for the classifier, then end to end
 * on a server whose gated repository has no trust data at all (every image refused).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isFilesystemLayer, signatureArtifactKind } from '../../../src/server/registry/signature-artifact.js';
import {
  buildImage,
  buildIndex,
  DOCKER_MANIFEST,
  OCI_INDEX,
  OCI_MANIFEST,
  pushImage,
  Raw,
  sha256,
  startTestServer,
  type TestServer,
} from './support.js';

const EMPTY = Buffer.from('{}');
const SUBJECT = { mediaType: OCI_MANIFEST, digest: sha256('subject'), size: 7 };

function manifest(doc: Record<string, unknown>, mediaType = OCI_MANIFEST) {
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, ...doc }));
  return { mediaType, data: bytes, bytes, digest: sha256(bytes), size: bytes.length };
}

const layer = (mediaType: string, payload = 'payload') => {
  const b = Buffer.from(payload);
  return { mediaType, digest: sha256(b), size: b.length };
};
const emptyConfig = { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(EMPTY), size: 2 };

describe('signature artifacts (classifier)', () => {
  it('filesystem layer types', () => {
    for (const t of [
      'application/vnd.oci.image.layer.v1.tar',
      'application/vnd.oci.image.layer.v1.tar+gzip',
      'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
      'application/vnd.docker.image.rootfs.diff.tar.gzip',
      'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
      'application/x-tar',
      'application/octet-stream',
    ])
      assert.equal(isFilesystemLayer(t), true, t);
    for (const t of [
      'application/jose+json',
      'application/cose',
      'application/vnd.dev.cosign.simplesigning.v1+json',
      'application/vnd.dev.sigstore.bundle.v0.3+json',
      'application/vnd.dsse.envelope.v1+json',
      'application/spdx+json',
    ])
      assert.equal(isFilesystemLayer(t), false, t);
  });

  it('referrers, cosign tags and referrers indexes pass; images (subject or not), docker manifests, platform indexes do not', () => {
    const notation = manifest({
      artifactType: 'application/vnd.cncf.notary.signature',
      config: emptyConfig,
      layers: [layer('application/jose+json')],
      subject: SUBJECT,
    });
    assert.equal(signatureArtifactKind(notation), 'referrer');
    const bundle = manifest({
      artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      config: emptyConfig,
      layers: [layer('application/vnd.dev.sigstore.bundle.v0.3+json')],
      subject: SUBJECT,
    });
    assert.equal(signatureArtifactKind(bundle), 'referrer');
    const cosignSig = manifest({
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256('c'), size: 1 },
      layers: [layer('application/vnd.dev.cosign.simplesigning.v1+json')],
    });
    const sigTag = `sha256-${'ab'.repeat(32)}.sig`;
    assert.equal(signatureArtifactKind(cosignSig, sigTag), 'cosign-tag');
    assert.equal(signatureArtifactKind(cosignSig, `sha256-${'ab'.repeat(32)}.att`), 'cosign-tag');
    assert.equal(signatureArtifactKind(cosignSig), undefined, 'by digest, without a subject: gated');
    assert.equal(signatureArtifactKind(cosignSig, 'latest'), undefined);
    assert.equal(signatureArtifactKind(cosignSig, `sha256-${'ab'.repeat(32)}.sig.x`), undefined);

    // an image that merely has a subject is still an image
    const image = manifest({
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256('c'), size: 1 },
      layers: [layer('application/vnd.dev.cosign.simplesigning.v1+json'), layer('application/vnd.oci.image.layer.v1.tar+gzip')],
      subject: SUBJECT,
    });
    assert.equal(signatureArtifactKind(image), undefined);
    assert.equal(signatureArtifactKind(image, sigTag), undefined);
    // a config-only image (entrypoint, env) with a subject, or under a .sig tag without a payload layer
    const configOnly = manifest({
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256('c'), size: 1 },
      layers: [layer('application/jose+json')],
      subject: SUBJECT,
    });
    assert.equal(signatureArtifactKind(configOnly), undefined);
    const noLayers = manifest({
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256('c'), size: 1 },
      layers: [],
    });
    assert.equal(signatureArtifactKind(noLayers, sigTag), undefined);
    const octet = manifest({ config: emptyConfig, layers: [layer('application/octet-stream')], subject: SUBJECT });
    assert.equal(signatureArtifactKind(octet), undefined);
    const dockerConfig = manifest({
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: sha256('c'), size: 1 },
      layers: [layer('application/jose+json')],
      subject: SUBJECT,
    });
    assert.equal(signatureArtifactKind(dockerConfig), undefined);
    const docker = manifest({ config: emptyConfig, layers: [layer('application/jose+json')], subject: SUBJECT }, DOCKER_MANIFEST);
    assert.equal(signatureArtifactKind(docker), undefined);

    const referrersIndex = manifest(
      { manifests: [{ mediaType: OCI_MANIFEST, digest: notation.digest, size: notation.size, artifactType: 'application/x' }] },
      OCI_INDEX,
    );
    assert.equal(signatureArtifactKind(referrersIndex), 'referrers-index');
    const multiArch = manifest(
      {
        manifests: [
          {
            mediaType: OCI_MANIFEST,
            digest: notation.digest,
            size: 1,
            artifactType: 'application/x',
            platform: { os: 'linux', architecture: 'amd64' },
          },
        ],
      },
      OCI_INDEX,
    );
    assert.equal(signatureArtifactKind(multiArch), undefined);
    const untyped = manifest({ manifests: [{ mediaType: OCI_MANIFEST, digest: notation.digest, size: 1 }] }, OCI_INDEX);
    assert.equal(signatureArtifactKind(untyped), undefined);
    // malformed bytes are never an artifact
    assert.equal(signatureArtifactKind({ mediaType: OCI_MANIFEST, data: Buffer.from('{') }), undefined);
    assert.equal(signatureArtifactKind({ mediaType: OCI_MANIFEST, data: Buffer.from('{"layers":{}}') }), undefined);
  });
});

describe('pull gate and signature artifacts (end to end, a gated repository without trust data)', () => {
  let server: TestServer;
  let raw: Raw;
  let n = 0;

  before(async () => {
    server = await startTestServer({
      flags: { pullGate: [{ repositories: '127.0.0.1:*/prod/*', signers: [], allowDigests: false }] },
    });
    raw = new Raw(server.url);
  });
  after(async () => {
    await server?.close();
  });

  async function push(name: string, m: ReturnType<typeof manifest>, blobs: Buffer[], reference = m.digest): Promise<void> {
    for (const b of blobs) await raw.pushBlob(name, b);
    const put = await raw.pushManifest(name, reference, m.bytes, m.mediaType);
    assert.equal(put.status, 201, put.text);
  }

  it('signatures are served; the image, an image with a subject, a tar-layered .sig and a platform index are refused', async () => {
    const name = `prod/app${++n}`;
    const image = buildImage('gated');
    await pushImage(raw, name, image, 'v1');
    const subject = { mediaType: OCI_MANIFEST, digest: image.digest, size: image.size };
    assert.deepEqual((await raw.getManifest(name, 'v1')).codes, ['DENIED'], 'the image itself: no trust data, refused');

    const envelope = Buffer.from('{"payload":"x"}');
    const notation = manifest({
      artifactType: 'application/vnd.cncf.notary.signature',
      config: emptyConfig,
      layers: [{ mediaType: 'application/jose+json', digest: sha256(envelope), size: envelope.length }],
      subject,
    });
    await push(name, notation, [EMPTY, envelope]);
    const got = await raw.getManifest(name, notation.digest);
    assert.equal(got.status, 200, got.text);
    assert.deepEqual(got.body, notation.bytes);
    // its envelope blob is readable too
    assert.equal((await raw.call(`/v2/${name}/blobs/${sha256(envelope)}`)).status, 200);

    const payload = Buffer.from('{"critical":{}}');
    const config = Buffer.from('{"architecture":"","os":""}');
    const cosign = manifest({
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', digest: sha256(payload), size: payload.length }],
    });
    const sigTag = `sha256-${image.digest.slice('sha256:'.length)}.sig`;
    await push(name, cosign, [config, payload], sigTag);
    assert.equal((await raw.getManifest(name, sigTag)).status, 200);
    assert.deepEqual((await raw.getManifest(name, cosign.digest)).codes, ['DENIED'], 'no subject, not by its tag: gated');

    const referrersTag = `sha256-${image.digest.slice('sha256:'.length)}`;
    const index = manifest(
      {
        manifests: [
          { mediaType: OCI_MANIFEST, digest: notation.digest, size: notation.size, artifactType: 'application/vnd.cncf.notary.signature' },
        ],
      },
      OCI_INDEX,
    );
    await push(name, index, [], referrersTag);
    assert.equal((await raw.getManifest(name, referrersTag)).status, 200);
    // an index that looks like a referrers list but names an image: served, the image behind it is still refused
    const disguised = manifest(
      { manifests: [{ mediaType: OCI_MANIFEST, digest: image.digest, size: image.size, artifactType: 'application/vnd.example' }] },
      OCI_INDEX,
    );
    await push(name, disguised, [], 'disguised');
    assert.equal((await raw.getManifest(name, 'disguised')).status, 200);
    assert.deepEqual((await raw.getManifest(name, image.digest)).codes, ['DENIED']);

    // content that can run stays gated whatever it claims
    const withSubject = buildImage('with-subject', { extra: { subject } });
    await pushImage(raw, name, withSubject, 'sub');
    assert.deepEqual((await raw.getManifest(name, withSubject.digest)).codes, ['DENIED']);
    assert.deepEqual((await raw.getManifest(name, 'sub')).codes, ['DENIED']);
    const tarSig = buildImage('tar-sig');
    const tarSigTag = `sha256-${withSubject.digest.slice('sha256:'.length)}.sig`;
    await pushImage(raw, name, tarSig, tarSigTag);
    assert.deepEqual((await raw.getManifest(name, tarSigTag)).codes, ['DENIED']);
    const platforms = buildIndex([{ image, platform: 'linux/amd64' }]);
    const put = await raw.pushManifest(name, 'multi', platforms.bytes, OCI_INDEX);
    assert.equal(put.status, 201);
    assert.deepEqual((await raw.getManifest(name, 'multi')).codes, ['DENIED']);
  });
});
