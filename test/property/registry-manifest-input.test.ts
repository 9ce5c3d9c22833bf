/**
 * Properties of the embedded registry's manifest intake, driven through a live
 * in-process `dct server` (SQLite) that holds one pushed image: mutated manifests and
 * indexes (bytes and structure), under generated Content-Types, tags and digests as
 * references, are answered without a 5xx, and the pushed image still pulls by its tag
 * with the same digest afterwards.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import { RegistryClient } from '../../src/adapters/registry/registry-client.js';
import { descriptorOf, digestOf, MANIFEST_ACCEPT_TYPES, OCI_MEDIA_TYPES } from '../../src/core/oci/index.js';
import { loadConfig } from '../../src/server/config.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { checkProperty, mutatedBytes, mutatedJson } from './property-support.js';

const REPO = 'property/app';

describe('property: registry manifest intake', () => {
  const work = mkdtempSync(join(tmpdir(), 'dct-prop-registry-'));
  let server: RunningServer;
  let base: string;
  let client: RegistryClient;
  const seeds: Buffer[] = [];
  let imageDigest = '';

  before(async () => {
    const config = loadConfig({
      env: {},
      flags: {
        listen: '127.0.0.1:0',
        storage: `sqlite:${join(work, 'dct.db')}`,
        dataDir: join(work, 'data'),
        plainHttp: true,
        logLevel: 'silent',
        writesPerSecond: 100_000,
        writeBurst: 100_000,
      },
    });
    server = await startServer(config, { DCT_SERVER_KEY_PASSPHRASE: 'property-test' }, pino({ level: 'silent' }));
    base = server.url;
    const port = new URL(base).port;
    client = new RegistryClient(`127.0.0.1:${port}`, { endpoint: base, retries: 0 });
    const configBytes = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
    const layer = randomBytes(2048);
    const configDesc = descriptorOf(configBytes, OCI_MEDIA_TYPES.config);
    const layerDesc = descriptorOf(layer, OCI_MEDIA_TYPES.layerGzip);
    await client.uploadBlob(REPO, configDesc, configBytes);
    await client.uploadBlob(REPO, layerDesc, layer);
    const manifest = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: OCI_MEDIA_TYPES.manifest, config: configDesc, layers: [layerDesc] }),
    );
    await client.putManifest(REPO, 'v1', manifest, OCI_MEDIA_TYPES.manifest);
    imageDigest = digestOf(manifest);
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MEDIA_TYPES.index,
        manifests: [{ ...descriptorOf(manifest, OCI_MEDIA_TYPES.manifest), platform: { os: 'linux', architecture: 'amd64' } }],
      }),
    );
    seeds.push(manifest, index);
  });
  after(async () => {
    client?.close();
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('mutated manifests and indexes are answered without a 5xx', { timeout: 120_000 }, async () => {
    const body = fc.oneof(
      mutatedBytes(seeds),
      mutatedJson(seeds.map((s) => JSON.parse(s.toString('utf8')) as unknown)).map((v) => Buffer.from(JSON.stringify(v))),
    );
    const contentType = fc.option(
      fc.constantFrom(
        ...MANIFEST_ACCEPT_TYPES,
        'application/json',
        'text/plain',
        'application/vnd.oci.image.manifest.v1+json; charset=utf-8',
        '',
      ),
      { nil: undefined },
    );
    const reference = fc.oneof(
      fc.constantFrom('v2', 'latest', 'v1'),
      fc.stringMatching(/^[A-Za-z0-9_.-]{1,20}$/),
      fc.constant('digest'),
      fc.stringMatching(/^sha256:[0-9a-f]{64}$/),
    );
    await checkProperty(
      'registry manifest PUT',
      [body, contentType, reference],
      async (bytes, type, ref) => {
        // 'v1' is kept for the check below: the property writes other tags
        const tag = ref === 'v1' ? 'v1-other' : ref === 'digest' ? digestOf(bytes) : ref;
        const res = await fetch(`${base}/v2/${REPO}/manifests/${tag}`, {
          method: 'PUT',
          body: bytes,
          headers: type !== undefined ? { 'Content-Type': type } : {},
          signal: AbortSignal.timeout(10_000),
        });
        const text = await res.text();
        assert.ok(res.status < 500, `PUT manifest ${tag} → ${res.status} ${text.slice(0, 300)}`);
      },
      { numRuns: 500 },
    );
  });

  it('the pushed image still pulls by its tag with its digest', async () => {
    const m = await client.getManifest(REPO, 'v1');
    assert.equal(m.digest, imageDigest);
  });
});
