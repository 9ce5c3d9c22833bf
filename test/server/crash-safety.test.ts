/**
 * Crash safety of `dct server`: the server runs as a child process
 * (`node --import tsx src/cli/main.ts server …`); many publishes (new targets
 * versions of several repositories with a server-managed snapshot) run
 * concurrently and the process is SIGKILLed mid-flight. After a restart on the
 * same data, every repository loads through `loadRepository` over HTTP with
 * timestamp → snapshot → targets consistent, at a version no older than the
 * last acknowledged publish and no newer than the last attempted one; the
 * current targets.json is the one the snapshot pins; and a further publish
 * succeeds. Killed a few times in a row, on SQLite and (when reachable) on
 * PostgreSQL (DCT_TEST_POSTGRES_URL; unreachable: skipped locally, a failure in CI).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { NotaryClient, NotaryHttpError } from '../../src/adapters/notary-http/notary-client.js';
import { createRepository, targetFromContent, updateTargets, type RepositoryState } from '../../src/app/create-repository.js';
import { loadRepository } from '../../src/app/load-repository.js';
import { NotaryServerSource } from '../../src/adapters/notary-http/notary-source.js';
import { PROJECT_ROOT } from '../support/fixtures.js';
import { interopSkip } from '../support/interop.js';
import { dropSchemas, POSTGRES_URL, postgresUnreachable } from '../support/postgres.js';
import { freePort } from '../support/free-port.js';

const PASSPHRASE = 'crash-safety-server-keys';
const REPOSITORIES = 8;
const KILLS = 3;
/** acknowledged publishes (all repositories together) in a round before the kill may come */
const ACKS_BEFORE_KILL = 12;

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const newEcKey = (): KeyObject => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;

// ---------------------------------------------------------------------------
// the server as a child process

interface ServerProcess {
  url: string;
  caFile: string;
  child: ChildProcess;
  /** resolves when the process has exited */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

/** servers still running when this process exits (a cancelled or timed-out test) are killed with it */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

async function spawnServer(storage: string, dataDir: string): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/main.ts',
      'server',
      '--storage',
      storage,
      '--data-dir',
      dataDir,
      '--listen',
      `127.0.0.1:${port}`,
      '--log-level',
      'warn',
      // the test publishes far faster than the default per-client write limit
      '--writes-per-second',
      '100000',
    ],
    { cwd: PROJECT_ROOT, env: { ...process.env, DCT_SERVER_KEY_PASSPHRASE: PASSPHRASE }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  live.add(child);
  child.once('exit', () => live.delete(child));
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const ready = await new Promise<{ url: string; caFile: string } | string>((resolve) => {
    const timer = setTimeout(() => resolve('did not start within 30 s'), 30_000);
    const check = () => {
      const url = /dct server listening on (\S+)/.exec(stdout)?.[1];
      const caFile = /clients must trust (\S+)/.exec(stdout)?.[1];
      if (url && caFile) {
        clearTimeout(timer);
        child.stdout?.off('data', check);
        resolve({ url, caFile });
      }
    };
    child.stdout?.on('data', check);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      resolve(`exited (${code ?? signal}) before listening`);
    });
  });
  if (typeof ready === 'string') {
    child.kill('SIGKILL');
    throw new Error(`dct server ${ready}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`);
  }
  return { ...ready, child, exited, stderr: () => stderr };
}

async function stopServer(server: ServerProcess, signal: NodeJS.Signals): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  server.child.kill(signal);
  const timeout = setTimeout(() => server.child.kill('SIGKILL'), 10_000);
  await server.exited;
  clearTimeout(timeout);
}

// ---------------------------------------------------------------------------
// the repositories, as their owners see them

interface Repo {
  gun: string;
  targetsKey: KeyObject;
  /** root v1 as published (the repositories never rotate) */
  rootBytes: Buffer;
  /** the client's view, reloaded from the server after every restart */
  state: RepositoryState;
  /** highest targets version the server acknowledged */
  acked: number;
  /** highest targets version ever sent */
  attempted: number;
}

function newTarget(repo: Repo, version: number) {
  return { [`v${version}`]: targetFromContent(Buffer.from(`${repo.gun} version ${version}\n`)) };
}

async function createRepos(client: NotaryClient, prefix: string): Promise<Repo[]> {
  const repos: Repo[] = [];
  for (let i = 0; i < REPOSITORIES; i++) {
    const gun = `${prefix}/repo-${i}`;
    const targetsKey = newEcKey();
    const created = await createRepository({
      gun,
      now: new Date(),
      rootKey: newEcKey(),
      targetsKey,
      serverSnapshotKey: await client.getKey(gun, 'snapshot'),
      timestampKey: await client.getKey(gun, 'timestamp'),
      targets: { v1: targetFromContent(Buffer.from(`${gun} version 1\n`)) },
    });
    await client.publish(gun, created.files);
    repos.push({
      gun,
      targetsKey,
      rootBytes: created.bytes.root,
      state: { gun, root: created.root, targets: created.targets },
      acked: 1,
      attempted: 1,
    });
  }
  return repos;
}

/**
 * Loads the repository through the trust pipeline and checks it against what
 * was acknowledged and attempted; the client state becomes what the server has.
 */
async function verifyRepo(client: NotaryClient, repo: Repo): Promise<number> {
  const { trusted } = await loadRepository(new NotaryServerSource(client, repo.gun), { gun: repo.gun, now: new Date() });
  const timestamp = trusted.timestamp;
  const snapshot = trusted.snapshot;
  const targets = trusted.targets();
  assert.ok(timestamp && snapshot && targets, `${repo.gun}: incomplete repository`);
  const version = targets.signed.version;
  assert.ok(version >= repo.acked, `${repo.gun}: targets v${version} is older than the acknowledged v${repo.acked}`);
  assert.ok(version <= repo.attempted, `${repo.gun}: targets v${version} was never sent (last sent v${repo.attempted})`);
  // the current files are the ones the chain pins: no half-applied update is visible
  const currentSnapshot = await client.getMetadata(repo.gun, 'snapshot');
  assert.equal(
    sha256(currentSnapshot),
    timestamp.signed.snapshotMeta.hashes['sha256']?.toString('hex'),
    `${repo.gun}: current snapshot is not the pinned one`,
  );
  const currentTargets = await client.getMetadata(repo.gun, 'targets');
  assert.equal(
    sha256(currentTargets),
    snapshot.signed.meta['targets']?.hashes['sha256']?.toString('hex'),
    `${repo.gun}: current targets is not the pinned one`,
  );
  const currentRoot = await client.getMetadata(repo.gun, 'root');
  assert.ok(currentRoot.equals(repo.rootBytes), `${repo.gun}: root changed`);
  // every version added exactly one target: v1 … v<version>
  const names = trusted
    .listTargets()
    .map((t) => t.name)
    .sort();
  assert.deepEqual(names, Array.from({ length: version }, (_, i) => `v${i + 1}`).sort(), `${repo.gun}: targets of v${version}`);
  repo.state = { gun: repo.gun, root: trusted.root, targets };
  repo.acked = version;
  return version;
}

/** One publish of the next targets version. */
async function publishNext(client: NotaryClient, repo: Repo): Promise<void> {
  const version = repo.state.targets.signed.version + 1;
  const update = await updateTargets(repo.state, { now: new Date(), targetsKey: repo.targetsKey, add: newTarget(repo, version) });
  repo.attempted = Math.max(repo.attempted, version);
  await client.publish(repo.gun, update.files);
  repo.acked = Math.max(repo.acked, version);
  repo.state = { ...repo.state, targets: update.targets };
}

/** Every repository publishes in a loop until the server goes away; resolves with the counts. */
function publishUntilGone(client: NotaryClient, repos: Repo[], onAck: () => void) {
  const unexpected: string[] = [];
  let gone = false;
  const loops = repos.map(async (repo) => {
    while (!gone) {
      try {
        await publishNext(client, repo);
        onAck();
      } catch (err) {
        const transport = err instanceof NotaryHttpError && ['NETWORK_ERROR', 'TIMEOUT'].includes(err.code);
        if (!transport) unexpected.push(`${repo.gun}: ${(err as Error).message}`);
        gone = true;
      }
    }
  });
  return { done: Promise.all(loops).then(() => unexpected) };
}

async function crashScenario(storage: string, t: { diagnostic(message: string): void }): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'dct-crash-'));
  const started = Date.now();
  let server: ServerProcess | undefined;
  try {
    server = await spawnServer(storage, dataDir);
    let client = new NotaryClient({ baseUrl: server.url, caFile: server.caFile, timeoutMs: 15_000 });
    const repos = await createRepos(client, `crash/${randomBytes(4).toString('hex')}`);
    for (let round = 1; round <= KILLS; round++) {
      let acks = 0;
      let kill!: () => void;
      const enoughAcks = new Promise<void>((resolve) => (kill = resolve));
      const run = publishUntilGone(client, repos, () => {
        if (++acks === ACKS_BEFORE_KILL) kill();
      });
      const stoppedEarly = await Promise.race([enoughAcks.then(() => false), run.done.then(() => true)]);
      if (stoppedEarly) assert.fail(`the publishes stopped before the kill: ${(await run.done).join('; ')}\n${server.stderr()}`);
      // a little later, so the kill lands at a different point of the publishes each time
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 30)));
      server.child.kill('SIGKILL');
      const exit: { signal: NodeJS.Signals | null } = await server.exited;
      assert.equal(exit.signal, 'SIGKILL');
      const unexpected = await run.done;
      assert.deepEqual(unexpected, [], 'only transport errors are expected while the server is killed');
      client.close();

      server = await spawnServer(storage, dataDir);
      client = new NotaryClient({ baseUrl: server.url, caFile: server.caFile, timeoutMs: 15_000 });
      const inFlight = repos.filter((r) => r.attempted > r.acked);
      const ackedBefore = new Map(repos.map((r) => [r.gun, r.acked]));
      const versions: number[] = [];
      for (const repo of repos) versions.push(await verifyRepo(client, repo));
      const landed = inFlight.filter((r) => r.acked > (ackedBefore.get(r.gun) as number)).length;
      t.diagnostic(
        `kill ${round}: ${acks} publishes acknowledged, ${inFlight.length} in flight (${landed} of them committed unacknowledged); ` +
          `targets versions after restart: ${versions.join(' ')}`,
      );
      // and the repositories take new versions after the crash
      for (const repo of repos) await publishNext(client, repo);
      for (const repo of repos) assert.equal(await verifyRepo(client, repo), repo.acked);
    }
    client.close();
    await stopServer(server, 'SIGTERM');
    t.diagnostic(`${KILLS} kills in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    if (server) await stopServer(server, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const noPostgres = await postgresUnreachable();

describe('dct server crash safety: SIGKILL during concurrent publishes', () => {
  it(
    'SQLite: every repository verifies at a consistent version after each restart, and takes further publishes',
    { timeout: 90_000 },
    async (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'dct-crash-db-'));
      try {
        await crashScenario(`sqlite:${join(dir, 'dct.db')}`, t);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  const schema = `dct_crash_${randomBytes(6).toString('hex')}`;
  after(async () => {
    if (noPostgres) return;
    await dropSchemas([schema]);
  });

  it(
    'PostgreSQL: every repository verifies at a consistent version after each restart, and takes further publishes',
    { timeout: 90_000, skip: interopSkip(noPostgres) },
    async (t) => {
      await crashScenario(`${POSTGRES_URL}?schema=${schema}`, t);
    },
  );
});
