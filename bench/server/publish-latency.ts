/**
 * Publish latency of the server benchmark: sequential uploads of pre-signed
 * targets versions to each server after a warm-up, in rounds with the order
 * rotating, and the ratio of dct's median latency to notary's per round.
 */
import { performance } from 'node:perf_hooks';
import { NotaryClient } from '../../src/adapters/notary-http/notary-client.js';
import { log } from './processes.js';
import type { Options } from './options.js';
import { median } from './stats.js';

/** `dct-tmpfs`: a second dct server whose SQLite file is on tmpfs (fsync costs nothing), informational */
export type PublishTarget = 'dct' | 'notary' | 'dct-tmpfs';

export interface PublishResult {
  perRoundMedianMs: Partial<Record<PublishTarget, number[]>>;
  medianMs: Partial<Record<PublishTarget, number>>;
  p90Ms: Partial<Record<PublishTarget, number>>;
  /** median over rounds of dct/notary median latency of the same round */
  ratio: number;
  /** the same for dct-tmpfs/notary */
  tmpfsRatio?: number;
}

export async function publishLatency(
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
