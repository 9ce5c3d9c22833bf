/**
 * The admission webhook's decision time and throughput, measured in one run on this machine.
 *
 * Eight small images (`bench/a` … `bench/h`) on dct server's embedded registry (TLS, in this
 * process), each signed with one cosign key (`dct cosign sign --key`, no transparency log);
 * the policy requires that key for `<registry>/bench/*`. `dct admission` runs as installed
 * (the bundled CLI) in a child process pinned to one core (`taskset -c 0`), over HTTPS.
 *
 *   cold: a webhook with its decision cache off (`--cache-ttl 0`): every review decides again
 *     (registry reads and signature checks). Each round times, one review at a time on one
 *     keep-alive connection, a Pod of each single image and the kubectl Pod of 8 containers of
 *     the 8 images (order reversed every other round), after `--warmup` untimed rounds (V8
 *     compiles dct's code over the first ~1,000 decisions of a new process, on the same pinned
 *     core: 3 rounds left most of it in the timed ones). Ratio = median over rounds of
 *     (8-container Pod / slowest single-image Pod of the same round). Goal ≤ 1.5×: the eight
 *     decisions run in parallel.
 *   cold over a network (`--registry-rtt MS`): the same, the webhook reaching the registry through
 *     a TCP proxy that holds each chunk MS/2 each way (a registry MS of round trip away, as a real
 *     one is): on loopback a decision is all CPU, so 8 on one core take 8 × one whatever runs in
 *     parallel; with a round trip to wait for, the parallel decisions overlap their waits.
 *   warm: a webhook with its cache on (the default 5 min), primed with one review; wrk on the
 *     other core POSTs the 8-container Pod's AdmissionReview to /mutate for `--duration` s over
 *     `--connections` keep-alive connections. Goals: p99 < 5 ms and ≥ 2,000 reviews/s on one
 *     core. The cache's hit counter (/metrics) shows that the reviews were served from it.
 *
 * Usage: npm run bench:admission -- [--format text|json] [--rounds N (15)] [--warmup N (60)] [--duration S (10)]
 *        [--connections N (8)] [--log-level LEVEL (info)] [--cpu-prof DIR] [--registry-rtt MS (0: off)]
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kubeObject, reviewOf } from '../test/app/admission/admission-doubles.js';
import { cosignSign, startSigningWorld, type PushedImage, type SigningWorld } from '../test/support/admission-world.js';
import { selfSignedCert } from '../test/webhook/webhook-support.js';
import {
  canPin,
  cpuMsOf,
  ReviewClient,
  startAdmission,
  startDelayProxy,
  wrkPost,
  type AdmissionProcess,
  type DelayProxy,
} from './admission-webhook.js';
import { buildDct, run, type DctBuild } from './server/processes.js';

export interface Options {
  format: 'text' | 'json';
  rounds: number;
  /** untimed cold rounds first (the JIT, the connections) */
  warmup: number;
  durationS: number;
  connections: number;
  /** the webhooks' `--log-level` (info: one JSON line per review, as deployed) */
  logLevel: string;
  cpuProf?: string;
  /** the cold rounds again with the registry this many ms of round trip away (0: not run) */
  registryRttMs: number;
}

const USAGE =
  'usage: npm run bench:admission -- [--format text|json] [--rounds N (15)] [--warmup N (60)] [--duration S (10)] [--connections N (8)] [--log-level L (info)] [--cpu-prof DIR] [--registry-rtt MS]';

export function parseArgs(argv: readonly string[]): Options {
  const opts: Options = { format: 'text', rounds: 15, warmup: 60, durationS: 10, connections: 8, logLevel: 'info', registryRttMs: 0 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v <= 0) throw new Error(`${arg} needs a positive integer\n${USAGE}`);
      return v;
    };
    if (arg === '--format') {
      const f = argv[++i];
      if (f !== 'text' && f !== 'json') throw new Error(`--format is text or json\n${USAGE}`);
      opts.format = f;
    } else if (arg === '--json') opts.format = 'json';
    else if (arg === '--rounds') opts.rounds = num();
    else if (arg === '--warmup') opts.warmup = num();
    else if (arg === '--duration') opts.durationS = num();
    else if (arg === '--connections') opts.connections = num();
    else if (arg === '--registry-rtt') opts.registryRttMs = num();
    else if (arg === '--log-level') opts.logLevel = argv[++i] ?? 'info';
    else if (arg === '--cpu-prof') {
      const d = argv[++i];
      if (!d) throw new Error(`--cpu-prof needs a folder\n${USAGE}`);
      opts.cpuProf = d;
    } else throw new Error(`unknown option ${arg}\n${USAGE}`);
  }
  return opts;
}

const log = (message: string): void => void process.stderr.write(`[bench:admission] ${message}\n`);

const median = (values: readonly number[]): number => {
  const s = [...values].sort((x, y) => x - y);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

/** The AdmissionReview of the kubectl Pod `pod-eight.json` (8 containers) with these images, or of a one-container Pod. */
export function reviewBody(images: readonly string[]): string {
  const pod = kubeObject('pod-eight.json');
  const spec = pod['spec'] as { containers: Array<Record<string, unknown>> };
  spec.containers = images.map((image, i) => ({ ...(spec.containers[i % spec.containers.length] as object), image }));
  return JSON.stringify(reviewOf(pod, { uid: '9b3c2f4e-0000-4000-8000-00000000bench' }));
}

interface Answer {
  response: { allowed: boolean; patch?: string; status?: { message?: string } };
}

function admitted(body: string, what: string, patched: number): void {
  const a = JSON.parse(body) as Answer;
  if (!a.response.allowed) throw new Error(`${what} was refused: ${a.response.status?.message ?? body}`);
  const ops = a.response.patch ? (JSON.parse(Buffer.from(a.response.patch, 'base64').toString()) as unknown[]) : [];
  if (ops.length !== patched) throw new Error(`${what}: ${ops.length} images pinned, expected ${patched}`);
}

export interface ColdResult {
  rounds: number;
  /** median ms per image (single-image Pod) */
  singleMs: Record<string, number>;
  slowestSingleMs: number;
  podMs: number;
  /** median over rounds of pod / slowest single of the round */
  ratio: number;
}

async function measureCold(
  client: ReviewClient,
  images: PushedImage[],
  rounds: number,
  warmup: number,
  warmedUp: () => void = () => undefined,
): Promise<ColdResult> {
  const pod = reviewBody(images.map((i) => i.image));
  const singles = images.map((i) => reviewBody([i.image]));
  // warm-up: the JIT and the connection (every review decides again: the cache is off)
  for (let w = 0; w < warmup; w++) {
    admitted((await client.send('/mutate', pod)).body, 'the 8-container Pod', images.length);
    for (const [i, body] of singles.entries()) admitted((await client.send('/mutate', body)).body, images[i]?.image ?? '', 1);
  }
  warmedUp();
  const times: number[][] = images.map(() => []);
  const podTimes: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const round: number[] = [];
    const order = r % 2 === 0 ? images.map((_, i) => i) : images.map((_, i) => images.length - 1 - i);
    const timeSingles = async () => {
      for (const i of order) {
        const reply = await client.send('/mutate', singles[i] as string);
        admitted(reply.body, images[i]?.image ?? '', 1);
        round[i] = reply.ms;
        (times[i] as number[]).push(reply.ms);
      }
    };
    let podMs = 0;
    const timePod = async () => {
      const reply = await client.send('/mutate', pod);
      admitted(reply.body, 'the 8-container Pod', images.length);
      podMs = reply.ms;
      podTimes.push(reply.ms);
    };
    if (r % 2 === 0) {
      await timeSingles();
      await timePod();
    } else {
      await timePod();
      await timeSingles();
    }
    ratios.push(podMs / Math.max(...round));
  }
  const singleMs = Object.fromEntries(images.map((img, i) => [img.name.split('/').pop() as string, median(times[i] as number[])]));
  return { rounds, singleMs, slowestSingleMs: Math.max(...Object.values(singleMs)), podMs: median(podTimes), ratio: median(ratios) };
}

/** The established TCP connections process `pid` holds to local port `port` (ss), or NaN when ss cannot tell. */
async function openConnections(pid: number, port: string): Promise<number> {
  try {
    const { stdout } = await run('ss', ['-tnpH', 'state', 'established', 'dport', `= :${port}`]);
    return stdout.split('\n').filter((l) => l.includes(`pid=${pid},`)).length;
  } catch {
    return NaN;
  }
}

const metric = (text: string, pattern: RegExp): number => Number(pattern.exec(text)?.[1] ?? 0);
const HITS = /^dct_admission_cache_total\{outcome="hit"\} (\d+)/m;

async function prepare(world: SigningWorld, dir: string, far?: DelayProxy): Promise<{ images: PushedImage[]; policy: string }> {
  const images: PushedImage[] = [];
  for (const name of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']) {
    const image = await world.push(world.server.host, `bench/${name}`, '1');
    await cosignSign(world, image);
    images.push(image);
  }
  writeFileSync(join(dir, 'release.pub'), readFileSync(join(world.home, 'release.pub')));
  // the webhook process trusts the registry's CA as docker does: $DOCKER_CONFIG/tls/<host>/ca.crt
  const caDir = join(world.env['DOCKER_CONFIG'] as string, 'tls', world.server.host);
  mkdirSync(caDir, { recursive: true });
  writeFileSync(join(caDir, 'ca.crt'), world.server.ca ?? '');
  const policy = join(dir, 'policy.yaml');
  writeFileSync(
    policy,
    [
      'version: 1',
      'defaults: {mode: enforce}',
      'rules:',
      '  - name: bench',
      `    match: ${world.server.host}/bench/*`,
      '    require:',
      '      cosign: {key: release.pub, tlog: false}',
      // the same images, reached through the round-trip proxy
      ...(far
        ? ['  - name: bench-far', `    match: ${far.host}/bench/*`, '    require:', '      cosign: {key: release.pub, tlog: false}']
        : []),
      '',
    ].join('\n'),
  );
  return { images, policy };
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'dct-bench-admission-'));
  let world: SigningWorld | undefined;
  let build: DctBuild | undefined;
  let far: DelayProxy | undefined;
  const running: AdmissionProcess[] = [];
  try {
    log('building dct, starting dct server, signing 8 images …');
    [build, world] = await Promise.all([buildDct(), startSigningWorld()]);
    if (opts.registryRttMs > 0) far = await startDelayProxy(world.server.host, opts.registryRttMs / 2);
    const { images, policy } = await prepare(world, dir, far);
    const tls = selfSignedCert(dir, 'webhook');
    const pin = canPin() && cpus().length >= 2;
    const start = async (cacheTtl: string, name: string) => {
      const p = await startAdmission({
        bin: build?.bin as string,
        policy,
        tlsCert: tls.certFile,
        tlsKey: tls.keyFile,
        env: { ...(world as SigningWorld).env, NODE_ENV: 'production' },
        cacheTtl,
        logLevel: opts.logLevel,
        ...(pin ? { core: 0 } : {}),
        logFile: join(dir, `${name}.log`),
        ...(opts.cpuProf ? { cpuProfDir: join(opts.cpuProf, name) } : {}),
      });
      running.push(p);
      const client = new ReviewClient(p.url, tls.cert);
      for (let i = 0; ; i++) {
        if ((await client.send('/readyz', '', 'GET')).status === 200) break;
        if (i === 100)
          throw new Error(`dct admission is not ready after 10 s: ${readFileSync(join(dir, `${name}.log`), 'utf8').slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      return { p, client };
    };

    log(`cold: --cache-ttl 0, ${opts.warmup} warm-up rounds, ${opts.rounds} rounds …`);
    const cold = await start('0', 'cold');
    const coldCpu0 = cpuMsOf(cold.p.pid);
    let coldCpuWarm = coldCpu0;
    const coldResult = await measureCold(cold.client, images, opts.rounds, opts.warmup, () => {
      coldCpuWarm = cpuMsOf(cold.p.pid);
    }).catch((err: Error) => {
      throw new Error(`${err.message}\nthe webhook's log ends with:\n${readFileSync(join(dir, 'cold.log'), 'utf8').slice(-3000)}`);
    });
    // every round decides 16 times (8 single-image Pods, one Pod of 8), the warm-up rounds too
    const coldCpuPerDecisionMs = (cpuMsOf(cold.p.pid) - coldCpuWarm) / (opts.rounds * 2 * images.length);
    const warmupCpuPerDecisionMs = (coldCpuWarm - coldCpu0) / (opts.warmup * 2 * images.length);
    const registryPort = world.server.host.split(':')[1] as string;
    const leftOpen = await openConnections(cold.p.pid, registryPort);
    cold.client.close();
    await cold.p.stop();

    let farResult: ColdResult | undefined;
    if (far) {
      log(`cold, the registry ${opts.registryRttMs} ms of round trip away: ${opts.rounds} rounds …`);
      const farCold = await start('0', 'cold-far');
      const [near, via] = [world.server.host, far.host];
      const farImages = images.map((i) => ({ ...i, image: i.image.replace(near, via), name: i.name.replace(near, via) }));
      farResult = await measureCold(farCold.client, farImages, opts.rounds, opts.warmup);
      farCold.client.close();
      await farCold.p.stop();
    }

    log(`warm: cache on, wrk -t1 -c${opts.connections} -d${opts.durationS}s …`);
    const warm = await start('5m', 'warm');
    const pod = reviewBody(images.map((i) => i.image));
    admitted((await warm.client.send('/mutate', pod)).body, 'the 8-container Pod', images.length);
    await wrkPost({
      url: `${warm.p.url}/mutate`,
      body: pod,
      dir,
      threads: 1,
      connections: opts.connections,
      durationS: 2,
      ...(pin ? { core: 1 } : {}),
    });
    const hitsBefore = metric((await warm.client.send('/metrics', '', 'GET')).body, HITS);
    const warmCpu0 = cpuMsOf(warm.p.pid);
    const wrk = await wrkPost({
      url: `${warm.p.url}/mutate`,
      body: pod,
      dir,
      threads: 1,
      connections: opts.connections,
      durationS: opts.durationS,
      ...(pin ? { core: 1 } : {}),
    });
    const warmCpuPerReviewMs = (cpuMsOf(warm.p.pid) - warmCpu0) / wrk.requests;
    const hits = metric((await warm.client.send('/metrics', '', 'GET')).body, HITS) - hitsBefore;
    warm.client.close();
    await warm.p.stop();

    const goals = {
      coldRatio: { value: coldResult.ratio, goal: 1.5, met: coldResult.ratio <= 1.5 },
      ...(farResult ? { coldRatioOverNetwork: { value: farResult.ratio, goal: 1.5, met: farResult.ratio <= 1.5 } } : {}),
      warmP99Ms: { value: wrk.p99Ms, goal: 5, met: wrk.p99Ms < 5 },
      warmReviewsPerSecond: { value: wrk.requestsPerSecond, goal: 2000, met: wrk.requestsPerSecond >= 2000 },
    };
    const conditions = {
      date: new Date().toISOString(),
      cores: cpus().length,
      pinned: pin,
      loadAverage: (await import('node:os')).loadavg().map((l) => Number(l.toFixed(2))),
      node: process.version,
    };
    const { stdout: _out, ...wrkSummary } = wrk;
    if (opts.format === 'json') {
      process.stdout.write(
        JSON.stringify(
          {
            options: opts,
            conditions,
            cold: {
              ...coldResult,
              cpuPerDecisionMs: coldCpuPerDecisionMs,
              warmupCpuPerDecisionMs,
              registryConnectionsLeftOpen: leftOpen,
            },
            ...(farResult ? { coldOverNetwork: { registryRttMs: opts.registryRttMs, ...farResult } } : {}),
            warm: { ...wrkSummary, cacheHits: hits, cpuPerReviewMs: warmCpuPerReviewMs },
            goals,
          },
          null,
          2,
        ) + '\n',
      );
      return;
    }
    const yes = (m: boolean) => (m ? 'met' : 'NOT MET');
    const lines = [
      `bench:admission  ${conditions.cores} cores, webhook ${pin ? 'pinned to core 0, wrk to core 1' : 'not pinned (no taskset or one core)'}, node ${conditions.node}, --log-level ${opts.logLevel}, load average ${conditions.loadAverage.join(' ')}`,
      '',
      `cold (cache off), ${coldResult.rounds} rounds after ${opts.warmup} warm-up rounds, medians per single-image Pod: ` +
        Object.entries(coldResult.singleMs)
          .map(([n, ms]) => `${n} ${ms.toFixed(1)}`)
          .join(', ') +
        ' ms',
      `webhook CPU time (user + system), load-independent: ${coldCpuPerDecisionMs.toFixed(1)} ms per cold image decision ` +
        `(${warmupCpuPerDecisionMs.toFixed(1)} ms in the warm-up rounds, V8 still compiling) ` +
        `(8 decisions on one core ≥ ${(8 * coldCpuPerDecisionMs).toFixed(0)} ms); ${warmCpuPerReviewMs.toFixed(3)} ms per warm review ` +
        `(at most ${(1000 / warmCpuPerReviewMs).toFixed(0)} reviews/s per core)`,
      `connections to the registry the cold webhook still held after ${coldResult.rounds + opts.warmup} rounds: ${leftOpen}`,
      '',
      '| measure | value | goal | |',
      '|---|---|---|---|',
      `| slowest single-image review, cold | ${coldResult.slowestSingleMs.toFixed(1)} ms | | |`,
      `| 8-container Pod (8 images), cold | ${coldResult.podMs.toFixed(1)} ms | | |`,
      `| Pod / slowest single (median of rounds; of the medians: ${(coldResult.podMs / coldResult.slowestSingleMs).toFixed(2)}×) | ${coldResult.ratio.toFixed(2)}× | ≤ 1.50× | ${yes(goals.coldRatio.met)} |`,
      ...(farResult
        ? [
            `| slowest single-image review, cold, registry ${opts.registryRttMs} ms away | ${farResult.slowestSingleMs.toFixed(1)} ms | | |`,
            `| 8-container Pod, cold, registry ${opts.registryRttMs} ms away | ${farResult.podMs.toFixed(1)} ms | | |`,
            `| Pod / slowest single, registry ${opts.registryRttMs} ms away (of the medians: ${(farResult.podMs / farResult.slowestSingleMs).toFixed(2)}×) | ${farResult.ratio.toFixed(2)}× | ≤ 1.50× | ${yes(farResult.ratio <= 1.5)} |`,
          ]
        : []),
      `| warm p99 (wrk -c${opts.connections}, ${opts.durationS} s) | ${wrk.p99Ms.toFixed(2)} ms | < 5 ms | ${yes(goals.warmP99Ms.met)} |`,
      `| warm reviews/s, one core | ${wrk.requestsPerSecond.toFixed(0)} | ≥ 2,000 | ${yes(goals.warmReviewsPerSecond.met)} |`,
      `| warm p50 | ${wrk.p50Ms.toFixed(2)} ms | | |`,
      '',
      `warm: ${wrk.requests} reviews, ${wrk.non2xx} non-2xx, ${wrk.socketErrors} socket errors; cache hits ${hits} (${(hits / 8).toFixed(0)} Pods' worth)`,
      `RESULT admission.cold.pod-vs-slowest-single ratio=${coldResult.ratio.toFixed(3)}`,
      ...(farResult ? [`RESULT admission.cold.network.pod-vs-slowest-single ratio=${farResult.ratio.toFixed(3)}`] : []),
      `RESULT admission.warm.p99 ms=${wrk.p99Ms.toFixed(3)}`,
      `RESULT admission.warm.throughput rps=${wrk.requestsPerSecond.toFixed(0)}`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    for (const p of running) await p.stop();
    await far?.close();
    await world?.stop();
    build?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
