/**
 * OCI image layouts: reading generated images, copying them blob by blob into a new
 * layout (byte-identical), corruption caught while streaming, interrupted writes that
 * leave no index entry and resume from their partial file.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { INGEST_DIR, REF_NAME_ANNOTATION } from '../../../src/adapters/image-layout/oci-layout-format.js';
import { OciLayout } from '../../../src/adapters/image-layout/oci-layout.js';
import { type LayoutContent } from '../../../src/adapters/image-layout/oci-layout-reader.js';
import { isDctError } from '../../../src/core/errors.js';
import { digestOf, OCI_MEDIA_TYPES, type Descriptor } from '../../../src/core/oci/index.js';
import { listFiles } from '../../support/fixtures.js';
import { generateTestImage, LINUX_AMD64, LINUX_ARM64, type GeneratedImage } from '../../support/test-images.js';

async function drain(stream: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const chunk of stream) n += (chunk as Buffer).length;
  return n;
}

/** A stream that delivers the first `cut` bytes of `bytes` and then fails, as a dropped connection would. */
function interrupted(bytes: Buffer, cut: number): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(bytes.subarray(0, cut));
      } else {
        this.destroy(Object.assign(new Error('connection reset'), { code: 'ECONNRESET' }));
      }
    },
  });
}

/** Copies an image blob by blob, the way a pull fills a layout. */
async function copyImage(src: OciLayout, dst: OciLayout, items: readonly LayoutContent[]): Promise<void> {
  for (const item of items) {
    if (item.manifest) await dst.putManifest(item.manifest.bytes, { expected: item.descriptor });
    else await dst.writeBlob(await src.openBlob(item.descriptor), item.descriptor);
  }
}

describe('OCI image layout', () => {
  let root: string;
  let srcDir: string;
  let multi: GeneratedImage;
  let single: GeneratedImage;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'dct-oci-layout-'));
    srcDir = join(root, 'src');
    multi = await generateTestImage(srcDir, {
      seed: 'multi',
      layers: [200_000, 1_500_000, 10],
      platforms: [LINUX_AMD64, LINUX_ARM64],
      tag: 'multi',
    });
    single = await generateTestImage(srcDir, { seed: 'single', layers: [50_000], tag: 'single', format: 'docker' });
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('lists, resolves and reads the generated images', async () => {
    const layout = await OciLayout.open(srcDir);
    const images = await layout.images();
    assert.deepEqual(
      images.map((i) => [i.tag, i.descriptor.mediaType, i.descriptor.digest]),
      [
        ['multi', OCI_MEDIA_TYPES.index, multi.descriptor.digest],
        ['single', 'application/vnd.docker.distribution.manifest.v2+json', single.descriptor.digest],
      ],
    );
    assert.equal((await layout.resolve('multi')).digest, multi.descriptor.digest);
    const child = multi.manifests[1]?.descriptor as Descriptor;
    const byDigest = await layout.resolve(child.digest);
    assert.deepEqual(
      [byDigest.digest, byDigest.size, byDigest.mediaType],
      [child.digest, child.size, child.mediaType],
      'a manifest not in index.json, by digest',
    );
    await assert.rejects(layout.resolve(), (err) => isDctError(err, 'AMBIGUOUS_IMAGE') && /multi, single/.test((err as Error).message));
    await assert.rejects(layout.resolve('nope'), (err) => isDctError(err, 'IMAGE_NOT_FOUND'));
    await assert.rejects(layout.resolve(digestOf(Buffer.from('nothing'))), (err) => isDctError(err, 'IMAGE_NOT_FOUND'));

    const index = await layout.readManifest('multi');
    assert.equal(index.kind, 'index');
    assert.deepEqual(index.bytes, readFileSync(layout.blobFile(multi.descriptor.digest)), 'raw bytes, not re-serialised');
    const amd = await layout.readManifest(multi.manifests[0]?.descriptor);
    assert.equal(amd.kind, 'manifest');
    if (amd.kind !== 'manifest') return;
    const config = JSON.parse((await layout.readBlob(amd.config)).toString()) as { rootfs: { diff_ids: string[] }; architecture: string };
    assert.equal(config.architecture, 'amd64');
    assert.deepEqual(
      config.rootfs.diff_ids,
      multi.manifests[0]?.layers.map((l) => l.diffId),
    );
    for (const layer of amd.layers) assert.equal(await drain(await layout.openBlob(layer)), layer.size);
  });

  it('lists an image children first, each blob once', async () => {
    const layout = await OciLayout.open(srcDir);
    const items = await layout.contents(multi.descriptor);
    assert.equal(items.length, 2 * (1 + 3 + 1) + 1);
    assert.equal(items.at(-1)?.kind, 'index');
    assert.equal(new Set(items.map((i) => i.descriptor.digest)).size, items.length);
    const position = new Map(items.map((i, n) => [i.descriptor.digest, n]));
    for (const [n, item] of items.entries()) {
      if (!item.manifest) continue;
      const children = item.manifest.kind === 'index' ? item.manifest.manifests : [item.manifest.config, ...item.manifest.layers];
      for (const c of children) assert.ok((position.get(c.digest) as number) < n, `${c.digest} before its parent`);
    }
    assert.deepEqual(await layout.missingBlobs(multi.descriptor), []);
  });

  it('copies images into a new layout byte for byte', async () => {
    const src = await OciLayout.open(srcDir);
    const dstDir = join(root, 'copy');
    const dst = await OciLayout.create(dstDir);
    for (const image of await src.images()) {
      await copyImage(src, dst, await src.contents(image.descriptor));
      await dst.commit([{ descriptor: image.descriptor, ...(image.tag !== undefined ? { tag: image.tag } : {}) }]);
    }
    await dst.tidy();
    assert.deepEqual(listFiles(dstDir), listFiles(srcDir));
    for (const f of listFiles(srcDir)) assert.ok(readFileSync(join(srcDir, f)).equals(readFileSync(join(dstDir, f))), f);
  });

  it('catches a corrupted blob while streaming it', async () => {
    const dir = join(root, 'corrupt');
    const gen = await generateTestImage(dir, { seed: 'corrupt', layers: [300_000, 300_000, 300_000] });
    const layout = await OciLayout.open(dir);
    const [flipped, truncated, extended] = gen.manifests[0]?.layers.map((l) => l.descriptor) as Descriptor[];

    const f1 = layout.blobFile(flipped!.digest);
    const b = readFileSync(f1);
    b[b.length - 100] = (b[b.length - 100] as number) ^ 0xff;
    writeFileSync(f1, b);
    await assert.rejects(drain(await layout.openBlob(flipped!)), (err) => isDctError(err, 'DIGEST_MISMATCH'));

    truncateSync(layout.blobFile(truncated!.digest), truncated!.size - 1);
    await assert.rejects(drain(await layout.openBlob(truncated!)), (err) => isDctError(err, 'SIZE_MISMATCH'));

    appendFileSync(layout.blobFile(extended!.digest), Buffer.alloc(5));
    await assert.rejects(drain(await layout.openBlob(extended!)), (err) => isDctError(err, 'SIZE_MISMATCH'));

    // the manifest and the config too
    const cfg = gen.manifests[0]!.config.descriptor;
    writeFileSync(layout.blobFile(cfg.digest), Buffer.from(JSON.stringify({ tampered: true }).padEnd(cfg.size)));
    await assert.rejects(layout.readBlob(cfg), (err) => isDctError(err, 'DIGEST_MISMATCH'));
    const mf = layout.blobFile(gen.descriptor.digest);
    writeFileSync(mf, readFileSync(mf).toString().replace('"schemaVersion":2', '"schemaVersion":2 '));
    await assert.rejects(layout.readManifest('latest'), (err) => isDctError(err, 'SIZE_MISMATCH'));
    // a blob of the wrong size counts as missing
    await assert.rejects(
      layout.commit([{ descriptor: gen.descriptor, tag: 'again' }]),
      (err) => isDctError(err, 'SIZE_MISMATCH') || isDctError(err, 'INCOMPLETE_IMAGE'),
    );
  });

  it('an interrupted write leaves no index entry, and resumes from its partial file', async () => {
    const src = await OciLayout.open(srcDir);
    const dstDir = join(root, 'interrupted');
    const dst = await OciLayout.create(dstDir);
    const indexBefore = readFileSync(join(dstDir, 'index.json'));
    const items = await src.contents(single.descriptor);
    const layer = items.find((i) => i.kind === 'layer')?.descriptor as Descriptor;
    const bytes = readFileSync(src.blobFile(layer.digest));
    const cut = 20_000;

    await copyImage(
      src,
      dst,
      items.filter((i) => i.kind !== 'layer'),
    );
    await assert.rejects(dst.writeBlob(interrupted(bytes, cut), layer), (err) => (err as NodeJS.ErrnoException).code === 'ECONNRESET');
    assert.equal(await dst.hasBlob(layer), false);
    assert.equal(await dst.partialBlobSize(layer.digest), cut);
    await assert.rejects(dst.commit([{ descriptor: single.descriptor, tag: 'single' }]), (err) => isDctError(err, 'INCOMPLETE_IMAGE'));
    assert.deepEqual(readFileSync(join(dstDir, 'index.json')), indexBefore, 'index.json untouched');
    assert.deepEqual(await dst.images(), []);

    // wrong bytes after the partial: refused, and the partial is dropped
    await assert.rejects(dst.writeBlob([Buffer.alloc(bytes.length - cut)], layer, { offset: cut }), (err) =>
      isDctError(err, 'DIGEST_MISMATCH'),
    );
    assert.equal(await dst.partialBlobSize(layer.digest), 0);
    await assert.rejects(dst.writeBlob(interrupted(bytes, cut), layer));

    // continue where it stopped
    const offset = await dst.partialBlobSize(layer.digest);
    assert.equal(offset, cut);
    await dst.writeBlob(await src.files.openRead(`blobs/sha256/${layer.digest.slice(7)}`, offset), layer, { offset });
    assert.ok(readFileSync(dst.blobFile(layer.digest)).equals(bytes));
    await dst.commit([{ descriptor: single.descriptor, tag: 'single' }]);
    assert.deepEqual(
      (await dst.images()).map((i) => i.tag),
      ['single'],
    );
    await dst.tidy();
    assert.ok(!listFiles(dstDir).some((f) => f.startsWith(INGEST_DIR)), 'no partial left');
  });

  it('refuses content that does not match what was announced', async () => {
    const dst = await OciLayout.create(join(root, 'mismatch'));
    const data = Buffer.from('some blob content');
    const digest = digestOf(data);
    await assert.rejects(dst.writeBlob([data], { digest, size: data.length - 1 }), (err) => isDctError(err, 'SIZE_MISMATCH'));
    await assert.rejects(dst.writeBlob([data], { digest: digestOf(Buffer.from('other')), size: data.length }), (err) =>
      isDctError(err, 'DIGEST_MISMATCH'),
    );
    assert.equal(await dst.hasBlob({ digest }), false);
    assert.equal(await dst.partialBlobSize(digest), 0);
    assert.deepEqual(await dst.writeBlob([data.subarray(0, 5), data.subarray(5)], { digest, size: data.length }), {
      digest,
      size: data.length,
    });
    // without an expectation the digest is computed
    assert.deepEqual(await dst.writeBlob(Readable.from([Buffer.from('abc')])), { digest: digestOf(Buffer.from('abc')), size: 3 });
  });

  it('a verified source (the registry client) is counted, not hashed again: sizes are still enforced, a resume appends', async () => {
    const dst = await OciLayout.create(join(root, 'verified-source'));
    const data = Buffer.from('bytes a registry client has already checked');
    const expected = { digest: digestOf(data), size: data.length };
    const verified = { sourceVerified: true };
    await assert.rejects(dst.writeBlob([data, Buffer.from('!')], expected, verified), (err) => isDctError(err, 'SIZE_MISMATCH'));
    await assert.rejects(dst.writeBlob([data.subarray(1)], expected, verified), (err) => isDctError(err, 'SIZE_MISMATCH'));
    assert.equal(await dst.hasBlob(expected), false);
    // a source that fails part way: its bytes stay for a resume, which appends the rest
    const failing = async function* () {
      yield data.subarray(0, 10);
      throw new Error('connection reset');
    };
    await assert.rejects(dst.writeBlob(failing(), expected, verified), /connection reset/);
    assert.equal(await dst.partialBlobSize(expected.digest), 10);
    assert.deepEqual(await dst.writeBlob([data.subarray(10)], expected, { ...verified, offset: 10 }), expected);
    assert.ok(readFileSync(dst.blobFile(expected.digest)).equals(data));
    // (the contract: the source checks the digest; without the option the layout does)
    await assert.rejects(
      dst.writeBlob([Buffer.from('x'.repeat(data.length))], { digest: digestOf(Buffer.from('other')), size: data.length }),
      (err) => isDctError(err, 'DIGEST_MISMATCH'),
    );
  });

  it('writes the same blob once when two writers race', async () => {
    const dst = await OciLayout.create(join(root, 'race'));
    const data = Buffer.alloc(3_000_000, 7);
    const expected = { digest: digestOf(data), size: data.length };
    const chunks = () => Readable.from([data.subarray(0, 1_000_000), data.subarray(1_000_000)]);
    const results = await Promise.all([
      dst.writeBlob(chunks(), expected),
      dst.writeBlob(chunks(), expected),
      dst.writeBlob(chunks(), expected),
    ]);
    assert.deepEqual(results, [expected, expected, expected]);
    assert.ok(readFileSync(dst.blobFile(expected.digest)).equals(data));
  });

  it('moves a tag and keeps other entries', async () => {
    const dir = join(root, 'tags');
    const a = await generateTestImage(dir, { seed: 'a', layers: [10], tag: 'x' });
    const b = await generateTestImage(dir, { seed: 'b', layers: [10], tag: 'y' });
    const layout = await OciLayout.open(dir);
    await layout.commit([{ descriptor: b.descriptor, tag: 'x', annotations: { 'io.containerd.image.name': 'example.com/b:x' } }]);
    const images = await layout.images();
    assert.deepEqual(
      images.map((i) => [i.tag, i.descriptor.digest]),
      [
        ['y', b.descriptor.digest],
        ['x', b.descriptor.digest],
      ],
    );
    assert.equal(images[1]?.name, 'example.com/b:x');
    assert.equal(images[1]?.descriptor.annotations?.[REF_NAME_ANNOTATION], 'x');
    assert.equal((await layout.resolve('example.com/b:x')).digest, b.descriptor.digest);
    assert.notEqual(a.descriptor.digest, b.descriptor.digest);
  });

  it('opens only real layouts and creates only in empty folders', async () => {
    const junk = join(root, 'junk');
    mkdirSync(junk);
    writeFileSync(join(junk, 'notes.txt'), 'mine');
    await assert.rejects(OciLayout.open(junk), (err) => isDctError(err, 'NOT_AN_OCI_LAYOUT'));
    await assert.rejects(OciLayout.create(junk), (err) => isDctError(err, 'NOT_AN_OCI_LAYOUT'));
    const bad = join(root, 'badversion');
    mkdirSync(bad);
    writeFileSync(join(bad, 'oci-layout'), '{"imageLayoutVersion":"2.0.0"}');
    await assert.rejects(OciLayout.open(bad), (err) => isDctError(err, 'INVALID_LAYOUT'));
    const fresh = await OciLayout.create(join(root, 'fresh', 'nested'));
    assert.deepEqual(await fresh.images(), []);
    assert.deepEqual(JSON.parse(readFileSync(join(root, 'fresh', 'nested', 'oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' });
    await OciLayout.create(join(root, 'fresh', 'nested'));
  });
});
