/**
 * `dct push --sign-format dct,cosign,notation`: one push signs the pushed digest in every
 * format at once (the migration case: DCT for the consumers that still read it, cosign and
 * Notation for the rest), through the real command line against dct server's embedded
 * registry; `dct verify` then finds and verifies all three.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../../src/server/config.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import type { VerifyRow } from '../../src/cli/commands/images/verify.js';
import { PROJECT_ROOT } from '../support/fixtures.js';
import { generateTestImage, type GeneratedImage } from '../support/test-images.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const dctMain = join(PROJECT_ROOT, 'src/cli/main.ts');

describe('dct push --sign-format: DCT, cosign and Notation in one push', () => {
  const work = mkdtempSync(join(tmpdir(), 'dct-push-formats-'));
  const home = join(work, 'home');
  let server: RunningServer;
  let image: GeneratedImage;
  let env: Record<string, string>;
  let name: string;
  const dct = (args: string[]): Promise<Run> =>
    new Promise((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', dctMain, ...args], { env, timeout: 120_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 99) : 0, stdout, stderr }),
      );
    });
  const ok = (r: Run, what: string): Run => {
    assert.equal(r.code, 0, `${what}: ${r.stdout}${r.stderr}`);
    return r;
  };

  before(async () => {
    const data = join(work, 'server');
    mkdirSync(data, { recursive: true });
    const config = loadConfig({
      env: {},
      flags: { listen: '127.0.0.1:0', storage: `sqlite:${join(data, 'dct.db')}`, dataDir: data, logLevel: 'warn' },
    });
    server = await startServer(config, { DCT_SERVER_KEY_PASSPHRASE: 'push-formats' }, pino({ level: 'warn' }));
    mkdirSync(home, { recursive: true });
    env = {
      PATH: process.env['PATH'] ?? '',
      HOME: home,
      DOCKER_CONFIG: join(home, '.docker'),
      DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: 'push-root-pass',
      DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'push-repo-pass',
      COSIGN_PASSWORD: 'push-cosign-pass',
      NOTATION_CONFIG: join(home, 'notation'),
    };
    name = `${new URL(server.url).host}/formats/push`;
    image = await generateTestImage(join(work, 'src'), { seed: 'push-formats', layers: [2000], tag: 'v1' });
    ok(await dct(['cosign', 'generate-key-pair', '--output-key-prefix', join(home, 'release')]), 'cosign generate-key-pair');
    ok(await dct(['notation', 'cert', 'generate-test', '--default', 'push.example']), 'notation cert generate-test');
    const policy = join(home, 'trustpolicy.json');
    writeFileSync(
      policy,
      JSON.stringify({
        version: '1.0',
        trustPolicies: [
          {
            name: 'all',
            registryScopes: ['*'],
            signatureVerification: { level: 'strict' },
            trustStores: ['ca:push.example'],
            trustedIdentities: ['*'],
          },
        ],
      }),
    );
    ok(await dct(['notation', 'policy', 'import', '--force', policy]), 'notation policy import');
  });
  after(async () => {
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('refuses cosign without a key before pushing anything, and an unknown format', async () => {
    const noKey = await dct(['push', join(work, 'src'), `${name}:v1`, '--sign-format', 'cosign']);
    assert.notEqual(noKey.code, 0);
    assert.match(noKey.stderr, /--cosign-key/);
    assert.doesNotMatch(noKey.stdout, /digest:/);
    const unknown = await dct(['push', join(work, 'src'), `${name}:v1`, '--sign-format', 'dct,gpg']);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /--sign-format takes dct, cosign, notation/);
  });

  it('signs in all three formats; dct verify finds each and verifies it', async () => {
    const pushed = ok(
      await dct([
        'push',
        join(work, 'src'),
        `${name}:v1`,
        '--sign-format',
        'dct,cosign,notation',
        '--cosign-key',
        join(home, 'release.key'),
        '--no-cosign-tlog-upload',
        '--format',
        'json',
      ]),
      'push',
    );
    const doc = JSON.parse(pushed.stdout) as { digest: string; signed: boolean; signatures: Array<{ format: string }> };
    assert.equal(doc.digest, image.descriptor.digest);
    assert.equal(doc.signed, true);
    assert.deepEqual(
      doc.signatures.map((s) => s.format),
      ['cosign', 'notation'],
    );
    const verified = ok(
      await dct(['verify', `${name}:v1`, '--key', join(home, 'release.pub'), '--insecure-ignore-tlog', '--format', 'json']),
      'verify',
    );
    const [row] = JSON.parse(verified.stdout) as VerifyRow[];
    assert.equal(row?.verdict, 'verified');
    const reports = row.digests.flatMap((d) => d.reports);
    assert.deepEqual(reports.map((r) => `${r.format} ${r.verdict}`).sort(), ['cosign verified', 'dct verified', 'notation verified']);
  });
});
