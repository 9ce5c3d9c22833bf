/**
 * Soak: N minutes of mixed load from the project's real clients against two `dct
 * server` replicas (separate processes on their own loopback ports, sharing one fresh
 * PostgreSQL schema and one data folder), while one replica is killed with SIGKILL and
 * restarted, and PostgreSQL itself is restarted once.
 *
 * Traffic: trust-metadata GETs, publishes of new targets versions (NotaryClient),
 * registry pushes and pulls of small images (RegistryClient); no client retries.
 * Afterwards every acknowledged write must be there and verify (each repository loaded
 * through the client trust rules lists every acknowledged target with its hash; each
 * acknowledged image pulls by tag with its digest, blobs verified), and no request may
 * have had a 5xx outside the fault windows (a fault's start to its end plus a grace).
 * Prints requests served, latency percentiles, errors by kind and writes lost; exits 1
 * when a write was lost, a 5xx came outside the fault windows or a replica exited on
 * its own (it is restarted for the final check, and its stderr is printed).
 *
 * Usage: npm run soak -- [--minutes N (5)] [--seconds N (instead of minutes)] [--no-pg-restart] [--no-kill] [--json]
 * Needs PostgreSQL on 127.0.0.1:5432 with trust auth and a database `test`
 * (DCT_TEST_POSTGRES_URL to change it); the restart uses pg_ctlcluster (run as root).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NotaryClient } from '../src/adapters/notary-http/notary-client.js';
import { NotaryServerSource } from '../src/adapters/notary-http/notary-source.js';
import { RegistryClient } from '../src/adapters/registry/registry-client.js';
import { loadRepository } from '../src/app/load-repository.js';
import { POSTGRES_URL, postgresUnreachable } from '../test/support/postgres.js';
import { freePort } from './server/processes.js';
import {
  createTrustRepo,
  notaryClientFor,
  publishNext,
  pullImage,
  pushImage,
  readMetadata,
  Recorder,
  registryClientFor,
  RoundRobin,
  type AckedImage,
  type AckedTarget,
  type Sample,
  type TrustRepo,
} from './soak/load.js';
import { dropSchema, Replica, restartPostgres } from './soak/replicas.js';

interface Options {
  durationMs: number;
  pgRestart: boolean;
  kill: boolean;
  json: boolean;
}

const USAGE = 'usage: npm run soak -- [--minutes N (5)] [--seconds N] [--no-pg-restart] [--no-kill] [--json]';
/** after a fault ends: time for pools to reconnect and requests in flight to finish */
const GRACE_MS = 5_000;
/** bounds on every loop, whatever the clock says */
const MAX_ITERATIONS = 1_000_000;

function parseArgs(argv: string[]): Options {
  const opts: Options = { durationMs: 5 * 60_000, pgRestart: true, kill: true, json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0 || v > 24 * 60) throw new Error(`${arg} needs a positive number\n${USAGE}`);
      return v;
    };
    if (arg === '--minutes') opts.durationMs = num() * 60_000;
    else if (arg === '--seconds') opts.durationMs = num() * 1000;
    else if (arg === '--no-pg-restart') opts.pgRestart = false;
    else if (arg === '--no-kill') opts.kill = false;
    else if (arg === '--json') opts.json = true;
    else throw new Error(`unknown argument ${arg}\n${USAGE}`);
  }
  return opts;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (m: string) => process.stderr.write(`[soak] ${m}\n`);

interface FaultWindow {
  fault: string;
  start: number;
  end: number;
}

/** Runs `body` until the deadline (and at most MAX_ITERATIONS times), pausing `pauseMs` between rounds. */
async function loop(deadline: number, pauseMs: number, body: (i: number) => Promise<void>): Promise<void> {
  for (let i = 0; i < MAX_ITERATIONS && Date.now() < deadline; i++) {
    await body(i);
    await sleep(pauseMs);
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  const unreachable = await postgresUnreachable();
  if (unreachable) throw new Error(unreachable);
  const schema = `dct_soak_${randomBytes(6).toString('hex')}`;
  const storage = `${POSTGRES_URL}?schema=${schema}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'dct-soak-'));
  const common = { storage, dataDir, passphrase: 'soak-server-keys', registryName: 'soak.example:5000' };
  const replicas = [
    new Replica({ name: 'A', port: await freePort(), ...common }),
    new Replica({ name: 'B', port: await freePort(), ...common }),
  ];
  const [a, b] = replicas as [Replica, Replica];
  const windows: FaultWindow[] = [];
  const rec = new Recorder();
  const ackedTargets: AckedTarget[] = [];
  const ackedImages: AckedImage[] = [];
  const notaries = new Map(replicas.map((r) => [r, notaryClientFor(r)]));
  const registries = new Map(replicas.map((r) => [r, registryClientFor(r)]));
  try {
    await a.start();
    await b.start();
    log(`replicas A ${a.url}, B ${b.url} on PostgreSQL schema ${schema}; ${opts.durationMs / 1000} s of load`);
    const setupClient = notaries.get(a) as NotaryClient;
    const repos: TrustRepo[] = [];
    for (let i = 0; i < 3; i++) repos.push(await createTrustRepo(setupClient, `soak.example:5000/trust/repo${i}`));

    const started = Date.now();
    const deadline = started + opts.durationMs;
    const rr = () => new RoundRobin(replicas);
    let seq = 0;
    let wrongContent = 0;
    const workers: Promise<void>[] = [];
    // readers: GETs of the repositories' metadata, both replicas in turn
    for (let w = 0; w < 3; w++) {
      const pick = rr();
      workers.push(
        loop(deadline, 10, async (i) => {
          const repo = repos[(i + w) % repos.length] as TrustRepo;
          await readMetadata(pick.pick(), repo.gun, ['timestamp', 'targets', 'snapshot', 'root'][i % 4] as string, rec);
        }),
      );
    }
    // publishers: one per repository
    for (const repo of repos) {
      const pick = rr();
      workers.push(
        loop(deadline, 100, async () => {
          const replica = pick.pick();
          await publishNext(repo, notaries.get(replica) as NotaryClient, replica, rec, ackedTargets, ++seq);
        }),
      );
    }
    // registry pushers and pullers
    for (let w = 0; w < 2; w++) {
      const pick = rr();
      workers.push(
        loop(deadline, 100, async () => {
          const replica = pick.pick();
          await pushImage(registries.get(replica) as RegistryClient, replica, rec, ackedImages, `soak/app${w}`, ++seq);
        }),
      );
      workers.push(
        loop(deadline, 50, async () => {
          const image = ackedImages[Math.floor(Math.random() * ackedImages.length)];
          if (!image) return;
          const replica = pick.pick();
          if (!(await pullImage(registries.get(replica) as RegistryClient, replica, rec, image))) wrongContent++;
        }),
      );
    }
    // the faults
    const faults = (async () => {
      if (opts.kill) {
        await sleep(Math.max(0, started + opts.durationMs * 0.25 - Date.now()));
        const w: FaultWindow = { fault: 'SIGKILL replica B, restart', start: Date.now(), end: 0 };
        windows.push(w);
        await b.kill();
        log('replica B killed (SIGKILL)');
        await sleep(2_000);
        await b.start();
        w.end = Date.now();
        log(`replica B restarted after ${((w.end - w.start) / 1000).toFixed(1)} s`);
      }
      if (opts.pgRestart) {
        await sleep(Math.max(0, started + opts.durationMs * 0.55 - Date.now()));
        const w: FaultWindow = { fault: 'PostgreSQL restart', start: Date.now(), end: 0 };
        windows.push(w);
        await restartPostgres(POSTGRES_URL);
        w.end = Date.now();
        log(`PostgreSQL restarted in ${((w.end - w.start) / 1000).toFixed(1)} s`);
      }
    })();
    await Promise.all([...workers, faults]);
    const loadEnd = Date.now();
    const crashes = replicas.flatMap((r) => r.crashes.map((c) => ({ replica: r.opts.name, ...c })));
    for (const c of crashes)
      log(
        `replica ${c.replica} exited on its own (${c.how}) ${((c.at - started) / 1000).toFixed(1)} s into the run; its last stderr:\n${c.stderr}`,
      );
    for (const r of replicas) if (!r.running) await r.start();

    // every acknowledged write, checked through fresh clients (with retries) on both replicas
    let lost = wrongContent;
    const lostDetail: string[] = [];
    for (const [i, repo] of repos.entries()) {
      const replica = replicas[i % 2] as Replica;
      const client = new NotaryClient({ baseUrl: replica.url, retries: 3 });
      try {
        const { trusted } = await loadRepository(new NotaryServerSource(client, repo.gun), { gun: repo.gun, now: new Date() });
        const listed = new Map(trusted.listTargetSummaries().map((t) => [t.name, t]));
        for (const t of ackedTargets.filter((x) => x.gun === repo.gun)) {
          const got = listed.get(t.name);
          if (
            !got ||
            got.length !== t.length ||
            Buffer.from(got.sha256, got.sha256.length === 64 ? 'hex' : 'base64').toString('hex') !== t.sha256
          ) {
            lost++;
            lostDetail.push(`${repo.gun} target ${t.name}`);
          }
        }
      } catch (err) {
        const n = ackedTargets.filter((x) => x.gun === repo.gun).length;
        lost += n;
        lostDetail.push(`${repo.gun}: does not load (${(err as Error).message}): ${n} targets`);
      } finally {
        client.close();
      }
    }
    const verifiers = replicas.map((r) => new RegistryClient(`127.0.0.1:${r.opts.port}`, { endpoint: r.url, retries: 3 }));
    for (const [i, image] of ackedImages.entries()) {
      const v = verifiers[i % 2] as RegistryClient;
      const ok = await pullImage(v, replicas[i % 2] as Replica, new Recorder(), image).catch(() => false);
      const check = new Recorder();
      const again = ok && (await pullImage(v, replicas[i % 2] as Replica, check, image)) && check.samples.every((s) => s.outcome === 'ok');
      if (!again) {
        lost++;
        lostDetail.push(`image ${image.repo}:${image.tag} ${image.digest}`);
      }
    }
    for (const v of verifiers) v.close();

    const report = summarize(rec.samples, windows, {
      durationS: (loadEnd - started) / 1000,
      ackedTargets: ackedTargets.length,
      ackedImages: ackedImages.length,
      lost,
      lostDetail,
      crashes: crashes.map((c) => `replica ${c.replica}: ${c.how} at ${((c.at - started) / 1000).toFixed(1)} s`),
    });
    if (opts.json) process.stdout.write(`${JSON.stringify(report.json, null, 2)}\n`);
    else process.stdout.write(report.text);
    return lost > 0 || report.fiveHundredsOutside > 0 || crashes.length > 0 ? 1 : 0;
  } finally {
    for (const c of notaries.values()) c.close();
    for (const c of registries.values()) c.close();
    for (const r of replicas) await r.stop().catch(() => undefined);
    await dropSchema(POSTGRES_URL, schema).catch((err: Error) => log(`could not drop schema ${schema}: ${err.message}`));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function summarize(
  samples: Sample[],
  windows: FaultWindow[],
  w: { durationS: number; ackedTargets: number; ackedImages: number; lost: number; lostDetail: string[]; crashes: string[] },
) {
  const inWindow = (s: Sample) => windows.some((f) => s.end >= f.start && s.start <= f.end + GRACE_MS);
  const served = samples.filter((s) => s.outcome === 'ok');
  const latencies = served.map((s) => s.end - s.start).sort((x, y) => x - y);
  const ops = [...new Set(samples.map((s) => s.op))].sort();
  const perOp = ops.map((op) => {
    const l = served
      .filter((s) => s.op === op)
      .map((s) => s.end - s.start)
      .sort((x, y) => x - y);
    return { op, requests: samples.filter((s) => s.op === op).length, served: l.length, p50: percentile(l, 50), p99: percentile(l, 99) };
  });
  const errors = new Map<string, number>();
  for (const s of samples) {
    if (s.outcome === 'ok') continue;
    const key = `${inWindow(s) ? 'in fault window' : 'OUTSIDE faults '}  ${s.outcome.padEnd(7)} ${s.op}: ${s.detail}`;
    errors.set(key, (errors.get(key) ?? 0) + 1);
  }
  const fiveHundredsOutside = samples.filter((s) => s.outcome === '5xx' && !inWindow(s)).length;
  const json = {
    durationS: w.durationS,
    requests: samples.length,
    served: served.length,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    perOp,
    errors: Object.fromEntries([...errors].sort()),
    faults: windows.map((f) => ({ fault: f.fault, seconds: (f.end - f.start) / 1000 })),
    fiveHundredsOutsideFaults: fiveHundredsOutside,
    replicaCrashes: w.crashes,
    acknowledgedWrites: { publishes: w.ackedTargets, images: w.ackedImages },
    writesLost: w.lost,
    lost: w.lostDetail.slice(0, 20),
  };
  const lines = [
    `soak: ${w.durationS.toFixed(0)} s, ${samples.length} requests, ${served.length} served (${(served.length / w.durationS).toFixed(1)}/s), p50 ${json.p50Ms} ms, p99 ${json.p99Ms} ms`,
    ...perOp.map(
      (o) =>
        `  ${o.op.padEnd(14)} ${String(o.requests).padStart(7)} requests ${String(o.served).padStart(7)} served  p50 ${o.p50} ms  p99 ${o.p99} ms`,
    ),
    `faults: ${json.faults.map((f) => `${f.fault} (${f.seconds.toFixed(1)} s)`).join('; ') || 'none'}`,
    `errors by kind${errors.size === 0 ? ': none' : ':'}`,
    ...[...errors].sort().map(([k, n]) => `  ${String(n).padStart(6)}  ${k}`),
    `5xx outside fault windows: ${fiveHundredsOutside}`,
    `replicas that exited on their own: ${w.crashes.length === 0 ? 'none' : w.crashes.join('; ')}`,
    `acknowledged writes: ${w.ackedTargets} publishes, ${w.ackedImages} image pushes; writes lost: ${w.lost}`,
    ...w.lostDetail.slice(0, 20).map((d) => `  lost: ${d}`),
    '',
  ];
  return { text: lines.join('\n'), json, fiveHundredsOutside };
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`soak failed: ${err.stack ?? err.message}\n`);
    process.exit(2);
  },
);
