/**
 * Notation signature manifests: the one dct writes has notation 1.x's shape (checked against the
 * spec example's fields); the OCI 1.0 form of the fixture layouts is read; anything else is
 * refused with NOTATION_BAD_SIGNATURE_MANIFEST.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  buildSignatureManifest,
  chainThumbprints,
  isNotationSignature,
  NOTATION_ARTIFACT_TYPE,
  parseSignatureManifest,
} from '../../../src/app/notation/signature-manifest.js';
import { isDctError } from '../../../src/core/errors.js';
import { digestOf } from '../../../src/core/oci/digest.js';
import { OCI_MEDIA_TYPES } from '../../../src/core/oci/media-types.js';
import { fixturePath } from '../../support/fixtures.js';

const layout = (name: string, digest: string) =>
  readFileSync(fixturePath('notation', 'notation-cli', 'oci-layouts', name, 'blobs', 'sha256', digest.replace('sha256:', '')));
const subject = {
  mediaType: OCI_MEDIA_TYPES.manifest,
  digest: 'sha256:b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9',
  size: 517,
};
const e2eCert = new X509Certificate(readFileSync(fixturePath('notation', 'notation-cli', 'localkeys', 'e2e.crt')));
const bad = (code: string) => (err: unknown) => isDctError(err, code as never);

describe('Notation signature manifests', () => {
  it('reads the OCI 1.0 form notation wrote in 2023 (config.mediaType = the signature type), its one layer the envelope', () => {
    const digest = 'sha256:90ceaff260d657d797c408ac73564a9c7bb9d86055877c2a811f0e63b8c6524f';
    const bytes = layout('e2e-valid-signature', digest);
    const { manifest, envelope } = parseSignatureManifest(bytes, OCI_MEDIA_TYPES.manifest, digest);
    assert.equal(manifest.subject?.digest, subject.digest);
    assert.deepEqual(envelope, {
      mediaType: 'application/jose+json',
      digest: 'sha256:c9af07e038b2b1a463e648986ad7273157511ffeba0b689f33e5472bae471f50',
      size: 2070,
    });
    // the layout's thumbprint annotation is what dct computes for e2e.crt
    const annotations = (JSON.parse(bytes.toString()) as { annotations: Record<string, string> }).annotations;
    assert.equal(annotations['io.cncf.notary.x509chain.thumbprint#S256'], chainThumbprints([e2eCert]));
  });

  it('writes the OCI 1.1 form and reads it back', () => {
    const built = buildSignatureManifest(
      { bytes: Buffer.from('envelope'), mediaType: 'application/cose', chain: [e2eCert] },
      subject,
      new Date('2026-01-02T03:04:05.678Z'),
    );
    const { manifest, envelope } = parseSignatureManifest(built.bytes, OCI_MEDIA_TYPES.manifest, built.descriptor.digest);
    assert.equal(manifest.artifactType, NOTATION_ARTIFACT_TYPE);
    assert.equal(manifest.config.mediaType, 'application/vnd.oci.empty.v1+json');
    assert.deepEqual(envelope, { mediaType: 'application/cose', digest: digestOf(Buffer.from('envelope')), size: 8 });
    assert.equal(manifest.annotations?.['org.opencontainers.image.created'], '2026-01-02T03:04:05Z');
    assert.equal(built.descriptor.digest, digestOf(built.bytes));
    assert.equal(built.descriptor.artifactType, NOTATION_ARTIFACT_TYPE);
  });

  it('refuses what is not a Notation signature manifest', () => {
    const base = { schemaVersion: 2, mediaType: OCI_MEDIA_TYPES.manifest, subject };
    const cfg = (mediaType: string) => ({ mediaType, digest: digestOf(Buffer.from('{}')), size: 2 });
    const layer = { mediaType: 'application/jose+json', digest: digestOf(Buffer.from('x')), size: 1 };
    const cases: Array<[string, unknown]> = [
      [
        'another artifact type',
        {
          ...base,
          artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json',
          config: cfg('application/vnd.oci.empty.v1+json'),
          layers: [layer],
        },
      ],
      ['an image config', { ...base, config: cfg('application/vnd.oci.image.config.v1+json'), layers: [layer] }],
      ['no layer', { ...base, artifactType: NOTATION_ARTIFACT_TYPE, config: cfg('application/vnd.oci.empty.v1+json'), layers: [] }],
      [
        'two layers',
        { ...base, artifactType: NOTATION_ARTIFACT_TYPE, config: cfg('application/vnd.oci.empty.v1+json'), layers: [layer, layer] },
      ],
      [
        'an envelope over 32 MiB',
        {
          ...base,
          artifactType: NOTATION_ARTIFACT_TYPE,
          config: cfg('application/vnd.oci.empty.v1+json'),
          layers: [{ ...layer, size: 33 * 1024 * 1024 }],
        },
      ],
      ['an index', { schemaVersion: 2, mediaType: OCI_MEDIA_TYPES.index, manifests: [] }],
    ];
    for (const [why, doc] of cases) {
      const bytes = Buffer.from(JSON.stringify(doc));
      assert.throws(
        () => parseSignatureManifest(bytes, (doc as { mediaType: string }).mediaType, digestOf(bytes)),
        bad('NOTATION_BAD_SIGNATURE_MANIFEST'),
        why,
      );
    }
    assert.throws(
      () => parseSignatureManifest(Buffer.from('not json'), OCI_MEDIA_TYPES.manifest, 'sha256:00'),
      bad('NOTATION_BAD_SIGNATURE_MANIFEST'),
    );
    assert.equal(isNotationSignature({ artifactType: 'application/x', config: { mediaType: NOTATION_ARTIFACT_TYPE } }), false);
  });

  it('mutated manifest bytes are read or refused with NOTATION_BAD_SIGNATURE_MANIFEST, never a crash', () => {
    const built = buildSignatureManifest(
      { bytes: Buffer.from('envelope'), mediaType: 'application/jose+json', chain: [e2eCert] },
      subject,
      new Date(0),
    );
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 500; i++) {
      const bytes = Buffer.from(built.bytes);
      for (let j = 0, n = 1 + rand(4); j < n; j++) bytes[rand(bytes.length)] = rand(256);
      const cut = rand(3) === 0 ? bytes.subarray(0, rand(bytes.length)) : bytes;
      try {
        parseSignatureManifest(cut, OCI_MEDIA_TYPES.manifest, digestOf(cut));
      } catch (err) {
        assert.ok(isDctError(err, 'NOTATION_BAD_SIGNATURE_MANIFEST'), `${String(err)} for ${cut.toString()}`);
      }
    }
  });
});
