/**
 * Interoperability with skopeo (Debian's 1.9, when installed): what skopeo writes
 * (docker-archive, OCI layouts) reads with dct's readers, and what dct writes (OCI
 * layouts, docker archives in both layouts) skopeo inspects and copies.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DockerArchive } from '../../../src/adapters/image-layout/docker-archive.js';
import { OciLayout } from '../../../src/adapters/image-layout/oci-layout.js';
import { OciLayoutReader } from '../../../src/adapters/image-layout/oci-layout-reader.js';
import { DirectoryFiles } from '../../../src/adapters/image-layout/layout-files.js';
import { interopSkip, missingTool } from '../../support/interop.js';
import { generateTestImage, LINUX_AMD64, LINUX_ARM64, writeDockerSaveTarball, type GeneratedImage } from '../../support/test-images.js';

const SKOPEO_MISSING = missingTool('skopeo');
/** skopeo without policy files or registries configuration of the machine */
function skopeo(...args: string[]): string {
  const [cmd, ...rest] = args;
  return execFileSync('skopeo', [cmd as string, ...(cmd === 'copy' ? ['--insecure-policy', '-q'] : []), ...rest], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function drain(stream: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const c of stream) n += (c as Buffer).length;
  return n;
}

describe('skopeo interop', { skip: interopSkip(SKOPEO_MISSING) }, () => {
  let root: string;
  let layoutDir: string;
  let multi: GeneratedImage;
  let single: GeneratedImage;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'dct-skopeo-'));
    layoutDir = join(root, 'layout');
    multi = await generateTestImage(layoutDir, {
      seed: 'sk-multi',
      layers: [150_000, 600_000],
      platforms: [LINUX_AMD64, LINUX_ARM64],
      tag: 'multi',
    });
    // OCI media types: skopeo 1.9's oci transport ignores index.json entries of docker media types
    single = await generateTestImage(layoutDir, { seed: 'sk-single', layers: [80_000, 10, 0], tag: 'single' });
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('skopeo accepts the layouts dct writes', () => {
    const inspected = JSON.parse(skopeo('inspect', `oci:${layoutDir}:single`)) as {
      Digest: string;
      Layers: string[];
      Architecture: string;
    };
    assert.equal(inspected.Digest, single.descriptor.digest);
    assert.deepEqual(
      inspected.Layers,
      single.manifests[0]!.layers.map((l) => l.descriptor.digest),
    );
    const raw = skopeo('inspect', '--raw', `oci:${layoutDir}:multi`);
    assert.equal(raw, multi.index!.bytes.toString());
    const config = JSON.parse(skopeo('inspect', '--config', '--raw', `oci:${layoutDir}:single`)) as { rootfs: { diff_ids: string[] } };
    assert.deepEqual(
      config.rootfs.diff_ids,
      single.manifests[0]!.layers.map((l) => l.diffId),
    );
  });

  it('dct reads what skopeo copies into an OCI layout and a docker archive', async () => {
    const skDir = join(root, 'skopeo-layout');
    skopeo('copy', '--all', `oci:${layoutDir}:multi`, `oci:${skDir}:copied`);
    skopeo('copy', `oci:${layoutDir}:single`, `oci:${skDir}:single`);
    const layout = await OciLayout.open(skDir);
    assert.deepEqual(
      (await layout.images()).map((i) => [i.tag, i.descriptor.digest]),
      [
        ['copied', multi.descriptor.digest],
        ['single', single.descriptor.digest],
      ],
    );
    for (const item of await layout.contents(await layout.resolve('copied'))) {
      if (!item.manifest) assert.equal(await drain(await layout.openBlob(item.descriptor)), item.descriptor.size);
    }

    const archive = join(root, 'skopeo.tar');
    skopeo('copy', `oci:${layoutDir}:multi`, `docker-archive:${archive}:example.com/app:1`);
    const da = await DockerArchive.open(archive);
    assert.deepEqual(da.tags(), ['example.com/app:1']);
    const entry = da.image('example.com/app:1');
    const config = await da.config(entry);
    const gen = multi.manifests.find((m) => m.platform.architecture === process.arch.replace('x64', 'amd64')) ?? multi.manifests[0]!;
    assert.deepEqual(
      config.diffIds,
      gen.layers.map((l) => l.diffId),
    );
    for (const layer of await da.layers(entry, config)) {
      assert.equal(layer.compression, 'none');
      let n = 0;
      for await (const c of layer.uncompressed()) n += c.length;
      assert.equal(n, layer.size);
    }
  });

  for (const format of ['classic', 'oci'] as const) {
    it(`skopeo reads the ${format} docker archives dct writes`, async () => {
      const file = join(root, `dct-${format}.tar`);
      await writeDockerSaveTarball(layoutDir, file, {
        ref: 'multi',
        repoTags: ['example.com/app:2'],
        platform: 'linux/arm64',
        layout: format,
      });
      const gen = multi.manifests[1]!;
      const inspected = JSON.parse(skopeo('inspect', `docker-archive:${file}`)) as { Layers: string[]; Architecture: string };
      assert.equal(inspected.Architecture, 'arm64');
      assert.deepEqual(
        inspected.Layers,
        gen.layers.map((l) => l.diffId),
      );
      const out = join(root, `from-dct-${format}`);
      skopeo('copy', `docker-archive:${file}:example.com/app:2`, `oci:${out}:back`);
      const back = await OciLayoutReader.openFiles(new DirectoryFiles(out));
      const m = await back.readManifest('back');
      assert.equal(m.kind, 'manifest');
      if (m.kind !== 'manifest') return;
      assert.deepEqual(
        JSON.parse(readFileSync(join(out, 'blobs', 'sha256', m.config.digest.slice(7)), 'utf8')),
        JSON.parse(gen.config.bytes.toString()),
      );
      for (const l of m.layers) assert.equal(await drain(await back.openBlob(l)), l.size);
    });
  }
});
