/**
 * GET throughput of the server benchmark: wrk against each server in rounds
 * with the order rotating, and the ratios of dct to the others from the same
 * round.
 */
import { log } from './processes.js';
import { runWrk, type WrkResult } from './wrk.js';
import type { Options } from './options.js';
import { median } from './stats.js';

/** `node`: a bare node:https server answering the same bytes (informational; --no-node-floor leaves it out) */
export type ServerName = 'dct' | 'notary' | 'nginx' | 'node';

export interface Target {
  name: ServerName;
  url: string;
}

export interface ThroughputRow {
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

export async function throughput(
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
