/**
 * `--trust-bundle FILE` (and DCT_TRUST_BUNDLE): a trust bundle (`dct trust export`) as the only
 * source of DCT trust data for `dct verify`, `dct pull`, `dct pin` and `dct policy explain`,
 * with the trust server out of reach (an air-gapped site). Against dct server's embedded
 * registry: v1 signed, v2 pushed unsigned. Attacks: a tampered bundle, a bundle of another
 * repository, a bundle made under another root for the same name (refused where this machine
 * trusted the real root before), and a replayed older bundle once the machine has seen newer
 * trust data.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../../src/server/config.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { PROJECT_ROOT } from '../support/fixtures.js';
import { generateTestImage } from '../support/test-images.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const dctMain = join(PROJECT_ROOT, 'src/cli/main.ts');
/** no trust server answers here */
const GONE = { DOCKER_CONTENT_TRUST_SERVER: 'https://127.0.0.1:9' };

async function startDct(dir: string): Promise<RunningServer> {
  mkdirSync(dir, { recursive: true });
  const config = loadConfig({
    env: {},
    flags: { listen: '127.0.0.1:0', storage: `sqlite:${join(dir, 'dct.db')}`, dataDir: dir, logLevel: 'warn' },
  });
  return startServer(config, { DCT_SERVER_KEY_PASSPHRASE: 'trust-bundle-source' }, pino({ level: 'warn' }));
}

describe('--trust-bundle: verify, pull, pin and the policy from a trust bundle, no trust server', () => {
  const work = mkdtempSync(join(tmpdir(), 'dct-trust-bundle-source-'));
  let server: RunningServer;
  let name: string;
  const digests: Record<string, string> = {};
  const bundle = join(work, 'app.tar');
  const homeEnv = (home: string): Record<string, string> => ({
    PATH: process.env['PATH'] ?? '',
    HOME: home,
    DOCKER_CONFIG: join(home, '.docker'),
    DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: 'bundle-root-pass',
    DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'bundle-repo-pass',
  });
  const publisher = homeEnv(join(work, 'publisher'));
  /** a machine of the air-gapped site: nothing cached */
  const site = (): Record<string, string> => homeEnv(mkdtempSync(join(work, 'site-')));
  const dct = (args: string[], env: Record<string, string>): Promise<Run> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', dctMain, ...args],
        { env, cwd: PROJECT_ROOT, timeout: 120_000 },
        (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 99) : 0, stdout, stderr }),
      );
    });
  const ok = (r: Run, what: string): Run => {
    assert.equal(r.code, 0, `${what}: ${r.stdout}${r.stderr}`);
    return r;
  };
  const push = async (tag: string, sign: boolean): Promise<void> => {
    const src = join(work, `src-${tag}`);
    const image = await generateTestImage(src, { seed: `bundle-source-${tag}`, layers: [700], tag });
    digests[tag] = image.descriptor.digest;
    ok(await dct(['push', src, `${name}:${tag}`, ...(sign ? ['--sign-format', 'dct'] : [])], publisher), `push ${tag}`);
  };

  before(async () => {
    server = await startDct(join(work, 'server'));
    name = `${new URL(server.url).host}/bundle/app`;
    await push('v1', true);
    await push('v2', false);
    ok(await dct(['trust', 'export', name, '--output', bundle], publisher), 'trust export');
  });
  after(async () => {
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('without a bundle the unreachable trust server fails the check; with it v1 verifies and v2 does not', async () => {
    const machine = { ...site(), ...GONE };
    const offline = await dct(['verify', `${name}:v1`], machine);
    assert.equal(offline.code, 1, offline.stdout);
    const v1 = await dct(['verify', '--trust-bundle', bundle, '--format', 'json', `${name}:v1`], machine);
    assert.equal(v1.code, 0, v1.stdout + v1.stderr);
    const report = JSON.parse(v1.stdout) as unknown;
    const text = JSON.stringify(report);
    assert.ok(text.includes(digests['v1'] as string), text);
    assert.ok(text.includes(`trust bundle ${bundle}`), `the signature is said to be found in the bundle: ${text}`);
    const v2 = await dct(['verify', '--trust-bundle', bundle, `${name}:v2`], machine);
    assert.equal(v2.code, 1, v2.stdout);
    // the environment variable is the flag's default
    ok(await dct(['verify', `${name}:v1`], { ...machine, DCT_TRUST_BUNDLE: bundle }), 'verify with DCT_TRUST_BUNDLE');
  });

  it('dct pull --trust-bundle pulls the signed digest; an unsigned tag is refused before anything is fetched', async () => {
    const machine = { ...site(), ...GONE };
    const out = join(work, 'pulled');
    const pulled = ok(await dct(['pull', '--trust-bundle', bundle, '-o', out, '--format', 'json', `${name}:v1`], machine), 'pull v1');
    assert.ok(pulled.stdout.includes(digests['v1'] as string), pulled.stdout);
    const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
    assert.ok(
      index.manifests.some((m) => m.digest === digests['v1']),
      'the layout holds the signed manifest',
    );
    const refused = await dct(['pull', '--trust-bundle', bundle, '-o', join(work, 'unsigned'), `${name}:v2`], machine);
    assert.equal(refused.code, 1, refused.stdout);
    assert.match(refused.stderr, /v2/);
    const both = await dct(['pull', '--trust-bundle', bundle, '--disable-content-trust', `${name}:v1`], machine);
    assert.notEqual(both.code, 0);
    assert.match(both.stderr, /--trust-bundle .* --disable-content-trust|give one/);
  });

  it('dct pin and dct policy explain take the bundle too', async () => {
    const machine = { ...site(), ...GONE };
    const dockerfile = join(work, 'Dockerfile');
    writeFileSync(dockerfile, `FROM ${name}:v1\n`);
    ok(await dct(['pin', '--trust-bundle', bundle, dockerfile], machine), 'pin');
    assert.equal(readFileSync(dockerfile, 'utf8'), `FROM ${name}:v1@${digests['v1']}\n`);
    const policy = join(work, 'policy.yaml');
    writeFileSync(
      policy,
      ['version: 1', 'rules:', `  - name: app`, `    match: "${name}"`, '    require:', '      dct: {}', ''].join('\n'),
    );
    const allowed = await dct(
      ['policy', 'explain', '--policy', policy, '--trust-bundle', bundle, '--format', 'json', `${name}:v1`],
      machine,
    );
    assert.equal(allowed.code, 0, allowed.stdout + allowed.stderr);
    assert.equal((JSON.parse(allowed.stdout) as { verdict: string; digest?: string }).verdict, 'allow');
    const denied = await dct(['policy', 'explain', '--policy', policy, '--trust-bundle', bundle, `${name}:v2`], machine);
    assert.equal(denied.code, 1, denied.stdout);
  });

  it('a tampered bundle, and a repository the bundle lacks, are refused with their codes', async () => {
    const machine = { ...site(), ...GONE };
    const bytes = readFileSync(bundle);
    const at = bytes.indexOf(Buffer.from('"_type":"Targets"'));
    assert.ok(at > 0, 'the bundle holds targets.json');
    const tampered = Buffer.from(bytes);
    tampered[at + 1] = 'X'.charCodeAt(0);
    const bad = join(work, 'tampered.tar');
    writeFileSync(bad, tampered);
    const refused = await dct(['verify', '--trust-bundle', bad, '--format', 'json', `${name}:v1`], machine);
    assert.equal(refused.code, 1, refused.stdout);
    assert.match(refused.stdout, /BUNDLE_FILE_MISMATCH/);
    const other = await dct(
      ['verify', '--trust-bundle', bundle, '--format', 'json', `${new URL(server.url).host}/bundle/other:v1`],
      machine,
    );
    assert.equal(other.code, 1, other.stdout);
    assert.match(other.stdout, /BUNDLE_REPOSITORY_MISSING/);
    assert.match(other.stdout, /dct trust export/);
  });

  it('a bundle made under another root for the same name: refused where the real root was trusted before', async () => {
    // an attacker's trust server holds the same name under its own root, and exports it
    const evilServer = await startDct(join(work, 'evil-server'));
    try {
      const attacker = { ...homeEnv(join(work, 'attacker')), DOCKER_CONTENT_TRUST_SERVER: evilServer.url };
      ok(await dct(['trust', 'sign', `${name}:v2`], attacker), 'the attacker signs v2');
      const evil = join(work, 'evil.tar');
      ok(await dct(['trust', 'export', name, '--output', evil], attacker), 'the attacker exports');
      // a machine that read the real trust data before (its cache holds the real root)
      const machine = site();
      ok(await dct(['trust', 'inspect', name], machine), 'trust inspect from the real server');
      const refused = await dct(['verify', '--trust-bundle', evil, '--format', 'json', `${name}:v2`], { ...machine, ...GONE });
      assert.equal(refused.code, 1, refused.stdout);
      assert.match(refused.stdout, /ROOT_ROTATION_FAILED|CERTIFICATE_VALIDATION_FAILED|THRESHOLD_NOT_MET/);
      // the real bundle still verifies there
      ok(await dct(['verify', '--trust-bundle', bundle, `${name}:v1`], { ...machine, ...GONE }), 'the real bundle');
    } finally {
      await evilServer.close();
    }
  });

  it('an older bundle replayed to a machine that has seen newer trust data is refused as a rollback', async () => {
    await push('v3', true);
    const machine = site();
    ok(await dct(['trust', 'inspect', name], machine), 'trust inspect sees v3');
    const replayed = await dct(['verify', '--trust-bundle', bundle, '--format', 'json', `${name}:v1`], { ...machine, ...GONE });
    assert.equal(replayed.code, 1, replayed.stdout);
    assert.match(replayed.stdout, /VERSION_ROLLBACK/);
  });
});
