/**
 * Scripted sessions of the real notary and docker CLIs against a trust server,
 * with outputs normalised (key IDs, paths, server address) so that the same
 * session against two servers can be compared line for line.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { selfSignedEcCertArgs } from './openssl.js';

export interface TrustServerUnderTest {
  /** https://127.0.0.1:PORT */
  url: string;
  caFile: string;
}

export interface Step {
  command: string;
  exitCode: number;
  output: string;
}

interface Shell {
  dir: string;
  env: NodeJS.ProcessEnv;
}

function exec(file: string, args: string[], shell: Shell, input?: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { cwd: shell.dir, env: shell.env, timeout: 60_000, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 99) : 0;
        resolve({ code, out: `${stdout}${stderr ? `[stderr]\n${stderr}` : ''}` });
      },
    );
    child.stdin?.on('error', () => undefined); // a child that exits without reading its input
    child.stdin?.end(input ?? '');
  });
}

/** Replaces volatile parts: 64-hex key IDs (and their 12/7-char prefixes) by order of appearance, dirs, server. */
export class Normaliser {
  private readonly ids = new Map<string, string>();

  constructor(private readonly replacements: Array<[string, string]>) {}

  apply(text: string): string {
    let out = text;
    for (const [from, to] of this.replacements) out = out.split(from).join(to);
    out = out.replace(/\b[0-9a-f]{64}\b/g, (id) => this.token(id));
    out = out.replace(/\b[0-9a-f]{12}\b/g, (p) => this.prefixToken(p, 12));
    out = out.replace(/(ID )([0-9a-f]{7})\b/g, (_m, pre: string, p: string) => pre + this.prefixToken(p, 7));
    // notary warns about expiry dates and time-dependent things we do not compare
    return out.replace(/time="[^"]*"/g, 'time="…"');
  }

  private token(id: string): string {
    let t = this.ids.get(id);
    if (!t) this.ids.set(id, (t = `<id${this.ids.size + 1}>`));
    return t;
  }

  private prefixToken(prefix: string, n: number): string {
    for (const [id, t] of this.ids) if (id.startsWith(prefix)) return `${t.slice(0, -1)}:${n}>`;
    return this.token(prefix.padEnd(64, '_')).replace('>', `:${n}>`);
  }
}

/** The passphrases the scripted sessions give notary and docker. */
export const PASSPHRASES = {
  NOTARY_ROOT_PASSPHRASE: 'rootpass123',
  NOTARY_TARGETS_PASSPHRASE: 'targetspass123',
  NOTARY_SNAPSHOT_PASSPHRASE: 'snapshotpass123',
  NOTARY_DELEGATION_PASSPHRASE: 'delegpass123',
  DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: 'dockerroot123',
  DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'delegpass123',
};

export interface SessionOptions {
  /** a folder put first on PATH (e.g. one whose `notary` runs `dct`) */
  pathPrefix?: string;
}

function pathWith(opts: SessionOptions): string | undefined {
  return opts.pathPrefix ? `${opts.pathPrefix}:${process.env['PATH'] ?? ''}` : process.env['PATH'];
}

/** The notary CLI session of the issue: init … delete --remote. */
export async function notarySession(
  server: TrustServerUnderTest,
  workDir: string,
  gun: string,
  opts: SessionOptions = {},
): Promise<Step[]> {
  const shell: Shell = { dir: workDir, env: { PATH: pathWith(opts), HOME: workDir, ...PASSPHRASES } };
  const trust = join(workDir, 'trust');
  mkdirSync(join(workDir, 'files'), { recursive: true });
  writeFileSync(join(workDir, 'files', 'hello.txt'), 'hello\n');
  writeFileSync(join(workDir, 'files', 'r3.txt'), 'release 3\n');
  const n = (...args: string[]) => ['notary', '-s', server.url, '--tlscacert', server.caFile, '-d', trust, ...args];
  const norm = new Normaliser([
    [server.caFile, '<ca>'],
    [trust, '<trust>'],
    [workDir, '<work>'],
    [server.url.replace('https://', ''), '<server>'],
  ]);
  const steps: string[][] = [
    n('init', '-p', gun),
    n('add', gun, 'v1', 'files/hello.txt'),
    n('addhash', gun, 'v2', '10', '--sha256', 'a'.repeat(64)),
    n('status', gun),
    n('publish', gun),
    n('list', gun),
    n('lookup', gun, 'v1'),
    n('remove', gun, 'v2', '-p'),
    n('list', gun),
    n('key', 'rotate', gun, 'snapshot', '-r'),
    n('add', gun, 'v3', 'files/r3.txt', '-p'),
    n('key', 'rotate', gun, 'timestamp', '-r'),
    n('list', gun),
    ['openssl', ...selfSignedEcCertArgs('rel.key', 'rel.crt', 'releases', 30)],
    n('delegation', 'add', gun, 'targets/releases', 'rel.crt', '--all-paths', '-p'),
    n('delegation', 'list', gun),
    n('key', 'import', 'rel.key', '--role', 'targets/releases'),
    n('add', gun, 'v4', 'files/r3.txt', '--roles', 'targets/releases', '-p'),
    n('list', gun),
    n('list', gun, '--roles', 'targets/releases'),
    n('witness', gun, 'targets/releases', '-p'),
    n('list', gun),
    n('delegation', 'remove', gun, 'targets/releases', '-y', '-p'),
    n('delegation', 'list', gun),
    n('delete', gun, '--remote'),
    n('list', gun),
  ];
  const out: Step[] = [];
  for (const [file, ...args] of steps) {
    const r = await exec(file as string, args, shell);
    const shown = file === 'openssl' ? '' : norm.apply(r.out);
    out.push({ command: norm.apply([file, ...args].join(' ')), exitCode: r.code, output: shown });
  }
  return out;
}

/** The docker CLI trust session: key generate, signer add, inspect, sign (through notary), revoke, signer remove. */
export async function dockerSession(
  server: TrustServerUnderTest,
  workDir: string,
  gun: string,
  opts: { /** a folder put first on PATH (e.g. one whose `docker` runs `dct`) */ pathPrefix?: string } = {},
): Promise<Step[]> {
  const config = join(workDir, 'docker');
  const port = new URL(server.url).port;
  mkdirSync(join(config, 'tls', `127.0.0.1:${port}`), { recursive: true });
  writeFileSync(join(config, 'tls', `127.0.0.1:${port}`, 'ca.crt'), ''); // (loopback GUNs skip verification anyway)
  mkdirSync(join(workDir, 'keys'), { recursive: true });
  const shell: Shell = {
    dir: workDir,
    env: {
      PATH: opts.pathPrefix ? `${opts.pathPrefix}:${process.env['PATH'] ?? ''}` : process.env['PATH'],
      HOME: workDir,
      DOCKER_CONFIG: config,
      DOCKER_CONTENT_TRUST_SERVER: server.url,
      ...PASSPHRASES,
    },
  };
  chmodSync(workDir, 0o700);
  const norm = new Normaliser([
    [server.caFile, '<ca>'],
    [config, '<docker>'],
    [workDir, '<work>'],
    [server.url.replace('https://', ''), '<server>'],
  ]);
  const digest = 'c9bbb536c42a9a39fe0dd0f130ad187806b57ece424e068dd2aae56ff980a7b9';
  const steps: Array<{ argv: string[]; input?: string }> = [
    { argv: ['docker', 'trust', 'key', 'generate', 'alice', '--dir', 'keys'] },
    { argv: ['docker', 'trust', 'key', 'generate', 'bob', '--dir', 'keys'] },
    { argv: ['docker', 'trust', 'inspect', gun] },
    { argv: ['docker', 'trust', 'signer', 'add', '--key', 'keys/alice.pub', 'alice', gun] },
    { argv: ['docker', 'trust', 'signer', 'add', '--key', 'keys/bob.pub', 'bob', gun] },
    { argv: ['docker', 'trust', 'inspect', gun] },
    { argv: ['docker', 'trust', 'inspect', '--pretty', gun] },
    {
      argv: [
        'notary',
        '-s',
        server.url,
        '--tlscacert',
        server.caFile,
        '-d',
        join(config, 'trust'),
        'addhash',
        gun,
        'v1',
        '423',
        '--sha256',
        digest,
        '-r',
        'targets/releases',
        '-r',
        'targets/alice',
        '-p',
      ],
    },
    { argv: ['docker', 'trust', 'inspect', `${gun}:v1`] },
    { argv: ['docker', 'trust', 'inspect', '--pretty', gun] },
    { argv: ['docker', 'trust', 'signer', 'remove', 'bob', gun] },
    { argv: ['docker', 'trust', 'revoke', '-y', `${gun}:v1`] },
    { argv: ['docker', 'trust', 'inspect', '--pretty', gun] },
    { argv: ['docker', 'trust', 'revoke', '-y', gun] },
    { argv: ['docker', 'trust', 'signer', 'remove', 'alice', gun], input: 'y\n' },
    { argv: ['docker', 'trust', 'inspect', '--pretty', gun] },
  ];
  const out: Step[] = [];
  for (const { argv, input } of steps) {
    const [file, ...args] = argv;
    const r = await exec(file as string, args, shell, input);
    out.push({ command: norm.apply(argv.join(' ')), exitCode: r.code, output: norm.apply(r.out) });
  }
  return out;
}
