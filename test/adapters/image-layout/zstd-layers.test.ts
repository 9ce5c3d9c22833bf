/**
 * zstd layers (`application/vnd.oci.image.layer.v1.tar+zstd`), made by skopeo from a
 * generated image: with Node ≥ 22.15 (zlib zstd) they go into docker archives (a pull to
 * an archive) and out of them (a push, gzip for docker schema 2, as stored for OCI);
 * on an older Node both are refused with UNSUPPORTED_COMPRESSION naming the fix.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decompress, ZSTD_SUPPORTED } from '../../../src/adapters/image-layout/compression.js';
import { archiveImagesFromLayout, writeDockerArchive } from '../../../src/adapters/image-layout/docker-archive-writer.js';
import { DockerArchive } from '../../../src/adapters/image-layout/docker-archive.js';
import { OciLayout } from '../../../src/adapters/image-layout/oci-layout.js';
import { scanTarStream } from '../../../src/adapters/image-layout/tar-reader.js';
import { isDctError } from '../../../src/core/errors.js';
import { digestOf, DOCKER_MEDIA_TYPES, OCI_MEDIA_TYPES, type ImageManifest } from '../../../src/core/oci/index.js';
import { generateTestImage, type GeneratedManifest } from '../../support/test-images.js';

function missingTool(): string | undefined {
  for (const [tool, arg] of [
    ['skopeo', '--version'],
    ['tar', '--version'],
  ] as const) {
    try {
      execFileSync(tool, [arg], { stdio: 'ignore' });
    } catch {
      return `${tool} not installed`;
    }
  }
  return undefined;
}

async function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

async function zstdManifest(dir: string): Promise<ImageManifest> {
  const m = await (await OciLayout.open(dir)).readManifest('z');
  assert.equal(m.kind, 'manifest');
  return m;
}

const refusal = (err: unknown) =>
  isDctError(err, 'UNSUPPORTED_COMPRESSION') && /zstd layers need Node ≥ 22\.15; run dct on Node 24/.test(err.message);

describe('zstd layers', { skip: missingTool() }, () => {
  let root: string;
  let zstdLayout: string;
  let containerdArchive: string;
  let gen: GeneratedManifest;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'dct-zstd-'));
    const plain = join(root, 'plain');
    zstdLayout = join(root, 'zstd');
    gen = (await generateTestImage(plain, { seed: 'zstd-layers', layers: [150_000, 20_000], tag: 'src' })).manifests[0]!;
    execFileSync('skopeo', [
      'copy',
      '--quiet',
      '--dest-compress',
      '--dest-compress-format',
      'zstd',
      `oci:${plain}:src`,
      `oci:${zstdLayout}:z`,
    ]);
    // the same image as a containerd-store `docker save` (layers as stored, in blobs/)
    const dir = join(root, 'containerd');
    cpSync(zstdLayout, dir, { recursive: true });
    const manifest = await zstdManifest(zstdLayout);
    const blobPath = (digest: string) => `blobs/sha256/${digest.slice('sha256:'.length)}`;
    writeFileSync(
      join(dir, 'manifest.json'),
      JSON.stringify([
        { Config: blobPath(manifest.config.digest), RepoTags: ['z:1'], Layers: manifest.layers.map((l) => blobPath(l.digest)) },
      ]),
    );
    containerdArchive = join(root, 'containerd.tar');
    execFileSync('tar', ['-cf', containerdArchive, '-C', dir, '.']);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('skopeo made zstd layers of the generated image', async () => {
    const manifest = await zstdManifest(zstdLayout);
    assert.deepEqual(
      manifest.layers.map((l) => l.mediaType),
      [OCI_MEDIA_TYPES.layerZstd, OCI_MEDIA_TYPES.layerZstd],
    );
  });

  it(
    'pull: a layout with zstd layers becomes a docker archive of the uncompressed tars',
    { skip: !ZSTD_SUPPORTED && `Node ${process.versions.node} has no zstd (22.15+)` },
    async () => {
      const images = await archiveImagesFromLayout(await OciLayout.open(zstdLayout), [{ ref: 'z', repoTags: ['z:1'] }]);
      const out = join(root, 'pulled.tar');
      await writeDockerArchive(out, images);
      const archive = await DockerArchive.open(out);
      const layers = await archive.layers(archive.image('z:1'));
      assert.deepEqual(
        layers.map((l) => [l.compression, l.diffId]),
        gen.layers.map((l) => ['none', l.diffId]),
      );
      for (const [i, layer] of layers.entries()) {
        const entries = await scanTarStream(layer.uncompressed());
        assert.deepEqual(
          entries.filter((e) => e.type === 'file').map((e) => [e.name, e.size, e.digest]),
          gen.layers[i]!.files.map((f) => [f.name, f.size, f.digest]),
        );
      }
    },
  );

  it(
    'push: zstd layers of an archive are gzip for docker schema 2 and kept as they are for OCI',
    { skip: !ZSTD_SUPPORTED && `Node ${process.versions.node} has no zstd (22.15+)` },
    async () => {
      const archive = await DockerArchive.open(containerdArchive);
      const entry = archive.image('z:1');
      const layers = await archive.layers(entry);
      assert.deepEqual(
        layers.map((l) => l.compression),
        ['zstd', 'zstd'],
      );
      assert.equal(digestOf(await collect(layers[0]!.uncompressed())), gen.layers[0]!.diffId);

      const docker = await archive.prepare(entry, { compress: true, tmpDir: join(root, 'tmp') });
      try {
        assert.deepEqual(
          docker.layers.map((l) => l.descriptor.mediaType),
          [DOCKER_MEDIA_TYPES.layer, DOCKER_MEDIA_TYPES.layer],
        );
        for (const [i, layer] of docker.layers.entries()) {
          const bytes = await collect(await layer.open());
          assert.deepEqual([bytes[0], bytes[1]], [0x1f, 0x8b], 'gzip');
          assert.equal(digestOf(await collect(decompress([bytes]))), gen.layers[i]!.diffId);
        }
      } finally {
        await docker.dispose();
      }
      assert.deepEqual(readdirSync(join(root, 'tmp')), [], 'the gzip temp files are removed');

      const oci = await archive.prepare(entry, { compress: true, format: 'oci' });
      const manifest = await zstdManifest(zstdLayout);
      assert.deepEqual(
        oci.layers.map((l) => [l.descriptor.mediaType, l.descriptor.digest]),
        manifest.layers.map((l) => [OCI_MEDIA_TYPES.layerZstd, l.digest]),
      );
      await oci.dispose();
    },
  );

  it(
    'Node without zstd: pull and push refuse zstd layers, naming the fix, and leave nothing behind',
    { skip: ZSTD_SUPPORTED && `Node ${process.versions.node} has zstd` },
    async () => {
      const images = await archiveImagesFromLayout(await OciLayout.open(zstdLayout), [{ ref: 'z', repoTags: ['z:1'] }]);
      const out = join(root, 'refused.tar');
      await assert.rejects(writeDockerArchive(out, images), refusal);
      assert.equal(existsSync(out), false);
      assert.deepEqual(
        readdirSync(root).filter((f) => f.endsWith('.tmp')),
        [],
      );

      const archive = await DockerArchive.open(containerdArchive);
      await assert.rejects(archive.prepare(archive.image('z:1'), { compress: true, tmpDir: join(root, 'tmp-refused') }), refusal);
      assert.deepEqual(existsSync(join(root, 'tmp-refused')) ? readdirSync(join(root, 'tmp-refused')) : [], []);
    },
  );
});
