/**
 * The audit feed as a file: one JSON record a line, appended (`--audit FILE`). Writes are
 * queued and never block a decision; a write that fails is reported through `onError` once
 * per failure and the records of that write are counted as lost.
 */
import { appendFile } from 'node:fs/promises';
import type { AuditRecord, AuditSink } from '../../core/policy/audit-record.js';

export class JsonLinesAuditSink implements AuditSink {
  private queue: string[] = [];
  private writing: Promise<void> = Promise.resolve();
  /** records that could not be written */
  lost = 0;

  constructor(
    readonly path: string,
    private readonly onError: (message: string) => void = () => {},
  ) {}

  record(record: AuditRecord): void {
    this.queue.push(`${JSON.stringify(record)}\n`);
    if (this.queue.length === 1) this.writing = this.writing.then(() => this.drain());
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const lines = this.queue;
      this.queue = [];
      try {
        await appendFile(this.path, lines.join(''), { mode: 0o640 });
      } catch (err) {
        this.lost += lines.length;
        this.onError(`the audit feed ${this.path} cannot be written (${(err as Error).message}): ${lines.length} record(s) lost`);
      }
    }
  }

  flush(): Promise<void> {
    return this.writing.then(() => (this.queue.length > 0 ? this.drain() : undefined));
  }
}
