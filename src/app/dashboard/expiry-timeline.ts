/**
 * The expiry timeline: every role of every repository and its root certificates, soonest
 * first, paged, with counts per status over everything that matches (not only the page).
 * Read from the repository index; the sorted list is kept until the index changes.
 */
import type { ExpiryItem, ExpiryKind, ExpiryPage } from './dashboard-api.js';
import { decodeCursor, encodeCursor } from './page-cursor.js';
import { FIRST_BUILD_WAIT_MS, type RepositoryIndex } from './repository-index.js';
import { expiryStatus } from './repository-trust.js';

export interface ExpiryQuery {
  /** only what expires within this many days (expired included); all when absent */
  within?: number;
  cursor?: string;
  limit: number;
  visible?: (gun: string) => boolean;
}

interface Row {
  gun: string;
  kind: ExpiryKind;
  name: string;
  expires: number;
  renewedByServer?: boolean;
}

const DAY_MS = 86_400_000;

function compare(a: Row, b: Row): number {
  return (
    a.expires - b.expires ||
    (a.gun < b.gun ? -1 : a.gun > b.gun ? 1 : 0) ||
    (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0) ||
    (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  );
}

export class ExpiryTimeline {
  private rows: Row[] | undefined;
  private generation = -1;

  constructor(
    private readonly index: RepositoryIndex,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Every row, soonest first (rebuilt when the index changed). */
  async all(): Promise<readonly Row[]> {
    await this.index.settle(FIRST_BUILD_WAIT_MS);
    if (!this.rows || this.generation !== this.index.generation) {
      const rows: Row[] = [];
      for (const e of this.index.all())
        for (const x of e.expiries)
          rows.push({
            gun: e.summary.gun,
            kind: x.kind,
            name: x.name,
            expires: x.expires,
            ...(x.renewedByServer ? { renewedByServer: true } : {}),
          });
      this.rows = rows.sort(compare);
      this.generation = this.index.generation;
    }
    return this.rows;
  }

  status(row: Pick<Row, 'expires' | 'renewedByServer'>, now: number): ExpiryItem['status'] {
    return expiryStatus(row, now, this.index.warnDays);
  }

  async page(query: ExpiryQuery): Promise<ExpiryPage> {
    const rows = await this.all();
    const indexing = this.index.progress;
    const now = this.now().getTime();
    const until = query.within === undefined ? Infinity : now + query.within * DAY_MS;
    const after = query.cursor === undefined ? undefined : cursorRow(query.cursor, query.within);
    const counts = { expired: 0, expiring: 0, ok: 0 };
    const items: ExpiryItem[] = [];
    let total = 0;
    let more = false;
    let last: Row | undefined;
    for (const row of rows) {
      if (row.expires > until) break;
      if (query.visible && !query.visible(row.gun)) continue;
      const status = this.status(row, now);
      counts[status]++;
      total++;
      if (after && compare(row, after) <= 0) continue;
      if (items.length < query.limit) {
        items.push({
          gun: row.gun,
          kind: row.kind,
          name: row.name,
          expires: new Date(row.expires).toISOString(),
          status,
          ...(row.renewedByServer ? { renewedByServer: true } : {}),
        });
        last = row;
      } else more = true;
    }
    const next =
      more && last ? encodeCursor({ w: query.within ?? null, g: last.gun, k: last.kind, n: last.name, e: last.expires }) : undefined;
    return {
      total,
      items,
      ...(next !== undefined ? { next } : {}),
      counts,
      ...(indexing !== undefined ? { indexing: { repositories: indexing } } : {}),
    };
  }
}

function cursorRow(cursor: string, within: number | undefined): Row {
  return decodeCursor(cursor, (v) => {
    if ((v['w'] ?? undefined) !== within) return undefined;
    const { g, k, n, e } = v;
    if (typeof g !== 'string' || typeof k !== 'string' || typeof n !== 'string' || typeof e !== 'number') return undefined;
    return { gun: g, kind: k as ExpiryKind, name: n, expires: e };
  });
}
