/**
 * docker CLI 28's command-line grammar as `dct docker` reads it (pflag rules), and
 * — when the real docker CLI is installed — dct's flag tables checked against the
 * flags `docker <command> --help` lists (name, shorthand, takes a value or not).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { isCliFailure } from '../../../src/cli/cli-failure.js';
import { interopSkip, missingTool } from '../../support/interop.js';
import {
  boolFlag,
  BUILD_FLAGS,
  CREATE_FLAGS,
  GLOBAL_FLAGS,
  lastFlag,
  parseDockerArgs,
  PULL_FLAGS,
  RUN_FLAGS,
  shellLine,
  type FlagSet,
} from '../../../src/cli/commands/images/docker-args.js';

const imageOf = (argv: string[]) => {
  const p = parseDockerArgs(argv);
  return p.positionals[0] === undefined ? undefined : argv[p.positionals[0]];
};

describe('docker argument grammar', () => {
  it('run/create stop at the image: what follows is the container command, even if it looks like flags', () => {
    assert.equal(imageOf(['run', '--rm', '-it', 'alpine', 'sh', '-c', 'ls -l']), 'alpine');
    assert.equal(imageOf(['run', '-e', 'A=1', '-eB=2', '-e=C=3', '--env', 'D', '--env=E=5', 'img', '--rm']), 'img');
    assert.equal(imageOf(['run', '-itd', '-p', '80:80', '-v/a:/b', '-w', '/w', 'img']), 'img');
    assert.equal(imageOf(['run', '-ite', 'X=1', 'img']), 'img');
    assert.equal(imageOf(['run', '-h', 'myhost', 'img']), 'img'); // -h is --hostname for run
    assert.equal(imageOf(['run', '--rm=false', '--tty=true', '--init', 'img', 'x']), 'img');
    assert.equal(imageOf(['run', '--', 'img', '--rm']), 'img');
    assert.equal(imageOf(['container', 'create', '--name', 'c', '--net', 'host', '--dns-opt', 'x', 'img']), 'img');
    assert.equal(imageOf(['create', '--use-api-socket', '--pull', 'never', 'img']), 'img');
    const p = parseDockerArgs(['run', '-d', 'img', '-d']);
    assert.equal(p.command, 'run');
    assert.deepEqual(
      p.flags.map((f) => f.name),
      ['detach'],
    );
  });

  it('pull/build are interspersed: flags may follow the positional', () => {
    assert.equal(imageOf(['pull', 'alpine', '--platform', 'linux/arm64', '-q']), 'alpine');
    assert.equal(imageOf(['image', 'pull', '-aq', 'alpine']), 'alpine');
    assert.ok(boolFlag(parseDockerArgs(['pull', '-qa', 'x']).flags, 'all-tags'));
    assert.ok(!boolFlag(parseDockerArgs(['pull', '--all-tags=false', 'x']).flags, 'all-tags'));
    const b = parseDockerArgs(['build', '.', '-t', 'x:1', '--build-arg', 'A=1', '-f', 'D', '--progress', 'plain', '--secret', 'id=s']);
    assert.equal(b.command, 'build');
    assert.deepEqual(b.positionals, [1]);
    assert.equal(lastFlag(b.flags, 'file'), 'D');
    assert.equal(lastFlag(parseDockerArgs(['build', '-fA', '--file=B', '.']).flags, 'file'), 'B');
    const dd = parseDockerArgs(['build', '-q', '--', '-weird-dir']);
    assert.equal(dd.dashDash, 2);
    assert.deepEqual(dd.positionals, [3]);
  });

  it('global flags before the command; --config is kept; image/container/builder/buildx command words', () => {
    const p = parseDockerArgs(['--config', '/c', '-D', '-H', 'tcp://h', '--tlsverify', '-l=warn', 'image', 'build', 'ctx']);
    assert.equal(p.command, 'build');
    assert.equal(p.configDir, '/c');
    assert.equal(p.commandAt, 7);
    assert.equal(p.argsStart, 9);
    assert.equal(parseDockerArgs(['builder', 'build', '.']).command, 'build');
    assert.equal(parseDockerArgs(['buildx', '--builder', 'b', 'build', '--load', '.']).command, 'build');
    assert.equal(parseDockerArgs(['buildx', 'b', '.']).command, 'build');
    assert.equal(parseDockerArgs(['buildx', 'bake']).command, undefined);
    assert.equal(parseDockerArgs(['ps', '-a']).command, undefined);
    assert.equal(parseDockerArgs(['image', 'ls']).command, undefined);
    assert.equal(parseDockerArgs(['--version']).command, undefined);
    assert.equal(parseDockerArgs([]).command, undefined);
  });

  it('unknown flags: refused unless their value is attached; missing values refused', () => {
    assert.throws(
      () => parseDockerArgs(['run', '--nope', 'x', 'img']),
      (e: unknown) => isCliFailure(e, 'usage') && e.exitCode === 125 && /unknown flag: --nope/.test(e.message),
    );
    assert.throws(() => parseDockerArgs(['run', '-Z', 'img']), /unknown shorthand flag: 'Z' in -Z/);
    assert.throws(() => parseDockerArgs(['run', '--name']), /flag needs an argument: --name/);
    assert.throws(() => parseDockerArgs(['run', '-e']), /flag needs an argument: 'e' in -e/);
    // dct names the whole argument (pflag would name the letters from the failing one on)
    assert.throws(() => parseDockerArgs(['run', '-iZ', 'img']), /unknown shorthand flag: 'Z' in -iZ$/);
    assert.throws(() => parseDockerArgs(['run', '-ie']), /flag needs an argument: 'e' in -ie$/);
    assert.throws(() => parseDockerArgs(['--bogus-global', 'ps']), /unknown flag/);
    assert.equal(imageOf(['run', '--nope=1', 'img']), 'img');
    assert.equal(imageOf(['pull', '--all-tags', 'img']), 'img');
  });

  it('shell quoting for --dry-run', () => {
    assert.equal(
      shellLine(['docker', 'run', 'a b', "it's", '', 'x=y:z@sha256:1', '$HOME', 'a*']),
      `docker run 'a b' 'it'\\''s' '' x=y:z@sha256:1 '$HOME' 'a*'`,
    );
  });
});

/** The flags `docker <args> --help` lists: name → { short, takes a value }. */
async function dockerHelpFlags(args: string[], section = 'Options:'): Promise<Map<string, { short?: string; value: boolean }>> {
  const { stdout: text } = await promisify(execFile)('docker', [...args, '--help'], {
    env: { ...process.env, DOCKER_CONFIG: '/nonexistent-dct-test' },
  });
  const flags = new Map<string, { short?: string; value: boolean }>();
  const start = text.indexOf(`\n${section}\n`);
  for (const line of text.slice(start).split('\n').slice(2)) {
    if (line.trim() === '' && flags.size > 0) break;
    const m = /^ {2}(?:-([A-Za-z]), )? *--([a-z0-9-]+)(?: ([a-z0-9]+))?(?: {2,}|$)/.exec(line);
    if (m) flags.set(m[2]!, { ...(m[1] ? { short: m[1] } : {}), value: m[3] !== undefined });
  }
  return flags;
}

function assertCovers(set: FlagSet, listed: Map<string, { short?: string; value: boolean }>, what: string): void {
  assert.ok(listed.size > 3, `${what}: docker's help was not parsed`);
  for (const [name, f] of listed) {
    if (f.value) assert.ok(set.values.has(name), `${what}: --${name} takes a value`);
    else assert.ok(set.bools.has(name), `${what}: --${name} is a bool flag`);
    if (f.short) assert.equal(set.short.get(f.short), name, `${what}: -${f.short} is --${name}`);
  }
}

describe('flag tables against the installed docker CLI', { skip: interopSkip(missingTool('docker')) }, () => {
  for (const [args, set, section] of [
    [['run'], RUN_FLAGS, 'Options:'],
    [['create'], CREATE_FLAGS, 'Options:'],
    [['pull'], PULL_FLAGS, 'Options:'],
    [['build'], BUILD_FLAGS, 'Options:'],
    [[], GLOBAL_FLAGS, 'Global Options:'],
  ] as const) {
    it(`docker ${args.join(' ') || '(global)'}`, async () => {
      const listed = await dockerHelpFlags([...args], section);
      assertCovers(set, listed, `docker ${args.join(' ')}`);
    });
  }
});
