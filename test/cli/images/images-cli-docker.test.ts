/**
 * `dct docker` in process against an in-process `dct server`: it runs a fake
 * docker (DCT_DOCKER) that records its arguments — `--dry-run` pull (docker's
 * trusted pull by digest, then tag; `-a`), run/create with the image found by
 * docker's flag grammar, `--config`, build with FROM lines pinned in a
 * temporary Dockerfile — and runs docker with the resolved image, returning its
 * exit code and refusing to run itself.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { DockerIo } from '../../../src/cli/commands/images/docker-plan.js';
import { runDocker } from '../../../src/cli/commands/images/docker.js';
import { APP, BASE, D1, D2, D3, D9, MISSING, notExist, useImagesServer, user } from './images-cli-world.js';

describe('dct pin / docker / plugin (in process, against dct server)', () => {
  useImagesServer();

  describe('dct docker', () => {
    /** A fake docker that records each invocation's arguments (NUL-separated, one line each), --file's content and the marker. */
    function fakeDocker(dir: string, exitCode = 0) {
      const log = join(dir, 'docker.log');
      const script = join(dir, 'fake-docker');
      writeFileSync(
        script,
        `#!/bin/sh\nprintf '%s\\0' "$@" >> '${log}'\nprintf '\\n' >> '${log}'\necho "$DCT_DOCKER_WRAPPED" > '${log}.env'\nfor a; do case "$a" in --file=*) cp "\${a#--file=}" '${log}.dockerfile';; esac; done\nexit ${exitCode}\n`,
      );
      chmodSync(script, 0o755);
      return {
        script,
        calls: () =>
          existsSync(log)
            ? readFileSync(log, 'utf8')
                .split('\n')
                .filter((l) => l !== '')
                .map((l) => l.split('\0').slice(0, -1))
            : [],
        dockerfile: () => readFileSync(`${log}.dockerfile`, 'utf8'),
        marker: () => readFileSync(`${log}.env`, 'utf8').trim(),
      };
    }

    it("--dry-run pull: docker's trusted pull by digest, then tag; -a pulls every released tag", async () => {
      const u = user();
      assert.deepEqual(await u.docker(['--dry-run', 'pull', APP]), {
        code: 0,
        out: `Using default tag: latest\nPull (1 of 1): ${APP}:latest@sha256:${D2}\ndocker pull ${APP}@sha256:${D2}\ndocker tag ${APP}@sha256:${D2} ${APP}:latest\n`,
        err: `Tagging ${APP}@sha256:${D2} as ${APP}:latest\n`,
      });
      const all = await u.docker(['--dry-run', '--log-level', 'warn', 'image', 'pull', '-qa', '--platform=linux/arm64', APP]);
      assert.equal(all.code, 0, all.err);
      const lines = all.out.split('\n').filter((l) => l.startsWith('docker '));
      assert.deepEqual(lines.sort(), [
        `docker --log-level warn image pull -q --platform=linux/arm64 ${APP}@sha256:${D1}`,
        `docker --log-level warn image pull -q --platform=linux/arm64 ${APP}@sha256:${D1}`,
        `docker --log-level warn image pull -q --platform=linux/arm64 ${APP}@sha256:${D2}`,
        `docker --log-level warn tag ${APP}@sha256:${D1} ${APP}:1.0`,
        `docker --log-level warn tag ${APP}@sha256:${D1} ${APP}:stable`,
        `docker --log-level warn tag ${APP}@sha256:${D2} ${APP}:latest`,
      ]);
      assert.match(all.out, /^Pull \(1 of 3\): /);
      assert.deepEqual(await u.docker(['--dry-run', 'pull', `${APP}@sha256:${D9}`]), {
        code: 0,
        out: `docker pull ${APP}@sha256:${D9}\n`,
        err: '',
      });
      assert.deepEqual(await u.docker(['--dry-run', 'pull', `${APP}:2.0`]), { code: 1, out: '', err: 'No valid trust data for 2.0\n' });
      assert.deepEqual(await u.docker(['--dry-run', 'pull', MISSING]), {
        code: 1,
        out: 'Using default tag: latest\n',
        err: `${notExist(MISSING)}\n`,
      });
    });

    it("--dry-run run/create: the image argument (found with docker's flag grammar) becomes name@sha256", async () => {
      const u = user();
      const cases: Array<[string[], string[]]> = [
        [
          ['run', '-it', '--rm', '-e', 'A=B', '--name=web', '-p8080:80', '-v', '/a:/b', `${APP}:1.0`, 'sh', '-c', 'echo $HOME'],
          ['run', '-it', '--rm', '-e', 'A=B', '--name=web', '-p8080:80', '-v', '/a:/b', `${APP}@sha256:${D1}`, 'sh', '-c', 'echo $HOME'],
        ],
        [
          ['container', 'run', '-dh', 'host', '--network', 'n', APP, '--rm'],
          ['container', 'run', '-dh', 'host', '--network', 'n', `${APP}@sha256:${D2}`, '--rm'],
        ],
        [
          ['create', '--platform', 'linux/amd64', '-l', 'x=y', '--', `${BASE}:3.19`],
          ['create', '--platform', 'linux/amd64', '-l', 'x=y', '--', `${BASE}@sha256:${D3}`],
        ],
        [
          ['-H', 'tcp://h:2376', '--tlsverify', 'run', '--rm', `${BASE}:3.19`],
          ['-H', 'tcp://h:2376', '--tlsverify', 'run', '--rm', `${BASE}@sha256:${D3}`],
        ],
        [
          ['run', `${APP}@sha256:${D9}`],
          ['run', `${APP}@sha256:${D9}`],
        ],
        [
          ['run', '--disable-content-trust', `${APP}:2.0`],
          ['run', '--disable-content-trust', `${APP}:2.0`],
        ],
        [
          ['run', D9],
          ['run', D9],
        ],
        [
          ['ps', '-a', '--format', '{{.Image}}'],
          ['ps', '-a', '--format', '{{.Image}}'],
        ],
      ];
      for (const [args, expected] of cases) {
        const r = await u.docker(['--dry-run', ...args]);
        assert.equal(r.code, 0, `${args.join(' ')}: ${r.err}`);
        assert.equal(r.out, `docker ${expected.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a}'`)).join(' ')}\n`);
      }
      assert.deepEqual(await u.docker(['--dry-run', 'run', '--rm', `${APP}:2.0`]), {
        code: 125,
        out: '',
        err: "docker: No valid trust data for 2.0\n\nRun 'docker run --help' for more information\n",
      });
      assert.deepEqual(await u.docker(['--dry-run', 'create', MISSING]), {
        code: 125,
        out: '',
        err: `docker: ${notExist(MISSING)}\n\nRun 'docker create --help' for more information\n`,
      });
      const unknown = await u.docker(['--dry-run', 'run', '--frobnicate', 'x', APP]);
      assert.equal(unknown.code, 125);
      assert.match(unknown.err, /^dct docker: unknown flag: --frobnicate /);
      assert.deepEqual(await u.docker(['--dry-run', 'run', '-d', '-Z', APP]), {
        code: 125,
        out: '',
        err: "dct docker: unknown shorthand flag: 'Z' in -Z\n",
      });
      // an unknown flag with its value attached is skipped safely
      assert.equal((await u.docker(['--dry-run', 'run', '--future-flag=1', APP])).out, `docker run --future-flag=1 ${APP}@sha256:${D2}\n`);
    });

    it('--config before the command is the docker config dct reads trust data with', async () => {
      const u = user();
      const other = join(u.home, 'other-config');
      mkdirSync(other);
      const r = await u.docker(['--dry-run', '--config', other, 'run', `${APP}:1.0`]);
      assert.equal(r.out, `docker --config ${other} run ${APP}@sha256:${D1}\n`);
      assert.ok(existsSync(join(other, 'trust', 'tuf', '127.0.0.1:5000', 'img', 'app', 'metadata', 'root.json')));
    });

    it('build: FROM lines pinned in a temporary Dockerfile passed with --file (global ARGs and --build-arg expanded)', async () => {
      const u = user();
      mkdirSync(join(u.home, 'ctx'));
      const text = `ARG BASE=${BASE}\nARG TAG=1.0\nFROM \${BASE}:3.19 AS build\nFROM build AS again\nFROM ${APP}:\${TAG}\nFROM scratch\n`;
      writeFileSync(join(u.home, 'ctx', 'Dockerfile'), text);
      const dry = await u.docker(['--dry-run', 'build', '-t', 'me/x:1', '--build-arg', 'TAG=latest', 'ctx']);
      assert.deepEqual(dry, {
        code: 0,
        out: `docker build -t me/x:1 --build-arg TAG=latest ctx --file=${join(tmpdir(), 'dct-build-XXXXXX', 'Dockerfile')}\n`,
        err: `ctx/Dockerfile:3: FROM \${BASE}:3.19 -> ${BASE}@sha256:${D3}\nctx/Dockerfile:5: FROM ${APP}:\${TAG} -> ${APP}@sha256:${D2}\n`,
      });

      const fake = fakeDocker(u.home);
      const env = { ...u.env, DCT_DOCKER: fake.script };
      const real = await runDocker(['build', '-q', '-f', 'ctx/Dockerfile', 'ctx'], { ...ioOf(u.home, env) });
      assert.equal(real, 0);
      const [call] = fake.calls();
      assert.equal(call!.slice(0, 4).join(' '), 'build -q -f ctx/Dockerfile');
      assert.equal(call![4], 'ctx');
      assert.match(call![5]!, /^--file=.*dct-build-[^/]+\/Dockerfile$/);
      assert.equal(
        fake.dockerfile(),
        text.replace('${BASE}:3.19 AS', `${BASE}@sha256:${D3} AS`).replace(`${APP}:\${TAG}`, `${APP}@sha256:${D1}`),
      );
      assert.equal(fake.marker(), '1');
      assert.ok(!existsSync(call![5]!.slice('--file='.length)), 'the temporary Dockerfile is removed');

      // a Dockerfile on stdin with no context; an unsigned FROM stops the build before docker runs
      const fromStdin = await u.docker(['--dry-run', 'build', '-'], Buffer.from(`FROM ${BASE}:3.19\n`));
      assert.equal(
        fromStdin.out,
        `docker build ${join(tmpdir(), 'dct-build-XXXXXX', 'context')} --file=${join(tmpdir(), 'dct-build-XXXXXX', 'Dockerfile')}\n`,
      );
      writeFileSync(join(u.home, 'ctx', 'Bad.dockerfile'), `FROM ${APP}:2.0\nFROM \${TARGETARCH}/x\n`);
      assert.deepEqual(await u.docker(['build', '--file', 'ctx/Bad.dockerfile', 'ctx']), {
        code: 1,
        out: '',
        err: `ctx/Bad.dockerfile:1: FROM ${APP}:2.0: No valid trust data for 2.0\nctx/Bad.dockerfile:2: cannot pin FROM \${TARGETARCH}/x: it uses a variable only the builder knows\n`,
      });
      assert.equal(fake.calls().length, 1);
      const remote = await u.docker(['--dry-run', 'build', 'https://github.com/x/y.git']);
      assert.equal(remote.code, 1);
    });

    it("runs docker with the resolved image, returns docker's exit code, refuses to run itself", async () => {
      const u = user();
      const fake = fakeDocker(u.home, 3);
      const env = { ...u.env, DCT_DOCKER: fake.script };
      assert.equal(await runDocker(['run', '--rm', `${APP}:1.0`, 'true'], ioOf(u.home, env)), 3);
      assert.deepEqual(fake.calls(), [['run', '--rm', `${APP}@sha256:${D1}`, 'true']]);
      // pull stops at the failing pull: no tag
      assert.equal(
        await runDocker(
          ['pull', `${APP}:1.0`],
          ioOf(u.home, env, () => undefined),
        ),
        3,
      );
      assert.equal(fake.calls().length, 2);
      let err = '';
      assert.equal(await runDocker(['ps'], { ...ioOf(u.home, { ...env, DCT_DOCKER_WRAPPED: '1' }), err: (t) => void (err += t) }), 125);
      assert.match(err, /refusing to run inside dct docker/);
      assert.equal(fake.calls().length, 2);
      symlinkSync(fake.script, join(u.home, 'me'));
      assert.equal(await runDocker(['ps'], ioOf(u.home, { ...env, DCT_DOCKER: join(u.home, 'me') }), { self: fake.script }), 125);
      assert.equal(await runDocker(['ps'], ioOf(u.home, { ...env, DCT_DOCKER: join(u.home, 'nope') })), 127);
    });
  });

  function ioOf(home: string, env: Record<string, string>, err: (t: string) => void = () => undefined): DockerIo {
    return {
      out: () => undefined,
      err,
      readLine: async () => undefined,
      readStdin: async () => Buffer.alloc(0),
      env,
      cwd: home,
      now: () => new Date(),
      hints: false,
    };
  }
});
