/**
 * Garbage collection of the embedded registry (`dct server gc`): untagged,
 * unsigned manifests and the blobs only they used go; tagged and signed
 * manifests (signed with dct trust, on the same server), an index's platform
 * manifests, referrers of kept manifests, shared blobs and anything within the
 * grace period stay. Dry runs remove nothing.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FsBlobStore } from '../../../src/adapters/blob-store/fs-blob-store.js';
import { runTrust } from '../../../src/cli/commands/trust/index.js';
import type { TrustIo } from '../../../src/cli/docker-trust/io.js';
import { formatGcReport, runGarbageCollection } from '../../../src/server/registry/gc-command.js';
import { registryDataDir } from '../../../src/server/registry/embedded-registry.js';
import { buildImage, buildIndex, OCI_INDEX, OCI_MANIFEST, pushImage, Raw, sha256, startTestServer, type TestServer } from './support.js';

const HOUR = 3600_000;

describe('registry garbage collection', () => {
  let server: TestServer;
  let raw: Raw;
  let blobs: FsBlobStore;

  before(async () => {
    server = await startTestServer({ tls: true });
    raw = new Raw(server.url, server.ca);
    blobs = await FsBlobStore.open(registryDataDir(server.dir));
  });
  after(async () => {
    await server?.close();
  });

  async function trust(...args: string[]): Promise<void> {
    const home = join(server.dir, 'signer');
    mkdirSync(join(home, 'docker'), { recursive: true });
    let out = '';
    const io: TrustIo = {
      out: (t) => void (out += t),
      err: (t) => void (out += t),
      readLine: async () => undefined,
      env: {
        DOCKER_CONFIG: join(home, 'docker'),
        DCT_CONFIG: join(home, 'dct.json'),
        HOME: home,
        DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: 'r',
        DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'p',
      },
      cwd: home,
      now: () => new Date(),
      hints: false,
    };
    assert.equal(await runTrust(args, io), 0, out);
  }

  const present = (digest: string) => existsSync(blobs.blobPath(digest));

  it('keeps tagged, signed, listed and referring manifests; removes the rest and their blobs — never within the grace period', async () => {
    const name = 'gc/app';
    const tagged = buildImage('tagged');
    const untagged = buildImage('untagged');
    const signed = buildImage('signed');
    const amd = buildImage('gc-amd', { platform: 'linux/amd64' });
    const arm = buildImage('gc-arm', { platform: 'linux/arm64' });
    await pushImage(raw, name, tagged, 'v1');
    await pushImage(raw, name, untagged);
    await pushImage(raw, name, signed, 'release');
    await pushImage(raw, name, amd);
    await pushImage(raw, name, arm);
    const index = buildIndex([
      { image: amd, platform: 'linux/amd64' },
      { image: arm, platform: 'linux/arm64' },
    ]);
    assert.equal((await raw.pushManifest(name, 'multi', index.bytes, OCI_INDEX)).status, 201);
    // referrers: one of a kept manifest, one of a manifest that goes
    const empty = Buffer.from('{}');
    await raw.pushBlob(name, empty);
    const referrer = (subject: { digest: string; size: number }, payload: string) => {
      const bytes = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          artifactType: 'application/vnd.example.sig',
          config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(empty), size: 2 },
          layers: [],
          subject: { mediaType: OCI_MANIFEST, digest: subject.digest, size: subject.size },
          annotations: { payload },
        }),
      );
      return { bytes, digest: sha256(bytes) };
    };
    const keptReferrer = referrer(tagged, 'kept');
    const goneReferrer = referrer(untagged, 'gone');
    for (const r of [keptReferrer, goneReferrer]) assert.equal((await raw.pushManifest(name, r.digest, r.bytes)).status, 201);
    // an orphan blob, an abandoned upload
    const orphan = await raw.pushBlob(name, Buffer.from('nobody uses me'));
    await raw.call(`/v2/${name}/blobs/uploads/`, { method: 'POST' });

    // sign `release`, then untag it: the signature alone must keep it
    const gun = `${server.host}/${name}`;
    await trust('sign', `${gun}:release`, '--digest', signed.digest, '--size', String(signed.size));
    assert.equal((await raw.call(`/v2/${name}/manifests/release`, { method: 'DELETE' })).status, 202);

    // within the grace period: nothing goes
    const fresh = await runGarbageCollection(server.config, { graceMs: HOUR, dryRun: false });
    assert.equal(fresh.manifestsRemoved.length, 0);
    assert.equal(fresh.blobsRemoved.length, 0);
    assert.equal(fresh.uploadsRemoved, 0);

    const later = new Date(Date.now() + 2 * HOUR);
    const dry = await runGarbageCollection(server.config, { graceMs: HOUR, dryRun: true, now: later });
    assert.deepEqual(dry.manifestsRemoved.map((m) => m.digest).sort(), [untagged.digest, goneReferrer.digest].sort());
    assert.equal((await raw.getManifest(name, untagged.digest)).status, 200, 'a dry run removes nothing');
    assert.ok(present(orphan), 'present(orphan)');

    const report = await runGarbageCollection(server.config, { graceMs: HOUR, dryRun: false, now: later });
    assert.deepEqual(report.manifestsRemoved.map((m) => m.digest).sort(), [untagged.digest, goneReferrer.digest].sort());
    assert.deepEqual(report.signedKept, [{ repository: name, digest: signed.digest }]);
    assert.equal(report.uploadsRemoved, 1);
    const removedBlobs = report.blobsRemoved.map((b) => b.digest).sort();
    assert.deepEqual(removedBlobs, [orphan, sha256(untagged.config), ...untagged.layers.map((l) => sha256(l))].sort());
    assert.match(formatGcReport(report, false), /removed 2 manifests, \d+ blob links, 4 blobs \(\d+ bytes\), 1 abandoned uploads\n$/);

    // what went
    assert.equal((await raw.getManifest(name, untagged.digest)).status, 404);
    assert.equal((await raw.getManifest(name, goneReferrer.digest)).status, 404);
    for (const d of removedBlobs) assert.ok(!present(d), `${d} is still on disk`);
    // what stayed
    for (const [ref, image] of [
      ['v1', tagged],
      [signed.digest, signed],
      ['multi', undefined],
      [amd.digest, amd],
      [arm.digest, arm],
      [keptReferrer.digest, undefined],
    ] as const) {
      assert.equal((await raw.getManifest(name, ref)).status, 200, `${ref} was removed`);
      if (image)
        for (const l of image.layers) assert.equal((await raw.call(`/v2/${name}/blobs/${sha256(l)}`, { method: 'HEAD' })).status, 200);
    }
    const referrers = await raw.call(`/v2/${name}/referrers/${tagged.digest}`);
    assert.deepEqual(
      referrers.json<{ manifests: Array<{ digest: string }> }>().manifests.map((m) => m.digest),
      [keptReferrer.digest],
    );

    // nothing left to collect
    const again = await runGarbageCollection(server.config, { graceMs: HOUR, dryRun: false, now: later });
    assert.equal(again.manifestsRemoved.length + again.blobsRemoved.length + again.blobLinksRemoved.length, 0);
  });

  it('a blob another repository still uses stays on disk when one repository lets it go', async () => {
    const image = buildImage('two-uses-it');
    const shared = image.layers[0] as Buffer;
    await pushImage(raw, 'gc/two', image, 'v1');
    await raw.pushBlob('gc/one', shared);
    const report = await runGarbageCollection(server.config, { graceMs: HOUR, dryRun: false, now: new Date(Date.now() + 2 * HOUR) });
    assert.ok(
      report.blobLinksRemoved.some((l) => l.repository === 'gc/one' && l.digest === sha256(shared)),
      "report.blobLinksRemoved.some((l) => l.repository === 'gc/one' && l.digest === sha256(shared))",
    );
    assert.ok(
      !report.blobsRemoved.some((b) => b.digest === sha256(shared)),
      '!report.blobsRemoved.some((b) => b.digest === sha256(shared))',
    );
    assert.ok(present(sha256(shared)), 'present(sha256(shared))');
    assert.equal((await raw.call(`/v2/gc/one/blobs/${sha256(shared)}`, { method: 'HEAD' })).status, 404);
    assert.equal((await raw.call(`/v2/gc/two/blobs/${sha256(shared)}`, { method: 'HEAD' })).status, 200);
  });
});
