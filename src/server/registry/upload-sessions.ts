/**
 * The registry's open upload sessions: how many a repository and a client
 * may hold at once, and their expiry when idle.
 *
 * Counts are this process's view: sessions it opened, plus those it finds on
 * disk (left by a restart or opened by another worker), which count against
 * their repository (their client is unknown). A session is idle when its file
 * has not been written for `expiryMs` and no request of this process is
 * working on it; a timer removes idle sessions with their bytes (a client
 * then gets BLOB_UPLOAD_UNKNOWN, as for a cancelled upload). `dct server gc`
 * stays the tool for a server that is not running.
 */
import type { Logger } from 'pino';
import type { FsBlobStore, UploadInfo } from '../../adapters/blob-store/fs-blob-store.js';
import { clientBucket } from '../rate-limiter.js';
import { RegistryApiError } from './registry-api-error.js';

export interface UploadLimits {
  maxPerRepository: number;
  maxPerClient: number;
  /** a session receiving nothing this long is removed */
  expiryMs: number;
}

interface Tracked {
  repository: string;
  client: string | undefined;
}

export class UploadSessions {
  private readonly tracked = new Map<string, Tracked>();
  /** sessions requests of this process are working on (whoever opened them), and how many requests */
  private readonly busy = new Map<string, number>();
  private readonly perRepository = new Map<string, number>();
  private readonly perClient = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;

  constructor(
    private readonly blobs: FsBlobStore,
    private readonly limits: UploadLimits,
    private readonly log: Logger,
  ) {}

  /** Counts the sessions already on disk and starts the expiry timer. */
  async start(): Promise<void> {
    await this.sweep();
    const every = Math.max(10, Math.min(60_000, Math.floor(this.limits.expiryMs / 2)));
    this.timer = setInterval(() => void this.sweep(), every);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.sweeping;
  }

  /**
   * Opens a session of `repository` for the client at `address` with `start`, unless either
   * holds its most sessions already (TOOMANYREQUESTS). The place is taken
   * before `start` runs, so concurrent requests cannot overshoot.
   */
  async open(repository: string, address: string | undefined, start: () => Promise<UploadInfo>): Promise<UploadInfo> {
    // counted per IPv4 address and IPv6 /64, as the rate limits count
    const client = address === undefined ? undefined : clientBucket(address);
    if ((this.perRepository.get(repository) ?? 0) >= this.limits.maxPerRepository) {
      throw new RegistryApiError(
        'TOOMANYREQUESTS',
        `repository ${repository} has ${this.limits.maxPerRepository} open upload sessions: finish or cancel some first`,
      );
    }
    if (client !== undefined && (this.perClient.get(client) ?? 0) >= this.limits.maxPerClient) {
      throw new RegistryApiError(
        'TOOMANYREQUESTS',
        `this client has ${this.limits.maxPerClient} open upload sessions: finish or cancel some first`,
      );
    }
    bump(this.perRepository, repository, 1);
    if (client !== undefined) bump(this.perClient, client, 1);
    let upload: UploadInfo;
    try {
      upload = await start();
    } catch (err) {
      bump(this.perRepository, repository, -1);
      if (client !== undefined) bump(this.perClient, client, -1);
      throw err;
    }
    const found = this.tracked.get(upload.id);
    if (found) {
      // a sweep listed it while it was being made, and counted it already
      bump(this.perRepository, repository, -1);
      found.client = client;
    } else this.tracked.set(upload.id, { repository, client });
    return upload;
  }

  /** The session is gone (finished, cancelled, expired, or found missing). */
  closed(id: string): void {
    const t = this.tracked.get(id);
    if (!t) return;
    this.tracked.delete(id);
    bump(this.perRepository, t.repository, -1);
    if (t.client !== undefined) bump(this.perClient, t.client, -1);
  }

  /** Runs a request's work on session `id`; the session does not expire meanwhile. */
  async during<T>(id: string, work: () => Promise<T>): Promise<T> {
    bump(this.busy, id, 1);
    try {
      return await work();
    } finally {
      bump(this.busy, id, -1);
    }
  }

  /** One pass: counts sessions found on disk, removes idle ones, forgets those gone. */
  sweep(): Promise<void> {
    this.sweeping ??= this.sweepOnce()
      .catch((err: unknown) => this.log.error({ err }, 'upload session expiry failed'))
      .finally(() => {
        this.sweeping = undefined;
      });
    return this.sweeping;
  }

  private async sweepOnce(): Promise<void> {
    const before = new Set(this.tracked.keys());
    const seen = new Set<string>();
    const cutoff = Date.now() - this.limits.expiryMs;
    for await (const upload of this.blobs.uploads()) {
      seen.add(upload.id);
      if (!this.tracked.has(upload.id)) {
        this.tracked.set(upload.id, { repository: upload.repository, client: undefined });
        bump(this.perRepository, upload.repository, 1);
      }
      if (this.busy.has(upload.id) || upload.modifiedAt.getTime() > cutoff) continue;
      this.closed(upload.id);
      await this.blobs.cancel(upload.id);
      this.log.info(
        { registry: 'upload', repository: upload.repository, id: upload.id, idleMs: Date.now() - upload.modifiedAt.getTime() },
        'idle upload session expired',
      );
    }
    for (const id of before) {
      if (!seen.has(id) && !this.busy.has(id)) this.closed(id);
    }
  }
}

function bump(counts: Map<string, number>, key: string, by: number): void {
  const n = (counts.get(key) ?? 0) + by;
  if (n > 0) counts.set(key, n);
  else counts.delete(key);
}
