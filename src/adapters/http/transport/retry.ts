/**
 * Retry (go-containerregistry `transport/retry.go`): a request that may be repeated
 * (`retry`, by default GET and HEAD) is sent again after a transient failure — a network
 * error that is not a certificate problem, a timeout, or one of the statuses in
 * `RETRY_STATUSES` — waiting `Retry-After` when the server says so, else an exponential
 * back-off with jitter. A `Retry-After` longer than `maxRetryAfterMs` is not waited for:
 * the response is handed up as it is.
 */
import { DctError } from '../../../core/errors.js';
import { isSafeMethod, type Wrapper } from './round-tripper.js';
import { discard, header } from './send.js';

/** Statuses worth another try: the server says it is busy or was briefly unable to answer. */
export const RETRY_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/** Certificate problems are not worth retrying. */
const TLS_FAILURES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL|HOSTNAME|ALTNAME|EPROTO/;

/** True when `err` (a transport DctError, see send.ts) failed on TLS: a certificate refused either way or a handshake error. */
export function isTlsFailure(err: unknown): boolean {
  const cause = (err as { cause?: { code?: unknown } } | undefined)?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : '';
  return TLS_FAILURES.test(code);
}

/** The one rule for failures worth another try: a timeout, or a network error other than TLS. */
export function isTransient(err: unknown): boolean {
  if (!(err instanceof DctError)) return false;
  if (err.code === 'TIMEOUT') return true;
  if (err.code !== 'NETWORK_ERROR') return false;
  return !isTlsFailure(err);
}

export function retryableStatus(status: number): boolean {
  return RETRY_STATUSES.has(status);
}

/** `Retry-After`: seconds or an HTTP date (relative to now). */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, t - now);
}

export interface BackoffOptions {
  /** first back-off (default 250 ms), doubled each retry */
  backoffMs?: number;
  /** longest back-off (default 10 s) */
  maxBackoffMs?: number;
  /** false waits the back-off exactly; default: a random time between half of it and all of it */
  jitter?: boolean;
  /** 0 ≤ x < 1, for the jitter (tests) */
  random?: () => number;
}

/** The wait before retry number `attempt + 1` (attempt 0 is the first retry). */
export function backoffDelay(attempt: number, opts: BackoffOptions = {}): number {
  const d = Math.min(opts.maxBackoffMs ?? 10_000, (opts.backoffMs ?? 250) * 2 ** attempt);
  if (opts.jitter === false) return d;
  return Math.round(d / 2 + (d / 2) * (opts.random ?? Math.random)());
}

export interface RetryOptions extends BackoffOptions {
  /** extra attempts after the first */
  retries: number;
  /** a `Retry-After` longer than this hands the response up instead of waiting (default 60 s) */
  maxRetryAfterMs?: number;
  /** waits between attempts (tests) */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export function retry(opts: RetryOptions): Wrapper {
  const sleep = opts.sleep ?? abortableSleep;
  return (inner) => async (req) => {
    const repeatable = req.retry ?? isSafeMethod(req.method);
    for (let attempt = 0; ; attempt++) {
      const more = repeatable && attempt < opts.retries && !req.signal?.aborted;
      let res;
      try {
        res = await inner(req);
      } catch (err) {
        if (!more || !isTransient(err)) throw err;
        await sleep(backoffDelay(attempt, opts), req.signal);
        continue;
      }
      if (!more || !retryableStatus(res.status)) return res;
      const after = retryAfterMs(header(res, 'retry-after'));
      if (after !== undefined && after > (opts.maxRetryAfterMs ?? 60_000)) return res;
      await discard(res);
      await sleep(after ?? backoffDelay(attempt, opts), req.signal);
    }
  };
}

/** Waits `ms`, or fails with ABORTED when `signal` fires first. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(new DctError('ABORTED', 'aborted'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new DctError('ABORTED', 'aborted'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
