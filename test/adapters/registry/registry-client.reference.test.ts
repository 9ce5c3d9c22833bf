/**
 * RegistryClient against the REAL docker-registry 2.8 of the reference stack (plain http
 * on loopback): blobs (monolithic and chunked), manifests, an index, pulls by tag and
 * digest, resumed downloads, cross-repository mounts, tag lists, referrers fallback.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Digester, DOCKER_MEDIA_TYPES, OCI_MEDIA_TYPES, parseManifest, type Descriptor } from '../../../src/core/oci/index.js';
import { fileBlobSource } from '../../../src/adapters/registry/blob-source.js';
import { RegistryClient } from '../../../src/adapters/registry/registry-client.js';
import { interopSkip } from '../../support/interop.js';
import { ensureReferenceTools, startReferenceStack, tempDir, type ReferenceStack } from '../../support/reference-stack.js';

const unavailable = await ensureReferenceTools();
const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

class Collect extends Writable {
  chunks: Buffer[] = [];
  override _write(chunk: Buffer, _e: BufferEncoding, cb: () => void): void {
    this.chunks.push(chunk);
    cb();
  }
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

function blob(bytes: Buffer, mediaType: string): Descriptor {
  return { mediaType, digest: sha256(bytes), size: bytes.length };
}

describe('RegistryClient against docker-registry 2.8', { skip: interopSkip(unavailable) }, () => {
  let stack: ReferenceStack;
  let client: RegistryClient;
  let dir: { path: string; cleanup: () => void };
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
  const small = randomBytes(3000);
  const big = randomBytes(5 * 1024 * 1024 + 123);
  let manifestBytes: Buffer;
  let indexBytes: Buffer;

  before(async () => {
    stack = await startReferenceStack();
    dir = tempDir('dct-registry-client-');
    client = new RegistryClient(`127.0.0.1:${stack.registryPort}`, { retries: 1, backoffMs: 10 });
  });

  after(async () => {
    client?.close();
    dir?.cleanup();
    await stack?.stop();
  });

  it('pings over plain http (loopback), after trying https', async () => {
    const ping = await client.ping();
    assert.equal(ping.endpoint, `http://127.0.0.1:${stack.registryPort}`);
    assert.equal(ping.status, 200);
    assert.equal(ping.apiVersion, 'registry/2.0');
  });

  it('uploads blobs monolithically and in chunks, then knows them', async () => {
    assert.equal(await client.hasBlob('team/app', sha256(small)), undefined);
    await client.uploadBlob('team/app', blob(config, OCI_MEDIA_TYPES.config), config);
    await client.uploadBlob('team/app', blob(small, OCI_MEDIA_TYPES.layerGzip), small);
    const file = join(dir.path, 'big.bin');
    writeFileSync(file, big);
    const progress: number[] = [];
    const r = await client.uploadBlob('team/app', blob(big, OCI_MEDIA_TYPES.layerGzip), fileBlobSource(file), {
      chunked: true,
      chunkSize: 2 * 1024 * 1024,
      onProgress: (n) => progress.push(n),
    });
    assert.equal(r.digest, sha256(big));
    assert.deepEqual(progress, [2 * 1024 * 1024, 4 * 1024 * 1024, big.length]);
    assert.deepEqual(await client.hasBlob('team/app', sha256(big)), { size: big.length, digest: sha256(big) });
  });

  it('refuses to upload a source that does not hold the blob (and the registry does not get it)', async () => {
    const wrong = Buffer.from(small);
    wrong[10] = (wrong[10] as number) ^ 1;
    const d = blob(small, OCI_MEDIA_TYPES.layerGzip);
    await assert.rejects(client.uploadBlob('team/other', d, wrong), { code: 'DIGEST_MISMATCH' });
    await assert.rejects(client.uploadBlob('team/other', d, wrong, { chunked: true, chunkSize: 1000 }), { code: 'DIGEST_MISMATCH' });
    await assert.rejects(client.uploadBlob('team/other', d, small.subarray(1)), { code: 'SIZE_MISMATCH' });
    assert.equal(await client.hasBlob('team/other', d.digest), undefined);
  });

  it('pushes a manifest and an index and pulls them back byte for byte', async () => {
    manifestBytes = Buffer.from(
      JSON.stringify(
        {
          schemaVersion: 2,
          mediaType: OCI_MEDIA_TYPES.manifest,
          config: blob(config, OCI_MEDIA_TYPES.config),
          layers: [blob(small, OCI_MEDIA_TYPES.layerGzip), blob(big, OCI_MEDIA_TYPES.layerGzip)],
        },
        null,
        2,
      ),
    );
    const put = await client.putManifest('team/app', sha256(manifestBytes), manifestBytes, OCI_MEDIA_TYPES.manifest);
    assert.equal(put.digest, sha256(manifestBytes));
    indexBytes = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MEDIA_TYPES.index,
        manifests: [
          {
            mediaType: OCI_MEDIA_TYPES.manifest,
            digest: sha256(manifestBytes),
            size: manifestBytes.length,
            platform: { architecture: 'amd64', os: 'linux' },
          },
        ],
      }),
    );
    await client.putManifest('team/app', 'v1', indexBytes, OCI_MEDIA_TYPES.index);
    await client.putManifest('team/app', 'single', manifestBytes, OCI_MEDIA_TYPES.manifest);

    const got = await client.getManifest('team/app', 'v1');
    assert.ok(got.bytes.equals(indexBytes));
    assert.equal(got.digest, sha256(indexBytes));
    assert.equal(got.mediaType, OCI_MEDIA_TYPES.index);
    assert.equal(got.manifest.kind, 'index');
    const child = await client.getManifest('team/app', sha256(manifestBytes));
    assert.ok(child.bytes.equals(manifestBytes), 'the pretty-printed bytes are kept');
    assert.deepEqual(await client.headManifest('team/app', 'single'), {
      digest: sha256(manifestBytes),
      size: manifestBytes.length,
      mediaType: OCI_MEDIA_TYPES.manifest,
    });
    assert.equal(await client.headManifest('team/app', 'nope'), undefined);
    await assert.rejects(
      client.getManifest('team/app', 'nope'),
      (e: { code: string; message: string }) => e.code === 'MANIFEST_NOT_FOUND' && /MANIFEST_UNKNOWN/.test(e.message),
    );
  });

  it('refuses a manifest whose blobs the registry does not have, with the registry error', async () => {
    const missing = randomBytes(10);
    const bytes = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: DOCKER_MEDIA_TYPES.manifest,
        config: blob(config, DOCKER_MEDIA_TYPES.config),
        layers: [blob(missing, DOCKER_MEDIA_TYPES.layer)],
      }),
    );
    await assert.rejects(
      client.putManifest('team/app', 'broken', bytes, DOCKER_MEDIA_TYPES.manifest),
      (e: { code: string; message: string }) => e.code === 'REGISTRY_REJECTED' && /MANIFEST_BLOB_UNKNOWN/.test(e.message),
    );
  });

  it('downloads blobs with verification, and resumes from an offset', async () => {
    const sink = new Collect();
    const r = await client.getBlob('team/app', blob(big, OCI_MEDIA_TYPES.layerGzip), sink);
    assert.equal(r.fetched, big.length);
    assert.ok(sink.bytes.equals(big));

    const half = 2_500_000;
    const resumed = new Collect();
    resumed.chunks.push(big.subarray(0, half));
    const digester = Digester.create().update(big.subarray(0, half));
    const r2 = await client.getBlob('team/app', blob(big, OCI_MEDIA_TYPES.layerGzip), resumed, { offset: half, digester });
    assert.equal(r2.fetched, big.length - half);
    assert.ok(resumed.bytes.equals(big));

    // a descriptor with another size: the registry's bytes do not fit it
    await assert.rejects(client.getBlob('team/app', { digest: sha256(small), size: small.length - 1 }, new Collect()), {
      code: 'SIZE_MISMATCH',
    });
    await assert.rejects(client.getBlob('team/app', { digest: sha256(randomBytes(4)), size: 4 }, new Collect()), {
      code: 'BLOB_NOT_FOUND',
    });
  });

  it('mounts across repositories, and falls back to an upload when the source repository lacks the blob', async () => {
    const d = blob(big, OCI_MEDIA_TYPES.layerGzip);
    assert.deepEqual(await client.mountBlob('team/copy', 'team/app', d), { mounted: true, uploaded: false });
    assert.equal((await client.hasBlob('team/copy', d.digest))?.size, big.length);
    const fresh = randomBytes(1000);
    const fd = blob(fresh, OCI_MEDIA_TYPES.layerGzip);
    assert.deepEqual(await client.mountBlob('team/copy', 'team/app', fd, fresh), { mounted: false, uploaded: true });
    assert.equal((await client.hasBlob('team/copy', fd.digest))?.size, 1000);
    assert.deepEqual(await client.mountBlob('team/copy2', 'team/app', blob(randomBytes(5), OCI_MEDIA_TYPES.layerGzip)), {
      mounted: false,
      uploaded: false,
    });
    assert.equal(
      await client.ensureBlob('team/copy3', blob(small, OCI_MEDIA_TYPES.layerGzip), small, { mountFrom: ['team/app'] }),
      'mounted',
    );
    assert.equal(await client.ensureBlob('team/copy3', blob(small, OCI_MEDIA_TYPES.layerGzip), small), 'exists');
  });

  it('lists tags across pages', async () => {
    for (const t of ['a', 'b', 'c', 'd']) await client.putManifest('team/app', t, manifestBytes, OCI_MEDIA_TYPES.manifest);
    const all = await client.listTags('team/app');
    assert.deepEqual([...all].sort(), ['a', 'b', 'c', 'd', 'single', 'v1']);
    assert.deepEqual(await client.listTags('team/app', { pageSize: 2 }), all);
    await assert.rejects(client.listTags('team/none'), { code: 'REPOSITORY_UNKNOWN' });
  });

  it('referrers: the tag schema when the registry has no referrers API', async () => {
    const subject = sha256(manifestBytes);
    assert.deepEqual(await client.referrers('team/app', subject), { manifests: [], via: 'none' });
    const sig = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MEDIA_TYPES.manifest,
        artifactType: 'application/vnd.example.sig',
        config: blob(config, OCI_MEDIA_TYPES.config),
        layers: [],
        subject: { mediaType: OCI_MEDIA_TYPES.manifest, digest: subject, size: manifestBytes.length },
      }),
    );
    const put = await client.putManifest('team/app', sha256(sig), sig, OCI_MEDIA_TYPES.manifest);
    assert.equal(put.ociSubject, undefined, 'docker-registry 2.8 does not index subjects');
    const entry = {
      mediaType: OCI_MEDIA_TYPES.manifest,
      digest: sha256(sig),
      size: sig.length,
      artifactType: 'application/vnd.example.sig',
    };
    const fallback = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MEDIA_TYPES.index, manifests: [entry] }));
    await client.putManifest('team/app', `sha256-${subject.slice(7)}`, fallback, OCI_MEDIA_TYPES.index);
    assert.deepEqual(await client.referrers('team/app', subject), { manifests: [entry], via: 'tag' });
    assert.deepEqual(await client.referrers('team/app', subject, { artifactType: 'application/other' }), { manifests: [], via: 'tag' });
    assert.equal(parseManifest(fallback).kind, 'index');
  });

  it('deletes a manifest by digest', async () => {
    const bytes = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MEDIA_TYPES.manifest,
        config: blob(config, OCI_MEDIA_TYPES.config),
        layers: [],
        annotations: { x: 'y' },
      }),
    );
    await client.putManifest('team/del', 'x', bytes, OCI_MEDIA_TYPES.manifest).catch(async () => {
      await client.uploadBlob('team/del', blob(config, OCI_MEDIA_TYPES.config), config);
      await client.putManifest('team/del', 'x', bytes, OCI_MEDIA_TYPES.manifest);
    });
    await client.deleteManifest('team/del', sha256(bytes));
    assert.equal(await client.headManifest('team/del', sha256(bytes)), undefined);
  });
});
