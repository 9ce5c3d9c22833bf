/**
 * When and how long the registry client waits before trying again: which statuses are
 * worth another attempt, `Retry-After`, and exponential back-off with jitter.
 */
import { DctError } from '../../core/errors.js';

export interface BackoffOptions {
  /** first back-off (default 250 ms), doubled each retry, with jitter */
  backoffMs?: number;
  /** longest back-off (default 10 s) */
  maxBackoffMs?: number;
  /** 0 ≤ x < 1, for back-off jitter (tests) */
  random?: () => number;
}

/** The wait before retry number `attempt + 1`: base·2^attempt (capped), half of it random. */
export function backoffMs(attempt: number, opts: BackoffOptions): number {
  const base = opts.backoffMs ?? 250;
  const max = opts.maxBackoffMs ?? 10_000;
  const d = Math.min(max, base * 2 ** attempt);
  return Math.round(d / 2 + (d / 2) * (opts.random ?? Math.random)());
}

export function retryableStatus(status: number): boolean {
  return status === 429 || status === 500 || status === 502 || status === 503 || status === 504 || status === 408;
}

/** `Retry-After`: seconds or an HTTP date (relative to now; the adapter may read the clock). */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, t - now);
}

/** Waits `ms`; an abort ends the wait with ABORTED. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new DctError('ABORTED', 'aborted'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new DctError('ABORTED', 'aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
