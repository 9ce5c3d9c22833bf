/**
 * dct as a CLIENT reads what the real tools wrote exactly as they do: on every
 * fixture case of shared/reference/lab/make-fixtures.sh, rebuilt live with the
 * real `notary` 0.7 and `docker` 28 CLIs against the real notary-server,
 *  - `dct trust inspect [--pretty] …` prints what `docker trust inspect [--pretty] …` prints,
 *  - `dct notary … list|lookup …` prints what `notary … list|lookup …` prints,
 * byte for byte on stdout with the same exit code, each from a fresh
 * DOCKER_CONFIG / trust dir; and dct reads the trust dirs and TUF caches the
 * real tools left behind.
 *
 * DCT_CLIENT_READ_SELF_CHECK=1 runs the real tools in dct's place, to check
 * that the comparisons themselves are deterministic.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  buildFixtureCases,
  cliEnv,
  DEFAULT_FIXTURE_CASES,
  formatSteps,
  freshDockerConfig,
  runCli,
  type CliResult,
  type FixtureCase,
  type FixtureCaseName,
} from '../support/fixture-cases.js';
import { PROJECT_ROOT } from '../support/fixtures.js';
import { interopSkip, missingTool } from '../support/interop.js';
import { ensureReferenceTools, startReferenceStack, tempDir, type ReferenceStack } from '../support/reference-stack.js';
import type { TrustServerUnderTest } from '../support/trust-scenarios.js';

const DCT_MAIN = join(PROJECT_ROOT, 'src', 'cli', 'main.ts');
const SELF_CHECK = process.env['DCT_CLIENT_READ_SELF_CHECK'] === '1';

const unavailable = (await ensureReferenceTools()) ?? missingTool('docker');
const skip = interopSkip(unavailable && `reference tools unavailable: ${unavailable}`);

/** dct's CLI (or, for DCT_CLIENT_READ_SELF_CHECK, the real tool it stands in for). */
function dct(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  if (SELF_CHECK) {
    return args[0] === 'trust' ? runCli('docker', args, { env }) : runCli('notary', args.slice(1), { env });
  }
  return runCli(process.execPath, ['--import', 'tsx', DCT_MAIN, ...args], { env, cwd: PROJECT_ROOT });
}

/** The first differing lines of two outputs, for the failure message. */
function lineDiff(expected: string, actual: string): string {
  const e = expected.split('\n');
  const a = actual.split('\n');
  const out: string[] = [];
  for (let i = 0; i < Math.max(e.length, a.length) && out.length < 12; i++) {
    if (e[i] === a[i]) continue;
    out.push(`line ${i + 1}:`, `  real: ${JSON.stringify(e[i] ?? '<none>')}`, `  dct : ${JSON.stringify(a[i] ?? '<none>')}`);
  }
  return out.join('\n');
}

/**
 * What the real tool must have done for a comparison to mean anything: succeed (exit 0), or
 * fail with this message (a failure for another reason, a refused connection or a
 * missing tool, is not the behaviour under comparison even if dct fails the same way).
 */
type RealOutcome = 'succeeds' | RegExp;

const NOT_SIGNED = (name: string) => new RegExp(`No valid trust data for ${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm');
const NO_TRUST_DATA = /does not have trust data for /;
const CANNOT_ACCESS = /no signatures or cannot access /;

function assertRealOutcome(what: string, real: CliResult, expected: RealOutcome): void {
  if (expected === 'succeeds') {
    assert.equal(real.code, 0, `${what}: the real tool failed (exit ${real.code}), so there is nothing to compare\n${real.stderr}`);
  } else {
    assert.notEqual(real.code, 0, `${what}: the real tool was expected to fail, it exited 0\n${real.stdout}`);
    // (notary prints its fatal errors on stdout, docker on stderr)
    assert.match(`${real.stdout}${real.stderr}`, expected, `${what}: the real tool failed for another reason than the one compared`);
  }
}

function assertSameOutput(what: string, real: CliResult, ours: CliResult, expected: RealOutcome): void {
  assertRealOutcome(what, real, expected);
  if (real.code === ours.code && real.stdout === ours.stdout) return;
  assert.fail(
    [
      `${what}: dct's output differs from the real tool's`,
      `exit code: real ${real.code}, dct ${ours.code}`,
      lineDiff(real.stdout, ours.stdout),
      `--- real stdout\n${real.stdout}--- dct stdout\n${ours.stdout}--- real stderr\n${real.stderr}--- dct stderr\n${ours.stderr}`,
    ].join('\n'),
  );
}

/** A docker tag docker accepts in NAME:TAG (target names like `alice/tool` or `a<b&c>é` are not). */
const isDockerTag = (t: string) => /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(t);

let runs = 0;
/** A new folder for one CLI run, with a `home/` inside (the HOME of the normalised env). */
function freshRunDir(work: string, label: string): string {
  const dir = join(work, 'runs', `${++runs}-${label}`);
  mkdirSync(join(dir, 'home'), { recursive: true });
  return dir;
}

/** `docker trust inspect ARGS` and `dct trust inspect ARGS`, each with a fresh DOCKER_CONFIG holding only the CA, compared. */
async function inspectBoth(
  server: TrustServerUnderTest,
  work: string,
  args: string[],
  expected: RealOutcome = 'succeeds',
): Promise<CliResult> {
  const run = (tool: 'real' | 'dct') => {
    const dir = freshRunDir(work, `inspect-${tool}`);
    const dockerConfig = freshDockerConfig(server, { dir: join(dir, 'docker-config') });
    const env = cliEnv(join(dir, 'home'), { DOCKER_CONFIG: dockerConfig, DOCKER_CONTENT_TRUST_SERVER: server.url });
    return tool === 'real' ? runCli('docker', ['trust', 'inspect', ...args], { env }) : dct(['trust', 'inspect', ...args], env);
  };
  const [real, ours] = await Promise.all([run('real'), run('dct')]);
  assertSameOutput(`trust inspect ${args.join(' ')}`, real, ours, expected);
  return real;
}

/**
 * `notary -s URL --tlscacert CA -d DIR ARGS` and `dct notary -s URL --tlscacert CA -d DIR2 ARGS`,
 * each with a fresh trust dir, compared.
 */
async function notaryBoth(
  server: TrustServerUnderTest,
  work: string,
  args: string[],
  expected: RealOutcome = 'succeeds',
): Promise<CliResult> {
  const run = (tool: 'real' | 'dct') => {
    const dir = freshRunDir(work, `notary-${tool}`);
    const flags = ['-s', server.url, '--tlscacert', server.caFile, '-d', join(dir, 'trust'), ...args];
    const env = cliEnv(join(dir, 'home'));
    return tool === 'real' ? runCli('notary', flags, { env }) : dct(['notary', ...flags], env);
  };
  const [real, ours] = await Promise.all([run('real'), run('dct')]);
  assertSameOutput(`notary ${args.join(' ')}`, real, ours, expected);
  return real;
}

/**
 * The comparisons on one case. `ctx()` gives the server, the built case (or
 * why it could not be built) and another case's GUN for two-argument inspects.
 */
function compareCase(
  name: FixtureCaseName,
  ctx: () => { server: TrustServerUnderTest; work: string; built?: FixtureCase; error?: Error; otherGun: string; otherGunMissing: boolean },
): void {
  describe(name, () => {
    const get = (): FixtureCase & { work: string; otherGun: string; otherGunMissing: boolean } => {
      const c = ctx();
      if (c.error) throw c.error;
      assert.ok(c.built, `${name} was not built`);
      return { ...c.built, work: c.work, otherGun: c.otherGun, otherGunMissing: c.otherGunMissing };
    };
    const inspect = (args: string[], expected?: RealOutcome) => inspectBoth(get().server, get().work, args, expected);
    const notary = (args: string[], expected?: RealOutcome) => notaryBoth(get().server, get().work, args, expected);

    it('trust inspect GUN (JSON) equals docker trust inspect', async () => {
      await inspect([get().gun]);
    });

    it('trust inspect --pretty GUN equals docker trust inspect --pretty', async () => {
      await inspect(['--pretty', get().gun]);
    });

    it('trust inspect GUN:TAG (JSON and --pretty), signed and unsigned tags', async (t) => {
      const c = get();
      const tags = [...c.tags, ...c.absentTags].filter(isDockerTag);
      if (tags.length === 0) return t.skip('no target name of this case is a valid docker tag');
      // docker shows an unsigned tag as no signatures, and exits 0
      for (const tag of tags) {
        await inspect([`${c.gun}:${tag}`]);
        await inspect(['--pretty', `${c.gun}:${tag}`]);
      }
    });

    it('trust inspect with two arguments (JSON and --pretty)', async () => {
      const c = get();
      const tag = c.tags.find(isDockerTag);
      const withOther: RealOutcome = c.otherGunMissing ? CANNOT_ACCESS : 'succeeds';
      await inspect([c.gun, c.otherGun], withOther);
      await inspect(['--pretty', c.gun, c.otherGun], withOther);
      if (tag) await inspect([`${c.gun}:${tag}`, c.gun]);
    });

    it('notary list GUN equals the real notary list', async () => {
      await notary(['list', get().gun]);
    });

    it('notary list -r ROLE (each delegation) equals the real notary', async (t) => {
      const c = get();
      if (c.delegations.length === 0) return t.skip('no delegations in this case');
      for (const role of c.delegations) {
        await notary(['list', c.gun, '-r', role]);
        await notary(['list', c.gun, '--roles', role]);
      }
      await notary(['list', c.gun, '-r', 'targets']);
    });

    it('notary lookup GUN NAME (present and absent names) equals the real notary', async () => {
      const c = get();
      for (const name of c.tags) await notary(['lookup', c.gun, name]);
      for (const name of c.absentTags) await notary(['lookup', c.gun, name], NOT_SIGNED(name));
    });

    it('dct notary -d DIR reads the trust dir and TUF cache the real notary list populated', async () => {
      const c = get();
      const base = freshRunDir(c.work, 'notary-shared');
      const trust = join(base, 'trust');
      const env = cliEnv(join(base, 'home'));
      const flags = ['-s', c.server.url, '--tlscacert', c.server.caFile, '-d', trust];
      const real = await runCli('notary', [...flags, 'list', c.gun], { env });
      assertRealOutcome('notary list', real, 'succeeds');
      assert.ok(existsSync(join(trust, 'tuf', c.gun, 'metadata', 'root.json')), 'the real notary list cached the metadata');
      const ours = await dct(['notary', ...flags, 'list', c.gun], env);
      assertSameOutput('dct notary list on the real notary cache', real, ours, 'succeeds');
      // and the real notary still reads the dir afterwards
      const again = await runCli('notary', [...flags, 'list', c.gun], { env });
      assertSameOutput('real notary list after dct used the same dir', real, again, 'succeeds');
    });

    it('dct trust inspect reads a DOCKER_CONFIG whose trust cache docker trust inspect populated', async () => {
      const c = get();
      const base = freshRunDir(c.work, 'docker-shared');
      const dir = freshDockerConfig(c.server, { dir: join(base, 'docker-config') });
      const env = cliEnv(join(base, 'home'), { DOCKER_CONFIG: dir, DOCKER_CONTENT_TRUST_SERVER: c.server.url });
      const real = await runCli('docker', ['trust', 'inspect', '--pretty', c.gun], { env });
      assertRealOutcome('docker trust inspect --pretty', real, 'succeeds');
      assert.ok(existsSync(join(dir, 'trust', 'tuf', c.gun, 'metadata', 'root.json')), 'docker cached the metadata');
      assertSameOutput(
        "dct trust inspect --pretty on docker's cache",
        real,
        await dct(['trust', 'inspect', '--pretty', c.gun], env),
        'succeeds',
      );
      const json = await runCli('docker', ['trust', 'inspect', c.gun], { env });
      assertSameOutput("dct trust inspect on docker's cache", json, await dct(['trust', 'inspect', c.gun], env), 'succeeds');
    });

    it("dct reads the trust dir the case was built with (its keys and the builder's cache)", async () => {
      const c = get();
      // list is read-only: the same dir for both tools, real first
      const env = cliEnv(join(c.dockerConfigDir, '..', 'home'), {
        DOCKER_CONFIG: c.dockerConfigDir,
        DOCKER_CONTENT_TRUST_SERVER: c.server.url,
      });
      const flags = ['-s', c.server.url, '--tlscacert', c.server.caFile, '-d', c.notaryTrustDir];
      const real = await runCli('notary', [...flags, 'list', c.gun], { env });
      assertSameOutput("dct notary list on the builder's trust dir", real, await dct(['notary', ...flags, 'list', c.gun], env), 'succeeds');
      const pretty = await runCli('docker', ['trust', 'inspect', '--pretty', c.gun], { env });
      assertSameOutput(
        "dct trust inspect --pretty on the builder's DOCKER_CONFIG",
        pretty,
        await dct(['trust', 'inspect', '--pretty', c.gun], env),
        'succeeds',
      );
    });
  });
}

/** Starts a reference stack, rebuilds `cases` on it and defines the comparisons on them. */
function suite(title: string, cases: readonly FixtureCaseName[], trustService: 'remote' | 'local'): void {
  describe(title, { skip }, () => {
    let stack: ReferenceStack | undefined;
    let work: { path: string; cleanup: () => void } | undefined;
    let server: TrustServerUnderTest;
    let built: Awaited<ReturnType<typeof buildFixtureCases>> | undefined;
    let missingGun = '';

    before(
      async () => {
        work = tempDir('dct-client-read-');
        stack = await startReferenceStack({ logLevel: 'warn', trustService });
        server = { url: stack.serverUrl, caFile: stack.caFile };
        const registryHost = `127.0.0.1:${stack.registryPort}`;
        built = await buildFixtureCases(server, join(work.path, 'cases'), {
          registryHost,
          registryUrl: stack.env['REGISTRY_URL'] ?? `http://${registryHost}`,
          cases,
        });
        missingGun = `${registryHost}/never-pushed-${process.pid}/missing`;
      },
      { timeout: 300_000 },
    );

    after(async () => {
      await stack?.stop();
      work?.cleanup();
    });

    it('the real tools rebuilt every case', (t) => {
      assert.ok(built);
      const times = [...built.cases.values()].map((c) => `${c.name} ${c.ms} ms`).join(', ');
      t.diagnostic(`rebuilt ${built.cases.size}/${cases.length} cases in ${built.ms} ms (${times})`);
      const failed = [...built.errors].map(([n, e]) => `${n}: ${e.message}`);
      assert.deepEqual(failed, []);
      for (const c of built.cases.values()) assert.ok(c.steps.length > 0, formatSteps(c.steps));
    });

    cases.forEach((name, i) =>
      compareCase(name, () => {
        assert.ok(built && work, 'the cases were not built');
        const next = built.cases.get(cases[(i + 1) % cases.length] as FixtureCaseName);
        return {
          server,
          work: work.path,
          ...(built.cases.get(name) ? { built: built.cases.get(name) } : {}),
          ...(built.errors.get(name) ? { error: built.errors.get(name) } : {}),
          otherGun: next && cases.length > 1 ? next.gun : missingGun,
          otherGunMissing: !(next && cases.length > 1),
        };
      }),
    );

    describe('errors', () => {
      it('trust inspect of a GUN the server does not know (alone, and beside a known one)', async () => {
        assert.ok(built && work);
        const known = [...built.cases.values()][0];
        assert.ok(known);
        for (const args of [[missingGun], ['--pretty', missingGun], [known.gun, missingGun], ['--pretty', missingGun, known.gun]]) {
          await inspectBoth(server, work.path, args, CANNOT_ACCESS);
        }
      });

      it('notary list / lookup of a GUN the server does not know', async () => {
        assert.ok(work);
        for (const args of [
          ['list', missingGun],
          ['lookup', missingGun, 'v1'],
        ])
          await notaryBoth(server, work.path, args, NO_TRUST_DATA);
      });
    });
  });
}

suite('dct trust inspect / dct notary on repositories made by the real notary and docker CLIs', DEFAULT_FIXTURE_CASES, 'remote');
// needs a notary-server with `trust_service: local` (server-held ED25519 timestamp/snapshot keys):
// a second stack, started only after the first one is stopped
suite('dct trust inspect / dct notary on a repository of a local-signer (ED25519) notary-server', ['local-signer-ed25519'], 'local');
