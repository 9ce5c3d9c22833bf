/**
 * The server's own audit sink (its pull gate's decisions): records go to the server's
 * AuditStore in batches, written in the background. `record` never blocks and never throws;
 * when the store fails, or more than `maxQueued` records wait, records are lost — counted and
 * reported through `onError` (the server's log), never fatal to the decision they describe.
 */
import { LossReporter } from './loss-reporter.js';
import type { AuditRecord, AuditSink, AuditStore } from '../../core/policy/audit-record.js';

export interface StoreAuditSinkOptions {
  /** the `source` every record gets (default `server`) */
  source?: string;
  /** records waiting beyond this are dropped, oldest first (default 10,000) */
  maxQueued?: number;
  /** records per append (default 500) */
  batchSize?: number;
  onError?: (message: string) => void;
}

export class StoreAuditSink implements AuditSink {
  private queue: AuditRecord[] = [];
  private draining: Promise<void> | undefined;
  /** records stored */
  appended = 0;
  private readonly losses: LossReporter;

  /** records dropped: store or server failures and refusals, queue overflow, left at a flush timeout */
  get lost(): number {
    return this.losses.lost;
  }
  private readonly source: string;
  private readonly maxQueued: number;
  private readonly batchSize: number;

  constructor(
    private readonly store: AuditStore,
    opts: StoreAuditSinkOptions = {},
  ) {
    this.source = opts.source ?? 'server';
    this.maxQueued = opts.maxQueued ?? 10_000;
    this.batchSize = opts.batchSize ?? 500;
    this.losses = new LossReporter(opts.onError ?? (() => {}));
  }

  record(record: AuditRecord): void {
    const { id: _id, ...rest } = record;
    this.queue.push({ ...rest, source: this.source });
    if (this.queue.length > this.maxQueued) {
      const dropped = this.queue.length - this.maxQueued;
      this.queue.splice(0, dropped);
      this.lose(dropped, 'the audit queue is full (the store is slow or down)');
    }
    // started on the next turn, so records of one burst go in one append
    this.draining ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.drain());
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.batchSize);
        try {
          await this.store.append(batch);
          this.appended += batch.length;
        } catch (err) {
          this.lose(batch.length, `the audit store failed (${(err as Error).message})`);
        }
      }
    } finally {
      this.draining = undefined;
    }
  }

  private lose(count: number, why: string): void {
    this.losses.lose(count, why);
  }

  async flush(): Promise<void> {
    while (this.draining) await this.draining;
    this.losses.report();
  }
}
