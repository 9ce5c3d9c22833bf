/**
 * The live follow of the audit feed: `GET /_dct/audit/changefeed` with
 * `Accept: text/event-stream` (Server-Sent Events). Each record is one event, `id:` its id and
 * `data:` its JSON; a stream starts after `Last-Event-ID` (a reconnecting EventSource) or else
 * after `change_id` (`-1`: only records appended from now on), and pages on from the last id it
 * sent whenever the store reports an append (from any replica, see AuditStore.watch) and at each
 * heartbeat (workers sharing one SQLite file do not hear each other), so nothing is skipped or
 * sent twice. Comment lines keep idle connections alive; a slow reader is waited
 * for (the socket's backpressure), not buffered for. Streams are bounded per process (503
 * beyond), end when the token they were opened with expires (the client reconnects with a new
 * one and its Last-Event-ID) and all end when the server closes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuditQuery, AuditStore } from '../core/policy/audit-record.js';

export interface AuditStreamOptions {
  /** open streams per process (default 64) */
  maxStreams?: number;
  /** a comment line after this long without an event (default 15 s) */
  heartbeatMs?: number;
  /** records read per page (default 500) */
  pageSize?: number;
}

export type AuditFollow = Omit<AuditQuery, 'records'>;

interface Stream {
  wake: () => void;
  end: () => void;
}

export class AuditStreams {
  private readonly streams = new Set<Stream>();
  private unwatch: Promise<() => Promise<void>> | undefined;
  private closed = false;
  readonly maxStreams: number;
  private readonly heartbeatMs: number;
  private readonly pageSize: number;

  constructor(
    private readonly store: AuditStore,
    opts: AuditStreamOptions = {},
  ) {
    this.maxStreams = opts.maxStreams ?? 64;
    this.heartbeatMs = opts.heartbeatMs ?? 15_000;
    this.pageSize = opts.pageSize ?? 500;
  }

  get open(): number {
    return this.streams.size;
  }

  /** Whether another stream may open now. */
  hasRoom(): boolean {
    return !this.closed && this.streams.size < this.maxStreams;
  }

  /**
   * Serves one stream on `res` (the caller checked `hasRoom()`). `follow.changeId` is where to
   * start unless the request has a Last-Event-ID; `until`: epoch ms at which the stream ends.
   */
  async serve(req: IncomingMessage, res: ServerResponse, follow: AuditFollow, until?: number): Promise<void> {
    await this.watching();
    let cursor = lastEventId(req.headers['last-event-id']) ?? follow.changeId;
    if (cursor < 0) cursor = (await this.store.page({ changeId: -1, records: 1 }))[0]?.id ?? 0;
    let wakeUp: (() => void) | undefined;
    let dirty = true;
    let ended = false;
    const stream: Stream = {
      wake: () => {
        dirty = true;
        wakeUp?.();
      },
      end: () => {
        ended = true;
        wakeUp?.();
      },
    };
    this.streams.add(stream);
    res.on('close', stream.end);
    const expiry = until === undefined ? undefined : setTimeout(stream.end, Math.max(0, until - Date.now()));
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    try {
      while (!ended) {
        if (dirty) {
          dirty = false;
          const page = await this.store.page({ ...follow, changeId: cursor, records: this.pageSize });
          for (const record of page) {
            if (ended) break;
            cursor = record.id as number;
            if (!res.write(`id: ${cursor}\ndata: ${JSON.stringify(record)}\n\n`)) await drained(res);
          }
          // a full page: there may be more right away
          if (page.length === this.pageSize) dirty = true;
          continue;
        }
        let timer: NodeJS.Timeout | undefined;
        const woken = await new Promise<boolean>((resolve) => {
          wakeUp = () => resolve(true);
          timer = setTimeout(() => resolve(false), this.heartbeatMs);
        });
        clearTimeout(timer);
        wakeUp = undefined;
        if (woken || ended) continue;
        // a heartbeat also looks for records nobody announced (workers of one SQLite file, a lost notification)
        dirty = true;
        if (!res.write(': keep-alive\n\n')) await drained(res);
      }
    } finally {
      clearTimeout(expiry);
      this.streams.delete(stream);
      res.off('close', stream.end);
      if (!res.writableEnded) res.end();
    }
  }

  private watching(): Promise<unknown> {
    this.unwatch ??= this.store.watch(() => {
      for (const stream of this.streams) stream.wake();
    });
    return this.unwatch;
  }

  /** Ends every stream and stops listening (server shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    for (const stream of this.streams) stream.end();
    const unwatch = this.unwatch;
    this.unwatch = undefined;
    if (unwatch) await (await unwatch.catch(() => async () => undefined))();
  }
}

/** A Last-Event-ID that is a record id, or undefined (a missing or foreign one is ignored). */
function lastEventId(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || !/^\d{1,15}$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
