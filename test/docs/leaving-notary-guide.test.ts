/**
 * README "Leaving notary.docker.io / notary-server", pasted: every ```sh block of the section
 * runs in bash as a user would paste it, `dct` being this checkout (test/support/dct-on-path.ts),
 * against the REAL notary-server (the reference stack) standing in for notary.docker.io and a
 * real docker-registry standing in for Docker Hub. The user was made by the real `docker trust`
 * (or `notary`) CLI: keys and trust cache in `~/.docker` (test/support/docker-hub-user.ts).
 *
 * The guide's variables block is run with the test's values (its `export` lines must be the
 * ones the test sets); each path starts from a copy of the user's home and of the folder the
 * first step left (the paths are alternatives). Path 1 runs while the source answers; then the
 * source is stopped — the shutdown — and the migrated server, the cache-only export and paths
 * 2, 3 and 4 run without it. A block marked `not run by the test` in the README is not run;
 * one marked `run by the test when X is installed` runs when X is on PATH. `DCT_GUIDE_OUTPUT=FILE`
 * appends what the blocks printed to FILE (to refresh the outputs the README shows).
 */
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { rewriteBundle, rowsOf } from '../cli/trust-export-support.js';
import { dctOnPath, type DctOnPath } from '../support/dct-on-path.js';
import { makeDockerHubUser, NOTARY_PASSPHRASES, USER_PASSPHRASES, type DockerHubUser } from '../support/docker-hub-user.js';
import { PROJECT_ROOT } from '../support/fixtures.js';
import { interopSkip, missingTool } from '../support/interop.js';
import { plainRegistryMissing, startPlainRegistry, type PlainRegistry } from '../support/plain-registry.js';
import { blockNeeds, exportedNames, runBlocks, sectionBlocks, stopGroup, withValues, type ShellBlock } from '../support/readme-guide.js';
import {
  ensureReferenceTools,
  onPath,
  parseNotaryList,
  run,
  startReferenceStack,
  type ReferenceStack,
} from '../support/reference-stack.js';

const SECTION = 'Leaving notary.docker.io / notary-server';
const blocks = sectionBlocks(readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8'), SECTION);
const under = (prefix: string) => blocks.filter((b) => b.heading.startsWith(prefix));
const [variables] = blocks;
const [fromServer, fromCache] = under('First, today');
const unavailable = (await ensureReferenceTools()) ?? plainRegistryMissing() ?? missingTool('bash', 'curl', 'sha256sum', 'tar');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe('README: leaving notary.docker.io, each path pasted', { skip: interopSkip(unavailable) }, () => {
  const work = mkdtempSync(join(tmpdir(), 'dct-leaving-notary-'));
  let stack: ReferenceStack | undefined;
  let registry: PlainRegistry | undefined;
  let dct: DctOnPath | undefined;
  let user: DockerHubUser;
  let values: Record<string, string>;
  const firstStep = join(work, 'first-step');
  const groups: number[] = [];

  before(async () => {
    [stack, registry, dct] = await Promise.all([startReferenceStack({ logLevel: 'warn' }), startPlainRegistry(), dctOnPath()]);
    user = await makeDockerHubUser({
      dir: join(work, 'user'),
      source: { url: stack.serverUrl, caFile: stack.caFile },
      registry: registry.host,
      dctBin: dct.bin,
    });
    values = { SOURCE: stack.serverUrl, IMAGE: user.image, TAG: user.tag, DEST: `https://127.0.0.1:${await freePort()}` };
  });
  after(async () => {
    for (const pid of groups) stopGroup(pid);
    await stack?.stop();
    await registry?.stop();
    dct?.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  /** A fresh copy of the user's home and of `from` (the first step's folder), for one path. */
  function copyOfUser(name: string, from?: string): { home: string; cwd: string } {
    const home = join(work, name, 'home');
    const cwd = join(work, name, 'work');
    cpSync(user.home, home, { recursive: true });
    if (from !== undefined) cpSync(from, cwd, { recursive: true });
    else mkdirSync(cwd, { recursive: true });
    return { home, cwd };
  }

  /** Runs the variables block (with the test's values) and then `steps` as one pasted session. */
  async function paste(steps: readonly ShellBlock[], where: { home: string; cwd: string }) {
    const runnable = steps.filter((b) => {
      const needs = blockNeeds(b);
      return !needs.skip && needs.tools.every(onPath);
    });
    const env = {
      PATH: `${dct?.bin}:${process.env['PATH'] ?? '/usr/bin:/bin'}`,
      HOME: where.home,
      LANG: 'C.UTF-8',
      COSIGN_PASSWORD: 'guide-cosign-pass',
      ...USER_PASSPHRASES,
    };
    const r = await runBlocks([withValues(variables as ShellBlock, values), ...runnable], { cwd: where.cwd, env });
    groups.push(r.pid);
    // DCT_GUIDE_OUTPUT=FILE keeps what the blocks printed, to refresh the outputs the README shows
    const keep = process.env['DCT_GUIDE_OUTPUT'];
    if (keep !== undefined) appendFileSync(keep, `\n### ${steps[0]?.heading} (README.md:${steps[0]?.line})\n${r.all}`);
    assert.equal(r.code, 0, `the pasted blocks failed:\n${r.all}`);
    return { outputs: r.outputs.slice(1), all: r.all, ran: runnable };
  }

  it('the variables block exports what the test sets, and the blocks are where the test expects them', () => {
    assert.deepEqual(exportedNames(variables?.code ?? ''), ['SOURCE', 'IMAGE', 'TAG', 'DEST', 'DOCKER_CONTENT_TRUST_SERVER']);
    assert.match(fromServer?.code ?? '', /dct trust export "\$IMAGE" --server "\$SOURCE"/);
    assert.match(fromCache?.code ?? '', /dct trust export --from-cache "\$IMAGE"/);
    for (const path of ['Path 1', 'Path 2', 'Path 3', 'Path 4']) assert.ok(under(path).length > 0, `no blocks under ${path}`);
    for (const b of blocks.filter((x) => x.note !== undefined && x !== variables)) {
      const needs = blockNeeds(b);
      assert.ok(needs.skip || needs.tools.length > 0, `README.md:${b.line}: a note the test does not understand: ${b.note}`);
    }
  });

  it('first, today: export from the server, check the bundle, keep the keys', { timeout: 60_000 }, async () => {
    mkdirSync(firstStep, { recursive: true });
    const { all } = await paste([fromServer as ShellBlock], { home: user.home, cwd: firstStep });
    assert.match(all, /Exported 1 repository to dct-trust\.tar/);
    assert.match(all, new RegExp(`verified {2}${user.image}: root (?:v\\d+|chain v\\d+\\.\\.v\\d+), 1 tag`));
    assert.match(all, /Verified: 1 repository/);
    const keys = await run('tar', ['-tzf', join(firstStep, 'dct-trust-keys.tgz')]);
    assert.match(keys.stdout, /trust\/private\/[0-9a-f]{64}\.key/);
  });

  it('path 1: dct server, migrated with the root key; clients see the same, then without the source', { timeout: 120_000 }, async () => {
    const where = copyOfUser('path-1', firstStep);
    const { all, ran } = await paste(under('Path 1'), where);
    assert.match(all, /would migrate \(root chain v\d+\.\.v\d+, 1 tag\)/);
    assert.match(all, /1 migrated, 0 updated, 0 skipped, 0 failed/);
    assert.match(all, /^same signers, keys and tags$/m);
    assert.match(all, new RegExp(`Pull \\(1 of 1\\): ${user.image}:${user.tag}@${user.digest}`));
    if (ran.some((b) => /docker trust inspect/.test(b.code))) {
      assert.ok(all.includes(user.dockerPretty.trim()), `docker trust inspect --pretty differs from the source's:\n${all}`);
      assert.deepEqual(rowsOf(parseNotaryList(all)), rowsOf(user.listed));
    }

    await stack?.stop(); // the shutdown: everything after runs without the source
    stack = undefined;
    const dataDir = join(where.cwd, 'dct-server');
    const { stdout } = await run(
      'notary',
      [
        '-s',
        values['DEST'] as string,
        '--tlscacert',
        join(dataDir, 'tls', 'ca.crt'),
        '-d',
        join(where.home, '.docker', 'trust'),
        'list',
        user.image,
      ],
      { env: { ...process.env, ...NOTARY_PASSPHRASES } },
    );
    assert.deepEqual(rowsOf(parseNotaryList(stdout)), rowsOf(user.listed), 'the real notary list from dct server, the source gone');
  });

  it('first, today, when the server is already gone: the cache-only export', { timeout: 60_000 }, async () => {
    assert.ok(stack === undefined, 'runs after the shutdown (path 1 stopped the source)');
    const { all } = await paste([fromCache as ShellBlock], copyOfUser('from-cache'));
    assert.match(all, /from the cache ONLY/);
    assert.match(all, /Verified: 1 repository/);
  });

  it('path 2: cosign, from the bundle, after the shutdown', { timeout: 120_000 }, async () => {
    const { all } = await paste(under('Path 2'), copyOfUser('path-2', firstStep));
    assert.match(all, /Would sign 1, skipped 0, failed 0/);
    assert.match(all, /Migrated 1, skipped 0, failed 0/);
    assert.match(all, /The signatures were verified against the specified public key/);
    assert.match(all, new RegExp(`"dev\\.dct\\.provenance\\.digest":"${user.digest}"`));
    assert.match(all, /verdict: {2}allow/);
    assert.match(all, /cosign verified:/);
    assert.match(all, new RegExp(`Status: Downloaded image for ${user.image}:${user.tag}`));
  });

  it('path 3: Notation, from the bundle, after the shutdown', { timeout: 120_000 }, async () => {
    const { all } = await paste(under('Path 3'), copyOfUser('path-3', firstStep));
    assert.match(all, /Migrated 1, skipped 0, failed 0/);
    assert.match(all, new RegExp(`Successfully verified signature for ${user.image}@${user.digest}`));
    assert.match(all, /dev\.dct\.provenance\.tag +v1/);
    assert.match(all, /verdict: {2}allow/);
    assert.match(all, /notation verified:/);
  });

  it('path 4: air-gapped, the bundle the only trust source; a changed bundle is refused', { timeout: 120_000 }, async () => {
    const [outside, inside] = under('Path 4');
    const where = copyOfUser('path-4', firstStep);
    await paste([outside as ShellBlock], where);
    const newMachine = join(work, 'path-4', 'inside-home'); // inside: another machine, no trust cache, no keys
    mkdirSync(newMachine);
    const { all } = await paste([inside as ShellBlock], { home: newMachine, cwd: where.cwd });
    assert.match(all, /dct-trust\.tar: OK/);
    assert.match(all, /Verified: 1 repository/);
    assert.match(all, new RegExp(`^${user.image}:${user.tag}@${user.digest}$`, 'm'));
    assert.match(all, /dct +sha256:[0-9a-f]{64} .* verified +tuf trust bundle /);
    assert.match(all, new RegExp(`Status: Downloaded image for ${user.image}:${user.tag}`));

    // the same steps with a bundle changed on the way (a byte of the targets metadata)
    const tampered = { home: join(work, 'path-4-tampered', 'home'), cwd: join(work, 'path-4-tampered', 'work') };
    for (const dir of Object.values(tampered)) mkdirSync(dir, { recursive: true });
    await rewriteBundle(join(firstStep, 'dct-trust.tar'), join(tampered.cwd, 'dct-trust.tar'), (_manifest, files) => {
      const [path, bytes] = [...files.entries()].find(([p]) => p.endsWith('/targets.json')) as [string, Buffer];
      files.set(path, Buffer.from(bytes.toString('utf8').replace('"expires"', '"expires" ')));
    });
    const steps = (inside as ShellBlock).code
      .split('\n')
      .flatMap((code) => (code.startsWith('dct ') ? [{ ...(inside as ShellBlock), code }] : []));
    assert.equal(steps.length, 3, 'verify-bundle, verify and pull');
    for (const step of steps) {
      const r = await runBlocks([withValues(variables as ShellBlock, values), step], {
        cwd: tampered.cwd,
        env: { PATH: `${dct?.bin}:${process.env['PATH'] ?? ''}`, HOME: tampered.home },
      });
      assert.equal(r.code, 1, `${step.code}: accepted a changed bundle:\n${r.all}`);
      assert.match(r.all, /BUNDLE_FILE_MISMATCH|targets\.json is \d+ bytes with sha256 [0-9a-f]{64}; the manifest lists/);
    }
    assert.ok(!existsSync(join(tampered.cwd, 'app-image', 'index.json')), 'nothing pulled from a changed bundle');
  });
});
