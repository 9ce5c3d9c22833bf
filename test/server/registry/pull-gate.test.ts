/**
 * The pull gate of the embedded registry, end to end on one `dct server`
 * (TLS): images pushed to `<host>/prod/app`, trust data made by `dct trust`
 * in process (the trust server of registry R is https://R: no
 * DOCKER_CONTENT_TRUST_SERVER), and the gate refusing an unsigned tag, a tag
 * signed by a signer the policy does not name, an unsigned digest and a tag
 * moved after signing — each with a registry error naming the rule — while
 * signed images (and an index's platform manifests) pass; a manifest whose
 * bytes are also a signed image's layer is not let through by that image.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import bcrypt from 'bcryptjs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runTrust } from '../../../src/cli/commands/trust/index.js';
import type { TrustIo } from '../../../src/cli/docker-trust/io.js';
import {
  buildImage,
  buildIndex,
  OCI_INDEX,
  OCI_MANIFEST,
  pushImage,
  Raw,
  sha256,
  startTestServer,
  type Reply,
  type TestServer,
} from './support.js';

const PASS = { DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: 'gate-root-pass', DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'gate-repo-pass' };

interface DenialBody {
  errors: Array<{ code: string; message: string; detail: { rule: number; repositories: string; signers: string[]; reason: string } }>;
}

describe('pull gate (embedded registry + dct trust, one server)', () => {
  let server: TestServer;
  let raw: Raw;
  let n = 0;

  before(async () => {
    server = await startTestServer({
      tls: true,
      flags: {
        pullGate: [
          { repositories: '127.0.0.1:*/prod/*', signers: ['alice'], allowDigests: false },
          { repositories: '127.0.0.1:*/open/*', signers: [], allowDigests: true },
        ],
      },
    });
    raw = new Raw(server.url, server.ca);
  });
  after(async () => {
    await server?.close();
  });

  /** A user of the trust CLI with their own docker config and keys. */
  function user() {
    const home = join(server.dir, `user-${++n}`);
    mkdirSync(join(home, 'docker'), { recursive: true });
    const env = { DOCKER_CONFIG: join(home, 'docker'), DCT_CONFIG: join(home, 'dct.json'), HOME: home, ...PASS };
    const run = async (...args: string[]) => {
      let out = '';
      let err = '';
      const io: TrustIo = {
        out: (t) => void (out += t),
        err: (t) => void (err += t),
        readLine: async () => undefined,
        env,
        cwd: home,
        now: () => new Date(),
        hints: false,
      };
      const code = await runTrust(args, io);
      assert.equal(code, 0, `dct trust ${args.join(' ')}: ${out}${err}`);
      return out;
    };
    return { home, run };
  }

  function assertDenied(reply: Reply, reason: RegExp): void {
    assert.equal(reply.status, 403, reply.text);
    assert.deepEqual(reply.codes, ['DENIED']);
    const error = reply.json<DenialBody>().errors[0];
    assert.ok(error, 'error');
    assert.match(error.message, /^pull gate rule 1 \(repositories "127\.0\.0\.1:\*\/prod\/\*"\) refuses /);
    assert.equal(error.detail.rule, 1);
    assert.deepEqual(error.detail.signers, ['alice']);
    assert.match(error.detail.reason, reason);
  }

  it('refuses unsigned tags, tags signed by other signers, unsigned digests and moved tags; signed images pass', async () => {
    const name = 'prod/app';
    const gun = `${server.host}/${name}`;
    const signedImage = buildImage('signed');
    const unsignedImage = buildImage('unsigned');
    const bobImage = buildImage('bob');
    await pushImage(raw, name, signedImage, 'signed');
    await pushImage(raw, name, unsignedImage, 'unsigned');
    await pushImage(raw, name, bobImage, 'bob');

    // nothing signed yet: the repository has no trust data
    assertDenied(await raw.getManifest(name, 'signed'), new RegExp(`^no trust data for ${gun.replace(/\./g, '\\.')}$`));

    const alice = user();
    const bob = user();
    const owner = user();
    await alice.run('key', 'generate', 'alice');
    await bob.run('key', 'generate', 'bob');
    await owner.run('signer', 'add', '--key', join(alice.home, 'alice.pub'), 'alice', gun);
    await owner.run('signer', 'add', '--key', join(bob.home, 'bob.pub'), 'bob', gun);
    await alice.run('sign', `${gun}:signed`, '--digest', signedImage.digest, '--size', String(signedImage.size));
    await bob.run('sign', `${gun}:bob`, '--digest', bobImage.digest, '--size', String(bobImage.size));

    const ok = await raw.getManifest(name, 'signed');
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(ok.body, signedImage.manifest);
    assert.equal((await raw.getManifest(name, 'signed', 'HEAD')).status, 200);
    assert.equal((await raw.getManifest(name, signedImage.digest)).status, 200);

    assertDenied(await raw.getManifest(name, 'unsigned'), /^No valid trust data for unsigned$/);
    assert.equal((await raw.getManifest(name, 'unsigned', 'HEAD')).status, 403); // (no body on HEAD)
    assertDenied(await raw.getManifest(name, 'bob'), /^tag bob is not signed by signer alice$/);
    assertDenied(await raw.getManifest(name, unsignedImage.digest), /^no tag signed by signer alice points at this digest/);
    // bob's signed digest is not enough either: the rule wants alice
    assertDenied(await raw.getManifest(name, bobImage.digest), /^no tag signed by signer alice points at this digest/);

    // the tag moves to other bytes after signing: refused until signed again
    await raw.pushManifest(name, 'signed', unsignedImage.manifest);
    assertDenied(
      await raw.getManifest(name, 'signed'),
      new RegExp(
        `^the tag is signed for ${signedImage.digest} \\(${signedImage.size} bytes\\), but the registry holds ${unsignedImage.digest}`,
      ),
    );
    await raw.pushManifest(name, 'signed', signedImage.manifest);
    assert.equal((await raw.getManifest(name, 'signed')).status, 200);
  });

  it('a signed multi-platform index passes, and so do its platform manifests by digest (not other digests)', async () => {
    const name = 'prod/multi';
    const gun = `${server.host}/${name}`;
    const amd = buildImage('multi-amd', { platform: 'linux/amd64' });
    const arm = buildImage('multi-arm', { platform: 'linux/arm64' });
    const stray = buildImage('stray');
    await pushImage(raw, name, amd);
    await pushImage(raw, name, arm);
    await pushImage(raw, name, stray);
    const index = buildIndex([
      { image: amd, platform: 'linux/amd64' },
      { image: arm, platform: 'linux/arm64' },
    ]);
    assert.equal((await raw.pushManifest(name, 'v1', index.bytes, OCI_INDEX)).status, 201);
    const alice = user();
    const owner = user();
    await alice.run('key', 'generate', 'alice');
    await owner.run('signer', 'add', '--key', join(alice.home, 'alice.pub'), 'alice', gun);
    await alice.run('sign', `${gun}:v1`, '--digest', index.digest, '--size', String(index.size));
    assert.equal((await raw.getManifest(name, 'v1')).status, 200);
    assert.equal((await raw.getManifest(name, arm.digest)).status, 200);
    assert.equal((await raw.getManifest(name, amd.digest)).status, 200);
    assertDenied(await raw.getManifest(name, stray.digest), /^no tag signed by signer alice points at this digest/);
  });

  it("an unsigned manifest whose bytes are also a signed image's layer is not served by digest", async () => {
    const name = 'prod/smuggle';
    const gun = `${server.host}/${name}`;
    const smuggled = buildImage('smuggled');
    await pushImage(raw, name, smuggled);
    const config = Buffer.from(
      JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [smuggled.digest] } }),
    );
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: smuggled.digest, size: smuggled.size }],
      }),
    );
    const carrier = { config, layers: [smuggled.manifest], manifest, digest: sha256(manifest), size: manifest.length };
    await pushImage(raw, name, carrier, 'carrier');
    const alice = user();
    const owner = user();
    await alice.run('key', 'generate', 'alice');
    await owner.run('signer', 'add', '--key', join(alice.home, 'alice.pub'), 'alice', gun);
    await alice.run('sign', `${gun}:carrier`, '--digest', carrier.digest, '--size', String(carrier.size));
    assert.equal((await raw.getManifest(name, 'carrier')).status, 200);
    assertDenied(await raw.getManifest(name, smuggled.digest), /^no tag signed by signer alice points at this digest/);
  });

  it('rules apply by GUN pattern: other repositories are not gated; allowDigests lets digests through but not unsigned tags', async () => {
    const image = buildImage('elsewhere');
    await pushImage(raw, 'dev/app', image, 'latest');
    assert.equal((await raw.getManifest('dev/app', 'latest')).status, 200);

    await pushImage(raw, 'open/app', image, 'latest');
    assert.equal((await raw.getManifest('open/app', image.digest)).status, 200);
    const byTag = await raw.getManifest('open/app', 'latest');
    assert.equal(byTag.status, 403);
    const error = byTag.json<DenialBody>().errors[0];
    assert.match(
      error?.message ?? '',
      /^pull gate rule 2 \(repositories "127\.0\.0\.1:\*\/open\/\*"\) refuses .*open\/app:latest: no trust data for /,
    );

    // an ungated repository: dct trust sign reads the digest from the registry itself (docker's "trust server of R is https://R")
    const owner = user();
    await owner.run('sign', `${server.host}/dev/app:latest`);
    const inspect = JSON.parse(await owner.run('inspect', `${server.host}/dev/app:latest`)) as Array<{
      SignedTags: Array<{ Digest: string }>;
    }>;
    assert.equal(inspect[0]?.SignedTags[0]?.Digest, image.digest.slice('sha256:'.length));
  });

  it("with token auth, the repository's publishers (tokens holding push) are not gated: dct trust sign reads the unsigned tag it signs", async () => {
    const htpasswd = join(server.dir, 'gate-htpasswd');
    writeFileSync(htpasswd, `ci:${bcrypt.hashSync('secret', 4)}\nreader:${bcrypt.hashSync('secret', 4)}\n`);
    const authed = await startTestServer({
      tls: true,
      flags: {
        authHtpasswd: htpasswd,
        authRules: [
          { user: 'ci', repositories: '*', actions: ['*'] },
          { user: 'reader', repositories: '*', actions: ['pull'] },
        ],
        pullGate: [{ repositories: '127.0.0.1:*/prod/*', signers: [], allowDigests: false }],
      },
    });
    try {
      const anonymous = new Raw(authed.url, authed.ca);
      const token = async (user: string, scope: string) => {
        const r = await anonymous.call(`/auth/token?service=dct&scope=${encodeURIComponent(scope)}`, {
          headers: { Authorization: `Basic ${Buffer.from(`${user}:secret`).toString('base64')}` },
        });
        return r.json<{ token: string }>().token;
      };
      const name = 'prod/ci-app';
      const image = buildImage('ci-built');
      await pushImage(anonymous.withToken(await token('ci', `repository:${name}:pull,push`)), name, image, 'v1');

      // readers are gated; so is the publisher when its token holds pull only; with push it reads the tag
      const reader = anonymous.withToken(await token('reader', `repository:${name}:pull,push`));
      assert.equal((await reader.getManifest(name, 'v1')).status, 403);
      assert.equal((await anonymous.withToken(await token('ci', `repository:${name}:pull`)).getManifest(name, 'v1')).status, 403);
      const publisher = anonymous.withToken(await token('ci', `repository:${name}:pull,push`));
      assert.equal((await publisher.getManifest(name, 'v1', 'HEAD')).status, 200);
      assert.equal((await publisher.getManifest(name, 'v1')).status, 200);

      // CI signs what it pushed, reading the digest from the registry (docker's credentials for the host)
      const ci = user();
      writeFileSync(
        join(ci.home, 'docker', 'config.json'),
        JSON.stringify({ auths: { [authed.host]: { auth: Buffer.from('ci:secret').toString('base64') } } }),
      );
      await ci.run('sign', `${authed.host}/${name}:v1`);
      const signed = await reader.getManifest(name, 'v1');
      assert.equal(signed.status, 200, signed.text);
      assert.deepEqual(signed.body, image.manifest);
    } finally {
      await authed.close();
    }
  });
});
