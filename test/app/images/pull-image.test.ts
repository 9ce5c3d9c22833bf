/**
 * The pull use case on its own: a trusted pull refuses other manifest bytes
 * before any blob is fetched, and an interrupted pull continues from the bytes
 * already written (the registry is asked for the rest only), listing the image
 * only once it is complete.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { OciLayout } from '../../../src/adapters/image-layout/oci-layout.js';
import { OciLayoutReader } from '../../../src/adapters/image-layout/oci-layout-reader.js';
import { DirectoryFiles } from '../../../src/adapters/image-layout/layout-files.js';
import { pullImage, type ImageStore, type RegistryReader } from '../../../src/app/images/pull-image.js';
import type { Descriptor } from '../../../src/core/oci/descriptor.js';
import { Digester } from '../../../src/core/oci/digest.js';
import { parseManifest } from '../../../src/core/oci/manifest.js';
import { generateTestImage, LINUX_AMD64 } from '../../support/test-images.js';

const work = mkdtempSync(join(tmpdir(), 'dct-pull-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** A registry over a generated layout; `breakAfter` bytes of the first layer download, then the connection "drops". */
function layoutRegistry(dir: string, opts: { breakAfter?: number; manifestBytes?: Buffer } = {}) {
  const blobPath = (digest: string) => join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
  const calls: Array<{ digest: string; offset: number }> = [];
  let broken = false;
  const registry: RegistryReader = {
    async getManifest(_repo, reference) {
      const reader = await OciLayoutReader.openFiles(new DirectoryFiles(dir));
      const d = reference.startsWith('sha256:') ? { digest: reference } : await reader.resolve(reference);
      const bytes = opts.manifestBytes ?? readFileSync(blobPath(d.digest));
      const manifest = parseManifest(bytes);
      return { bytes, digest: manifest.digest, size: manifest.size, mediaType: manifest.mediaType, manifest };
    },
    async getBlob(_repo, d: Descriptor, sink: Writable, o: { offset?: number; digester?: Digester }) {
      const offset = o.offset ?? 0;
      calls.push({ digest: d.digest, offset });
      const bytes = readFileSync(blobPath(d.digest)).subarray(offset);
      // as RegistryClient: the digest of the whole blob (the resumed prefix's state + these bytes) is checked before the sink ends
      const digester = o.digester ?? Digester.create('sha256');
      if (opts.breakAfter === undefined || broken || d.size <= opts.breakAfter * 2) {
        digester.update(bytes);
        if (digester.digest() !== d.digest)
          throw Object.assign(new Error(`${d.digest} hashes to ${digester.digest()}`), { code: 'DIGEST_MISMATCH' });
      }
      if (opts.breakAfter !== undefined && !broken && d.size > opts.breakAfter * 2) {
        broken = true;
        await new Promise<void>((resolve) => sink.write(bytes.subarray(0, opts.breakAfter), () => resolve()));
        throw Object.assign(new Error('connection reset'), { code: 'NETWORK_ERROR' });
      }
      await new Promise<void>((resolve, reject) => sink.end(bytes, () => resolve()).on('error', reject));
      return {};
    },
  };
  return { registry, calls };
}

describe('pullImage', () => {
  it('continues an interrupted layer from the bytes written, and lists the image only when complete', async () => {
    const src = join(work, 'src');
    const image = await generateTestImage(src, { seed: 'pull-resume', layers: [400_000, 100_000], tag: 'v1' });
    const { registry, calls } = layoutRegistry(src, { breakAfter: 100_000 });
    const out = await OciLayout.create(join(work, 'out'));
    const target = { repo: 'r', reference: 'v1', tag: 'v1', signed: { digest: image.descriptor.digest, size: image.descriptor.size } };
    await assert.rejects(pullImage(registry, out, target, { platform: LINUX_AMD64, concurrency: 1 }), /connection reset/);
    assert.deepEqual((await out.readIndex()).manifests, [], 'nothing listed after the failure');
    const big = image.manifests[0]!.layers.find((l) => l.descriptor.size > 200_000)!.descriptor;
    const partial = await out.partialBlobSize(big.digest);
    assert.ok(partial >= 100_000, `the partial layer stays (${partial} bytes)`);

    calls.length = 0;
    const pulled = await pullImage(registry, out, target, { platform: LINUX_AMD64, concurrency: 1 });
    const resumed = calls.find((c) => c.digest === big.digest);
    assert.ok(resumed && resumed.offset >= 100_000, `the layer continued at ${resumed?.offset}`);
    assert.ok(pulled.bytesFetched < image.totalLayerBytes, 'less than the whole image fetched the second time');
    assert.deepEqual(
      (await out.readIndex()).manifests.map((m) => m.digest),
      [image.descriptor.digest],
    );
    assert.deepEqual(await out.missingBlobs(image.descriptor), []);
  });

  it('partial bytes that do not add up are dropped: the layer is fetched again from its start, once', async () => {
    const src = join(work, 'src-garbage');
    const image = await generateTestImage(src, { seed: 'pull-garbage', layers: [300_000], tag: 'v1' });
    const { registry, calls } = layoutRegistry(src);
    const out = await OciLayout.create(join(work, 'out-garbage'));
    const layer = image.manifests[0]!.layers[0]!.descriptor;
    mkdirSync(join(out.partialFile(layer.digest), '..'), { recursive: true });
    writeFileSync(out.partialFile(layer.digest), Buffer.alloc(50_000, 0xff)); // not the layer's first bytes
    await pullImage(registry, out, { repo: 'r', reference: 'v1', tag: 'v1' }, { platform: LINUX_AMD64, concurrency: 1 });
    assert.deepEqual(
      calls.filter((c) => c.digest === layer.digest).map((c) => c.offset),
      [50_000, 0],
    );
    assert.deepEqual(await out.missingBlobs(image.descriptor), []);
    assert.equal(await out.partialBlobSize(layer.digest), 0);
  });

  it('downloads the next blob while the store still finishes the previous one (fsync), and lists the image once all are stored', async () => {
    const src = join(work, 'overlap-src');
    const image = await generateTestImage(src, { seed: 'pull-overlap', layers: [50_000, 60_000], tag: 'v1' });
    const { registry, calls } = layoutRegistry(src);
    const layout = await OciLayout.create(join(work, 'overlap-out'));
    // the store holds back the end of the first blob until the next download starts (or, failing that, many turns of the event loop)
    let openedBy = '';
    const order: string[] = [];
    const store: ImageStore = Object.assign(Object.create(layout) as OciLayout, {
      async writeBlob(
        source: AsyncIterable<Uint8Array>,
        expected: { digest: string; size?: number },
        o?: { offset?: number; sourceVerified?: boolean },
      ) {
        const first = order.length === 0;
        order.push(`write ${expected.digest}`);
        const r = await layout.writeBlob(source, expected, o);
        if (first) {
          for (let turns = 0; !openedBy; turns++) {
            if (calls.length > 1) openedBy = 'next download';
            else if (turns > 1000) openedBy = 'waiting';
            else await new Promise((resolve) => setImmediate(resolve));
          }
        }
        order.push(`stored ${expected.digest}`);
        return r;
      },
    });
    const events: string[] = [];
    await pullImage(
      registry,
      store,
      { repo: 'r', reference: 'v1', tag: 'v1' },
      { platform: LINUX_AMD64, concurrency: 1, events: { blob: (d, _n, state) => void (state === 'done' && events.push(d.digest)) } },
    );
    assert.equal(openedBy, 'next download', 'the next blob was requested before the first was stored');
    assert.equal(events.length, calls.length, 'every blob reported done');
    assert.deepEqual(
      (await layout.readIndex()).manifests.map((m) => m.digest),
      [image.descriptor.digest],
    );
    assert.deepEqual(await layout.missingBlobs(image.descriptor), []);
  });

  it('a blob the store fails to finish after its download fails the pull, and nothing is listed', async () => {
    const src = join(work, 'store-fail-src');
    await generateTestImage(src, { seed: 'pull-store-fail', layers: [50_000, 60_000, 70_000], tag: 'v1' });
    const { registry } = layoutRegistry(src);
    const layout = await OciLayout.create(join(work, 'store-fail-out'));
    let writes = 0;
    const store: ImageStore = Object.assign(Object.create(layout) as OciLayout, {
      async writeBlob(
        source: AsyncIterable<Uint8Array>,
        expected: { digest: string; size?: number },
        o?: { offset?: number; sourceVerified?: boolean },
      ) {
        const r = await layout.writeBlob(source, expected, o);
        if (++writes === 2) throw Object.assign(new Error('fsync: input/output error'), { code: 'EIO' });
        return r;
      },
    });
    await assert.rejects(
      pullImage(registry, store, { repo: 'r', reference: 'v1', tag: 'v1' }, { platform: LINUX_AMD64, concurrency: 1 }),
      /input\/output error/,
    );
    assert.deepEqual((await layout.readIndex()).manifests, []);
  });

  it('refuses manifest bytes other than the signed ones before fetching any blob', async () => {
    const a = await generateTestImage(join(work, 'a'), { seed: 'signed', layers: [1000], tag: 'v1' });
    const b = await generateTestImage(join(work, 'b'), { seed: 'served', layers: [1000], tag: 'v1' });
    const served = readFileSync(join(work, 'b', 'blobs', 'sha256', b.descriptor.digest.slice('sha256:'.length)));
    const { registry, calls } = layoutRegistry(join(work, 'a'), { manifestBytes: served });
    const out = await OciLayout.create(join(work, 'refused'));
    await assert.rejects(
      pullImage(
        registry,
        out,
        { repo: 'r', reference: 'v1', signed: { digest: a.descriptor.digest, size: a.descriptor.size } },
        { platform: LINUX_AMD64 },
      ),
      (err: { code?: string }) => err.code === 'DIGEST_MISMATCH',
    );
    assert.deepEqual(calls, [], 'no blob requested');
  });

  it('refuses a manifest other than the digest the trust policy decided about before fetching any blob', async () => {
    const a = await generateTestImage(join(work, 'decided'), { seed: 'decided', layers: [1000], tag: 'v1' });
    const b = await generateTestImage(join(work, 'other'), { seed: 'other', layers: [1000], tag: 'v1' });
    const served = readFileSync(join(work, 'other', 'blobs', 'sha256', b.descriptor.digest.slice('sha256:'.length)));
    const { registry, calls } = layoutRegistry(join(work, 'decided'), { manifestBytes: served });
    const out = await OciLayout.create(join(work, 'refused-decided'));
    await assert.rejects(
      pullImage(registry, out, { repo: 'r', reference: a.descriptor.digest, decided: a.descriptor.digest }, { platform: LINUX_AMD64 }),
      (err: { code?: string; message: string }) =>
        err.code === 'DIGEST_MISMATCH' && /not the digest the trust policy decided/.test(err.message),
    );
    assert.deepEqual(calls, [], 'no blob requested');
  });
});
