/**
 * `dct trust` against the REAL docker CLI 28 and notary 0.7:
 *
 * a. the scripted docker trust session (trust-scenarios.ts `dockerSession`) run
 *    twice against the same real notary-server, once with the real `docker`, once
 *    with a `docker` on PATH that runs `dct` for `docker trust …`: identical
 *    outputs and exit codes, except where docker 28 is knowingly buggy — its
 *    `trust signer remove` removes nothing unless it asked (and was answered y);
 *    dct removes the signer, so that step and the outputs after it differ in
 *    exactly the ways written down below;
 * b. a repository made by `dct trust signer add` + `dct trust sign --digest --size`
 *    reads correctly with the real `docker trust inspect` (byte for byte what
 *    `dct trust inspect` prints) and `notary list`, on notary-server and on `dct server`;
 * c. keys are shared: a `docker trust key generate` key signs with `dct trust sign`,
 *    a `dct trust key generate` key works with `docker trust signer add` and `notary addhash`.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../../src/server/config.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { PROJECT_ROOT } from '../support/fixtures.js';
import { runCli, type CliResult } from '../support/fixture-cases.js';
import { interopSkip, missingTool } from '../support/interop.js';
import {
  ensureReferenceTools,
  parseNotaryList,
  REFERENCE_DIR,
  startReferenceStack,
  type ReferenceStack,
} from '../support/reference-stack.js';
import { dockerSession, type Step, type TrustServerUnderTest } from '../support/trust-scenarios.js';

const unavailable = (await ensureReferenceTools()) ?? missingTool('docker');

const TSX = import.meta.resolve('tsx');
const MAIN = join(PROJECT_ROOT, 'src', 'cli', 'main.ts');
const PASS = { DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: 'dct-trust-root', DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'dct-trust-repo' };
const DIGEST = 'c9bbb536c42a9a39fe0dd0f130ad187806b57ece424e068dd2aae56ff980a7b9';

describe('dct trust and the real docker CLI / notary', { skip: interopSkip(unavailable) }, () => {
  let stack: ReferenceStack;
  let dctServer: RunningServer;
  const work = mkdtempSync(join(tmpdir(), 'dct-trust-interop-'));
  const wrapperDir = join(work, 'bin');
  let realDocker = 'docker';

  before(async () => {
    stack = await startReferenceStack({ logLevel: 'warn' });
    const config = loadConfig({
      env: {},
      flags: { listen: '127.0.0.1:0', storage: `sqlite:${join(work, 'dct.db')}`, dataDir: join(work, 'data'), logLevel: 'warn' },
    });
    dctServer = await startServer(config, { DCT_SERVER_KEY_PASSPHRASE: 'test-server-keys' }, pino({ level: 'warn' }));
    realDocker = (await runCli('sh', ['-c', 'command -v docker'], { env: process.env })).stdout.trim();
    // a `docker` that runs dct for `docker trust …` (the leading `docker` dropped) and the real one otherwise
    mkdirSync(wrapperDir);
    writeFileSync(
      join(wrapperDir, 'docker'),
      `#!/bin/sh\nif [ "$1" = "trust" ]; then exec node --import ${TSX} ${MAIN} "$@"; fi\nexec ${realDocker} "$@"\n`,
    );
    chmodSync(join(wrapperDir, 'docker'), 0o755);
  });
  after(async () => {
    await dctServer?.close();
    await stack?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const refServer = (): TrustServerUnderTest => ({ url: stack.serverUrl, caFile: stack.caFile });
  const gunFor = (name: string) => `127.0.0.1:${stack.registryPort}/dct-trust-${process.pid}/${name}`;

  /** A shell whose DOCKER_CONFIG is `config`, talking to `server`. */
  function shell(config: string, server: TrustServerUnderTest) {
    const env = { PATH: process.env['PATH'], HOME: work, DOCKER_CONFIG: config, DOCKER_CONTENT_TRUST_SERVER: server.url, ...PASS };
    const cwd = join(config, '..');
    return {
      dct: (...args: string[]): Promise<CliResult> => runCli('node', ['--import', TSX, MAIN, ...args], { env, cwd }),
      docker: (...args: string[]): Promise<CliResult> => runCli(realDocker, args, { env, cwd }),
      notary: (...args: string[]): Promise<CliResult> =>
        runCli('notary', ['-s', server.url, '--tlscacert', server.caFile, '-d', join(config, 'trust'), ...args], {
          env: {
            ...env,
            NOTARY_DELEGATION_PASSPHRASE: PASS.DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE,
            NOTARY_TARGETS_PASSPHRASE: PASS.DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE,
          },
          cwd,
        }),
    };
  }
  const ok = (r: CliResult, what: string) => {
    assert.equal(r.code, 0, `${what} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
    return r;
  };
  const newConfig = (name: string) => {
    const dir = mkdtempSync(join(work, `${name}-`));
    mkdirSync(join(dir, 'docker'));
    return join(dir, 'docker');
  };

  it(
    "a. the docker trust session gives docker's outputs, except where docker 28 is buggy (signer remove)",
    { timeout: 180_000 },
    async () => {
      const refGun = gunFor('session-docker');
      const dctGun = gunFor('session-dct');
      const ref = await dockerSession(refServer(), mkdtempSync(join(work, 'ref-')), refGun);
      const ours = await dockerSession(refServer(), mkdtempSync(join(work, 'dct-')), dctGun, { pathPrefix: wrapperDir });
      const norm = (steps: Step[], gun: string) =>
        steps.map((s) => ({ ...s, command: s.command.split(gun).join('<gun>'), output: s.output.split(gun).join('<gun>') }));
      const expected = docker28Fixed(norm(ref, refGun));
      const actual = norm(ours, dctGun);
      assert.equal(actual.length, expected.length);
      for (let i = 0; i < expected.length; i++) {
        const e = expected[i] as Step;
        const a = actual[i] as Step;
        assert.deepEqual(
          { command: a.command, exitCode: a.exitCode, output: a.output },
          { command: e.command, exitCode: e.exitCode, output: e.output },
          `step ${i + 1}: ${e.command}`,
        );
      }
    },
  );

  for (const target of ['notary-server', 'dct server'] as const) {
    it(
      `b. a dct-made repository (signer add + sign --digest) reads right with docker trust inspect and notary list (${target})`,
      { timeout: 90_000 },
      async () => {
        const server = target === 'notary-server' ? refServer() : { url: dctServer.url, caFile: dctServer.caFile as string };
        const gun = gunFor(target === 'notary-server' ? 'made-by-dct' : 'made-by-dct-on-dct');
        const owner = shell(newConfig('owner'), server);
        ok(await owner.dct('trust', 'key', 'generate', 'carol'), 'dct trust key generate');
        const add = ok(await owner.dct('trust', 'signer', 'add', '--key', 'carol.pub', 'carol', gun), 'dct trust signer add');
        assert.equal(
          add.stdout,
          `Adding signer "carol" to ${gun}...\nInitializing signed repository for ${gun}...\nSuccessfully initialized "${gun}"\nSuccessfully added signer: carol to ${gun}\n\n`,
        );
        const sign = ok(await owner.dct('trust', 'sign', `${gun}:v1`, '--digest', `sha256:${DIGEST}`, '--size', '423'), 'dct trust sign');
        assert.equal(sign.stdout, `Signing and pushing trust metadata\nSuccessfully signed ${gun}:v1\n`);

        // fresh readers: the real docker and dct print the same bytes
        const reader = shell(newConfig('reader'), server);
        const dctReader = shell(newConfig('dct-reader'), server);
        for (const args of [
          ['trust', 'inspect', gun],
          ['trust', 'inspect', '--pretty', gun],
          ['trust', 'inspect', `${gun}:v1`, `${gun}:nope`],
        ]) {
          const theirs = await reader.docker(...args);
          const mine = await dctReader.dct(...args);
          assert.deepEqual(
            { code: mine.code, stdout: mine.stdout, stderr: mine.stderr },
            { code: theirs.code, stdout: theirs.stdout, stderr: theirs.stderr },
            args.join(' '),
          );
        }
        const [inspected] = JSON.parse((await reader.docker('trust', 'inspect', gun)).stdout) as Array<{
          SignedTags: Array<{ SignedTag: string; Digest: string; Signers: string[] }>;
          Signers: Array<{ Name: string }>;
        }>;
        assert.deepEqual(inspected?.SignedTags, [{ SignedTag: 'v1', Digest: DIGEST, Signers: ['carol'] }]);
        assert.deepEqual(
          inspected?.Signers.map((s) => s.Name),
          ['carol'],
        );

        const rows = parseNotaryList(ok(await shell(newConfig('notary-reader'), server).notary('list', gun), 'notary list').stdout);
        assert.deepEqual(rows, [{ name: 'v1', digest: DIGEST, size: 423, role: 'targets/carol' }]);
        const releases = parseNotaryList(
          ok(await shell(newConfig('notary-reader2'), server).notary('list', gun, '-r', 'targets/releases'), 'notary list -r').stdout,
        );
        assert.deepEqual(releases, [{ name: 'v1', digest: DIGEST, size: 423, role: 'targets/releases' }]);
      },
    );
  }

  it('c. keys are shared: docker-made keys sign with dct, dct-made keys work with docker and notary', { timeout: 90_000 }, async () => {
    const server = refServer();
    const config = newConfig('shared');
    const sh = shell(config, server);

    // a key from `docker trust key generate`, a signer added by docker, the tag signed by dct
    const gun1 = gunFor('docker-key');
    ok(await sh.docker('trust', 'key', 'generate', 'dave'), 'docker trust key generate');
    ok(await sh.docker('trust', 'signer', 'add', '--key', 'dave.pub', 'dave', gun1), 'docker trust signer add');
    ok(await sh.dct('trust', 'sign', `${gun1}:v1`, '--digest', `sha256:${DIGEST}`, '--size', '423'), 'dct trust sign');
    const pretty = ok(
      await shell(newConfig('reader-c'), server).docker('trust', 'inspect', '--pretty', gun1),
      'docker trust inspect',
    ).stdout;
    assert.match(pretty, new RegExp(`\\nv1 +${DIGEST} +dave\\n`));

    // a key from `dct trust key generate`, a signer added by docker, signed by notary with that key
    const gun2 = gunFor('dct-key');
    ok(await sh.dct('trust', 'key', 'generate', 'erin'), 'dct trust key generate');
    ok(await sh.docker('trust', 'signer', 'add', '--key', 'erin.pub', 'erin', gun2), 'docker trust signer add (dct key)');
    ok(
      await sh.notary('addhash', gun2, 'v2', '423', '--sha256', DIGEST, '-r', 'targets/releases', '-r', 'targets/erin', '-p'),
      'notary addhash with the dct key',
    );
    const rows = parseNotaryList(
      ok(await shell(newConfig('reader-c2'), server).notary('list', gun2, '-r', 'targets/erin'), 'notary list').stdout,
    );
    assert.deepEqual(rows, [{ name: 'v2', digest: DIGEST, size: 423, role: 'targets/erin' }]);
    const [info] = JSON.parse(
      ok(await shell(newConfig('reader-c3'), server).dct('trust', 'inspect', gun2), 'dct trust inspect').stdout,
    ) as Array<{ SignedTags: unknown }>;
    assert.deepEqual(info?.SignedTags, [{ SignedTag: 'v2', Digest: DIGEST, Signers: ['erin'] }]);
  });

  it(
    'd. sign without --digest reads the manifest from the registry; a new repository is signed into targets, a released tag re-signed',
    { timeout: 90_000 },
    async () => {
      const server = refServer();
      const gun = gunFor('from-registry');
      const path = gun.slice(gun.indexOf('/') + 1);
      const pushed = await runCli(
        'bash',
        [join(REFERENCE_DIR, 'lab', 'push-tiny-image.sh'), `http://127.0.0.1:${stack.registryPort}`, path, 'v1'],
        { env: process.env },
      );
      const m = /^sha256:([0-9a-f]{64}) (\d+)\s*$/.exec(pushed.stdout);
      assert.ok(m, `push-tiny-image.sh: ${pushed.stdout} ${pushed.stderr}`);
      const [digest, size] = [m[1] as string, Number(m[2])];

      // no registry user name in the docker config: as `docker push`, the tag goes into targets
      const sh = shell(newConfig('registry'), server);
      const first = ok(await sh.dct('trust', 'sign', `${gun}:v1`), 'dct trust sign (registry)');
      assert.equal(first.stdout, `Signing and pushing trust metadata\nFinished initializing "${gun}"\nSuccessfully signed ${gun}:v1\n`);
      assert.equal(first.stderr, `Signing and pushing trust data for local image ${gun}:v1, may overwrite remote trust data\n`);
      const rows = parseNotaryList(ok(await shell(newConfig('reader-d'), server).notary('list', gun), 'notary list').stdout);
      assert.deepEqual(rows, [{ name: 'v1', digest, size, role: 'targets' }]);

      // the tag is released now: signing again re-signs what is released (docker's "Existing signatures")
      const again = ok(await sh.dct('trust', 'sign', `${gun}:v1`), 'dct trust sign again');
      assert.equal(
        again.stdout,
        `Signing and pushing trust metadata for ${gun}:v1\nExisting signatures for tag v1 digest ${digest} from:\n\nSuccessfully signed ${gun}:v1\n`,
      );
      const json = JSON.parse(ok(await sh.dct('trust', 'inspect', `${gun}:v1`), 'dct trust inspect').stdout) as Array<{
        SignedTags: unknown;
      }>;
      assert.deepEqual(json[0]?.SignedTags, [{ SignedTag: 'v1', Digest: digest, Signers: ['Repo Admin'] }]);

      // a tag the registry does not have
      const missing = await sh.dct('trust', 'sign', `${gun}:nope`);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /nope/);
    },
  );
});

/**
 * The reference session's outputs as dct gives them: docker 28's `trust signer
 * remove` silently removes nothing unless it asked "are you sure" and got `y`
 * (docker/cli 10bf91a02d); dct removes the signer as the command's help says.
 *
 * - `signer remove bob` (bob is not the last signer): dct removes him and says so;
 *   later `--pretty` listings no longer show bob;
 * - `signer remove alice` (answered `y`): alice is now the only signer of the
 *   released targets/releases, so dct asks (as docker does for a last signer) and
 *   removes her; the last listing has no signers, and the client then warns that
 *   targets/releases (signed by the removed keys) no longer meets its threshold.
 */
function docker28Fixed(steps: Step[]): Step[] {
  const out = steps.map((s) => ({ ...s }));
  const find = (command: string, from = 0) => {
    const i = out.findIndex((s, n) => n >= from && s.command === command);
    assert.ok(i >= 0, `reference session has no step ${command}`);
    return i;
  };
  const removeBob = find('docker trust signer remove bob <gun>');
  assert.equal(out[removeBob]!.output, 'Removing signer "bob" from <gun>...\n', 'docker 28 removes nothing and says nothing more');
  out[removeBob]!.output += 'Successfully removed bob from <gun>\n\n';
  for (let i = removeBob + 1; i < out.length; i++) {
    if (out[i]!.command.startsWith('docker trust inspect --pretty')) out[i]!.output = out[i]!.output.replace(/^bob {7}<id\d+:12>\n/m, '');
  }
  const removeAlice = find('docker trust signer remove alice <gun>', removeBob);
  assert.equal(out[removeAlice]!.output, 'Removing signer "alice" from <gun>...\n');
  out[removeAlice]!.output +=
    'The signer "alice" signed the last released version of <gun>. Removing this signer will make <gun> unpullable. Are you sure you want to continue? [y/N] ' +
    'Successfully removed alice from <gun>\n\n';
  const last = out.length - 1;
  assert.ok(out[last]!.command.startsWith('docker trust inspect --pretty'));
  out[last]!.output =
    out[last]!.output.replace(/\nList of signers and their keys for <gun>\n\nSIGNER {4}KEYS\nalice {5}<id\d+:12>\n/, '') +
    '[stderr]\ntime="…" level=warning msg="Error getting targets/releases: valid signatures did not meet threshold for targets/releases"\n';
  return out;
}
