/**
 * The expiry numbers of the dashboard as Prometheus gauges, for alerting. Computed from the
 * dashboard's repository index when scraped, and only when the index is built (the dashboard
 * was used) or cheap to build (at most CHEAP_INDEX repositories): a scrape never makes a big
 * server read all its repositories. Labels are bounded (kind × status), never per GUN.
 *
 *   dct_trust_expiry_items{kind,status}          roles and certificates per kind and status
 *   dct_trust_earliest_expiry_seconds{kind}       seconds to the earliest expiry of each kind (negative: expired)
 *   dct_trust_repositories{health}               repositories per health
 *   dct_dashboard_index_repositories              repositories in the index (0 until built)
 */
import { Gauge, type Registry } from 'prom-client';
import type { DashboardViews } from '../../app/dashboard/dashboard-views.js';

/** an index of at most this many repositories is built for a scrape */
export const CHEAP_INDEX = 1000;
const HEALTHS = ['invalid', 'expired', 'expiring', 'ok'] as const;

export function registerDashboardMetrics(metrics: Registry, views: DashboardViews, now: () => Date = () => new Date()): void {
  const index = views.index;
  let cheap: Promise<boolean> | undefined;
  let askedAt = 0;
  /** whether the gauges can be computed now (building a small index first) */
  const ready = async (): Promise<boolean> => {
    if (index.built) return true;
    // (asked once per scrape, whose gauges are collected together)
    if (!cheap || Date.now() - askedAt > 5000) {
      askedAt = Date.now();
      cheap = views.store.listRepositories({ limit: CHEAP_INDEX + 1 }).then((page) => page.length <= CHEAP_INDEX);
    }
    if (!(await cheap)) return false;
    await index.current();
    return true;
  };
  new Gauge({
    name: 'dct_trust_expiry_items',
    help: 'trust data that expires (roles of every repository, root certificates) by kind and status (expiring: within dashboardWarnDays)',
    labelNames: ['kind', 'status'],
    registers: [metrics],
    async collect() {
      this.reset();
      if (!(await ready())) return;
      const t = now().getTime();
      const counts = new Map<string, number>();
      for (const row of await views.timeline.all()) {
        const key = `${row.kind} ${views.timeline.status(row, t)}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      for (const [key, n] of counts) {
        const [kind, status] = key.split(' ') as [string, string];
        this.set({ kind, status }, n);
      }
    },
  });
  new Gauge({
    name: 'dct_trust_earliest_expiry_seconds',
    help: 'seconds until the earliest expiry of each kind of trust data (negative: already expired)',
    labelNames: ['kind'],
    registers: [metrics],
    async collect() {
      this.reset();
      if (!(await ready())) return;
      const t = now().getTime();
      const seen = new Set<string>();
      // the rows are sorted soonest first: the first of each kind is its earliest
      for (const row of await views.timeline.all()) {
        if (seen.has(row.kind)) continue;
        seen.add(row.kind);
        this.set({ kind: row.kind }, Math.round((row.expires - t) / 1000));
      }
    },
  });
  new Gauge({
    name: 'dct_trust_repositories',
    help: 'repositories by the health of their trust data (as the dashboard judges it)',
    labelNames: ['health'],
    registers: [metrics],
    async collect() {
      this.reset();
      if (!(await ready())) return;
      const counts = new Map<string, number>(HEALTHS.map((h) => [h, 0]));
      const at = now();
      for (const e of index.all()) {
        const health = index.summaryAt(e, at).health;
        counts.set(health, (counts.get(health) ?? 0) + 1);
      }
      for (const [health, n] of counts) this.set({ health }, n);
    },
  });
  new Gauge({
    name: 'dct_dashboard_index_repositories',
    help: 'repositories in the dashboard index (0 until the dashboard is first used, or a scrape of a small server built it)',
    registers: [metrics],
    async collect() {
      this.set((await ready()) ? index.size : 0);
    },
  });
}
