/**
 * `dct trust resign` against dct server's embedded registry and trust server, through the
 * real command line: a repository with three DCT-signed tags (v1 in targets, v2 and v3 in
 * targets/releases through alice's delegation) and one unsigned tag (v4). Re-signed as
 * cosign (bundle referrers) and as Notation (JWS referrers): `dct cosign verify --key` and
 * `dct notation verify` accept the three digests, the DCT provenance annotations are in the
 * signatures, v4 is reported skipped; a second run skips everything and pushes nothing
 * (referrers counted); a dry run signs nothing; from a trust bundle with the trust server
 * unreachable (cosign's legacy `.sig` layout, another key); the JSON report's shape.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
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

interface TagRow {
  tag: string;
  digest: string;
  outcome: string;
  reason?: string;
  stored?: string;
  roles: string[];
  annotations?: Record<string, string>;
}

interface Report {
  as: string;
  layout: string;
  dryRun: boolean;
  source: { kind: string; url?: string; path?: string; exportedAt?: string };
  complete: boolean;
  summary: { migrated: number; wouldSign: number; skipped: number; failed: number };
  repositories: Array<{ gun: string; verified: boolean; keyId: string; targetsVersion: number; tags: TagRow[]; warnings: string[] }>;
}

const dctMain = join(PROJECT_ROOT, 'src/cli/main.ts');
const P = 'dev.dct.provenance.';

describe('dct trust resign: DCT-signed tags re-signed as cosign and Notation', () => {
  const work = mkdtempSync(join(tmpdir(), 'dct-trust-resign-'));
  const home = join(work, 'home');
  let server: RunningServer;
  let env: Record<string, string>;
  let name: string;
  let repoPath: string;
  const digests: Record<string, string> = {};
  const dct = (args: string[], extra: Record<string, string> = {}): Promise<Run> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', dctMain, ...args],
        { env: { ...env, ...extra }, timeout: 120_000 },
        (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 99) : 0, stdout, stderr }),
      );
    });
  const ok = (r: Run, what: string): Run => {
    assert.equal(r.code, 0, `${what}: ${r.stdout}${r.stderr}`);
    return r;
  };
  const report = (r: Run): Report => JSON.parse(r.stdout) as Report;
  /** the referrers of a digest, as the registry lists them */
  const referrers = (digest: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const url = new URL(`/v2/${repoPath}/referrers/${digest}`, server.url);
      request(url, { ca: readFileSync(server.caFile as string) }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`referrers ${res.statusCode}: ${body}`));
          resolve((JSON.parse(body) as { manifests: unknown[] }).manifests.length);
        });
      })
        .on('error', reject)
        .end();
    });
  const signedTags = ['v1', 'v2', 'v3'];

  before(async () => {
    const data = join(work, 'server');
    mkdirSync(data, { recursive: true });
    const config = loadConfig({
      env: {},
      flags: { listen: '127.0.0.1:0', storage: `sqlite:${join(data, 'dct.db')}`, dataDir: data, logLevel: 'warn' },
    });
    server = await startServer(config, { DCT_SERVER_KEY_PASSPHRASE: 'trust-resign' }, pino({ level: 'warn' }));
    mkdirSync(home, { recursive: true });
    env = {
      PATH: process.env['PATH'] ?? '',
      HOME: home,
      DOCKER_CONFIG: join(home, '.docker'),
      DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: 'resign-root-pass',
      DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'resign-repo-pass',
      COSIGN_PASSWORD: 'resign-cosign-pass',
      NOTATION_CONFIG: join(home, 'notation'),
    };
    repoPath = 'resign/app';
    name = `${new URL(server.url).host}/${repoPath}`;
    const push = async (tag: string, sign: boolean) => {
      const src = join(work, `src-${tag}`);
      const image = await generateTestImage(src, { seed: `resign-${tag}`, layers: [1000], tag });
      digests[tag] = image.descriptor.digest;
      ok(await dct(['push', src, `${name}:${tag}`, ...(sign ? ['--sign-format', 'dct'] : [])]), `push ${tag}`);
    };
    await push('v1', true);
    ok(await dct(['trust', 'key', 'generate', 'alice', '--dir', home]), 'trust key generate');
    ok(await dct(['trust', 'signer', 'add', '--key', join(home, 'alice.pub'), 'alice', name]), 'trust signer add');
    await push('v2', true);
    await push('v3', true);
    await push('v4', false);
    ok(await dct(['cosign', 'generate-key-pair', '--output-key-prefix', join(home, 'release')]), 'cosign generate-key-pair');
    ok(await dct(['notation', 'cert', 'generate-test', '--default', 'resign.example']), 'notation cert generate-test');
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
            trustStores: ['ca:resign.example'],
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

  it('the DCT data is as set up: v1 in targets, v2/v3 in targets/releases, v4 unsigned', async () => {
    const inspected = JSON.parse(ok(await dct(['trust', 'inspect', name]), 'trust inspect').stdout) as Array<{
      SignedTags: Array<{ SignedTag: string; Digest: string; Signers: string[] }>;
    }>;
    const tags = inspected[0]!.SignedTags;
    assert.deepEqual(
      tags.map((t) => `${t.SignedTag} ${t.Signers.join(',')}`),
      ['v1 Repo Admin', 'v2 alice', 'v3 alice'],
    );
    for (const t of tags) assert.equal(`sha256:${t.Digest}`, digests[t.SignedTag]);
  });

  it('--dry-run lists what would be signed and pushes nothing', async () => {
    const r = await dct(['trust', 'resign', name, '--as', 'cosign', '--key', join(home, 'release.key'), '--dry-run', '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const rep = report(r);
    assert.equal(rep.dryRun, true);
    assert.deepEqual(rep.summary, { migrated: 0, wouldSign: 3, skipped: 1, failed: 0 });
    for (const t of signedTags) assert.equal(await referrers(digests[t]!), 0);
    const text = ok(await dct(['trust', 'resign', name, '--as', 'cosign', '--key', join(home, 'release.key'), '--dry-run']), 'text');
    assert.match(text.stdout, /dry run, nothing is signed/);
    assert.match(text.stdout, /would-sign {2}v2 +sha256:[0-9a-f]{64} {2}signed by targets\/alice, targets\/releases/);
    assert.match(text.stdout, /Would sign 3, skipped 1, failed 0/);
  });

  it('as cosign: the three digests verify with the key, the provenance is in the signatures, v4 is skipped; a re-run pushes nothing', async () => {
    const args = ['trust', 'resign', name, '--as', 'cosign', '--key', join(home, 'release.key'), '--tlog-upload=false', '--format', 'json'];
    const first = report(ok(await dct(args), 'resign cosign'));
    assert.equal(first.complete, true);
    assert.equal(first.layout, 'bundle');
    assert.deepEqual(first.source, { kind: 'server', url: server.url });
    assert.deepEqual(first.summary, { migrated: 3, wouldSign: 0, skipped: 1, failed: 0 });
    const repo = first.repositories[0]!;
    assert.equal(repo.gun, name);
    assert.match(repo.keyId, /^sha256:[0-9a-f]{64}$/);
    const byTag = Object.fromEntries(repo.tags.map((t) => [t.tag, t]));
    assert.deepEqual(Object.keys(byTag), ['v1', 'v2', 'v3', 'v4']);
    assert.equal(byTag['v4']!.outcome, 'skipped');
    assert.match(byTag['v4']!.reason ?? '', /not signed through DCT/);
    assert.deepEqual(byTag['v1']!.roles, ['targets']);
    assert.deepEqual(byTag['v2']!.roles, ['targets/alice', 'targets/releases']);
    for (const t of signedTags) {
      assert.equal(byTag[t]!.outcome, 'migrated');
      assert.equal(byTag[t]!.digest, digests[t]);
      const v = await dct(['cosign', 'verify', '--key', join(home, 'release.pub'), '--insecure-ignore-tlog', `${name}@${digests[t]}`]);
      assert.equal(v.code, 0, `${t}: ${v.stderr}`);
      const [payload] = JSON.parse(v.stdout) as Array<{ optional: Record<string, string> }>;
      assert.equal(payload!.optional[`${P}tag`], t);
      assert.equal(payload!.optional[`${P}gun`], name);
      assert.equal(payload!.optional[`${P}trustServer`], server.url);
      assert.equal(payload!.optional[`${P}targetsVersion`], String(repo.targetsVersion));
      assert.equal(payload!.optional[`${P}signers`], t === 'v1' ? 'Repo Admin' : 'alice');
      assert.match(payload!.optional[`${P}keyIds`] ?? '', /^[0-9a-f]{64}(,[0-9a-f]{64})*$/);
      assert.equal(await referrers(digests[t]!), 1);
    }
    const unsigned = await dct([
      'cosign',
      'verify',
      '--key',
      join(home, 'release.pub'),
      '--insecure-ignore-tlog',
      `${name}@${digests['v4']}`,
    ]);
    assert.notEqual(unsigned.code, 0);
    // the same annotations are signed: cosign verify -a checks them
    const withAnnotation = await dct([
      'cosign',
      'verify',
      '--key',
      join(home, 'release.pub'),
      '--insecure-ignore-tlog',
      '-a',
      `${P}tag=v2`,
      `${name}@${digests['v2']}`,
    ]);
    assert.equal(withAnnotation.code, 0, withAnnotation.stderr);

    const second = report(ok(await dct(args), 'resign cosign again'));
    assert.deepEqual(second.summary, { migrated: 0, wouldSign: 0, skipped: 4, failed: 0 });
    for (const t of second.repositories[0]!.tags.filter((x) => x.tag !== 'v4'))
      assert.match(t.reason ?? '', /already signed in the cosign format with key sha256:/);
    for (const t of signedTags) assert.equal(await referrers(digests[t]!), 1);
  });

  it('as notation: dct notation verify accepts the three digests, the user metadata holds the provenance; a re-run pushes nothing', async () => {
    const before = await Promise.all(signedTags.map((t) => referrers(digests[t]!)));
    const args = ['trust', 'resign', name, '--as', 'notation', '--format', 'json'];
    const first = report(ok(await dct(args), 'resign notation'));
    assert.equal(first.layout, 'jws');
    assert.deepEqual(first.summary, { migrated: 3, wouldSign: 0, skipped: 1, failed: 0 });
    assert.match(first.repositories[0]!.keyId, /^[0-9a-f]{64}$/);
    for (const [i, t] of signedTags.entries()) {
      const v = await dct(['notation', 'verify', `${name}@${digests[t]}`, '--user-metadata', `${P}tag=${t}`]);
      assert.equal(v.code, 0, `${t}: ${v.stdout}${v.stderr}`);
      const inspect = ok(await dct(['notation', 'inspect', `${name}@${digests[t]}`, '--output', 'json']), 'notation inspect');
      assert.match(inspect.stdout, new RegExp(`"${P.replace(/\./g, '\\.')}gun": "${name.replace(/[./]/g, '\\$&')}"`));
      assert.equal(await referrers(digests[t]!), before[i]! + 1);
    }
    const unsigned = await dct(['notation', 'verify', `${name}@${digests['v4']}`]);
    assert.notEqual(unsigned.code, 0);
    const second = ok(await dct(['trust', 'resign', name, '--as', 'notation']), 'resign notation again');
    assert.match(second.stdout, /Migrated 0, skipped 4, failed 0/);
    assert.match(second.stdout, /skipped +v1 +sha256:[0-9a-f]{64} {2}already signed in the notation format/);
    assert.match(second.stdout, /skipped +v4 +- +not signed through DCT/);
    assert.match(second.stdout, /DCT signatures are left as they are/);
    for (const [i, t] of signedTags.entries()) assert.equal(await referrers(digests[t]!), before[i]! + 1);
  });

  it('from a trust bundle with the trust server unreachable: the legacy cosign layout, another key', async () => {
    const bundle = join(work, 'app.tar');
    ok(await dct(['trust', 'export', name, '-o', bundle]), 'trust export');
    ok(await dct(['cosign', 'generate-key-pair', '--output-key-prefix', join(home, 'legacy')]), 'cosign generate-key-pair');
    const gone = { DOCKER_CONTENT_TRUST_SERVER: 'https://127.0.0.1:9' };
    const fromServer = await dct(['trust', 'resign', name, '--as', 'cosign', '--key', join(home, 'legacy.key'), '--format', 'json'], gone);
    // the trust server is out of reach: from it, nothing verifies (RESIGN_INCOMPLETE, the refusal in the report)
    assert.equal(fromServer.code, 1, fromServer.stdout);
    assert.equal(report(fromServer).repositories[0]!.verified, false);
    assert.equal(report(fromServer).summary.migrated, 0);
    const args = ['trust', 'resign', '--bundle', bundle, '--as', 'cosign', '--key', join(home, 'legacy.key')];
    const legacy = [...args, '--new-bundle-format=false', '--tlog-upload=false', '--format', 'json'];
    const rep = report(ok(await dct(legacy, gone), 'resign from the bundle'));
    assert.equal(rep.layout, 'legacy');
    assert.equal(rep.source.kind, 'bundle');
    assert.equal(rep.source.path, 'app.tar');
    assert.deepEqual(rep.summary, { migrated: 3, wouldSign: 0, skipped: 1, failed: 0 });
    for (const t of rep.repositories[0]!.tags.filter((x) => x.outcome === 'migrated')) {
      assert.match(t.stored ?? '', /^sha256-[0-9a-f]{64}\.sig$/);
      assert.equal(t.annotations?.[`${P}bundle`], 'app.tar');
      assert.equal(t.annotations?.[`${P}trustServer`], server.url);
      const v = await dct([
        'cosign',
        'verify',
        '--key',
        join(home, 'legacy.pub'),
        '--insecure-ignore-tlog',
        '--new-bundle-format=false',
        `${name}@${t.digest}`,
      ]);
      assert.equal(v.code, 0, v.stderr);
      assert.match(v.stdout, /"dev\.dct\.provenance\.bundle":"app\.tar"/);
    }
    const again = report(ok(await dct(legacy, gone), 'resign from the bundle again'));
    assert.deepEqual(again.summary, { migrated: 0, wouldSign: 0, skipped: 4, failed: 0 });
  });

  it('refuses a missing --as, a cosign run without --key, and a bundle without the repository', async () => {
    const noAs = await dct(['trust', 'resign', name]);
    assert.equal(noAs.code, 125);
    assert.match(noAs.stderr, /--as must be "cosign" or "notation"/);
    const noKey = await dct(['trust', 'resign', name, '--as', 'cosign']);
    assert.notEqual(noKey.code, 0);
    assert.match(noKey.stderr, /--as cosign needs --key FILE/);
  });
});
