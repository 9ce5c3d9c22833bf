/** Prometheus gauges of the read cache (response-cache.ts), read when scraped. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ResponseCache } from './response-cache.js';

export function registerReadCacheMetrics(cache: ResponseCache, registry: Registry): void {
  new Gauge({
    name: 'dct_read_cache_bytes',
    help: 'bytes the read cache of prepared metadata responses is charged (bodies, strings, per-entry overhead)',
    registers: [registry],
    collect() {
      this.set(cache.stats().bytes);
    },
  });
  new Gauge({
    name: 'dct_read_cache_max_bytes',
    help: 'the read cache budget (--read-cache-max-bytes)',
    registers: [registry],
    collect() {
      this.set(cache.stats().maxBytes);
    },
  });
  new Gauge({
    name: 'dct_read_cache_entries',
    help: 'prepared metadata responses in the read cache',
    registers: [registry],
    collect() {
      this.set(cache.stats().entries);
    },
  });
  let reported = 0;
  new Counter({
    name: 'dct_read_cache_evictions_total',
    help: 'read cache entries dropped to stay within the budget',
    registers: [registry],
    collect() {
      const now = cache.stats().evictions;
      if (now > reported) this.inc(now - reported);
      reported = now;
    },
  });
}
