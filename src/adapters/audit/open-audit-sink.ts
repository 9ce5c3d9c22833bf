/**
 * The audit feed an enforcement point writes to, from `--audit TARGET` (or `DCT_AUDIT`):
 * a file path (JSON lines, `JsonLinesAuditSink`), or a dct server's URL (`https://host:port`:
 * records are posted to its audit API, `HttpAuditSink`, with docker's TLS settings and
 * credentials for that host). Absent: no feed.
 */
import { NO_AUDIT, type AuditSink } from '../../core/policy/audit-record.js';
import { HttpAuditSink, type HttpAuditSinkOptions } from './http-audit-sink.js';
import { JsonLinesAuditSink } from './json-lines-audit-sink.js';

export interface AuditSinkOptions extends Omit<HttpAuditSinkOptions, 'onError'> {
  /** how a lost write is reported (stderr for the CLI, the log for servers) */
  onError?: (message: string) => void;
}

export function openAuditSink(target: string | undefined, opts: AuditSinkOptions = {}): AuditSink {
  if (target === undefined || target === '') return NO_AUDIT;
  if (/^https?:\/\//i.test(target)) return new HttpAuditSink(target, opts);
  return new JsonLinesAuditSink(target, opts.onError);
}
