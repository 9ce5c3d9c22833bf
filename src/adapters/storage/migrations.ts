/**
 * Schema migrations of the trust server's database, per backend. Each store
 * keeps a `schema_migrations(version, description, applied_at)` table and, on
 * open, applies in order every migration whose version is not recorded there,
 * each in its own transaction together with its `schema_migrations` row.
 *
 * Table definitions differ per backend (SQLite STRICT types and AUTOINCREMENT
 * vs PostgreSQL BYTEA, BIGSERIAL and TIMESTAMPTZ); the indexes are portable SQL
 * shared by both. Released migrations are never edited: add a new version.
 *
 * The layout follows notary-server's `tuf_files` and `changefeed` (spec §6.3)
 * without the gorm soft-delete columns (notary hard-deletes anyway), plus the
 * key service's `private_keys`.
 */
import { DctError } from '../../core/errors.js';

export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

/** Indexes of migration 1, portable across both backends. */
const TUF_INDEXES = `
CREATE UNIQUE INDEX tuf_files_gun_role_version ON tuf_files (gun, role, version);
CREATE INDEX tuf_files_gun_role_sha256 ON tuf_files (gun, role, sha256);
CREATE INDEX changefeed_gun_id ON changefeed (gun, id);
`;

/** Index of migration 2 (finding a pending, never used key), portable. */
const PRIVATE_KEY_INDEXES = `
CREATE INDEX private_keys_gun_role_algorithm ON private_keys (gun, role, algorithm, last_used);
`;

/**
 * Indexes of migration 3 (the embedded registry), portable: which repositories
 * link a blob (garbage collection), referrers by subject, tags by digest, and
 * which manifests reference a digest.
 */
const REGISTRY_INDEXES = `
CREATE INDEX registry_blobs_digest ON registry_blobs (digest);
CREATE INDEX registry_manifests_subject ON registry_manifests (repository, subject);
CREATE INDEX registry_tags_digest ON registry_tags (repository, digest);
CREATE INDEX registry_references_digest ON registry_references (repository, digest);
`;

/**
 * Index of migration 4 (the audit feed), portable: pages filtered by image. Verdict and point
 * filters scan by id (few distinct values); the rest of a record is its JSON text.
 */
const AUDIT_INDEXES = `
CREATE INDEX audit_records_image ON audit_records (image, id);
`;

/** Times are ISO 8601 UTC strings with milliseconds (sortable as text). */
export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'tuf_files and changefeed',
    sql: `
CREATE TABLE tuf_files (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  gun TEXT NOT NULL,
  role TEXT NOT NULL,
  version INTEGER NOT NULL,
  data BLOB NOT NULL,
  sha256 TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT;
CREATE TABLE changefeed (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  created_at TEXT NOT NULL,
  gun TEXT NOT NULL,
  version INTEGER NOT NULL,
  sha256 TEXT NOT NULL DEFAULT '',
  category TEXT NOT NULL DEFAULT 'update' CHECK (category IN ('update', 'deletion'))
) STRICT;
${TUF_INDEXES}`,
  },
  {
    version: 2,
    description: 'private_keys',
    sql: `
CREATE TABLE private_keys (
  key_id TEXT PRIMARY KEY,
  gun TEXT NOT NULL,
  role TEXT NOT NULL,
  algorithm TEXT NOT NULL,
  public_key TEXT NOT NULL,
  encrypted_private_key TEXT NOT NULL,
  created_at TEXT NOT NULL,
  last_used TEXT
) STRICT;
${PRIVATE_KEY_INDEXES}`,
  },
  {
    version: 3,
    description: 'embedded registry: blob links, manifests, tags, references',
    sql: `
CREATE TABLE registry_blobs (
  repository TEXT NOT NULL,
  digest TEXT NOT NULL,
  size INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (repository, digest)
) STRICT;
CREATE TABLE registry_manifests (
  repository TEXT NOT NULL,
  digest TEXT NOT NULL,
  media_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  data BLOB NOT NULL,
  artifact_type TEXT,
  subject TEXT,
  created_at TEXT NOT NULL,
  PRIMARY KEY (repository, digest)
) STRICT;
CREATE TABLE registry_tags (
  repository TEXT NOT NULL,
  tag TEXT NOT NULL,
  digest TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (repository, tag)
) STRICT;
CREATE TABLE registry_references (
  repository TEXT NOT NULL,
  manifest TEXT NOT NULL,
  digest TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('blob', 'manifest')),
  PRIMARY KEY (repository, manifest, digest)
) STRICT;
${REGISTRY_INDEXES}`,
  },
  {
    version: 4,
    description: 'audit feed: audit_records',
    // AUTOINCREMENT: ids are never reused once retention removed the oldest records
    sql: `
CREATE TABLE audit_records (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  point TEXT NOT NULL,
  image TEXT NOT NULL,
  verdict TEXT NOT NULL,
  record TEXT NOT NULL
) STRICT;
${AUDIT_INDEXES}`,
  },
];

/**
 * `changefeed.sha256` is VARCHAR, not CHAR(64): deletions store '' and a CHAR
 * column would hand it back as 64 spaces.
 */
export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'tuf_files and changefeed',
    sql: `
CREATE TABLE tuf_files (
  id BIGSERIAL PRIMARY KEY,
  gun VARCHAR(255) NOT NULL,
  role VARCHAR(255) NOT NULL,
  version INTEGER NOT NULL,
  data BYTEA NOT NULL,
  sha256 CHAR(64) NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE changefeed (
  id BIGSERIAL PRIMARY KEY,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  gun VARCHAR(255) NOT NULL,
  version INTEGER NOT NULL,
  sha256 VARCHAR(64) NOT NULL DEFAULT '',
  category VARCHAR(20) NOT NULL DEFAULT 'update' CHECK (category IN ('update', 'deletion'))
);
${TUF_INDEXES}`,
  },
  {
    version: 2,
    description: 'private_keys',
    sql: `
CREATE TABLE private_keys (
  key_id VARCHAR(255) PRIMARY KEY,
  gun VARCHAR(255) NOT NULL,
  role VARCHAR(255) NOT NULL,
  algorithm VARCHAR(50) NOT NULL,
  public_key TEXT NOT NULL,
  encrypted_private_key TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_used TIMESTAMPTZ
);
${PRIVATE_KEY_INDEXES}`,
  },
  {
    version: 3,
    description: 'embedded registry: blob links, manifests, tags, references',
    // names and tags in byte order ("C"), as SQLite compares them: tag lists page the same on both
    sql: `
CREATE TABLE registry_blobs (
  repository VARCHAR(255) COLLATE "C" NOT NULL,
  digest VARCHAR(200) COLLATE "C" NOT NULL,
  size BIGINT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (repository, digest)
);
CREATE TABLE registry_manifests (
  repository VARCHAR(255) COLLATE "C" NOT NULL,
  digest VARCHAR(200) COLLATE "C" NOT NULL,
  media_type VARCHAR(255) NOT NULL,
  size BIGINT NOT NULL,
  data BYTEA NOT NULL,
  artifact_type VARCHAR(255),
  subject VARCHAR(200) COLLATE "C",
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (repository, digest)
);
CREATE TABLE registry_tags (
  repository VARCHAR(255) COLLATE "C" NOT NULL,
  tag VARCHAR(128) COLLATE "C" NOT NULL,
  digest VARCHAR(200) COLLATE "C" NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (repository, tag)
);
CREATE TABLE registry_references (
  repository VARCHAR(255) COLLATE "C" NOT NULL,
  manifest VARCHAR(200) COLLATE "C" NOT NULL,
  digest VARCHAR(200) COLLATE "C" NOT NULL,
  kind VARCHAR(10) NOT NULL CHECK (kind IN ('blob', 'manifest')),
  PRIMARY KEY (repository, manifest, digest)
);
${REGISTRY_INDEXES}`,
  },
  {
    version: 4,
    description: 'audit feed: audit_records',
    // the record as JSON text (not JSONB: its exact text is served, and NUL escapes stay escapes)
    sql: `
CREATE TABLE audit_records (
  id BIGSERIAL PRIMARY KEY,
  at VARCHAR(40) NOT NULL,
  point VARCHAR(20) NOT NULL,
  image VARCHAR(1024) COLLATE "C" NOT NULL,
  verdict VARCHAR(10) NOT NULL,
  record TEXT NOT NULL
);
${AUDIT_INDEXES}`,
  },
];

/** The `schema_migrations` table itself (portable). */
export const SCHEMA_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  description TEXT NOT NULL,
  applied_at TEXT NOT NULL
)`;

/** The largest version notary's `int` columns (and ours, INTEGER) hold. */
export const MAX_VERSION = 2_147_483_647;

/** Both stores refuse, before touching the database, versions the schema cannot hold. */
export function assertStorableVersion(role: string, version: number): void {
  if (!isStorableVersion(version)) {
    throw new DctError('INVALID_VERSION', `version ${version} of ${role} is not an integer in 0..${MAX_VERSION}`);
  }
}

/** Changefeed paging arguments must be safe integers (ids are BIGINT, counts bounded by the caller). */
export function assertChangefeedQuery(changeId: number, records: number): void {
  if (!Number.isSafeInteger(changeId) || !Number.isSafeInteger(records)) {
    throw new DctError('INVALID_PARAMETERS', `changefeed change ID ${changeId} and records ${records} must be integers`);
  }
}

/** Whether `version` can be stored at all (a lookup of any other version finds nothing). */
export function isStorableVersion(version: number): boolean {
  return Number.isSafeInteger(version) && version >= 0 && version <= MAX_VERSION;
}
