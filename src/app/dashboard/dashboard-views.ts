/**
 * What the dashboard's API answers, over the trust server's store: the repository index
 * (list, search, sort, paging), a repository's page, and the expiry timeline. The decisions
 * are the audit feed's (the server's AuditApi).
 */
import type { TufStore } from '../../core/ports.js';
import type { ExpiryPage, RepositoryDetail, RepositoryPage } from './dashboard-api.js';
import { ExpiryTimeline, type ExpiryQuery } from './expiry-timeline.js';
import { repositoryDetail } from './repository-detail.js';
import { RepositoryIndex, type RepositoryQuery } from './repository-index.js';
import type { ServerHoldsKey } from './repository-trust.js';
import type { SignatureFormats } from './signature-formats.js';

export interface DashboardViewsOptions {
  store: TufStore;
  warnDays: number;
  /** which keys the server holds: the timestamps and snapshots it renews are never "expiring" */
  serverHolds?: ServerHoldsKey;
  /** the embedded registry's signature formats; absent when the registry is off */
  formats?: SignatureFormats;
  now?: () => Date;
}

export class DashboardViews {
  readonly index: RepositoryIndex;
  readonly timeline: ExpiryTimeline;
  private readonly now: () => Date;

  constructor(private readonly opts: DashboardViewsOptions) {
    this.now = opts.now ?? (() => new Date());
    this.index = new RepositoryIndex({
      store: opts.store,
      warnDays: opts.warnDays,
      now: this.now,
      ...(opts.serverHolds ? { serverHolds: opts.serverHolds } : {}),
      ...(opts.formats ? { formats: opts.formats } : {}),
    });
    this.timeline = new ExpiryTimeline(this.index, this.now);
  }

  get store(): TufStore {
    return this.opts.store;
  }

  get warnDays(): number {
    return this.opts.warnDays;
  }

  /** whether cosign/Notation formats can be seen (the embedded registry is on) */
  get registry(): boolean {
    return this.opts.formats !== undefined;
  }

  repositories(query: RepositoryQuery): Promise<RepositoryPage> {
    return this.index.page(query);
  }

  detail(gun: string): Promise<RepositoryDetail | undefined> {
    return repositoryDetail(this.opts.store, gun, {
      now: this.now(),
      warnDays: this.opts.warnDays,
      ...(this.opts.serverHolds ? { serverHolds: this.opts.serverHolds } : {}),
      ...(this.opts.formats ? { formats: this.opts.formats } : {}),
    });
  }

  expiry(query: ExpiryQuery): Promise<ExpiryPage> {
    return this.timeline.page(query);
  }

  close(): Promise<void> {
    return this.index.close();
  }
}
