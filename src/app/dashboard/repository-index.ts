/**
 * The dashboard's index of every repository of the trust server: one summary line each
 * (repository-summary.ts), searched, sorted and paged on the server so 10,000+ repositories
 * cost a request a pass over small objects, never a read of their metadata.
 *
 * Built lazily: nothing is read, kept or watched until the dashboard is first used (a server
 * whose dashboard is never opened pays nothing). The first use walks the store
 * (`listRepositories`) and reads each repository once; from then on the store's change
 * notifications (`watch`, every replica's) mark repositories to read again, in the background.
 * Health is judged at query time (time moves on: an `ok` repository becomes `expiring`).
 */
import type { TufStore } from '../../core/ports.js';
import type { RepositoryPage, RepositorySort, RepositorySummary } from './dashboard-api.js';
import { decodeCursor, encodeCursor } from './page-cursor.js';
import { summarize, type IndexedRepository } from './repository-summary.js';
import { healthOf, readRepositoryTrust, type ServerHoldsKey } from './repository-trust.js';
import type { SignatureFormats } from './signature-formats.js';

export interface RepositoryIndexOptions {
  store: TufStore;
  /** the embedded registry's formats (cosign, Notation), when it is on */
  formats?: SignatureFormats;
  /** days ahead that count as expiring */
  warnDays: number;
  /** which keys the server holds (the timestamps and snapshots it renews itself) */
  serverHolds?: ServerHoldsKey;
  now?: () => Date;
  /** repositories listed per store page while building (default 1000) */
  pageSize?: number;
}

export interface RepositoryQuery {
  /** substring of the GUN (case-insensitive) */
  q?: string;
  sort: RepositorySort;
  order: 'asc' | 'desc';
  cursor?: string;
  limit: number;
  /** the repositories the user may see (all when absent) */
  visible?: (gun: string) => boolean;
}

/** how long a page waits for the first build before answering from what was read so far */
export const FIRST_BUILD_WAIT_MS = 500;

type Compare = (a: IndexedRepository, b: IndexedRepository) => number;
const byGun: Compare = (a, b) => (a.summary.gun < b.summary.gun ? -1 : a.summary.gun > b.summary.gun ? 1 : 0);
const COMPARE: Record<RepositorySort, Compare> = {
  name: byGun,
  updated: (a, b) => a.updated - b.updated || byGun(a, b),
  // no expiry (invalid data) sorts last
  expires: (a, b) => (a.expires === b.expires ? 0 : a.expires < b.expires ? -1 : 1) || byGun(a, b),
  tags: (a, b) => a.summary.tags - b.summary.tags || byGun(a, b),
};

export class RepositoryIndex {
  private readonly entries = new Map<string, IndexedRepository>();
  private readonly sorted = new Map<RepositorySort, IndexedRepository[]>();
  private building: Promise<void> | undefined;
  private readonly dirty = new Set<string>();
  private refreshing: Promise<void> | undefined;
  private unwatch: (() => Promise<void>) | undefined;
  private closed = false;
  private ready = false;
  private readonly now: () => Date;
  /** times the index changed (consumers cache on it) */
  generation = 0;

  constructor(private readonly opts: RepositoryIndexOptions) {
    this.now = opts.now ?? (() => new Date());
  }

  get warnDays(): number {
    return this.opts.warnDays;
  }

  /** Whether the index was built (metrics read it only then). */
  get built(): boolean {
    return this.ready;
  }

  /** Builds the index on first use, then waits for pending re-reads. */
  async current(): Promise<void> {
    await this.startBuild();
    while (this.refreshing) await this.refreshing;
  }

  /**
   * Like `current()`, but waits for a first build at most `maxWaitMs`: a big server's first
   * page is answered from the repositories read so far (see `progress`) while the build goes on.
   */
  async settle(maxWaitMs: number): Promise<void> {
    const building = this.startBuild();
    if (!this.ready) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([building, new Promise((r) => (timer = setTimeout(r, maxWaitMs)))]);
      clearTimeout(timer);
      if (!this.ready) return;
    }
    await this.current();
  }

  /** While the first build runs: how many repositories were read so far (undefined once built). */
  get progress(): number | undefined {
    return this.ready ? undefined : this.entries.size;
  }

  /** The first build, started once; a failed one (the store unreachable) is forgotten, so the next use starts again. */
  private startBuild(): Promise<void> {
    if (!this.building) {
      const building = this.build();
      this.building = building;
      building.catch(async () => {
        if (this.building !== building) return;
        this.building = undefined;
        this.entries.clear();
        this.touch();
        const unwatch = this.unwatch;
        this.unwatch = undefined;
        await unwatch?.().catch(() => undefined);
      });
    }
    return this.building;
  }

  private async build(): Promise<void> {
    // changes during the walk are read again after it
    this.unwatch = await this.opts.store.watch((gun) => this.changed(gun));
    const size = this.opts.pageSize ?? 1000;
    let after: string | undefined;
    for (;;) {
      const page = await this.opts.store.listRepositories({ ...(after !== undefined ? { after } : {}), limit: size });
      let since = performance.now();
      for (const { gun } of page) {
        await this.read(gun);
        // reading is CPU work (verification): requests get their turn every few milliseconds
        if (performance.now() - since > 20) {
          this.touch();
          await new Promise((r) => setImmediate(r));
          since = performance.now();
        }
      }
      this.touch();
      if (page.length < size) break;
      after = page[page.length - 1]?.gun;
    }
    this.ready = true;
    this.touch();
    if (this.dirty.size > 0) this.refresh();
  }

  /** A change the store's `watch` does not report (another worker process on the same SQLite file). */
  changed(gun: string): void {
    // nothing is kept for an index never used (its first build reads everything anyway)
    if (this.closed || this.building === undefined) return;
    this.dirty.add(gun);
    if (this.ready) this.refresh();
  }

  private refresh(): void {
    if (this.refreshing) return;
    this.refreshing = (async () => {
      try {
        while (this.dirty.size > 0 && !this.closed) {
          const gun = this.dirty.values().next().value as string;
          this.dirty.delete(gun);
          try {
            await this.read(gun);
          } catch {
            // the store failed: the entry stays as it was until the repository changes again
            continue;
          }
          this.touch();
        }
      } finally {
        this.refreshing = undefined;
      }
    })();
  }

  private async read(gun: string): Promise<void> {
    const trust = await readRepositoryTrust(this.opts.store, gun, this.now(), this.opts.warnDays, this.opts.serverHolds);
    if (!trust) this.entries.delete(gun);
    else this.entries.set(gun, await summarize(trust, this.opts.formats));
  }

  private touch(): void {
    this.sorted.clear();
    this.generation++;
  }

  /** Every indexed repository (call `current()` first). */
  all(): IterableIterator<IndexedRepository> {
    return this.entries.values();
  }

  get size(): number {
    return this.entries.size;
  }

  entry(gun: string): IndexedRepository | undefined {
    return this.entries.get(gun);
  }

  private sortedBy(sort: RepositorySort): IndexedRepository[] {
    let list = this.sorted.get(sort);
    if (!list) {
      list = [...this.entries.values()].sort(COMPARE[sort]);
      this.sorted.set(sort, list);
    }
    return list;
  }

  /** A page of the repositories matching the query. */
  async page(query: RepositoryQuery): Promise<RepositoryPage> {
    await this.settle(FIRST_BUILD_WAIT_MS);
    const indexing = this.progress;
    const { sort, order, limit } = query;
    const q = (query.q ?? '').toLowerCase();
    const after = query.cursor === undefined ? undefined : this.cursorEntry(query.cursor, sort, order, q);
    const list = this.sortedBy(sort);
    const compare = COMPARE[sort];
    const now = this.now();
    const items: RepositorySummary[] = [];
    let total = 0;
    let more = false;
    const n = list.length;
    for (let i = 0; i < n; i++) {
      const e = list[order === 'asc' ? i : n - 1 - i] as IndexedRepository;
      if (q !== '' && !e.summary.gun.toLowerCase().includes(q)) continue;
      if (query.visible && !query.visible(e.summary.gun)) continue;
      total++;
      if (after && (order === 'asc' ? compare(e, after) <= 0 : compare(e, after) >= 0)) continue;
      if (items.length < limit) items.push(this.summaryAt(e, now));
      else more = true;
    }
    const last = items[items.length - 1];
    const lastEntry = last ? this.entries.get(last.gun) : undefined;
    const next =
      more && lastEntry
        ? encodeCursor({
            s: sort,
            o: order,
            q,
            g: lastEntry.summary.gun,
            u: lastEntry.updated,
            e: lastEntry.expires,
            t: lastEntry.summary.tags,
          })
        : undefined;
    return {
      total,
      items,
      ...(next !== undefined ? { next } : {}),
      ...(indexing !== undefined ? { indexing: { repositories: indexing } } : {}),
    };
  }

  /** The summary with its health as of `now` (invalid data stays invalid). */
  summaryAt(e: IndexedRepository, now: Date): RepositorySummary {
    if (e.summary.health === 'invalid') return e.summary;
    const { healthReason: _old, ...rest } = e.summary;
    return { ...rest, ...healthOf(e.expiries, now, this.opts.warnDays) };
  }

  /** The position a cursor points after, as a sortable stand-in entry. */
  private cursorEntry(cursor: string, sort: RepositorySort, order: string, q: string): IndexedRepository {
    return decodeCursor(cursor, (v) => {
      if (v['s'] !== sort || v['o'] !== order || v['q'] !== q || typeof v['g'] !== 'string') return undefined;
      const num = (x: unknown) => (typeof x === 'number' ? x : x === null ? Infinity : NaN);
      const updated = num(v['u']);
      const expires = num(v['e']);
      const tags = num(v['t']);
      if ([updated, tags].some((x) => !Number.isFinite(x)) || Number.isNaN(expires)) return undefined;
      const summary = { gun: v['g'], tags, signers: [], formats: [], updated: '', health: 'ok' } as RepositorySummary;
      return { summary, updated, expires, expiries: [] };
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const unwatch = this.unwatch;
    this.unwatch = undefined;
    await unwatch?.();
  }
}
