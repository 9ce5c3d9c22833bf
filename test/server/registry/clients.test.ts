/**
 * Real clients against the embedded registry: dct's own RegistryClient
 * (monolithic and chunked uploads, mounts, pulls with digest checks, paged tag
 * lists, referrers, deletion) and skopeo 1.9 copying a multi-layer,
 * multi-platform OCI layout into the registry and back, digests unchanged.
 * Also token auth: the registry asks for `repository:<name>:pull|push` scopes
 * from the same built-in issuer as the trust API.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { RegistryClient } from '../../../src/adapters/registry/registry-client.js';
import { RegistryAuth } from '../../../src/adapters/http/registry-auth.js';
import { OCI_MEDIA_TYPES, type Descriptor } from '../../../src/core/oci/index.js';
import { interopSkip, missingTool } from '../../support/interop.js';
import { generateTestImage, LINUX_AMD64, LINUX_ARM64 } from '../../support/test-images.js';
import { buildImage, pushImage, Raw, sha256, startTestServer, type TestServer } from './support.js';

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

function run(file: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 60_000, env: { ...process.env, HOME: process.env['HOME'] ?? '/tmp' } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 99) : 0, out: stdout, err: stderr });
    });
  });
}

const skopeoMissing = missingTool('skopeo');

describe('clients against the embedded registry', () => {
  let server: TestServer;
  let client: RegistryClient;

  before(async () => {
    server = await startTestServer();
    client = new RegistryClient(server.host, { endpoint: server.url });
  });
  after(async () => {
    client?.close();
    await server?.close();
  });

  it("dct's RegistryClient: uploads (monolithic, chunked), mount, manifests, verified pulls, tag pages, referrers, deletion", async () => {
    const repo = 'client/app';
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
    const big = Buffer.alloc(3 * 1024 * 1024 + 17, 'q');
    const small = Buffer.from('a small layer');
    const desc = (b: Buffer, mediaType: string): Descriptor => ({ mediaType, digest: sha256(b), size: b.length });
    const configDesc = desc(config, OCI_MEDIA_TYPES.config);
    const bigDesc = desc(big, OCI_MEDIA_TYPES.layerGzip);
    const smallDesc = desc(small, OCI_MEDIA_TYPES.layerGzip);
    await client.uploadBlob(repo, configDesc, config);
    await client.uploadBlob(repo, smallDesc, small);
    await client.uploadBlob(repo, bigDesc, big, { chunked: true, chunkSize: 1024 * 1024 });
    assert.deepEqual(await client.hasBlob(repo, bigDesc.digest), { size: big.length, digest: bigDesc.digest });
    const mounted = await client.mountBlob('client/other', repo, bigDesc);
    assert.deepEqual(mounted, { mounted: true, uploaded: false });

    const manifest = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: OCI_MEDIA_TYPES.manifest, config: configDesc, layers: [smallDesc, bigDesc] }),
    );
    const put = await client.putManifest(repo, 'v1', manifest, OCI_MEDIA_TYPES.manifest);
    assert.equal(put.digest, sha256(manifest));
    for (const t of ['v2', 'v3', 'v4', 'v5']) await client.putManifest(repo, t, manifest, OCI_MEDIA_TYPES.manifest);
    const got = await client.getManifest(repo, 'v1');
    assert.deepEqual(got.bytes, manifest);
    assert.equal(got.digest, sha256(manifest));
    assert.deepEqual((await client.getManifest(repo, sha256(manifest))).bytes, manifest);
    const sink = new Collect();
    const pulled = await client.getBlob(repo, bigDesc, sink);
    assert.equal(pulled.size, big.length);
    assert.deepEqual(sink.bytes, big);
    assert.deepEqual(await client.listTags(repo, { pageSize: 2 }), ['v1', 'v2', 'v3', 'v4', 'v5']);

    const empty = Buffer.from('{}');
    await client.uploadBlob(repo, desc(empty, 'application/vnd.oci.empty.v1+json'), empty);
    const sig = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MEDIA_TYPES.manifest,
        artifactType: 'application/vnd.example.sig',
        config: desc(empty, 'application/vnd.oci.empty.v1+json'),
        layers: [],
        subject: { mediaType: OCI_MEDIA_TYPES.manifest, digest: sha256(manifest), size: manifest.length },
      }),
    );
    const sigPut = await client.putManifest(repo, sha256(sig), sig, OCI_MEDIA_TYPES.manifest);
    assert.equal(sigPut.ociSubject, sha256(manifest));
    const refs = await client.referrers(repo, sha256(manifest));
    assert.equal(refs.via, 'api');
    assert.deepEqual(
      refs.manifests.map((m) => [m.digest, m.artifactType]),
      [[sha256(sig), 'application/vnd.example.sig']],
    );

    await client.deleteManifest(repo, sha256(sig));
    assert.equal(await client.headManifest(repo, sha256(sig)), undefined);
  });

  it(
    'skopeo 1.9 copies a multi-layer, multi-platform OCI layout into the registry and back, digests unchanged',
    { skip: interopSkip(skopeoMissing) },
    async () => {
      const source = join(server.dir, 'layout-in');
      const image = await generateTestImage(source, {
        seed: 'skopeo-h8',
        layers: [96 * 1024, 32 * 1024, 8 * 1024],
        platforms: [LINUX_AMD64, LINUX_ARM64],
        tag: 'v1',
      });
      const dest = `docker://${server.host}/skopeo/app:v1`;
      const push = await run('skopeo', ['copy', '--all', '--dest-tls-verify=false', `oci:${source}:v1`, dest]);
      assert.equal(push.code, 0, push.err);

      const raw = new Raw(server.url);
      const index = await raw.getManifest('skopeo/app', 'v1');
      assert.equal(index.status, 200);
      assert.equal(index.headers['docker-content-digest'], image.descriptor.digest);
      for (const m of image.manifests) {
        assert.equal((await raw.getManifest('skopeo/app', m.descriptor.digest)).status, 200);
        for (const l of m.layers)
          assert.equal(
            (await raw.call(`/v2/skopeo/app/blobs/${l.descriptor.digest}`, { method: 'HEAD' })).headers['content-length'],
            String(l.descriptor.size),
          );
      }
      const inspect = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', dest]);
      assert.equal(inspect.code, 0, inspect.err);
      assert.equal(sha256(Buffer.from(inspect.out)), image.descriptor.digest);
      const tags = await run('skopeo', ['list-tags', '--tls-verify=false', `docker://${server.host}/skopeo/app`]);
      assert.deepEqual((JSON.parse(tags.out) as { Tags: string[] }).Tags, ['v1']);

      const back = join(server.dir, 'layout-out');
      const pull = await run('skopeo', ['copy', '--all', '--src-tls-verify=false', dest, `oci:${back}:v1`]);
      assert.equal(pull.code, 0, pull.err);
      const outIndex = JSON.parse(readFileSync(join(back, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
      assert.equal(outIndex.manifests[0]?.digest, image.descriptor.digest);
      for (const m of image.manifests) {
        for (const l of m.layers) {
          const hex = l.descriptor.digest.slice('sha256:'.length);
          assert.equal(sha256(readFileSync(join(back, 'blobs', 'sha256', hex))), l.descriptor.digest);
        }
      }
    },
  );

  it('token auth: the registry challenges for repository scopes and accepts tokens of the built-in issuer', async () => {
    const htpasswd = join(server.dir, 'htpasswd');
    writeFileSync(htpasswd, `ci:${bcrypt.hashSync('secret', 4)}\nreader:${bcrypt.hashSync('secret', 4)}\n`);
    const authed = await startTestServer({
      flags: {
        authHtpasswd: htpasswd,
        authRules: [
          { user: 'ci', repositories: '*', actions: ['*'] },
          { user: 'reader', repositories: '*', actions: ['pull'] },
        ],
      },
    });
    try {
      const raw = new Raw(authed.url);
      const challenge = await raw.call('/v2/team/app/tags/list');
      assert.equal(challenge.status, 401);
      assert.deepEqual(challenge.codes, ['UNAUTHORIZED']);
      assert.equal(
        challenge.headers['www-authenticate'],
        `Bearer realm="${authed.url}/auth/token",service="dct",scope="repository:team/app:pull"`,
      );
      const upload = await raw.call('/v2/team/app/blobs/uploads/', { method: 'POST' });
      assert.match(upload.headers['www-authenticate'] as string, /scope="repository:team\/app:pull,push"/);
      const mount = await raw.call(`/v2/team/app/blobs/uploads/?mount=${sha256('x')}&from=team/base`, { method: 'POST' });
      assert.match(mount.headers['www-authenticate'] as string, /scope="repository:team\/app:pull,push repository:team\/base:pull"/);

      const token = async (user: string, scope: string) => {
        const r = await raw.call(`/auth/token?service=dct&scope=${encodeURIComponent(scope)}`, {
          headers: { Authorization: `Basic ${Buffer.from(`${user}:secret`).toString('base64')}` },
        });
        return r.json<{ token: string }>().token;
      };
      const ci = raw.withToken(await token('ci', 'repository:team/app:pull,push'));
      const image = buildImage('authed');
      await pushImage(ci, 'team/app', image, 'v1');
      const reader = raw.withToken(await token('reader', 'repository:team/app:pull,push'));
      assert.equal((await reader.getManifest('team/app', 'v1')).status, 200);
      const refused = await reader.pushManifest('team/app', 'v2', image.manifest);
      assert.equal(refused.status, 401);
      assert.match(refused.headers['www-authenticate'] as string, /error="insufficient_scope"/);
      // dct's client logs in through the challenge (token from the realm, Basic credentials) as docker does
      const logged = new RegistryClient(authed.host, {
        endpoint: authed.url,
        auth: new RegistryAuth({ credentials: () => ({ username: 'ci', password: 'secret' }) }),
      });
      try {
        assert.deepEqual((await logged.getManifest('team/app', 'v1')).bytes, image.manifest);
        const other = buildImage('authed-2');
        await logged.uploadBlob(
          'team/app',
          { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(other.config), size: other.config.length },
          other.config,
        );
        assert.deepEqual(await logged.listTags('team/app'), ['v1']);
      } finally {
        logged.close();
      }
    } finally {
      await authed.close();
    }
  });
});
