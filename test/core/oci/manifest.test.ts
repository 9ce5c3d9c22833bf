import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  DOCKER_MEDIA_TYPES,
  Digester,
  EMPTY_JSON_DESCRIPTOR,
  OCI_MEDIA_TYPES,
  childDescriptors,
  descriptorOf,
  descriptorToJSON,
  digestOf,
  parseDescriptor,
  parseDigest,
  parseManifest,
  validateDescriptor,
  verifyDescriptor,
  type Descriptor,
} from '../../../src/core/oci/index.js';

const sha = (s: string | Buffer) => `sha256:${createHash('sha256').update(s).digest('hex')}`;
const config: Descriptor = { mediaType: OCI_MEDIA_TYPES.config, digest: sha('config'), size: 6 };
const layer: Descriptor = { mediaType: OCI_MEDIA_TYPES.layerGzip, digest: sha('layer'), size: 5 };

function bytesOf(doc: unknown, indent?: number): Buffer {
  return Buffer.from(JSON.stringify(doc, null, indent));
}

function rejects(bytes: Buffer, code: string, opts: Parameters<typeof parseManifest>[1] = {}, message?: RegExp) {
  assert.throws(
    () => parseManifest(bytes, opts),
    (err: { code?: string; message: string }) => {
      assert.equal(err.code, code, err.message);
      if (message) assert.match(err.message, message);
      return true;
    },
  );
}

describe('digests', () => {
  it('parses and validates algorithm:hex', () => {
    const d = sha('x');
    assert.deepEqual(parseDigest(d), { algorithm: 'sha256', hex: d.slice(7), digest: d });
    assert.equal(parseDigest(`sha512:${'a'.repeat(128)}`).algorithm, 'sha512');
    for (const bad of [
      '',
      'sha256',
      'sha256:',
      `sha256:${'A'.repeat(64)}`,
      `sha256:${'a'.repeat(63)}`,
      `SHA256:${'a'.repeat(64)}`,
      `sha256:${'g'.repeat(64)}`,
    ]) {
      assert.throws(() => parseDigest(bad), { code: 'INVALID_DIGEST' }, bad);
    }
    assert.throws(() => parseDigest(`md5:${'a'.repeat(32)}`), { code: 'UNSUPPORTED_DIGEST_ALGORITHM' });
    assert.throws(() => parseDigest(`blake3:${'a'.repeat(64)}`), { code: 'UNSUPPORTED_DIGEST_ALGORITHM' });
  });

  it('digests raw bytes; Digester counts and forks', () => {
    assert.equal(digestOf(Buffer.from('abc')), sha('abc'));
    assert.match(digestOf(Buffer.from('abc'), 'sha512'), /^sha512:[0-9a-f]{128}$/);
    const d = Digester.create().update(Buffer.from('ab'));
    const fork = d.copy();
    d.update(Buffer.from('c'));
    assert.equal(d.digest(), sha('abc'));
    assert.equal(d.size, 3);
    assert.equal(fork.digest(), sha('ab'));
    assert.equal(d.digest(), sha('abc'), 'digest() leaves the state usable');
  });

  it('verifyDescriptor: size first, then digest', () => {
    verifyDescriptor(Buffer.from('layer'), layer);
    assert.throws(() => verifyDescriptor(Buffer.from('layer!'), layer), { code: 'SIZE_MISMATCH' });
    assert.throws(() => verifyDescriptor(Buffer.from('LAYER'), layer), { code: 'DIGEST_MISMATCH' });
  });
});

describe('descriptors', () => {
  it('round-trips the JSON form, platform fields included', () => {
    const d: Descriptor = {
      ...layer,
      urls: ['https://example.com/x'],
      annotations: { a: 'b' },
      platform: { os: 'windows', architecture: 'amd64', osVersion: '10.0.17763.1', osFeatures: ['win32k'] },
      artifactType: 'application/vnd.example+json',
    };
    const json = descriptorToJSON(d);
    assert.deepEqual((json['platform'] as Record<string, unknown>)['os.version'], '10.0.17763.1');
    assert.deepEqual(parseDescriptor(JSON.parse(JSON.stringify(json))), d);
    assert.equal(validateDescriptor(d), d);
  });

  it('refuses bad fields', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ ...layer, size: -1 }, /size/],
      [{ ...layer, size: 1.5 }, /size/],
      [{ ...layer, size: 2 ** 53 }, /size/],
      [{ ...layer, size: '5' }, /size/],
      [{ ...layer, digest: 'sha256:abc' }, /digest/],
      [{ ...layer, mediaType: 'not a type' }, /mediaType/],
      [{ digest: layer.digest, size: 5 }, /mediaType is missing/],
      [{ ...layer, annotations: { a: 1 } }, /annotations/],
      [{ ...layer, urls: 'x' }, /urls/],
      [{ ...layer, platform: { os: 'linux' } }, /architecture/],
      [[], /object/],
    ];
    for (const [value, message] of cases)
      assert.throws(
        () => parseDescriptor(value),
        (e: { code: string; message: string }) => e.code === 'INVALID_DESCRIPTOR' && message.test(e.message),
      );
  });

  it('checks embedded data against digest and size', () => {
    const ok = { ...EMPTY_JSON_DESCRIPTOR, data: Buffer.from('{}').toString('base64') };
    assert.equal(parseDescriptor(ok).data, 'e30=');
    assert.equal(EMPTY_JSON_DESCRIPTOR.digest, sha('{}'));
    assert.throws(() => parseDescriptor({ ...EMPTY_JSON_DESCRIPTOR, data: Buffer.from('[]').toString('base64') }), /embedded data/);
  });

  it('descriptorOf hashes bytes', () => {
    assert.deepEqual(descriptorOf(Buffer.from('config'), OCI_MEDIA_TYPES.config), config);
  });
});

describe('parseManifest', () => {
  const manifestDoc = {
    schemaVersion: 2,
    mediaType: OCI_MEDIA_TYPES.manifest,
    config,
    layers: [layer],
    annotations: { 'org.opencontainers.image.created': 'now' },
  };

  it('keeps the raw bytes and hashes them, whatever the formatting', () => {
    const compact = bytesOf(manifestDoc);
    const pretty = bytesOf(manifestDoc, 3);
    const a = parseManifest(compact);
    const b = parseManifest(pretty);
    assert.equal(a.kind, 'manifest');
    assert.equal(a.digest, sha(compact));
    assert.equal(b.digest, sha(pretty));
    assert.notEqual(a.digest, b.digest);
    assert.equal(b.size, pretty.length);
    assert.ok(b.bytes.equals(pretty));
    assert.equal(a.format, 'oci');
    if (a.kind !== 'manifest') throw new Error('kind');
    assert.deepEqual(a.config, config);
    assert.deepEqual(a.layers, [layer]);
    assert.deepEqual(childDescriptors(a), [config, layer]);
    assert.equal(a.annotations?.['org.opencontainers.image.created'], 'now');
  });

  it('reads docker schema 2 manifests and manifest lists', () => {
    const m = parseManifest(
      bytesOf({
        schemaVersion: 2,
        mediaType: DOCKER_MEDIA_TYPES.manifest,
        config: { ...config, mediaType: DOCKER_MEDIA_TYPES.config },
        layers: [{ ...layer, mediaType: DOCKER_MEDIA_TYPES.layer }],
      }),
    );
    assert.equal(m.format, 'docker');
    assert.equal(m.mediaType, DOCKER_MEDIA_TYPES.manifest);
    const list = parseManifest(
      bytesOf({
        schemaVersion: 2,
        mediaType: DOCKER_MEDIA_TYPES.manifestList,
        manifests: [
          {
            mediaType: DOCKER_MEDIA_TYPES.manifest,
            digest: m.digest,
            size: m.size,
            platform: { architecture: 'arm', os: 'linux', variant: 'v7' },
          },
        ],
      }),
    );
    assert.equal(list.kind, 'index');
    if (list.kind !== 'index') throw new Error('kind');
    assert.deepEqual(list.manifests[0]?.platform, { os: 'linux', architecture: 'arm', variant: 'v7' });
  });

  it('infers the media type from the Content-Type, then from the shape', () => {
    const noType = { schemaVersion: 2, config, layers: [] };
    assert.equal(parseManifest(bytesOf(noType)).mediaType, OCI_MEDIA_TYPES.manifest);
    assert.equal(
      parseManifest(bytesOf(noType), { contentType: `${DOCKER_MEDIA_TYPES.manifest}; charset=utf-8` }).mediaType,
      DOCKER_MEDIA_TYPES.manifest,
    );
    assert.equal(
      parseManifest(bytesOf({ schemaVersion: 2, manifests: [] }), { contentType: 'application/json' }).mediaType,
      OCI_MEDIA_TYPES.index,
    );
  });

  it('reads OCI 1.1 artifacts with subject and artifactType', () => {
    const subject = { mediaType: OCI_MEDIA_TYPES.manifest, digest: sha('s'), size: 10 };
    const m = parseManifest(
      bytesOf({
        schemaVersion: 2,
        mediaType: OCI_MEDIA_TYPES.manifest,
        artifactType: 'application/vnd.example.sig',
        config: EMPTY_JSON_DESCRIPTOR,
        layers: [],
        subject,
      }),
    );
    assert.deepEqual(m.subject, subject);
    assert.equal(m.artifactType, 'application/vnd.example.sig');
  });

  it('checks expected digest and size before anything else', () => {
    const bytes = bytesOf(manifestDoc);
    parseManifest(bytes, { expected: { digest: sha(bytes), size: bytes.length } });
    rejects(bytes, 'DIGEST_MISMATCH', { expected: { digest: sha('other') } });
    rejects(bytes, 'SIZE_MISMATCH', { expected: { size: bytes.length + 1 } });
    const sha512 = `sha512:${createHash('sha512').update(bytes).digest('hex')}`;
    assert.equal(parseManifest(bytes, { expected: { digest: sha512 } }).digest, sha(bytes));
  });

  it('refuses schema 1, unknown types and oversized documents', () => {
    rejects(bytesOf({ schemaVersion: 1, name: 'x', tag: 'y', fsLayers: [] }), 'UNSUPPORTED_MANIFEST', {}, /schema 1/);
    rejects(bytesOf({ schemaVersion: 2, config, layers: [] }), 'UNSUPPORTED_MANIFEST', {
      contentType: DOCKER_MEDIA_TYPES.schema1SignedManifest,
    });
    rejects(bytesOf({ schemaVersion: 2, mediaType: 'application/vnd.example+json', config, layers: [] }), 'UNSUPPORTED_MANIFEST');
    rejects(bytesOf(manifestDoc), 'MANIFEST_TOO_LARGE', { maxBytes: 10 });
    rejects(Buffer.alloc(4 * 1024 * 1024 + 1, 0x20), 'MANIFEST_TOO_LARGE');
  });

  it('refuses invalid documents', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ ...manifestDoc, schemaVersion: 3 }, /schemaVersion/],
      [{ ...manifestDoc, schemaVersion: '2' }, /schemaVersion/],
      [{ ...manifestDoc, config: undefined }, /config is missing/],
      [{ ...manifestDoc, layers: {} }, /layers must be a list/],
      [{ ...manifestDoc, layers: [{ ...layer, size: -2 }] }, /layers\[0\]: size/],
      [{ ...manifestDoc, config: { ...config, digest: 'sha256:xyz' } }, /config/],
      [{ ...manifestDoc, manifests: [] }, /must not have manifests/],
      [{ schemaVersion: 2, mediaType: OCI_MEDIA_TYPES.index, manifests: [], layers: [] }, /must not have config or layers/],
      [
        { schemaVersion: 2, mediaType: OCI_MEDIA_TYPES.index, manifests: [{ mediaType: OCI_MEDIA_TYPES.manifest, digest: 'x', size: 1 }] },
        /manifests\[0\]/,
      ],
      [{ schemaVersion: 2, mediaType: OCI_MEDIA_TYPES.index }, /manifests must be a list/],
      [{ schemaVersion: 2 }, /no mediaType/],
      [{ schemaVersion: 2, manifests: [], config, layers: [] }, /no mediaType/],
      [{ ...manifestDoc, mediaType: 5 }, /mediaType/],
      [{ ...manifestDoc, annotations: { a: 1 } }, /annotations/],
      [[1], /top level/],
    ];
    for (const [doc, message] of cases) rejects(bytesOf(doc), 'INVALID_MANIFEST', {}, message);
    rejects(Buffer.from('{"schemaVersion": 2,'), 'INVALID_MANIFEST', {}, /not valid JSON/);
    rejects(Buffer.from('\ufeff{}'), 'INVALID_MANIFEST');
  });

  it('refuses a mediaType that contradicts the Content-Type', () => {
    rejects(bytesOf(manifestDoc), 'INVALID_MANIFEST', { contentType: OCI_MEDIA_TYPES.index }, /served as/);
    // a generic Content-Type is not a contradiction
    parseManifest(bytesOf(manifestDoc), { contentType: 'application/json' });
  });
});
