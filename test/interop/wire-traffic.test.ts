/**
 * Wire-exact with the real clients: the same sessions run by the real tools
 * (`notary` 0.7, `docker trust` of docker CLI 28) and by dct (`dct notary`,
 * `dct trust`), each through a recording proxy (test/support/recording-proxy.ts)
 * in front of the same real notary-server, must send the same requests, step
 * for step: method, request target exactly as sent (escapes included), media
 * type, multipart part names, and get the same statuses.
 *
 * Normalised only where the runs must differ: the GUN (one per run), sha256
 * checksums in file names, and the order of multipart parts (notary writes them
 * from a Go map, in random order).
 *
 * A last case runs the real notary session against `dct server` and compares its
 * traffic and exit codes with the same session against notary-server: the
 * server side of the same contract (e.g. the empty update notary's `publish`
 * sends when nothing is staged).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { selfSignedEcCertArgs } from '../support/openssl.js';
import { pino } from 'pino';
import { loadConfig } from '../../src/server/config.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { PROJECT_ROOT } from '../support/fixtures.js';
import { startRecordingProxy, type RecordedRequest, type RecordingProxy } from '../support/recording-proxy.js';
import { ensureReferenceTools, onPath, startReferenceStack, type ReferenceStack } from '../support/reference-stack.js';
import { PASSPHRASES } from '../support/trust-scenarios.js';

const unavailable = (await ensureReferenceTools()) ?? (onPath('docker') ? undefined : 'the docker CLI is not installed');
if (unavailable && process.env['CI']) throw new Error(`reference stack unavailable in CI: ${unavailable}`);

const TSX = join(PROJECT_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs');
const MAIN = join(PROJECT_ROOT, 'src', 'cli', 'main.ts');
const DIGEST = 'c9bbb536c42a9a39fe0dd0f130ad187806b57ece424e068dd2aae56ff980a7b9';

/** One step as seen on the wire. */
interface WireStep {
  command: string;
  exitCode: number;
  requests: string[];
}

interface Session {
  /** argv per step; `GUN` stands for the session's GUN */
  steps: Array<{ argv: string[]; input?: string }>;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

function exec(argv: string[], env: NodeJS.ProcessEnv, cwd: string, input = ''): Promise<{ code: number; out: string }> {
  const [file, ...args] = argv;
  return new Promise((resolve) => {
    const child = execFile(file as string, args, { env, cwd, timeout: 60_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 99) : 0, out: `${stdout}${stderr}` }),
    );
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input);
  });
}

/** Runs the steps, recording each one's requests (normalised). */
async function record(proxy: RecordingProxy, session: Session, gun: string): Promise<WireStep[]> {
  const out: WireStep[] = [];
  for (const { argv, input } of session.steps) {
    const from = proxy.requests.length;
    const r = await exec(
      argv.map((a) => a.split('GUN').join(gun)),
      session.env,
      session.cwd,
      input,
    );
    out.push({ command: argv.join(' '), exitCode: r.code, requests: proxy.requests.slice(from).map((q) => line(q, gun)) });
  }
  return out;
}

function line(q: RecordedRequest, gun: string): string {
  const norm = (s: string) =>
    s
      .split(gun)
      .join('<gun>')
      .replace(/[0-9a-f]{64}/g, '<sha256>');
  const parts = q.parts ? ` [${[...q.parts].sort().join(' ')}]` : '';
  return `${q.method} ${norm(q.target)}${q.contentType ? ` (${q.contentType})` : ''}${parts} → ${q.status}`;
}

/** Every step's exit code and requests; a failure lists every differing step in full. */
function compare(expected: WireStep[], actual: WireStep[]): void {
  assert.equal(actual.length, expected.length);
  const show = (s: WireStep) => `exit ${s.exitCode}\n      ${s.requests.join('\n      ')}`;
  const diffs = expected.flatMap((e, i) => {
    const a = actual[i] as WireStep;
    return isDeepStrictEqual([a.exitCode, a.requests], [e.exitCode, e.requests])
      ? []
      : [`step ${i + 1}: ${e.command}\n    real: ${show(e)}\n    dct:  ${show(a)}`];
  });
  if (diffs.length > 0) assert.fail(`${diffs.length} of ${expected.length} steps differ on the wire:\n${diffs.join('\n')}`);
}

/**
 * The weaker contract docker trust is held to (see the docker case): the same exit
 * codes, the same writes (POST, DELETE) in the same order, and in each step the
 * same distinct requests (each request docker sends, dct sends, and nothing else;
 * how often a read repeats may differ).
 */
function compareWritesAndReads(expected: WireStep[], actual: WireStep[]): void {
  assert.equal(actual.length, expected.length);
  const writes = (s: WireStep) => s.requests.filter((r) => !r.startsWith('GET '));
  const diffs = expected.flatMap((e, i) => {
    const a = actual[i] as WireStep;
    const distinct = (x: WireStep) => [...new Set(x.requests)].sort();
    if (a.exitCode === e.exitCode && isDeepStrictEqual(writes(a), writes(e)) && isDeepStrictEqual(distinct(a), distinct(e))) return [];
    return [
      `step ${i + 1}: ${e.command}\n    real: exit ${e.exitCode}\n      ${e.requests.join('\n      ')}\n    dct:  exit ${a.exitCode}\n      ${a.requests.join('\n      ')}`,
    ];
  });
  if (diffs.length > 0) assert.fail(`${diffs.length} of ${expected.length} steps differ on the wire:\n${diffs.join('\n')}`);
}

/** A fresh work directory with the files the sessions use. */
function workDir(parent: string, name: string): string {
  const dir = mkdtempSync(join(parent, `${name}-`));
  chmodSync(dir, 0o700);
  mkdirSync(join(dir, 'files'));
  writeFileSync(join(dir, 'files', 'hello.txt'), 'hello\n');
  return dir;
}

describe('wire traffic: dct sends what the real notary and docker send', { skip: unavailable }, () => {
  let stack: ReferenceStack;
  let dctServer: RunningServer;
  let proxy: RecordingProxy;
  let dctProxy: RecordingProxy;
  const work = mkdtempSync(join(tmpdir(), 'dct-wire-'));
  const wrapperDir = join(work, 'bin');
  let relKey = '';
  let relCrt = '';
  let referenceNotary: WireStep[] | undefined;
  let realNotary = 'notary';

  before(async () => {
    stack = await startReferenceStack({ logLevel: 'warn' });
    const config = loadConfig({
      env: {},
      flags: { listen: '127.0.0.1:0', storage: `sqlite:${join(work, 'dct.db')}`, dataDir: join(work, 'data'), logLevel: 'warn' },
    });
    dctServer = await startServer(config, { DCT_SERVER_KEY_PASSPHRASE: 'wire-test' }, pino({ level: 'warn' }));
    // the proxies serve the reference server's certificate (127.0.0.1, signed by the stack's CA)
    const tls = {
      cert: readFileSync(join(stack.stateDir, 'tls', 'notary-server.crt')),
      key: readFileSync(join(stack.stateDir, 'tls', 'notary-server.key')),
    };
    proxy = await startRecordingProxy(stack.serverUrl, { ca: readFileSync(stack.caFile), tls });
    dctProxy = await startRecordingProxy(dctServer.url, { ca: readFileSync(dctServer.caFile as string), tls });
    // `notary` and `docker trust` run dct; the real docker for anything else
    const realDocker = (await exec(['sh', '-c', 'command -v docker'], process.env, work)).out.trim();
    realNotary = (await exec(['sh', '-c', 'command -v notary'], process.env, work)).out.trim();
    mkdirSync(wrapperDir);
    writeFileSync(join(wrapperDir, 'notary'), `#!/bin/sh\nexec node --import ${TSX} ${MAIN} notary "$@"\n`, { mode: 0o755 });
    writeFileSync(
      join(wrapperDir, 'docker'),
      `#!/bin/sh\nif [ "$1" = "trust" ]; then exec node --import ${TSX} ${MAIN} "$@"; fi\nexec ${realDocker} "$@"\n`,
      { mode: 0o755 },
    );
    // one delegation key pair for every run (the certificate's key ID is normalised anyway)
    relKey = join(work, 'rel.key');
    relCrt = join(work, 'rel.crt');
    const made = await exec(['openssl', ...selfSignedEcCertArgs(relKey, relCrt, 'releases', 30)], process.env, work);
    assert.equal(made.code, 0, made.out);
  });
  after(async () => {
    await proxy?.close();
    await dctProxy?.close();
    await dctServer?.close();
    await stack?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const gunFor = (name: string) => `127.0.0.1:${stack.registryPort}/wire-${process.pid}/${name}`;

  /** The notary session: every command that talks to the server, each key rotation, an empty publish. */
  function notarySession(serverUrl: string, dir: string, dct: boolean): Session {
    const n = (...args: string[]) => ({
      argv: ['notary', '-s', serverUrl, '--tlscacert', stack.caFile, '-d', join(dir, 'trust'), ...args],
    });
    return {
      env: { PATH: dct ? `${wrapperDir}:${process.env['PATH'] ?? ''}` : process.env['PATH'], HOME: dir, ...PASSPHRASES },
      cwd: dir,
      steps: [
        n('init', '-p', 'GUN'),
        n('add', '-p', 'GUN', 'v1', 'files/hello.txt'),
        n('list', 'GUN'),
        n('lookup', 'GUN', 'v1'),
        n('key', 'rotate', 'GUN', 'snapshot', '-r'),
        n('key', 'rotate', 'GUN', 'targets'),
        n('publish', 'GUN'),
        n('key', 'rotate', 'GUN', 'timestamp', '-r'),
        n('delegation', 'add', '-p', 'GUN', 'targets/releases', relCrt, '--all-paths'),
        n('key', 'import', relKey, '--role', 'targets/releases'),
        n('add', '-p', 'GUN', 'v2', 'files/hello.txt', '--roles', 'targets/releases'),
        n('list', 'GUN', '--roles', 'targets/releases'),
        n('witness', '-p', 'GUN', 'targets/releases'),
        n('list', 'GUN'),
        n('delegation', 'remove', '-y', '-p', 'GUN', 'targets/releases'),
        n('key', 'rotate', 'GUN', 'root'),
        n('publish', 'GUN'),
        n('delete', 'GUN', '--remote'),
        n('list', 'GUN'),
      ],
    };
  }

  async function realNotaryOnNotaryServer(): Promise<WireStep[]> {
    referenceNotary ??= await record(proxy, notarySession(proxy.url, workDir(work, 'notary-ref'), false), gunFor('notary-ref'));
    return referenceNotary;
  }

  it("dct notary sends the real notary's requests", { timeout: 300_000 }, async () => {
    const reference = await realNotaryOnNotaryServer();
    // every step succeeds but the last (a list after delete --remote)
    assert.deepEqual(
      reference.map((s) => s.exitCode),
      [...reference.slice(1).map(() => 0), 1],
      JSON.stringify(reference, null, 1),
    );
    const ours = await record(proxy, notarySession(proxy.url, workDir(work, 'notary-dct'), true), gunFor('notary-dct'));
    compare(reference, ours);
  });

  it("the real notary gets notary-server's answers from dct server (rotations, the empty publish)", { timeout: 300_000 }, async () => {
    const reference = await realNotaryOnNotaryServer();
    const onDct = await record(dctProxy, notarySession(dctProxy.url, workDir(work, 'notary-on-dct'), false), gunFor('notary-ref'));
    compare(reference, onDct);
  });

  it("dct trust sends docker trust's requests", { timeout: 300_000 }, async (t) => {
    const session = (dir: string, dct: boolean): Session => {
      const config = join(dir, 'docker');
      mkdirSync(config);
      mkdirSync(join(dir, 'keys'));
      return {
        env: {
          PATH: dct ? `${wrapperDir}:${process.env['PATH'] ?? ''}` : process.env['PATH'],
          HOME: dir,
          DOCKER_CONFIG: config,
          DOCKER_CONTENT_TRUST_SERVER: proxy.url,
          ...PASSPHRASES,
        },
        cwd: dir,
        steps: [
          { argv: ['docker', 'trust', 'key', 'generate', 'alice', '--dir', 'keys'] },
          { argv: ['docker', 'trust', 'inspect', 'GUN'] },
          { argv: ['docker', 'trust', 'signer', 'add', '--key', 'keys/alice.pub', 'alice', 'GUN'] },
          { argv: ['docker', 'trust', 'inspect', 'GUN'] },
          // the tag is released by notary (the same real notary in both runs); docker then re-signs it without an engine
          {
            argv: [
              realNotary,
              '-s',
              proxy.url,
              '--tlscacert',
              stack.caFile,
              '-d',
              join(config, 'trust'),
              'addhash',
              'GUN',
              'v1',
              '423',
              '--sha256',
              DIGEST,
              '-r',
              'targets/releases',
              '-p',
            ],
          },
          { argv: ['docker', 'trust', 'sign', 'GUN:v1'] },
          { argv: ['docker', 'trust', 'inspect', '--pretty', 'GUN'] },
          { argv: ['docker', 'trust', 'revoke', '-y', 'GUN:v1'] },
          { argv: ['docker', 'trust', 'signer', 'remove', 'alice', 'GUN'], input: 'y\n' },
          { argv: ['docker', 'trust', 'inspect', '--pretty', 'GUN'] },
        ],
      };
    };
    const reference = await record(proxy, session(workDir(work, 'docker-ref'), false), gunFor('docker-ref'));
    // every step succeeds but the first inspect (no repository yet)
    assert.deepEqual(
      reference.map((s) => s.exitCode),
      reference.map((_, i) => (i === 1 ? 1 : 0)),
      JSON.stringify(reference, null, 1),
    );
    const ours = await record(proxy, session(workDir(work, 'docker-dct'), true), gunFor('docker-dct'));
    compareWritesAndReads(reference, ours);
    await t.test(
      'request for request',
      {
        todo:
          "docker runs notary's TUF update once per notary API call (inspect: 3, sign: 4, revoke: 2 before publishing), " +
          'so it sends GET timestamp.json again (and re-fetches roles it could not verify); dct updates once per command',
      },
      () => compare(reference, ours),
    );
  });
});
