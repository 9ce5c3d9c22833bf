/**
 * cosign's formats byte for byte: the simple-signing payload, the legacy signature manifest
 * and its config, the bundle referrer manifest (against cosign's BUNDLE_SPEC examples), the
 * statement cosign 3 signs, Go's JSON escaping; and each malformed input refused with its code.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { buildBundleReferrer, bundleLayer, parseBundleReferrer } from '../../../src/core/cosign/bundle-referrer.js';
import { goJson } from '../../../src/core/cosign/go-json.js';
import {
  cosignSignStatement,
  dsseEnvelopeJson,
  parseDsseEnvelope,
  parseStatement,
  subjectFor,
} from '../../../src/core/cosign/intoto-statement.js';
import {
  buildLegacySignatureManifest,
  legacyLayerAnnotations,
  legacySignatureLayer,
  legacySignatureTag,
  parseLegacySignatureManifest,
} from '../../../src/core/cosign/legacy-signatures.js';
import { parseSimpleSigningPayload, simpleSigningPayload, SIMPLE_SIGNING_MEDIA_TYPE } from '../../../src/core/cosign/simple-signing.js';
import { DOCKER_MEDIA_TYPES, OCI_MEDIA_TYPES } from '../../../src/core/oci/media-types.js';
import { readFixture } from '../../support/fixtures.js';

const D = `sha256:${'ab'.repeat(32)}`;
const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('cosign simple-signing payload', () => {
  it('is written as cosign writes it, annotations sorted, HTML characters escaped as Go does', () => {
    assert.equal(
      simpleSigningPayload('reg.example/app', D).toString(),
      `{"critical":{"identity":{"docker-reference":"reg.example/app"},"image":{"docker-manifest-digest":"${D}"},"type":"cosign container image signature"},"optional":null}`,
    );
    assert.equal(
      simpleSigningPayload('r/a', D, { z: '1', a: '<&>' }).toString(),
      `{"critical":{"identity":{"docker-reference":"r/a"},"image":{"docker-manifest-digest":"${D}"},"type":"cosign container image signature"},"optional":{"a":"\\u003c\\u0026\\u003e","z":"1"}}`,
    );
  });

  it("is read as Go reads it (the spec's `Docker-manifest-digest`), and refused when not JSON of its shape", () => {
    const spec = Buffer.from(
      `{"critical":{"identity":{"docker-reference":"testing/manifest"},"image":{"Docker-manifest-digest":"${D}"},"type":"cosign container image signature"},"optional":{"creator":"atomic","timestamp":1458239713}}`,
    );
    const p = parseSimpleSigningPayload(spec);
    assert.deepEqual([p.dockerReference, p.digest, p.optional], ['testing/manifest', D, { creator: 'atomic', timestamp: 1458239713 }]);
    for (const bad of ['not json', '[]', '{"critical":{"image":{"docker-manifest-digest":5}}}', '{"critical":"x"}', '{"optional":[1]}'])
      assert.throws(() => parseSimpleSigningPayload(Buffer.from(bad)), { code: 'COSIGN_INVALID_PAYLOAD' }, bad);
  });

  it('escapes control characters and U+2028 as Go', () => {
    assert.equal(goJson('a\u0001\n\u2028"'), '"a\\u0001\\n\\u2028\\""');
  });

  it("attack: a payload's optional nested a million levels deep is refused as MALFORMED_JSON, not a stack overflow", () => {
    const deep = JSON.parse(`{"critical":{},"optional":{"x":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}}`) as unknown;
    assert.throws(() => goJson(deep), { code: 'MALFORMED_JSON' });
    assert.equal(goJson(JSON.parse(`${'['.repeat(999)}${']'.repeat(999)}`)), `${'['.repeat(999)}${']'.repeat(999)}`);
  });
});

describe('cosign legacy signature manifest', () => {
  const payload = simpleSigningPayload('r/a', D);
  const layer = legacySignatureLayer(payload, SIMPLE_SIGNING_MEDIA_TYPE, legacyLayerAnnotations({ signature: 'c2ln', bundle: '{"x":1}' }));

  it('lives at sha256-<hex>.sig / .att', () => {
    assert.equal(legacySignatureTag(D, 'sig'), `sha256-${'ab'.repeat(32)}.sig`);
    assert.equal(legacySignatureTag(D, 'att'), `sha256-${'ab'.repeat(32)}.att`);
  });

  it("is an OCI image manifest whose config lists each layer's digest, as go-containerregistry writes them", () => {
    const built = buildLegacySignatureManifest([layer]);
    assert.equal(
      built.config.toString(),
      `{"architecture":"","created":"0001-01-01T00:00:00Z","history":[{"created":"0001-01-01T00:00:00Z"}],"os":"","rootfs":{"type":"layers","diff_ids":["${sha(payload)}"]},"config":{}}`,
    );
    assert.equal(
      built.manifest.toString(),
      `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":${built.config.length},"digest":"${sha(built.config)}"},` +
        `"layers":[{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","size":${payload.length},"digest":"${sha(payload)}","annotations":{"dev.cosignproject.cosign/signature":"c2ln","dev.sigstore.cosign/bundle":"{\\"x\\":1}"}}]}`,
    );
    const read = parseLegacySignatureManifest(built.manifest, built.mediaType, 'x', 'sig');
    assert.deepEqual(
      read.map((s) => [s.signature, s.bundle, s.layer.digest]),
      [['c2ln', '{"x":1}', sha(payload)]],
    );
  });

  it('refuses an index, a layer without its signature, and more than 1,000 layers', () => {
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MEDIA_TYPES.index, manifests: [] }));
    assert.throws(() => parseLegacySignatureManifest(index, OCI_MEDIA_TYPES.index, 'x', 'sig'), {
      code: 'COSIGN_INVALID_SIGNATURE_MANIFEST',
    });
    const unsigned = buildLegacySignatureManifest([{ ...layer, annotations: {} }]);
    assert.throws(() => parseLegacySignatureManifest(unsigned.manifest, unsigned.mediaType, 'x', 'sig'), {
      code: 'COSIGN_INVALID_SIGNATURE_MANIFEST',
    });
    assert.equal(parseLegacySignatureManifest(unsigned.manifest, unsigned.mediaType, 'x', 'att').length, 1);
    const many = buildLegacySignatureManifest(Array.from({ length: 1001 }, () => layer));
    assert.throws(() => parseLegacySignatureManifest(many.manifest, many.mediaType, 'x', 'sig'), { code: 'COSIGN_TOO_MANY_SIGNATURES' });
    assert.throws(() => parseLegacySignatureManifest(Buffer.from('{'), OCI_MEDIA_TYPES.manifest, 'x', 'sig'), {
      code: 'COSIGN_INVALID_SIGNATURE_MANIFEST',
    });
  });
});

describe('cosign bundle referrer', () => {
  const bundle = readFixture('cosign', 'oci-attestation', 'oci-attestation.sigstore.json');
  const subject = { mediaType: DOCKER_MEDIA_TYPES.manifest, digest: D, size: 230 };

  it("has the shape and annotations of cosign's BUNDLE_SPEC example, in cosign's byte layout", () => {
    const built = buildBundleReferrer({
      bundle: bundleLayer(bundle),
      subject,
      content: 'dsse-envelope',
      predicateType: 'https://slsa.dev/provenance/v1',
      created: '2024-03-08T18:18:20Z',
    });
    const example = JSON.parse(
      readFixture('cosign', 'spec-examples', 'bundle-referrer-manifest-with-annotations.example.json').toString(),
    ) as Record<string, unknown>;
    const doc = JSON.parse(built.bytes.toString()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(doc).sort(), Object.keys(example).sort());
    assert.equal(doc['artifactType'], example['artifactType']);
    assert.deepEqual(Object.keys(doc['annotations'] as object), Object.keys(example['annotations'] as object).sort());
    assert.equal((doc['layers'] as Array<{ mediaType: string }>)[0]?.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
    assert.equal((doc['config'] as { digest: string }).digest, 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
    assert.match(
      built.bytes.toString(),
      /^\{"schemaVersion":2,"mediaType":"application\/vnd\.oci\.image\.manifest\.v1\+json","config":\{"mediaType":"application\/vnd\.oci\.empty\.v1\+json","size":2,/,
    );
    const read = parseBundleReferrer(built.bytes, built.mediaType, 'r', D);
    assert.deepEqual(
      [read.content, read.predicateType, read.created, read.bundle.digest],
      ['dsse-envelope', 'https://slsa.dev/provenance/v1', '2024-03-08T18:18:20Z', sha(bundle)],
    );
  });

  it('refuses another subject, another artifact type, two layers, an index', () => {
    const built = buildBundleReferrer({ bundle: bundleLayer(bundle), subject, content: 'dsse-envelope', created: 'x' });
    assert.throws(() => parseBundleReferrer(built.bytes, built.mediaType, 'r', `sha256:${'cd'.repeat(32)}`), {
      code: 'COSIGN_INVALID_BUNDLE_REFERRER',
    });
    const doc = JSON.parse(built.bytes.toString()) as Record<string, unknown> & { layers: unknown[] };
    const variant = (v: Record<string, unknown>) => Buffer.from(JSON.stringify({ ...doc, ...v }));
    assert.throws(
      () =>
        parseBundleReferrer(
          variant({
            artifactType: 'application/vnd.cncf.notary.signature',
            config: { ...(doc['config'] as object), artifactType: undefined },
          }),
          OCI_MEDIA_TYPES.manifest,
          'r',
          D,
        ),
      { code: 'COSIGN_INVALID_BUNDLE_REFERRER' },
    );
    assert.throws(() => parseBundleReferrer(variant({ layers: [doc.layers[0], doc.layers[0]] }), OCI_MEDIA_TYPES.manifest, 'r', D), {
      code: 'COSIGN_INVALID_BUNDLE_REFERRER',
    });
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MEDIA_TYPES.index, manifests: [] }));
    assert.throws(() => parseBundleReferrer(index, OCI_MEDIA_TYPES.index, 'r', D), { code: 'COSIGN_INVALID_BUNDLE_REFERRER' });
  });
});

describe('in-toto statements', () => {
  it('cosign 3 signs the image digest as the subject of a sign/v1 statement', () => {
    const s = cosignSignStatement(D, { env: 'prod' });
    assert.equal(
      s.toString(),
      `{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"${'ab'.repeat(32)}"},"annotations":{"env":"prod"}}],"predicateType":"https://sigstore.dev/cosign/sign/v1","predicate":{}}`,
    );
    const st = parseStatement(s);
    assert.deepEqual(subjectFor(st, D)?.annotations, { env: 'prod' });
    assert.equal(subjectFor(st, `sha256:${'cd'.repeat(32)}`), undefined);
  });

  it("reads the real attestation's DSSE envelope and prints it as cosign does", () => {
    const bundle = JSON.parse(readFixture('cosign', 'oci-attestation', 'oci-attestation.sigstore.json').toString()) as {
      dsseEnvelope: unknown;
    };
    const env = parseDsseEnvelope(Buffer.from(JSON.stringify(bundle.dsseEnvelope)));
    const st = parseStatement(env.payload);
    assert.equal(st.predicateType, 'https://cosign.sigstore.dev/attestation/v1');
    assert.ok(subjectFor(st, 'sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4'));
    assert.match(
      dsseEnvelopeJson(env),
      /^\{"payload":"[A-Za-z0-9+/=]+","payloadType":"application\/vnd\.in-toto\+json","signatures":\[\{"sig":"[A-Za-z0-9+/=]+"\}\]\}$/,
    );
    for (const bad of ['{}', '{"payload":"a","payloadType":"t"}', 'nope'])
      assert.throws(() => parseDsseEnvelope(Buffer.from(bad)), { code: 'COSIGN_INVALID_STATEMENT' }, bad);
    assert.throws(() => parseStatement(Buffer.from('{"_type":"x","subject":{}}')), { code: 'COSIGN_INVALID_STATEMENT' });
  });
});
