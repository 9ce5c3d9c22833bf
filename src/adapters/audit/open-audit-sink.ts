/**
 * The audit feed an enforcement point writes to, from `--audit TARGET` (or `DCT_AUDIT`):
 * a file path (JSON lines, `JsonLinesAuditSink`), or a dct server's URL (`https://host:port`:
 * records are posted to its audit API with the caller's credentials). Absent: no feed.
 */
import { DctError } from '../../core/errors.js';
import { NO_AUDIT, type AuditSink } from '../../core/policy/audit-record.js';
import { JsonLinesAuditSink } from './json-lines-audit-sink.js';

export interface AuditSinkOptions {
  /** how a lost write is reported (stderr for the CLI, the log for servers) */
  onError?: (message: string) => void;
}

export function openAuditSink(target: string | undefined, opts: AuditSinkOptions = {}): AuditSink {
  if (target === undefined || target === '') return NO_AUDIT;
  if (/^https?:\/\//i.test(target)) {
    throw new DctError('AUDIT_FEED_UNAVAILABLE', `posting the audit feed to a server (${target}) is not built yet: give a file`);
  }
  return new JsonLinesAuditSink(target, opts.onError);
}
