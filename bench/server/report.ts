/**
 * The report of the server benchmark: each measurement against its goal,
 * printed as JSON (`--json`) or as the text tables and `RESULT` lines.
 */
import { cpus } from 'node:os';
import type { Options } from './options.js';
import type { PublishResult, PublishTarget } from './publish-latency.js';
import type { RssResult } from './rss.js';
import { MB } from './stats.js';
import type { Target, ThroughputRow } from './throughput.js';

export const GOALS = {
  timestampVsNotary: 4,
  targetsVsNotary: 2,
  vsNginx: 0.6,
  publishVsNotary: 0.5,
  rssMB: 200,
};

/** dct/node-floor at or above this: what is left of the gap is node's own stack */
const NEAR_FLOOR = 0.9;

function verdict(ok: boolean): string {
  return ok ? 'meets goal' : 'BELOW GOAL';
}

/** What one run of the benchmark measured. */
export interface ServerBenchOutcome {
  opts: Options;
  elapsedS: number;
  /** notary-server's trust service (remote or local signer) */
  trustService: string;
  targets: Target[];
  rows: ThroughputRow[];
  publish: PublishResult | undefined;
  dctAfterLoad: { rssMiB: number };
  rss: RssResult | undefined;
}

/** The results against the goals, as JSON (`--json`) or text, on stdout. */
export function report(outcome: ServerBenchOutcome): void {
  const { opts, elapsedS, targets, rows, publish, dctAfterLoad, rss } = outcome;
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
          notaryTrustService: outcome.trustService,
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
      `notary-server: Debian notary 0.7, memory storage, trust service ${outcome.trustService}; dct: SQLite; nginx: ${opts.nginxWorkers} worker, static copies of dct's files`,
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
}
