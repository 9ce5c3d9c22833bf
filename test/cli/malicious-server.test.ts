/**
 * The CLI against a Notary server that lies (test/support/malicious-notary.ts):
 * `dct trust inspect|sign|revoke` (DOCKER_CONTENT_TRUST_SERVER, the server's CA
 * in `$DOCKER_CONFIG/tls/<host:port>/ca.crt`) and `dct notary list|lookup|publish`
 * (`-s URL --tlscacert CA -d DIR`) on a trust dir whose cache holds a good
 * repository. Every command must exit non-zero with an error line naming the
 * cause, leave the cached metadata byte-for-byte as it was and write nothing to
 * the server. (Hanging servers are covered at the use-case level: the CLI's
 * deadline is docker's 30 s.)
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { repositoryDir } from '../../src/adapters/metadata-cache.js';
import { checksumPath, forgeTimestamp, honest, impostor, putFile, tamper, versionOf } from '../support/malicious-attacks.js';
import { MaliciousNotary, type Attack } from '../support/malicious-notary.js';
import {
  copyCache,
  recordRepositories,
  snapshotDir,
  type RecordedRepository,
  type Recording,
  type StateName,
} from '../support/malicious-recording.js';
import { PROJECT_ROOT } from '../support/fixtures.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;
const PASS = 'cli-malicious-pass';

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function dct(env: Record<string, string>, args: readonly string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'src/cli/main.ts'), ...args], {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env['PATH'] ?? '', ...env },
      timeout: 60_000,
      maxBuffer: 16 * MiB,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
  }
}

type CommandName = 'trust inspect' | 'trust sign' | 'trust revoke' | 'notary list' | 'notary lookup' | 'notary publish';
const READS: readonly CommandName[] = ['trust inspect', 'notary list', 'notary lookup'];
const WRITES: readonly CommandName[] = ['trust sign', 'trust revoke', 'notary publish'];
const ALL: readonly CommandName[] = [...READS, ...WRITES];

interface CliCase {
  name: string;
  cache: StateName;
  attack: (repo: RecordedRepository) => Attack | Promise<Attack>;
  /** what the error output must say (the cause), for all commands or per command */
  cause: RegExp | Partial<Record<CommandName, RegExp>>;
  /** commands expected to succeed (notary's offline rules) instead of failing */
  succeed?: readonly CommandName[];
}

/** docker's `trust inspect` failure line, whatever the cause */
const INSPECT_FAILURE = /no signatures or cannot access /;

const cur = (repo: RecordedRepository, state: StateName, role: string) => repo.states[state].current.get(role)!;

const cases: CliCase[] = [
  {
    name: 'tampered timestamp',
    cache: 'old',
    attack: (r) => putFile(honest(r, 'new'), 'timestamp', tamper(cur(r, 'new', 'timestamp'))),
    cause: /insufficient signatures|did not meet threshold/,
  },
  {
    name: 'the repository rolled back',
    cache: 'new',
    attack: (r) => honest(r, 'old', 'rolled back'),
    cause: /version is lower than expected|lower than current version/,
  },
  {
    name: 'a validly signed but expired timestamp (freeze)',
    cache: 'old',
    attack: async (r) =>
      putFile(
        honest(r, 'new'),
        'timestamp',
        await forgeTimestamp(
          cur(r, 'new', 'snapshot'),
          versionOf(cur(r, 'new', 'timestamp'), 'timestamp') + 1,
          r.keys.timestamp,
          new Date(Date.now() - 3600_000),
        ),
      ),
    cause: /expired/,
  },
  {
    name: 'an endless targets download',
    cache: 'old',
    attack: (r) => {
      const a = honest(r, 'new');
      a.files.set(checksumPath('targets', cur(r, 'new', 'targets')), { kind: 'endless' });
      return a;
    },
    cause: /targets.*(more than the \d+ its parent pins|exceeds the limit|bad response)/,
  },
  {
    name: 'an impostor root not signed by the trusted root keys',
    cache: 'old',
    attack: (r) => impostor(r.gun, 2),
    cause: /could not rotate trust to a new trusted root|trust data mismatch/,
  },
  {
    name: '500 on every request: reads use the cache (notary offline rules), writes fail',
    cache: 'old',
    attack: () => ({ name: '500', files: new Map(), all: { kind: 'status', status: 500 } }),
    cause: {
      'trust sign': /: unable to reach trust server at this time: 500 \(UNKNOWN: unknown error\)$/m,
      'trust revoke':
        /^could not remove signature for \S+: GET \S+: unable to reach trust server at this time: 500 \(UNKNOWN: unknown error\)$/m,
      // notary logs the failed update, then refuses to publish offline
      'notary publish': /could not reach https:\/\/127\.0\.0\.1:\d+: 500"[\s\S]*^\* fatal: client is offline$/m,
    },
    succeed: READS,
  },
];

describe('dct trust / dct notary against a malicious Notary server', () => {
  const work = mkdtempSync(join(tmpdir(), 'dct-cli-malicious-'));
  let recording: Recording;
  let evil: MaliciousNotary;
  let n = 0;

  before(async () => {
    recording = await recordRepositories(join(work, 'recorded'));
    evil = await MaliciousNotary.start({ tlsDir: join(work, 'tls') });
  });
  after(async () => {
    await evil?.close();
    rmSync(work, { recursive: true, force: true });
  });

  /** A home with a docker config (trust dir = the recorded cache, the server's CA) and a notary trust dir. */
  function prepare(repo: RecordedRepository, cache: StateName): { env: Record<string, string>; notaryArgs: string[]; cacheDir: string } {
    const home = join(work, 'homes', `${n++}`);
    const dockerConfig = join(home, '.docker');
    const trustDir = copyCache(repo.caches[cache], join(dockerConfig, 'trust'));
    const host = new URL(evil.url).host;
    mkdirSync(join(dockerConfig, 'tls', host), { recursive: true });
    cpSync(evil.caFile!, join(dockerConfig, 'tls', host, 'ca.crt'));
    const env = {
      HOME: home,
      DOCKER_CONFIG: dockerConfig,
      DOCKER_CONTENT_TRUST_SERVER: evil.url,
      DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: PASS,
      DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: PASS,
      NOTARY_ROOT_PASSPHRASE: PASS,
      NOTARY_TARGETS_PASSPHRASE: PASS,
      NOTARY_SNAPSHOT_PASSPHRASE: PASS,
      NOTARY_DELEGATION_PASSPHRASE: PASS,
    };
    return {
      env,
      notaryArgs: ['notary', '-s', evil.url, '--tlscacert', evil.caFile!, '-d', trustDir],
      cacheDir: join(repositoryDir(trustDir, repo.gun), 'metadata'),
    };
  }

  function argsFor(command: CommandName, gun: string, notaryArgs: readonly string[]): string[] {
    switch (command) {
      case 'trust inspect':
        return ['trust', 'inspect', `${gun}:latest`];
      case 'trust sign':
        return ['trust', 'sign', `${gun}:v3`, '--digest', `sha256:${'ab'.repeat(32)}`, '--size', '1234'];
      case 'trust revoke':
        return ['trust', 'revoke', '-y', `${gun}:latest`];
      case 'notary list':
        return [...notaryArgs, 'list', gun];
      case 'notary lookup':
        return [...notaryArgs, 'lookup', gun, 'latest'];
      case 'notary publish':
        return [...notaryArgs, 'publish', gun];
    }
  }

  /** Runs `commands` at once against what the server serves now; returns results and whether each cache stayed as it was. */
  async function runAll(repo: RecordedRepository, cache: StateName, commands: readonly CommandName[]) {
    return Promise.all(
      commands.map(async (command) => {
        const { env, notaryArgs, cacheDir } = prepare(repo, cache);
        const beforeFiles = snapshotDir(cacheDir);
        const result = await dct(env, argsFor(command, repo.gun, notaryArgs));
        return { command, result, unchanged: JSON.stringify(snapshotDir(cacheDir)) === JSON.stringify(beforeFiles) };
      }),
    );
  }

  it('honest server (control): the read commands succeed', async () => {
    const repo = recording.docker;
    evil.serve(honest(repo, 'new'));
    for (const { command, result } of await runAll(repo, 'old', READS)) {
      assert.equal(result.code, 0, `${command}: ${result.stderr}`);
      assert.match(result.stdout, /latest/, `${command} shows the signed tag`);
    }
  });

  it('trust inspect names the cause off a terminal too', async () => {
    const repo = recording.docker;
    evil.serve(putFile(honest(repo, 'new'), 'timestamp', tamper(cur(repo, 'new', 'timestamp'))));
    const [only] = await runAll(repo, 'old', ['trust inspect']);
    assert.notEqual(only!.result.code, 0);
    assert.match(only!.result.stderr, /insufficient signatures|did not meet threshold/);
  });

  for (const c of cases) {
    it(c.name, async (t) => {
      const repo = recording.docker;
      evil.serve(await c.attack(repo));
      for (const { command, result, unchanged } of await runAll(repo, c.cache, ALL)) {
        t.diagnostic(
          `${command}: exit ${result.code}: ${`${result.stderr}\n${result.stdout}`
            .trim()
            .split('\n')
            .filter((l) => l.trim() !== '')
            .join(' | ')}`,
        );
        if (c.succeed?.includes(command)) {
          assert.equal(result.code, 0, `${command} works from the cache: ${result.stderr}`);
        } else {
          assert.notEqual(result.code, 0, `${command} must fail; stdout: ${result.stdout}`);
          // docker's inspect words every failure the same; dct adds a `refused: <cause>` line when data was refused
          const cause = command === 'trust inspect' ? INSPECT_FAILURE : c.cause instanceof RegExp ? c.cause : c.cause[command];
          assert.ok(cause, `${command}: the case names the cause`);
          // (notary prints `* fatal: …` on stdout, as notary does)
          const output = `${result.stderr}\n${result.stdout}`;
          assert.match(output, cause, `${command}: the error names the cause`);
          assert.doesNotMatch(output, /\n\s+at .*\(.*:\d+:\d+\)/, `${command}: no stack trace`);
        }
        assert.ok(unchanged, `${command}: the cached metadata is unchanged`);
      }
      assert.deepEqual(evil.writes(), [], 'nothing is written to the server');
    });
  }
});
