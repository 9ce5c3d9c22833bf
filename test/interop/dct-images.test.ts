/**
 * `dct push` / `dct pull` against the real docker-registry 2.8 with trust data on
 * the real notary-server: a multi-layer, multi-arch OCI layout pushed and signed,
 * shown by the real `docker trust inspect`, pulled back by tag (through trust) and
 * by digest, into a layout and a docker archive; an unsigned tag refused before
 * anything is fetched; a registry that serves other manifest bytes refused.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../../src/server/config.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { PROJECT_ROOT } from '../support/fixtures.js';
import { interopSkip } from '../support/interop.js';
import { ensureReferenceTools, startReferenceStack } from '../support/reference-stack.js';
import { generateTestImage, LINUX_AMD64, LINUX_ARM64, type GeneratedImage } from '../support/test-images.js';

const unavailable = await ensureReferenceTools();

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { env: { PATH: process.env['PATH'] ?? '', ...env }, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 99) : 0, stdout, stderr });
      },
    );
  });
}

const dctMain = join(PROJECT_ROOT, 'src/cli/main.ts');

interface Target {
  /** `host:port` of the registry */
  registry: string;
  /** DOCKER_CONTENT_TRUST_SERVER, or undefined for docker's rule (the trust server of R is https://R) */
  trustServer: string | undefined;
  stop(): Promise<void>;
}

const targets: Array<[string, () => Promise<Target>]> = [
  [
    'docker-registry 2.8 with notary-server',
    async () => {
      const stack = await startReferenceStack({ logLevel: 'warn' });
      return { registry: `127.0.0.1:${stack.registryPort}`, trustServer: stack.serverUrl, stop: () => stack.stop() };
    },
  ],
  [
    "dct server's embedded registry (its own trust server, as https://<registry>)",
    async () => {
      const data = mkdtempSync(join(tmpdir(), 'dct-images-server-'));
      const config = loadConfig({
        env: {},
        flags: { listen: '127.0.0.1:0', storage: `sqlite:${join(data, 'dct.db')}`, dataDir: data, logLevel: 'warn' },
      });
      const server: RunningServer = await startServer(config, { DCT_SERVER_KEY_PASSPHRASE: 'images-test' }, pino({ level: 'warn' }));
      return {
        registry: new URL(server.url).host,
        trustServer: undefined,
        stop: async () => {
          await server.close();
          rmSync(data, { recursive: true, force: true });
        },
      };
    },
  ],
];

for (const [targetName, setup] of targets)
  describe(`dct push and pull: ${targetName}`, { skip: interopSkip(unavailable) }, () => {
    let target: Target;
    let image: GeneratedImage;
    const work = mkdtempSync(join(tmpdir(), 'dct-images-'));
    const home = join(work, 'home');
    let env: Record<string, string>;
    let gun: string;
    const dct = (args: string[], extra: Record<string, string> = {}) =>
      run(process.execPath, ['--import', 'tsx', dctMain, ...args], { ...env, ...extra });

    before(async () => {
      target = await setup();
      mkdirSync(home, { recursive: true });
      env = {
        HOME: home,
        DOCKER_CONFIG: join(home, '.docker'),
        ...(target.trustServer ? { DOCKER_CONTENT_TRUST_SERVER: target.trustServer } : {}),
        DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: 'images-root-pass',
        DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'images-repo-pass',
      };
      gun = `${target.registry}/dct/images-${process.pid}`;
      image = await generateTestImage(join(work, 'src'), {
        seed: 'dct-images',
        layers: [300_000, 200_000, 100_000],
        platforms: [LINUX_AMD64, LINUX_ARM64],
        tag: 'v1',
      });
    });
    after(async () => {
      await target?.stop();
      rmSync(work, { recursive: true, force: true });
    });

    it('pushes a multi-arch layout and signs the index: the real docker trust inspect shows the tag', { timeout: 120_000 }, async () => {
      const pushed = await dct(['push', join(work, 'src'), `${gun}:v1`, '--sign']);
      assert.equal(pushed.code, 0, pushed.stderr);
      assert.match(pushed.stdout, new RegExp(`v1: digest: ${image.descriptor.digest} size: ${image.descriptor.size}`));
      assert.match(pushed.stdout, /Successfully signed/);
      // the real docker CLI 28 reads the trust data dct wrote (DOCKER_CONFIG's tls folder not needed: loopback)
      const inspect = await run('docker', ['trust', 'inspect', gun], env);
      assert.equal(inspect.code, 0, inspect.stderr);
      const [repo] = JSON.parse(inspect.stdout) as Array<{ SignedTags: Array<{ SignedTag: string; Digest: string }> }>;
      assert.deepEqual(
        repo!.SignedTags.map((t) => [t.SignedTag, `sha256:${t.Digest}`]),
        [['v1', image.descriptor.digest]],
      );
    });

    it(
      'signs a push into a new repository as docker push does (into targets), even with a registry login in config.json',
      { timeout: 120_000 },
      async () => {
        const config = join(work, 'logged-in');
        mkdirSync(config, { recursive: true });
        const login = Buffer.from('alice:secret').toString('base64');
        writeFileSync(join(config, 'config.json'), JSON.stringify({ auths: { [target.registry]: { auth: login } } }));
        const repo = `${target.registry}/dct/pushed-${process.pid}`;
        const pushed = await dct(['push', join(work, 'src'), `${repo}:v1`, '--sign'], { DOCKER_CONFIG: config });
        assert.equal(pushed.code, 0, pushed.stderr);
        assert.doesNotMatch(pushed.stdout, /Created signer/);
        const inspect = await run('docker', ['trust', 'inspect', repo], { ...env, DOCKER_CONFIG: config });
        const [info] = JSON.parse(inspect.stdout) as Array<{ SignedTags: Array<{ Signers: string[] }>; Signers: unknown[] }>;
        assert.deepEqual([info!.SignedTags[0]?.Signers, info!.Signers], [['Repo Admin'], []]);
      },
    );

    it('pulls the signed tag through trust into a layout: every blob as pushed', { timeout: 120_000 }, async () => {
      const out = join(work, 'pulled');
      const pulled = await dct(['pull', `${gun}:v1`, '--output', out, '--platform', 'linux/arm64'], { DOCKER_CONTENT_TRUST: '1' });
      assert.equal(pulled.code, 0, pulled.stderr);
      assert.match(pulled.stdout, new RegExp(`Pull \\(1 of 1\\): ${gun.replace(/[.]/g, '\\.')}:v1@${image.descriptor.digest}`));
      const arm = image.manifests.find((m) => m.platform.architecture === 'arm64')!;
      const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')) as {
        manifests: Array<{ digest: string; annotations?: Record<string, string> }>;
      };
      assert.deepEqual(
        index.manifests.map((m) => [m.digest, m.annotations?.['org.opencontainers.image.ref.name']]),
        [[arm.descriptor.digest, 'v1']],
      );
      for (const d of [arm.descriptor, arm.config.descriptor, ...arm.layers.map((l) => l.descriptor)]) {
        const bytes = readFileSync(join(out, 'blobs', 'sha256', d.digest.slice('sha256:'.length)));
        assert.equal(`sha256:${createHash('sha256').update(bytes).digest('hex')}`, d.digest);
        assert.deepEqual(bytes, readFileSync(join(work, 'src', 'blobs', 'sha256', d.digest.slice('sha256:'.length))));
      }
    });

    it('pulls into a docker archive, and by digest without trust data', { timeout: 120_000 }, async () => {
      const file = join(work, 'image.tar');
      const pulled = await dct(['pull', `${gun}:v1`, '--docker-archive', file, '--platform', 'linux/amd64'], { DOCKER_CONTENT_TRUST: '1' });
      assert.equal(pulled.code, 0, pulled.stderr);
      assert.ok(existsSync(file));
      assert.ok(!existsSync(`${file}.dct-pull`), 'the working layout is removed once the archive is complete');
      const amd = image.manifests.find((m) => m.platform.architecture === 'amd64')!;
      const byDigest = await dct(['pull', `${gun}@${amd.descriptor.digest}`, '--output', join(work, 'by-digest')], {
        DOCKER_CONTENT_TRUST: '1',
      });
      assert.equal(byDigest.code, 0, byDigest.stderr);
      assert.doesNotMatch(byDigest.stdout, /Pull \(1 of 1\)/, 'a pull by digest does not consult trust data');
    });

    it("refuses an unsigned tag before fetching anything, with docker's message", { timeout: 120_000 }, async () => {
      const pushed = await dct(['push', join(work, 'src'), `${gun}:unsigned`]);
      assert.equal(pushed.code, 0, pushed.stderr);
      const out = join(work, 'unsigned');
      const pulled = await dct(['pull', `${gun}:unsigned`, '--output', out], { DOCKER_CONTENT_TRUST: '1' });
      assert.equal(pulled.code, 1);
      assert.match(pulled.stderr, /No valid trust data for unsigned/);
      assert.ok(!existsSync(out), 'nothing was written');
      const missing = await dct(['pull', `${target.registry}/dct/never-signed:v1`, '--output', out], { DOCKER_CONTENT_TRUST: '1' });
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /remote trust data does not exist for 127\.0\.0\.1:\d+\/dct\/never-signed/);
    });

    it('refuses a registry that serves other manifest bytes than were signed', { timeout: 120_000 }, async (t) => {
      if (!target.trustServer) return t.skip('needs a trust server apart from the registry');
      // a registry that answers every manifest request with the index of another image
      const other = await generateTestImage(join(work, 'other'), { seed: 'other', layers: [1000] });
      const otherBytes = readFileSync(join(work, 'other', 'blobs', 'sha256', other.descriptor.digest.slice('sha256:'.length)));
      const evil: Server = createServer((req, res) => {
        if (req.url === '/v2/' || req.url === '/v2') {
          res.writeHead(200, { 'Docker-Distribution-API-Version': 'registry/2.0' }).end('{}');
          return;
        }
        const digest = /\/manifests\/(sha256:[0-9a-f]{64})$/.exec(req.url ?? '')?.[1] ?? other.descriptor.digest;
        res.writeHead(200, {
          'Content-Type': other.descriptor.mediaType,
          'Docker-Content-Digest': digest,
          'Content-Length': otherBytes.length,
        });
        res.end(req.method === 'HEAD' ? undefined : otherBytes);
      });
      await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
      try {
        const port = (evil.address() as AddressInfo).port;
        const evilGun = `127.0.0.1:${port}/dct/tampered`;
        const signed = await dct([
          'trust',
          'sign',
          `${evilGun}:v1`,
          '--digest',
          image.descriptor.digest,
          '--size',
          String(image.descriptor.size),
        ]);
        assert.equal(signed.code, 0, signed.stderr);
        const out = join(work, 'tampered');
        const pulled = await dct(['pull', `${evilGun}:v1`, '--output', out], { DOCKER_CONTENT_TRUST: '1' });
        assert.equal(pulled.code, 1);
        assert.match(pulled.stderr, /DIGEST_MISMATCH|not the signed one/);
        assert.deepEqual(existsSync(join(out, 'blobs')) ? readdirSync(join(out, 'blobs', 'sha256')) : [], [], 'no blob was kept');
      } finally {
        evil.close();
      }
    });
  });
