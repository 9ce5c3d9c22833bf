/**
 * The signature formats' registry port over RegistryClient, and attaching a referrer with
 * the tag-schema fallback, on both kinds of registry: dct server's embedded registry (OCI
 * 1.1 referrers API: the manifest is indexed by its subject) and the real docker-registry
 * 2.8 (no referrers API: the `sha256-<hex>` index is written and kept).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { RegistryClient } from '../../../src/adapters/registry/registry-client.js';
import { RegistrySignatureStore } from '../../../src/adapters/registry/signature-registry-client.js';
import { attachReferrer, referrersTagOf } from '../../../src/app/signatures/attach-referrer.js';
import type { Descriptor } from '../../../src/core/oci/descriptor.js';
import { EMPTY_JSON_DESCRIPTOR, OCI_MEDIA_TYPES } from '../../../src/core/oci/media-types.js';
import { loadConfig } from '../../../src/server/config.js';
import { startServer } from '../../../src/server/start-server.js';
import { interopSkip } from '../../support/interop.js';
import { plainRegistryMissing, startPlainRegistry } from '../../support/plain-registry.js';

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const blob = (s: string) => {
  const bytes = Buffer.from(s);
  return { bytes, descriptor: { mediaType: OCI_MEDIA_TYPES.layer, digest: sha256(bytes), size: bytes.length } };
};

interface Target {
  host: string;
  stop(): Promise<void>;
}

const targets: Array<[string, 'api' | 'tag', () => Promise<Target>, string | false]> = [
  [
    "dct server's embedded registry",
    'api',
    async () => {
      const data = mkdtempSync(join(tmpdir(), 'dct-sigreg-'));
      const config = loadConfig({
        env: {},
        flags: { listen: '127.0.0.1:0', storage: `sqlite:${join(data, 'dct.db')}`, dataDir: data, logLevel: 'warn' },
      });
      const server = await startServer(config, { DCT_SERVER_KEY_PASSPHRASE: 'sigreg-test' }, pino({ level: 'warn' }));
      return {
        host: new URL(server.url).host,
        stop: async () => {
          await server.close();
          rmSync(data, { recursive: true, force: true });
        },
      };
    },
    false,
  ],
  ['docker-registry 2.8', 'tag', startPlainRegistry, interopSkip(plainRegistryMissing())],
];

for (const [name, expectedVia, start, skip] of targets)
  describe(`signature registry port and referrer attachment: ${name}`, { skip }, () => {
    let target: Target;
    let store: RegistrySignatureStore;
    const repo = 'sig/attach';
    let image: Descriptor;

    const referrer = (artifactType: string, note: string) => {
      const layer = blob(note);
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MEDIA_TYPES.manifest,
          artifactType,
          config: EMPTY_JSON_DESCRIPTOR,
          layers: [layer.descriptor],
          subject: image,
          annotations: { note },
        }),
      );
      return { layer, manifest };
    };

    before(async () => {
      target = await start();
      store = new RegistrySignatureStore(new RegistryClient(target.host, {}));
      const config = Buffer.from('{}');
      const layer = blob('the image layer');
      await store.writeBlob(repo, { ...EMPTY_JSON_DESCRIPTOR }, config);
      await store.writeBlob(repo, layer.descriptor, layer.bytes);
      const bytes = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MEDIA_TYPES.manifest,
          config: EMPTY_JSON_DESCRIPTOR,
          layers: [layer.descriptor],
        }),
      );
      await store.putManifest(repo, 'v1', bytes, OCI_MEDIA_TYPES.manifest);
      image = { mediaType: OCI_MEDIA_TYPES.manifest, digest: sha256(bytes), size: bytes.length };
    });
    after(async () => target?.stop());

    it(`attaches two referrers (${expectedVia}), lists them by artifact type, and attaching one again lists it once`, async () => {
      assert.equal(await store.supportsReferrersApi(repo, image.digest), expectedVia === 'api');
      const a = referrer('application/vnd.example.a', 'first');
      const b = referrer('application/vnd.example.b', 'second');
      for (const r of [a, b]) await store.writeBlob(repo, r.layer.descriptor, r.layer.bytes);
      const attachedA = await attachReferrer(store, repo, { bytes: a.manifest, mediaType: OCI_MEDIA_TYPES.manifest, subject: image });
      const attachedB = await attachReferrer(store, repo, { bytes: b.manifest, mediaType: OCI_MEDIA_TYPES.manifest, subject: image });
      await attachReferrer(store, repo, { bytes: a.manifest, mediaType: OCI_MEDIA_TYPES.manifest, subject: image });
      assert.equal(attachedA.via, expectedVia);
      assert.equal(attachedA.digest, sha256(a.manifest));

      const all = await store.referrers(repo, image.digest);
      assert.equal(all.via, expectedVia);
      assert.deepEqual(all.manifests.map((d) => d.digest).sort(), [attachedA.digest, attachedB.digest].sort());
      const onlyB = await store.referrers(repo, image.digest, { artifactType: 'application/vnd.example.b' });
      assert.deepEqual(
        onlyB.manifests.map((d) => [d.digest, d.artifactType, d.annotations?.['note']]),
        [[attachedB.digest, 'application/vnd.example.b', 'second']],
      );
      const fetched = await store.getManifest(repo, attachedB.digest);
      assert.ok(fetched?.bytes.equals(b.manifest));
      assert.equal(await store.getManifest(repo, 'no-such-tag'), undefined);
    });

    it('with forceTag writes the sha256-<hex> index whatever the registry supports', async () => {
      const c = referrer('application/vnd.example.c', 'third');
      await store.writeBlob(repo, c.layer.descriptor, c.layer.bytes);
      const attached = await attachReferrer(
        store,
        repo,
        { bytes: c.manifest, mediaType: OCI_MEDIA_TYPES.manifest, subject: image },
        { forceTag: true },
      );
      assert.equal(attached.via, 'tag');
      const index = await store.getManifest(repo, referrersTagOf(image.digest));
      assert.ok(index);
      const listed = (JSON.parse(index.bytes.toString()) as { manifests: Descriptor[] }).manifests;
      assert.ok(listed.some((d) => d.digest === attached.digest && d.artifactType === 'application/vnd.example.c'));
    });

    it('refuses a referrer whose subject is another artifact, and a blob larger than asked for', async () => {
      const d = referrer('application/vnd.example.d', 'fourth');
      const other = { ...image, digest: sha256(Buffer.from('another image')) };
      await assert.rejects(attachReferrer(store, repo, { bytes: d.manifest, mediaType: OCI_MEDIA_TYPES.manifest, subject: other }), {
        code: 'INVALID_MANIFEST',
      });
      const big = blob('x'.repeat(100));
      await store.writeBlob(repo, big.descriptor, big.bytes);
      await assert.rejects(store.readBlob(repo, big.descriptor, 99), { code: 'RESPONSE_TOO_LARGE' });
      assert.ok((await store.readBlob(repo, big.descriptor, 100)).equals(big.bytes));
    });
  });
