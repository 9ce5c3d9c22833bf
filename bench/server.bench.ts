/**
 * `dct server` against the real notary-server, with nginx (static files) as the
 * ceiling, in one run on this machine: same TLS certificate and key for all
 * three, same load generator, measured alternately; only ratios are compared.
 *
 *   GET timestamp.json / targets.json (100 targets): wrk -t1 -c16, loopback TLS,
 *     rounds of dct, notary, nginx (order rotating); median of the paired ratios
 *   publish latency: sequential uploads of pre-signed targets versions through
 *     NotaryClient (server-managed snapshot: the server signs snapshot and timestamp)
 *   RSS: a dct server on a database of 100,000 small repositories after one GET of
 *     each repository's timestamp.json (VmRSS from /proc; the read cache is bounded)
 *   node floor: a bare node:https server with the same bytes, in every GET round
 *     (--no-node-floor leaves it out): how much of the gap is node's own stack
 *
 * Usage: npm run bench:server [-- --json] [-- --rounds N] [-- --duration S] …  (see bench/README.md)
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { NotaryClient } from '../src/adapters/notary-http/notary-client.js';
import { SqliteStore } from '../src/adapters/storage/sqlite-store.js';
import { ensureReferenceTools, startReferenceStack, type ReferenceStack } from '../test/support/reference-stack.js';
import {
  buildDct,
  ensureDebianTools,
  log,
  memoryOf,
  startDct,
  startNginx,
  startNodeFloor,
  type DctBuild,
  type DctProcess,
  type NginxProcess,
} from './server/processes.js';
import { populateRepositories, presignTargetsChain, publishRepository, type PublishedRepository } from './server/repos.js';
import { runWrk, type WrkResult } from './server/wrk.js';

interface Options {
  json: boolean;
  rounds: number;
  durationS: number;
  warmupS: number;
  connections: number;
  publishes: number;
  repos: number;
  nginxWorkers: number;
  dctWorkers: number;
  skipRss: boolean;
  skipGet: boolean;
  skipPublish: boolean;
  nodeFloor: boolean;
  publishWarmup: number;
}

const USAGE = `usage: npm run bench:server -- [--json] [--rounds N (5)] [--duration S (5)] [--warmup S (2)]
       [--connections N (16)] [--publishes N per server and round (20)] [--repos N (100000)]
       [--nginx-workers N (1)] [--dct-workers N (1)] [--skip-rss] [--skip-get] [--skip-publish] [--no-node-floor]
       [--publish-warmup N publishes per server before timing (50)]
`;

function parseArgs(argv: string[]): Options {
  const opts: Options = {
    json: false,
    rounds: 5,
    durationS: 5,
    warmupS: 2,
    connections: 16,
    publishes: 20,
    repos: 100_000,
    nginxWorkers: 1,
    dctWorkers: 1,
    skipRss: false,
    skipGet: false,
    skipPublish: false,
    nodeFloor: true,
    publishWarmup: 50,
  };
  const num = (i: number, name: string) => {
    const v = Number(argv[i]);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} needs a positive number`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    switch (arg) {
      case '--json':
        opts.json = true;
        break;
      case '--rounds':
        opts.rounds = Math.round(num(++i, arg));
        break;
      case '--duration':
        opts.durationS = num(++i, arg);
        break;
      case '--warmup':
        opts.warmupS = num(++i, arg);
        break;
      case '--connections':
        opts.connections = Math.round(num(++i, arg));
        break;
      case '--publishes':
        opts.publishes = Math.round(num(++i, arg));
        break;
      case '--repos':
        opts.repos = Math.round(num(++i, arg));
        break;
      case '--nginx-workers':
        opts.nginxWorkers = Math.round(num(++i, arg));
        break;
      case '--dct-workers':
        opts.dctWorkers = Math.round(num(++i, arg));
        break;
      case '--skip-rss':
        opts.skipRss = true;
        break;
      case '--skip-get':
        opts.skipGet = true;
        break;
      case '--publish-warmup':
        opts.publishWarmup = Math.round(num(++i, arg));
        break;
      case '--skip-publish':
        opts.skipPublish = true;
        break;
      case '--node-floor':
        opts.nodeFloor = true;
        break;
      case '--no-node-floor':
        opts.nodeFloor = false;
        break;
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return process.exit(0);
      default:
        process.stderr.write(`unknown argument ${String(arg)}\n${USAGE}`);
        process.exit(2);
    }
  }
  return opts;
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** `node`: a bare node:https server answering the same bytes (informational; --no-node-floor leaves it out) */
type ServerName = 'dct' | 'notary' | 'nginx' | 'node';

interface Target {
  name: ServerName;
  url: string;
}

interface ThroughputRow {
  file: 'timestamp.json' | 'targets.json';
  bytes: { dct: number; notary: number };
  runs: Partial<Record<ServerName, WrkResult[]>>;
  medianRps: Partial<Record<ServerName, number>>;
  p50Ms: Partial<Record<ServerName, number>>;
  p99Ms: Partial<Record<ServerName, number>>;
  /** median over rounds of dct/notary (dct/nginx, dct/node) requests per second measured in the same round */
  vsNotary: number;
  vsNginx: number;
  vsNode?: number;
}

/** `dct-tmpfs`: a second dct server whose SQLite file is on tmpfs (fsync costs nothing), informational */
type PublishTarget = 'dct' | 'notary' | 'dct-tmpfs';

interface PublishResult {
  perRoundMedianMs: Partial<Record<PublishTarget, number[]>>;
  medianMs: Partial<Record<PublishTarget, number>>;
  p90Ms: Partial<Record<PublishTarget, number>>;
  /** median over rounds of dct/notary median latency of the same round */
  ratio: number;
  /** the same for dct-tmpfs/notary */
  tmpfsRatio?: number;
}

interface RssResult {
  repositories: number;
  populateSeconds: number;
  getSeconds: number;
  idleMB: number;
  rssMB: number;
  peakMB: number;
  /** the server's read cache when measured (its /metrics) */
  readCache: { entries: number; mb: number; maxMB: number; evictions: number };
}

const GOALS = {
  timestampVsNotary: 4,
  targetsVsNotary: 2,
  vsNginx: 0.6,
  publishVsNotary: 0.5,
  rssMB: 200,
};

const MB = (mib: number) => (mib * 1024 * 1024) / 1e6;

async function throughput(
  file: ThroughputRow['file'],
  gun: string,
  targets: Target[],
  sizes: ThroughputRow['bytes'],
  opts: Options,
): Promise<ThroughputRow> {
  const path = `/v2/${gun}/_trust/tuf/${file}`;
  const wrk = { threads: 1, connections: opts.connections };
  for (const t of targets) {
    const warm = await runWrk(t.url + path, { ...wrk, durationS: opts.warmupS });
    if (warm.non2xx > 0 || warm.requests === 0)
      throw new Error(`${t.name} GET ${file}: ${warm.non2xx} non-2xx responses of ${warm.requests} during warm-up`);
  }
  const runs: Partial<Record<ServerName, WrkResult[]>> = Object.fromEntries(targets.map((t) => [t.name, []]));
  for (let round = 0; round < opts.rounds; round++) {
    // A B C, B C A, C A B, …: no server always runs first or right after another
    const order = targets.map((_, i) => targets[(i + round) % targets.length] as Target);
    for (const t of order) {
      const r = await runWrk(t.url + path, { ...wrk, durationS: opts.durationS });
      if (r.non2xx > 0) throw new Error(`${t.name} GET ${file}: ${r.non2xx} non-2xx responses`);
      runs[t.name]?.push(r);
      log(
        `  ${file.padEnd(15)} round ${round + 1}/${opts.rounds} ${t.name.padEnd(6)} ${r.requestsPerSecond.toFixed(0).padStart(7)} req/s  p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms`,
      );
    }
  }
  const by = (f: (r: WrkResult) => number): Partial<Record<ServerName, number>> =>
    Object.fromEntries(targets.map((t) => [t.name, median((runs[t.name] ?? []).map(f))]));
  const paired = (other: ServerName) =>
    median((runs.dct ?? []).map((r, i) => r.requestsPerSecond / ((runs[other] ?? [])[i] as WrkResult).requestsPerSecond));
  return {
    file,
    bytes: sizes,
    runs,
    medianRps: by((r) => r.requestsPerSecond),
    p50Ms: by((r) => r.p50Ms),
    p99Ms: by((r) => r.p99Ms),
    vsNotary: paired('notary'),
    vsNginx: paired('nginx'),
    ...(runs.node ? { vsNode: paired('node') } : {}),
  };
}

async function publishLatency(
  clients: Partial<Record<PublishTarget, NotaryClient>>,
  chains: Partial<Record<PublishTarget, Array<Array<{ role: string; bytes: Buffer }>>>>,
  gun: string,
  opts: Options,
  warmup: number,
): Promise<PublishResult> {
  const names = Object.keys(clients) as PublishTarget[];
  const next: Partial<Record<PublishTarget, number>> = {};
  const publish = async (name: PublishTarget) => {
    const index = next[name] ?? 0;
    next[name] = index + 1;
    const files = chains[name]?.[index];
    if (!files) throw new Error('publish chain exhausted');
    const t0 = performance.now();
    await (clients[name] as NotaryClient).publish(gun, files);
    return performance.now() - t0;
  };
  for (let i = 0; i < warmup; i++) for (const name of names) await publish(name);
  const all: Partial<Record<PublishTarget, number[]>> = Object.fromEntries(names.map((n) => [n, []]));
  const perRound: Partial<Record<PublishTarget, number[]>> = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < opts.rounds; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length] as PublishTarget);
    for (const name of order) {
      const times: number[] = [];
      for (let i = 0; i < opts.publishes; i++) times.push(await publish(name));
      all[name]?.push(...times);
      perRound[name]?.push(median(times));
      log(`  publish round ${round + 1}/${opts.rounds} ${name.padEnd(9)} median ${median(times).toFixed(2)} ms`);
    }
  }
  const p90 = (v: number[]) => [...v].sort((a, b) => a - b)[Math.min(v.length - 1, Math.floor(v.length * 0.9))] as number;
  const ratioOf = (name: PublishTarget) => median((perRound[name] ?? []).map((d, i) => d / ((perRound.notary ?? [])[i] as number)));
  return {
    perRoundMedianMs: perRound,
    medianMs: Object.fromEntries(names.map((n) => [n, median(all[n] ?? [])])),
    p90Ms: Object.fromEntries(names.map((n) => [n, p90(all[n] ?? [])])),
    ratio: ratioOf('dct'),
    ...(clients['dct-tmpfs'] ? { tmpfsRatio: ratioOf('dct-tmpfs') } : {}),
  };
}

async function rssWithRepositories(
  build: DctBuild,
  tls: { cert: string; key: string; ca: string },
  opts: Options,
  cleanups: Array<() => Promise<void> | void>,
): Promise<RssResult> {
  // on tmpfs when there is one: the writes need no fsync there, and where the file lives does not change the RSS
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'dct-bench-rss-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const gunOf = (i: number) => `bench/rss/repo-${String(i).padStart(6, '0')}`;
  log(`writing ${opts.repos} repositories into a new SQLite database …`);
  let t0 = performance.now();
  const store = await SqliteStore.open(join(dir, 'dct.db'));
  try {
    await populateRepositories(store, gunOf, opts.repos, (n) => log(`  ${n} repositories`));
  } finally {
    await store.close();
  }
  const populateSeconds = (performance.now() - t0) / 1000;
  const server = await startDct({
    main: build.main,
    storage: `sqlite:${join(dir, 'dct.db')}`,
    dataDir: dir,
    tlsCert: tls.cert,
    tlsKey: tls.key,
    passphrase: 'bench-server-keys',
  });
  cleanups.push(() => server.stop());
  await new Promise((r) => setTimeout(r, 500));
  const idle = memoryOf(server.pid);
  log(`GET timestamp.json of each of the ${opts.repos} repositories (16 at a time) …`);
  const client = new NotaryClient({ baseUrl: server.url, caFile: tls.ca, timeoutMs: 30_000 });
  t0 = performance.now();
  let nextIndex = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (nextIndex < opts.repos) {
        const i = nextIndex++;
        await client.getMetadata(gunOf(i), 'timestamp');
      }
    }),
  );
  const getSeconds = (performance.now() - t0) / 1000;
  client.close();
  await new Promise((r) => setTimeout(r, 500));
  const after = memoryOf(server.pid);
  const metrics = await httpsText(`${server.url}/metrics`, readFileSync(tls.ca));
  const gauge = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN);
  const readCache = {
    entries: gauge('dct_read_cache_entries'),
    mb: MB(gauge('dct_read_cache_bytes') / 1024 / 1024),
    maxMB: MB(gauge('dct_read_cache_max_bytes') / 1024 / 1024),
    evictions: gauge('dct_read_cache_evictions_total'),
  };
  await server.stop();
  return {
    repositories: opts.repos,
    populateSeconds,
    getSeconds,
    idleMB: MB(idle.rssMiB),
    rssMB: MB(after.rssMiB),
    peakMB: MB(after.peakMiB),
    readCache,
  };
}

function httpsText(url: string, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    httpsGet(url, { ca }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve(text));
      res.on('error', reject);
    }).on('error', reject);
  });
}

/** dct/node-floor at or above this: what is left of the gap is node's own stack */
const NEAR_FLOOR = 0.9;

function verdict(ok: boolean): string {
  return ok ? 'meets goal' : 'BELOW GOAL';
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const cleanups: Array<() => Promise<void> | void> = [];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch((err: unknown) => log(`cleanup: ${(err as Error).message}`));
    cleanups.length = 0;
  };
  const onSignal = () => void cleanup().then(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    await ensureDebianTools({ wrk: 'wrk', nginx: 'nginx' });
    const missing = await ensureReferenceTools();
    if (missing) throw new Error(`the reference notary-server is needed: ${missing}`);

    log('compiling dct (tsconfig.build.json) into a temp folder …');
    const build = await buildDct();
    cleanups.push(() => build.cleanup());

    log('starting the reference notary-server (LOG_LEVEL=warn) …');
    const stack: ReferenceStack = await startReferenceStack({ logLevel: 'warn' });
    cleanups.push(() => stack.stop());
    // one certificate and key for all three servers: notary-server's own, from the reference CA
    const tls = {
      cert: join(stack.stateDir, 'tls', 'notary-server.crt'),
      key: join(stack.stateDir, 'tls', 'notary-server.key'),
      ca: stack.caFile,
    };

    const dctDir = mkdtempSync(join(tmpdir(), 'dct-bench-server-'));
    cleanups.push(() => rmSync(dctDir, { recursive: true, force: true }));
    log('starting dct server (SQLite, --log-level warn) …');
    const dct: DctProcess = await startDct({
      main: build.main,
      storage: `sqlite:${join(dctDir, 'dct.db')}`,
      dataDir: dctDir,
      tlsCert: tls.cert,
      tlsKey: tls.key,
      passphrase: 'bench-server-keys',
      workers: opts.dctWorkers,
    });
    cleanups.push(() => dct.stop());

    const clients = {
      dct: new NotaryClient({ baseUrl: dct.url, caFile: tls.ca, timeoutMs: 30_000 }),
      notary: new NotaryClient({ baseUrl: stack.serverUrl, caFile: tls.ca, timeoutMs: 30_000 }),
    };
    cleanups.push(() => {
      clients.dct.close();
      clients.notary.close();
    });

    const gun = `bench/server-${randomBytes(4).toString('hex')}/hundred`;
    log(`publishing ${gun} (100 targets, server-managed snapshot) to both servers …`);
    const repos = { dct: await publishRepository(clients.dct, gun, 100), notary: await publishRepository(clients.notary, gun, 100) };
    const served = {
      dct: { ts: await clients.dct.getMetadata(gun, 'timestamp'), targets: await clients.dct.getMetadata(gun, 'targets') },
      notary: { ts: await clients.notary.getMetadata(gun, 'timestamp'), targets: await clients.notary.getMetadata(gun, 'targets') },
    };

    log(`starting nginx (${opts.nginxWorkers} worker) with copies of dct's files …`);
    const staticFiles = {
      [`/v2/${gun}/_trust/tuf/timestamp.json`]: served.dct.ts,
      [`/v2/${gun}/_trust/tuf/targets.json`]: served.dct.targets,
    };
    const nginx: NginxProcess = await startNginx({
      files: staticFiles,
      tlsCert: tls.cert,
      tlsKey: tls.key,
      workers: opts.nginxWorkers,
    });
    cleanups.push(() => nginx.stop());
    const viaNginx = new NotaryClient({ baseUrl: nginx.url, caFile: tls.ca });
    if (!(await viaNginx.getMetadata(gun, 'timestamp')).equals(served.dct.ts))
      throw new Error('nginx does not serve the copied timestamp.json');
    viaNginx.close();

    const targets: Target[] = [
      { name: 'dct', url: dct.url },
      { name: 'notary', url: stack.serverUrl },
      { name: 'nginx', url: nginx.url },
    ];
    if (opts.nodeFloor) {
      log('starting the node floor (bare node:https, same bytes) …');
      const floor = await startNodeFloor({ files: staticFiles, tlsCert: tls.cert, tlsKey: tls.key });
      cleanups.push(() => floor.cleanup());
      cleanups.push(() => floor.stop());
      targets.push({ name: 'node', url: floor.url });
    }
    const wrkSeconds = 2 * targets.length * (opts.warmupS + opts.rounds * opts.durationS);
    const rows: ThroughputRow[] = [];
    if (!opts.skipGet) {
      log(`GET throughput: wrk -t1 -c${opts.connections} -d${opts.durationS}s, ${opts.rounds} rounds (~${Math.round(wrkSeconds)} s) …`);
      rows.push(await throughput('timestamp.json', gun, targets, { dct: served.dct.ts.length, notary: served.notary.ts.length }, opts));
      rows.push(
        await throughput('targets.json', gun, targets, { dct: served.dct.targets.length, notary: served.notary.targets.length }, opts),
      );
    }

    async function publishRounds(): Promise<PublishResult> {
      // notary-server keeps its data in memory; dct commits each publish to SQLite with an fsync.
      // A second dct on tmpfs shows what the publish costs without the disk (informational).
      const publishClients: Partial<Record<PublishTarget, NotaryClient>> = { dct: clients.dct, notary: clients.notary };
      const publishRepos = { dct: repos.dct, notary: repos.notary } as Partial<Record<PublishTarget, PublishedRepository>>;
      if (existsSync('/dev/shm')) {
        const shmDir = mkdtempSync(join('/dev/shm', 'dct-bench-publish-'));
        cleanups.push(() => rmSync(shmDir, { recursive: true, force: true }));
        const dctTmpfs = await startDct({
          main: build.main,
          storage: `sqlite:${join(shmDir, 'dct.db')}`,
          dataDir: shmDir,
          tlsCert: tls.cert,
          tlsKey: tls.key,
          passphrase: 'bench-server-keys',
        });
        cleanups.push(() => dctTmpfs.stop());
        const client = new NotaryClient({ baseUrl: dctTmpfs.url, caFile: tls.ca, timeoutMs: 30_000 });
        cleanups.push(() => client.close());
        publishClients['dct-tmpfs'] = client;
        publishRepos['dct-tmpfs'] = await publishRepository(client, gun, 100);
      }
      // a server runs for long: latency is measured once the JIT has compiled the publish path (Go has no warm-up)
      const warmupPublishes = opts.publishWarmup;
      const chainLength = warmupPublishes + opts.rounds * opts.publishes;
      log(`publish latency: signing ${chainLength} targets versions per server ahead …`);
      const chains: Partial<Record<PublishTarget, Array<Array<{ role: string; bytes: Buffer }>>>> = {};
      for (const [name, repo] of Object.entries(publishRepos) as Array<[PublishTarget, PublishedRepository]>)
        chains[name] = await presignTargetsChain(repo, chainLength);
      return publishLatency(publishClients, chains, gun, opts, warmupPublishes);
    }

    let publish: PublishResult | undefined;
    if (!opts.skipPublish) publish = await publishRounds();
    const dctAfterLoad = memoryOf(dct.pid);
    let rss: RssResult | undefined;
    if (!opts.skipRss) rss = await rssWithRepositories(build, tls, opts, cleanups);

    const elapsedS = (performance.now() - started) / 1000;
    const results: Array<{ name: string; ratio: number; goal: string; ok: boolean; extra?: string }> = [];
    const [ts, tg] = rows;
    if (ts && tg) {
      results.push({
        name: 'get-timestamp-vs-notary',
        ratio: ts.vsNotary,
        goal: `>= ${GOALS.timestampVsNotary}`,
        ok: ts.vsNotary >= GOALS.timestampVsNotary,
      });
      results.push({ name: 'get-timestamp-vs-nginx', ratio: ts.vsNginx, goal: `>= ${GOALS.vsNginx}`, ok: ts.vsNginx >= GOALS.vsNginx });
      results.push({
        name: 'get-targets-vs-notary',
        ratio: tg.vsNotary,
        goal: `>= ${GOALS.targetsVsNotary}`,
        ok: tg.vsNotary >= GOALS.targetsVsNotary,
      });
      results.push({ name: 'get-targets-vs-nginx', ratio: tg.vsNginx, goal: `>= ${GOALS.vsNginx}`, ok: tg.vsNginx >= GOALS.vsNginx });
      if (ts.vsNode !== undefined && tg.vsNode !== undefined) {
        results.push({ name: 'get-timestamp-vs-node-floor', ratio: ts.vsNode, goal: 'informational', ok: true });
        results.push({ name: 'get-targets-vs-node-floor', ratio: tg.vsNode, goal: 'informational', ok: true });
      }
    }
    if (publish)
      results.push({
        name: 'publish-latency-vs-notary',
        ratio: publish.ratio,
        goal: `<= ${GOALS.publishVsNotary}`,
        ok: publish.ratio <= GOALS.publishVsNotary,
      });
    if (publish?.tmpfsRatio !== undefined) {
      results.push({ name: 'publish-latency-tmpfs-vs-notary', ratio: publish.tmpfsRatio, goal: 'informational', ok: true });
    }
    if (rss) {
      results.push({
        name: `rss-${rss.repositories}-repos-vs-budget`,
        ratio: rss.rssMB / GOALS.rssMB,
        goal: `< 1 (${GOALS.rssMB} MB)`,
        ok: rss.rssMB < GOALS.rssMB,
        extra: `mb=${rss.rssMB.toFixed(1)}`,
      });
    }

    if (opts.json) {
      process.stdout.write(
        JSON.stringify(
          {
            node: process.version,
            cpus: cpus().length,
            elapsedSeconds: Number(elapsedS.toFixed(1)),
            options: opts,
            notaryTrustService: stack.trustService,
            throughput: rows,
            publish,
            dctAfterLoadMB: MB(dctAfterLoad.rssMiB),
            rss,
            goals: GOALS,
            results,
          },
          null,
          2,
        ) + '\n',
      );
    } else {
      const out = (s = '') => process.stdout.write(s + '\n');
      out(
        `bench:server  wrk -t1 -c${opts.connections} -d${opts.durationS}s × ${opts.rounds} rounds, loopback TLS (one certificate for all), ${cpus().length} cores, node ${process.version}`,
      );
      out(
        `notary-server: Debian notary 0.7, memory storage, trust service ${stack.trustService}; dct: SQLite; nginx: ${opts.nginxWorkers} worker, static copies of dct's files`,
      );
      for (const r of rows) {
        out();
        out(`GET ${r.file}  (bytes: dct ${r.bytes.dct}, notary ${r.bytes.notary})`);
        out(`  server   median req/s   p50 ms   p99 ms   req/s per round`);
        for (const { name: n } of targets) {
          out(
            `  ${n.padEnd(7)}  ${(r.medianRps[n] ?? NaN).toFixed(0).padStart(12)}  ${(r.p50Ms[n] ?? NaN).toFixed(2).padStart(7)}  ${(r.p99Ms[n] ?? NaN).toFixed(2).padStart(7)}   ${(r.runs[n] ?? []).map((x) => x.requestsPerSecond.toFixed(0)).join(' ')}`,
          );
        }
        const goal = r.file === 'timestamp.json' ? GOALS.timestampVsNotary : GOALS.targetsVsNotary;
        out(
          `  dct/notary ${r.vsNotary.toFixed(2)} (goal >= ${goal}: ${verdict(r.vsNotary >= goal)})   dct/nginx ${r.vsNginx.toFixed(2)} (goal >= ${GOALS.vsNginx}: ${verdict(r.vsNginx >= GOALS.vsNginx)})` +
            (r.vsNode !== undefined ? `   dct/node-floor ${r.vsNode.toFixed(2)}` : ''),
        );
        if (r.vsNode !== undefined && r.vsNode >= NEAR_FLOOR) {
          out(
            `  dct is within ${Math.round((1 - NEAR_FLOOR) * 100)} % of the bare node floor: its rate against notary is bounded by node's HTTP/TLS stack on this machine`,
          );
        }
      }
      if (publish) {
        out();
        out(
          `publish of a new targets version (server signs snapshot + timestamp), ${opts.publishes} sequential per server and round, NotaryClient`,
        );
        for (const n of Object.keys(publish.medianMs) as PublishTarget[]) {
          out(
            `  ${n.padEnd(9)} median ${(publish.medianMs[n] ?? NaN).toFixed(2)} ms  p90 ${(publish.p90Ms[n] ?? NaN).toFixed(2)} ms   per round ${(publish.perRoundMedianMs[n] ?? []).map((x) => x.toFixed(2)).join(' ')}`,
          );
        }
        out(
          `  dct/notary ${publish.ratio.toFixed(2)} (goal <= ${GOALS.publishVsNotary}: ${verdict(publish.ratio <= GOALS.publishVsNotary)})` +
            (publish.tmpfsRatio !== undefined
              ? `   dct-tmpfs/notary ${publish.tmpfsRatio.toFixed(2)} (SQLite on tmpfs: no fsync; notary-server keeps its data in memory)`
              : ''),
        );
      }
      out();
      out(`dct server RSS after the load above: ${MB(dctAfterLoad.rssMiB).toFixed(1)} MB`);
      if (rss) {
        out(
          `dct server RSS with ${rss.repositories} repositories: ${rss.rssMB.toFixed(1)} MB after one GET timestamp.json each ` +
            `(idle before: ${rss.idleMB.toFixed(1)} MB, peak ${rss.peakMB.toFixed(1)} MB; written in ${rss.populateSeconds.toFixed(1)} s, read in ${rss.getSeconds.toFixed(1)} s; ` +
            `read cache ${rss.readCache.entries} entries, ${rss.readCache.mb.toFixed(1)} of ${rss.readCache.maxMB.toFixed(1)} MB, ${rss.readCache.evictions} evictions) ` +
            `(goal < ${GOALS.rssMB} MB: ${verdict(rss.rssMB < GOALS.rssMB)})`,
        );
      }
      out();
      for (const r of results) out(`RESULT ${r.name} ratio=${r.ratio.toFixed(2)}${r.extra ? ` ${r.extra}` : ''}`);
      out();
      out(
        `(${elapsedS.toFixed(0)} s; ratios are dct / other from the same rounds; goals: ${results.map((r) => `${r.name} ${r.goal}`).join(', ')})`,
      );
    }
  } finally {
    await cleanup();
  }
}

try {
  await main();
} catch (err) {
  process.stderr.write(`bench:server failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
}
