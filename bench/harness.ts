/**
 * Paired timing: two operations measured in alternating batches (A B B A …),
 * so that machine load, CPU frequency changes and GC pressure fall on both
 * alike; the result is the median per-operation time of each.
 */
import { performance } from 'node:perf_hooks';

export interface PairResult {
  /** median ns per operation */
  aNs: number;
  bNs: number;
  /** median over rounds of (a batch / b batch): robust to drift within the run */
  ratio: number;
  rounds: number;
  opsPerBatch: number;
}

export interface PairOptions {
  /** wall-clock budget for the measured rounds, ms */
  budgetMs: number;
  /** target duration of one batch of the slower op, ms */
  batchMs?: number;
  minRounds?: number;
  maxRounds?: number;
  warmupMs?: number;
}

function timeBatch(op: () => void, n: number): number {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) op();
  return (performance.now() - t0) / n;
}

function median(values: number[]): number {
  const s = [...values].sort((x, y) => x - y);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export function measurePair(a: () => void, b: () => void, opts: PairOptions): PairResult {
  const batchMs = opts.batchMs ?? 5;
  const minRounds = opts.minRounds ?? 15;
  const maxRounds = opts.maxRounds ?? 2000;
  const warmupMs = opts.warmupMs ?? Math.min(1000, opts.budgetMs / 4);

  // warm-up (JIT, inline caches, key objects) alternating both ops
  const warmEnd = performance.now() + warmupMs;
  let slowest = 0;
  let warmIters = 0;
  do {
    slowest = Math.max(timeBatch(a, 1), timeBatch(b, 1));
    warmIters++;
  } while (performance.now() < warmEnd || warmIters < 3);

  const opsPerBatch = Math.max(1, Math.round(batchMs / Math.max(slowest, 1e-3)));
  const as: number[] = [];
  const bs: number[] = [];
  const ratios: number[] = [];
  const end = performance.now() + opts.budgetMs;
  for (let round = 0; round < maxRounds && (round < minRounds || performance.now() < end); round++) {
    let ta: number;
    let tb: number;
    if (round % 2 === 0) {
      ta = timeBatch(a, opsPerBatch);
      tb = timeBatch(b, opsPerBatch);
    } else {
      tb = timeBatch(b, opsPerBatch);
      ta = timeBatch(a, opsPerBatch);
    }
    as.push(ta);
    bs.push(tb);
    ratios.push(ta / tb);
  }
  return { aNs: median(as) * 1e6, bNs: median(bs) * 1e6, ratio: median(ratios), rounds: as.length, opsPerBatch };
}
