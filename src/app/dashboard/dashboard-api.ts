/**
 * The dashboard's JSON API (issue 15): the shapes `dct server` answers under `/ui/api/` and the
 * web UI (`ui/`) reads. Read-only: every route is a GET (the decision stream too). The UI uses
 * exactly these routes; README "Dashboard" documents them.
 *
 *   GET /ui/api/session                         → DashboardSession
 *   GET /ui/api/repositories?q=&sort=&order=&cursor=&limit=
 *                                               → RepositoryPage (server-side paging, 10,000+ repositories)
 *   GET /ui/api/repositories/<gun>              → RepositoryDetail (404 DASHBOARD_NOT_FOUND)
 *   GET /ui/api/expiry?within=<days>&cursor=&limit=
 *                                               → ExpiryPage (everything that expires, soonest first)
 *   GET /ui/api/decisions?change_id=&records=&verdict=&point=&image=
 *                                               → DecisionPage (the audit feed, newest first)
 *   GET /ui/api/decisions  (Accept: text/event-stream)
 *                                               → the audit feed's live follow (Server-Sent Events,
 *                                                 `Last-Event-ID` resumes), as /_dct/audit/changefeed
 *
 * Times are RFC 3339 strings (UTC). A refused query is 400 `{"errors":[{"code":"DASHBOARD_BAD_QUERY",…}]}`
 * in notary's error shape. With token auth every route needs a bearer token (the UI gets one from
 * `/auth/token` with the user's credentials), and only repositories the user may pull are listed,
 * counted, shown or found in the expiry timeline; decisions need the audit feed's access.
 */
import type { AuditRecord } from '../../core/policy/audit-record.js';
import type { SignatureFormat } from '../../core/signatures/signature-report.js';

export type { SignatureFormat };

/** Health of a repository's trust data, worst first. */
export type MetadataHealth = 'invalid' | 'expired' | 'expiring' | 'ok';

export interface DashboardSession {
  /** the authenticated user; absent without auth or for anonymous pull */
  user?: string;
  auth: 'none' | 'token';
  /** the realm the UI asks for a token at (token auth only) */
  realm?: string;
  service?: string;
  /** days ahead that count as "expiring" (server setting `dashboardWarnDays`, default 14) */
  warnDays: number;
  /** server time, so the UI shows relative times right whatever the browser's clock */
  now: string;
  /** whether the embedded registry is on (cosign/Notation formats can only be seen then) */
  registry: boolean;
}

export type RepositorySort = 'name' | 'updated' | 'expires' | 'tags';

export interface RepositorySummary {
  gun: string;
  /** signed tags (released: `targets/releases`, else `targets`, as docker counts them) */
  tags: number;
  /** signer names (delegation names without `targets/`; "Repo Admin" for tags only in `targets`) */
  signers: string[];
  /** formats seen for the repository's tags (DCT always when it has trust data) */
  formats: SignatureFormat[];
  /** last change of its trust data */
  updated: string;
  /** the earliest expiry among its current roles and root certificates, but what the server renews itself */
  expires?: string;
  health: MetadataHealth;
  /** why health is not ok, in words */
  healthReason?: string;
}

export interface RepositoryPage {
  /** repositories matching the query (that the user may pull) */
  total: number;
  items: RepositorySummary[];
  /** pass as `cursor` for the next page; absent on the last */
  next?: string;
  /** present while the server builds its index on the dashboard's first use: `total` and `items` cover the repositories read so far */
  indexing?: IndexingProgress;
}

/** The index is being built (first use of the dashboard on a big server): this many repositories read so far. */
export interface IndexingProgress {
  repositories: number;
}

export interface TagSigner {
  /** "Repo Admin" or the delegation name without `targets/` */
  name: string;
  /** the role that signed it (`targets`, `targets/releases`, `targets/alice`, …) */
  role: string;
  /** the key ids of that role */
  keyIds: string[];
}

/**
 * A released tag: as docker reads a repository, the tags of `targets/releases`, else of `targets`
 * (a tag signed only into another delegation is not released and is not listed).
 */
export interface TagRow {
  tag: string;
  digest: string;
  size: number;
  signers: TagSigner[];
  /** formats that signed this digest (DCT always; cosign/Notation when found in the embedded registry) */
  formats: SignatureFormat[];
}

export interface RoleKey {
  id: string;
  /** ecdsa, ecdsa-x509, rsa-x509, ed25519, … */
  type: string;
  /** for x509 keys: the certificate's notAfter */
  certificateExpires?: string;
}

export interface RoleNode {
  /** root, targets, snapshot, timestamp, targets/releases, … */
  role: string;
  version: number;
  expires: string;
  threshold: number;
  keys: RoleKey[];
  /** delegations: the paths they may sign */
  paths?: string[];
  /** delegations of this role */
  children?: RoleNode[];
}

export interface HistoryEntry {
  /** the changefeed id */
  id: string;
  at: string;
  /** 'update' | 'deletion' as in notary's changefeed */
  category: string;
  /** the timestamp version it produced (0 for a deletion) */
  version: number;
  /** roles whose version changed in that update, when known */
  roles?: string[];
  /** a key rotation happened in this update (the root or a role's keys changed) */
  rotation?: { roles: string[] };
}

export interface RepositoryDetail {
  summary: RepositorySummary;
  tags: TagRow[];
  /** root, targets (with its delegation tree), snapshot, timestamp */
  roles: RoleNode[];
  /** newest first */
  history: HistoryEntry[];
}

export type ExpiryKind =
  'timestamp' | 'snapshot' | 'targets' | 'delegation' | 'root' | 'root-certificate' | 'notation-certificate' | 'cosign-certificate';

export interface ExpiryItem {
  gun: string;
  kind: ExpiryKind;
  /** the role or certificate it is about (`targets/releases`, a key id, a certificate subject) */
  name: string;
  expires: string;
  /**
   * expiring: inside the warning window (`warnDays`). A timestamp or snapshot whose key the server
   * holds is renewed by the server before it lapses: it is always ok, and marked `renewedByServer`.
   */
  status: 'expired' | 'expiring' | 'ok';
  renewedByServer?: boolean;
}

export interface ExpiryPage {
  total: number;
  items: ExpiryItem[];
  next?: string;
  /** counts per status over everything (not only this page) */
  counts: { expired: number; expiring: number; ok: number };
  /** present while the server builds its index (see RepositoryPage.indexing) */
  indexing?: IndexingProgress;
}

export interface DecisionPage {
  count: number;
  records: AuditRecord[];
}
