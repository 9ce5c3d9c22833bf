/**
 * The audit feed in `/metrics`: records stored (posted by remote enforcement points and the
 * server's own pull gate), records lost (the server's own sink: store failures, a full queue)
 * and open live streams. Read from the counters when scraped.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { StoreAuditSink } from '../adapters/audit/store-audit-sink.js';
import type { AuditApi } from './audit-api.js';

export function registerAuditMetrics(metrics: Registry, sink: StoreAuditSink, api: AuditApi): void {
  let appended = 0;
  let lost = 0;
  new Counter({
    name: 'dct_audit_records_appended_total',
    help: 'audit records stored (posted, and of the server itself)',
    registers: [metrics],
    collect() {
      const now = api.appended + sink.appended;
      this.inc(now - appended);
      appended = now;
    },
  });
  new Counter({
    name: 'dct_audit_records_lost_total',
    help: 'audit records of the server itself that could not be stored',
    registers: [metrics],
    collect() {
      this.inc(sink.lost - lost);
      lost = sink.lost;
    },
  });
  new Gauge({
    name: 'dct_audit_streams',
    help: 'open live follows of the audit feed (text/event-stream)',
    registers: [metrics],
    collect() {
      this.set(api.streams.open);
    },
  });
}
