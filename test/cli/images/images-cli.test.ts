/**
 * `dct pin`, `dct docker` and the `docker-trust` plugin, in process (`dct verify`: test/cli/verify.test.ts),
 * against an in-process `dct server` (TLS on loopback; tags signed with
 * `dct trust sign --digest … --size …`). `dct docker` runs a fake docker
 * (DCT_DOCKER) that records its arguments.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { runDocker, type DockerIo } from '../../../src/cli/commands/images/docker.js';
import { runPin } from '../../../src/cli/commands/images/pin.js';
import { installPlugin, pluginInvocation, runPlugin } from '../../../src/cli/commands/plugin.js';
import { runTrust } from '../../../src/cli/commands/trust/index.js';
import { loadConfig } from '../../../src/server/config.js';
import { startServer, type RunningServer } from '../../../src/server/start-server.js';
import { PROJECT_ROOT } from '../../support/fixtures.js';
import { interopSkipHere, missingTool } from '../../support/interop.js';

const PASS = { DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: 'img-root-pass', DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'img-repo-pass' };
const D1 = '1a'.repeat(32);
const D2 = '2b'.repeat(32);
const D3 = '3c'.repeat(32);
const D9 = '9f'.repeat(32);
const APP = '127.0.0.1:5000/img/app';
const BASE = '127.0.0.1:5000/img/base';
const MISSING = '127.0.0.1:5000/img/missing';

interface Run {
  code: number;
  out: string;
  err: string;
}

const execFileP = promisify(execFile);

describe('dct pin / docker / plugin (in process, against dct server)', () => {
  const work = mkdtempSync(join(tmpdir(), 'dct-images-cli-'));
  let server: RunningServer;
  let host: string;
  let n = 0;

  /** A user: own DOCKER_CONFIG and working folder. */
  function user(extraEnv: Record<string, string> = {}) {
    const home = join(work, `user-${++n}`);
    mkdirSync(join(home, 'docker'), { recursive: true });
    const env: Record<string, string> = {
      DOCKER_CONFIG: join(home, 'docker'),
      DOCKER_CONTENT_TRUST_SERVER: server.url,
      DCT_CONFIG: join(home, 'dct.json'),
      HOME: home,
      ...PASS,
      ...extraEnv,
    };
    const io = (out: (t: string) => void, err: (t: string) => void, stdin: Buffer = Buffer.alloc(0)): DockerIo => ({
      out,
      err,
      readLine: async () => undefined,
      readStdin: async () => stdin,
      env,
      cwd: home,
      now: () => new Date(),
      hints: false,
    });
    const capture = async (f: (io: DockerIo) => Promise<number>, stdin?: Buffer): Promise<Run> => {
      let out = '';
      let err = '';
      const code = await f(
        io(
          (t) => void (out += t),
          (t) => void (err += t),
          stdin,
        ),
      );
      return { code, out, err };
    };
    return {
      home,
      env,
      trust: (args: string[]) => capture((i) => runTrust(args, i)),
      pin: (files: string[], o: { check?: boolean; update?: boolean; format?: 'text' | 'json' } = {}) =>
        capture((i) => runPin(files, { check: o.check ?? false, update: o.update ?? false, format: o.format ?? 'text' }, i)),
      docker: (args: string[], stdin?: Buffer) => capture((i) => runDocker(args, i), stdin),
      plugin: (args: string[]) => capture((i) => runPlugin(args, i, '9.8.7', runTrust)),
    };
  }
  let signer: ReturnType<typeof user>;

  before(async () => {
    const config = loadConfig({
      env: {},
      flags: { listen: '127.0.0.1:0', storage: 'sqlite::memory:', dataDir: join(work, 'data'), logLevel: 'warn' },
    });
    server = await startServer(config, { DCT_SERVER_KEY_PASSPHRASE: 'k' }, pino({ level: 'warn' }));
    host = new URL(server.url).host;
    signer = user();
    for (const [ref, digest, size] of [
      [`${APP}:1.0`, D1, '1000'],
      [`${APP}:latest`, D2, '2000'],
      [`${APP}:stable`, D1, '1000'],
      [`${BASE}:3.19`, D3, '3000'],
    ] as const) {
      const r = await signer.trust(['sign', ref, '--digest', `sha256:${digest}`, '--size', size]);
      assert.equal(r.code, 0, r.err);
    }
  });
  after(async () => {
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  const notExist = (gun: string) => `Error: remote trust data does not exist for ${gun}: ${host} does not have trust data for ${gun}`;

  describe('dct pin', () => {
    const dockerfile = [
      '# syntax=docker/dockerfile:1',
      `FROM --platform=$BUILDPLATFORM ${BASE}:3.19 AS build`,
      'RUN make',
      `FROM ${APP}`,
      'FROM build AS test',
      'FROM scratch',
      'COPY --from=build /out /',
      '',
    ].join('\n');
    const manifest = [
      'apiVersion: v1',
      'kind: Pod',
      'spec:',
      '  containers:',
      `  - image: "${APP}:1.0"   # pinned by dct`,
      '    name: app',
      '---',
      'kind: Job',
      'spec:',
      '  template:',
      '    spec:',
      '      initContainers:',
      `        - image: ${BASE}:3.19@sha256:${D3}`,
      '',
    ].join('\r\n');

    it('rewrites Dockerfiles and YAML to name:tag@sha256, keeps every other byte and the file mode', async () => {
      const u = user();
      writeFileSync(join(u.home, 'Dockerfile'), dockerfile);
      writeFileSync(join(u.home, 'pod.yaml'), manifest);
      chmodSync(join(u.home, 'pod.yaml'), 0o640);
      const r = await u.pin(['Dockerfile', 'pod.yaml']);
      assert.deepEqual(r, {
        code: 0,
        out: [
          `Dockerfile:2: ${BASE}:3.19 -> ${BASE}:3.19@sha256:${D3}`,
          `Dockerfile:4: ${APP} -> ${APP}:latest@sha256:${D2}`,
          'Dockerfile: pinned 2 references',
          `pod.yaml:5: ${APP}:1.0 -> ${APP}:1.0@sha256:${D1}`,
          'pod.yaml: pinned 1 reference, 1 already pinned',
          '',
        ].join('\n'),
        err: 'Dockerfile:5: skipped build: names an earlier build stage\nDockerfile:6: skipped scratch: scratch is not an image\n',
      });
      assert.equal(
        readFileSync(join(u.home, 'Dockerfile'), 'utf8'),
        dockerfile.replace(`${BASE}:3.19 AS`, `${BASE}:3.19@sha256:${D3} AS`).replace(`FROM ${APP}\n`, `FROM ${APP}:latest@sha256:${D2}\n`),
      );
      assert.equal(readFileSync(join(u.home, 'pod.yaml'), 'utf8'), manifest.replace(`"${APP}:1.0"`, `"${APP}:1.0@sha256:${D1}"`));
      assert.equal(statSync(join(u.home, 'pod.yaml')).mode & 0o777, 0o640);
      assert.deepEqual(
        readdirSync(u.home).filter((f) => f.includes('.tmp')),
        [],
      );
      // a second run changes nothing
      const again = await u.pin(['Dockerfile', 'pod.yaml'], { format: 'json' });
      const files = JSON.parse(again.out) as Array<{ status: string; references: Array<{ status: string }> }>;
      assert.deepEqual(
        files.map((f) => f.status),
        ['unchanged', 'unchanged'],
      );
      assert.deepEqual(
        files[1]!.references.map((x) => x.status),
        ['verified', 'verified'],
      );
    });

    it('an unsigned reference fails its file and nothing is written to it; other files are pinned', async () => {
      const u = user();
      const compose = `services:\n  app:\n    image: ${APP}:2.0\n  db:\n    image: ${BASE}:3.19\n  web:\n    image: \${WEB_IMAGE}\n`;
      writeFileSync(join(u.home, 'compose.yaml'), compose);
      writeFileSync(join(u.home, 'k8s.yml'), `containers:\n- image: ${APP}:stable\n`);
      writeFileSync(join(u.home, 'gone.yaml'), `- image: ${MISSING}:1\n`);
      const r = await u.pin(['compose.yaml', 'k8s.yml', 'gone.yaml', 'absent.yaml']);
      assert.equal(r.code, 1);
      assert.equal(
        r.out,
        `compose.yaml:5: ${BASE}:3.19 -> ${BASE}:3.19@sha256:${D3}\nk8s.yml:2: ${APP}:stable -> ${APP}:stable@sha256:${D1}\nk8s.yml: pinned 1 reference\n`,
      );
      assert.equal(
        r.err,
        [
          `compose.yaml:3: ${APP}:2.0: No valid trust data for 2.0`,
          'compose.yaml:7: skipped ${WEB_IMAGE}: contains a variable ($)',
          'compose.yaml: not written: 1 reference failed verification',
          `gone.yaml:1: ${MISSING}:1: ${notExist(MISSING)}`,
          'gone.yaml: not written: 1 reference failed verification',
          'open absent.yaml: no such file or directory',
          '',
        ].join('\n'),
      );
      assert.equal(readFileSync(join(u.home, 'compose.yaml'), 'utf8'), compose);
      assert.equal(readFileSync(join(u.home, 'k8s.yml'), 'utf8'), `containers:\n- image: ${APP}:stable@sha256:${D1}\n`);
    });

    it('--check changes nothing and exits 1 when a file would change; 0 when all are pinned', async () => {
      const u = user();
      writeFileSync(join(u.home, 'Dockerfile'), `FROM ${APP}:1.0\n`);
      writeFileSync(join(u.home, 'ok.yaml'), `image: ${APP}:1.0@sha256:${D1}\n`);
      assert.deepEqual(await u.pin(['Dockerfile', 'ok.yaml'], { check: true }), {
        code: 1,
        out: `Dockerfile:1: ${APP}:1.0 -> ${APP}:1.0@sha256:${D1}\nDockerfile: would pin 1 reference\nok.yaml: up to date (1 reference pinned and signed)\n`,
        err: '',
      });
      assert.equal(readFileSync(join(u.home, 'Dockerfile'), 'utf8'), `FROM ${APP}:1.0\n`);
      assert.equal((await u.pin(['ok.yaml'], { check: true })).code, 0);
    });

    it('a stale pin is an error, re-pinned with --update; a digest pin must be signed; symlinks are followed', async () => {
      const u = user();
      writeFileSync(join(u.home, 'real.yaml'), `a:\n  image: ${APP}:latest@sha256:${D1} # old\n`);
      symlinkSync('real.yaml', join(u.home, 'link.yaml'));
      const stale = await u.pin(['link.yaml']);
      assert.equal(stale.code, 1);
      assert.equal(
        stale.err,
        `link.yaml:2: ${APP}:latest@sha256:${D1}: pinned to sha256:${D1}, but the signed digest of ${APP}:latest is sha256:${D2} (--update re-pins it)\nlink.yaml: not written: 1 reference failed verification\n`,
      );
      const updated = await u.pin(['link.yaml'], { update: true });
      assert.equal(updated.code, 0, updated.err);
      assert.equal(readFileSync(join(u.home, 'real.yaml'), 'utf8'), `a:\n  image: ${APP}:latest@sha256:${D2} # old\n`);
      assert.ok(lstatSync(join(u.home, 'link.yaml')).isSymbolicLink());

      writeFileSync(join(u.home, 'digest.yaml'), `- image: ${APP}@sha256:${D1}\n- image: ${APP}@sha256:${D9}\n`);
      const digests = await u.pin(['digest.yaml']);
      assert.equal(digests.code, 1);
      assert.match(digests.err, new RegExp(`^digest.yaml:2: ${APP}@sha256:${D9}: No signed tag of ${APP} points at sha256:${D9}\n`));
    });
  });

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

  describe('docker-trust plugin', () => {
    it("metadata; docker's command line (global flags, then trust) runs dct trust with docker's names", async () => {
      const u = user();
      const meta = await u.plugin(['docker-cli-plugin-metadata']);
      assert.deepEqual(JSON.parse(meta.out), {
        SchemaVersion: '0.1.0',
        Vendor: 'dct',
        Version: '9.8.7',
        ShortDescription: 'Manage trust on Docker images (dct: Docker Content Trust, maintained)',
      });
      const direct = await u.trust(['inspect', `${APP}:1.0`]);
      const viaDocker = await u.plugin(['--config', join(u.home, 'docker'), '-D', 'trust', 'inspect', `${APP}:1.0`]);
      assert.equal(viaDocker.code, 0);
      assert.equal(viaDocker.out, direct.out);
      const standalone = await u.plugin(['inspect', `${APP}:1.0`]);
      assert.equal(standalone.out, direct.out);
      const usage = await u.plugin(['trust', 'sign']);
      assert.equal(
        usage.err,
        "docker: 'docker trust sign' requires 1 argument\n\nUsage:  docker trust sign IMAGE:TAG\n\nRun 'docker trust sign --help' for more information\n",
      );
      assert.deepEqual(pluginInvocation(['node', '/x/cli-plugins/docker-trust', 'trust', 'inspect'], {}), ['trust', 'inspect']);
      assert.deepEqual(pluginInvocation(['node', '/x/main.js', 'x'], { DCT_INVOKED_AS: 'docker-trust' }), ['x']);
      assert.equal(pluginInvocation(['node', '/x/main.js', 'trust'], {}), undefined);
    });

    it('plugin install: a symlink to the built entry point, a script for the sources; docker 28 keeps its built-in trust', async (t) => {
      const u = user();
      const dir = join(u.home, 'docker', 'cli-plugins');
      const js = await installPlugin(dir, '/opt/dct/dist/bin/main.js');
      assert.equal(js.kind, 'symlink');
      assert.equal(readlinkSync(join(dir, 'docker-trust')), '/opt/dct/dist/bin/main.js');
      const ts = await installPlugin(dir, join(PROJECT_ROOT, 'src', 'cli', 'main.ts'));
      assert.equal(ts.kind, 'script');
      assert.equal(statSync(join(dir, 'docker-trust')).mode & 0o111, 0o111);
      // the installed plugin answers docker's metadata question (main.ts dispatch) from any folder
      const { stdout } = await execFileP(join(dir, 'docker-trust'), ['docker-cli-plugin-metadata'], { cwd: '/' });
      assert.equal((JSON.parse(stdout) as { SchemaVersion: string }).SchemaVersion, '0.1.0');

      if (interopSkipHere(t, missingTool('docker'))) return;
      const docker = await execFileP('docker', ['--help'], { env: { ...process.env, DOCKER_CONFIG: join(u.home, 'docker') } });
      // docker CLI 28: `trust` is a built-in command, the plugin is listed as invalid and never run
      assert.match(docker.stdout, /Invalid Plugins:\n {2}trust +plugin "trust" duplicates builtin command/);
      // under another name docker 28 accepts the metadata and runs it with its plugin protocol
      const other = join(u.home, 'docker', 'cli-plugins', 'docker-dcttrust');
      writeFileSync(
        other,
        `#!/bin/sh\nfor a; do shift; if [ "$a" = dcttrust ]; then set -- "$@" trust; else set -- "$@" "$a"; fi; done\nexec '${join(dir, 'docker-trust')}' "$@"\n`,
      );
      chmodSync(other, 0o755);
      const env = { ...process.env, ...u.env };
      const listed = await execFileP('docker', ['--help'], { env });
      assert.match(listed.stdout, /\n {2}dcttrust\* +Manage trust on Docker images \(dct: Docker Content Trust, maintained\)\n/);
      const inspected = await execFileP('docker', ['dcttrust', 'inspect', `${APP}:1.0`], { env, cwd: '/' });
      assert.equal(inspected.stdout, (await u.trust(['inspect', `${APP}:1.0`])).out);
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
