/**
 * The embedded default store: TUF files, changefeed and server-held private
 * keys in one SQLite file, e.g. `./.dct/dct.db`, through node:sqlite or better-sqlite3
 * (see sqlite-driver.ts).
 *
 * Durability: WAL journal with `synchronous = FULL`, so a resolved write has
 * reached the disk. Every write runs in an IMMEDIATE transaction (the write
 * lock is taken up front, so the version check and the insert cannot interleave
 * with another writer). Work is synchronous inside and exposed as promises.
 *
 * One process per file: `watch()` only sees writes made through this instance
 * (listeners are called right after the commit). Several processes sharing one
 * SQLite file keep the data consistent but their read caches would go stale;
 * that set-up is not supported — use PostgreSQL for several replicas.
 */
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DctError } from '../../core/errors.js';
import type {
  ChangeRecord,
  FileUpdate,
  PrivateKeyStore,
  RegistryStore,
  RepositoryListing,
  StoredFile,
  StoredPrivateKey,
  TufStore,
} from '../../core/ports.js';
import { isUniqueViolation, openSqliteDatabase, type SqliteDatabase, type SqliteDriverName } from './sqlite-driver.js';
import { SqliteAuditStore } from './sqlite-audit-store.js';
import { SqliteRegistryStore } from './sqlite-registry-store.js';
import { assertChangefeedQuery, assertStorableVersion, SCHEMA_MIGRATIONS_TABLE, SQLITE_MIGRATIONS } from './migrations.js';

/** The path that opens a private, non-persistent in-memory database. */
export const SQLITE_IN_MEMORY = ':memory:';

export interface SqliteStoreOptions {
  /** how long a write waits for the file's lock before failing (default 5000 ms) */
  busyTimeoutMs?: number;
  /** a specific SQLite driver (tests); default: the runtime's preferred one */
  driver?: SqliteDriverName;
  /** audit records kept (default DEFAULT_AUDIT_RETENTION) */
  auditRetention?: number;
}

interface FileRow {
  gun: string;
  role: string;
  version: number;
  data: Buffer;
  sha256: string;
  created_at: string;
}
interface ChangeRow {
  id: number;
  created_at: string;
  gun: string;
  version: number;
  sha256: string;
  category: string;
}
interface KeyRow {
  key_id: string;
  gun: string;
  role: string;
  algorithm: string;
  public_key: string;
  encrypted_private_key: string;
  created_at: string;
  last_used: string | null;
}

const FILE_COLUMNS = 'gun, role, version, data, sha256, created_at';
const CHANGE_COLUMNS = 'id, created_at, gun, version, sha256, category';

function prepareStatements(db: SqliteDatabase) {
  return {
    current: db.prepare<[string, string], FileRow>(
      `SELECT ${FILE_COLUMNS} FROM tuf_files WHERE gun = ? AND role = ? ORDER BY version DESC LIMIT 1`,
    ),
    byVersion: db.prepare<[string, string, number], FileRow>(
      `SELECT ${FILE_COLUMNS} FROM tuf_files WHERE gun = ? AND role = ? AND version = ?`,
    ),
    byChecksum: db.prepare<[string, string, string], FileRow>(
      `SELECT ${FILE_COLUMNS} FROM tuf_files WHERE gun = ? AND role = ? AND sha256 = ? ORDER BY version DESC LIMIT 1`,
    ),
    maxVersion: db.prepare<[string, string], { v: number | null }>('SELECT MAX(version) AS v FROM tuf_files WHERE gun = ? AND role = ?'),
    insertFile: db.prepare<[string, string, number, Buffer, string, string]>(
      'INSERT INTO tuf_files (gun, role, version, data, sha256, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    deleteFiles: db.prepare<[string]>('DELETE FROM tuf_files WHERE gun = ?'),
    insertChange: db.prepare<[string, string, number, string, string]>(
      'INSERT INTO changefeed (created_at, gun, version, sha256, category) VALUES (?, ?, ?, ?, ?)',
    ),
    changesAfter: db.prepare<[number, number], ChangeRow>(`SELECT ${CHANGE_COLUMNS} FROM changefeed WHERE id > ? ORDER BY id ASC LIMIT ?`),
    changesAfterForGun: db.prepare<[string, number, number], ChangeRow>(
      `SELECT ${CHANGE_COLUMNS} FROM changefeed WHERE gun = ? AND id > ? ORDER BY id ASC LIMIT ?`,
    ),
    changesBefore: db.prepare<[number, number], ChangeRow>(
      `SELECT ${CHANGE_COLUMNS} FROM changefeed WHERE id < ? ORDER BY id DESC LIMIT ?`,
    ),
    changesBeforeForGun: db.prepare<[string, number, number], ChangeRow>(
      `SELECT ${CHANGE_COLUMNS} FROM changefeed WHERE gun = ? AND id < ? ORDER BY id DESC LIMIT ?`,
    ),
    // (the unique (gun, role, version) index serves the grouping; TEXT compares as bytes)
    repositories: db.prepare<[string, number], { gun: string; updated: string }>(
      'SELECT gun, MAX(created_at) AS updated FROM tuf_files WHERE gun > ? GROUP BY gun ORDER BY gun LIMIT ?',
    ),
    insertKey: db.prepare<[string, string, string, string, string, string, string, string | null]>(
      `INSERT INTO private_keys (key_id, gun, role, algorithm, public_key, encrypted_private_key, created_at, last_used)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key_id) DO NOTHING`,
    ),
    key: db.prepare<[string], KeyRow>('SELECT * FROM private_keys WHERE key_id = ?'),
    unusedKey: db.prepare<[string, string, string], KeyRow>(
      `SELECT * FROM private_keys WHERE gun = ? AND role = ? AND algorithm = ? AND last_used IS NULL
       ORDER BY created_at ASC, key_id ASC LIMIT 1`,
    ),
    markUsed: db.prepare<[string, string]>('UPDATE private_keys SET last_used = ? WHERE key_id = ?'),
    deleteKey: db.prepare<[string]>('DELETE FROM private_keys WHERE key_id = ?'),
  };
}

export class SqliteStore implements TufStore, PrivateKeyStore {
  /** Opens (creating it, its parent folders 0700 and the file 0600 if needed) and migrates `path`. */
  static async open(path: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
    let db: SqliteDatabase | undefined;
    try {
      if (path !== SQLITE_IN_MEMORY) {
        const file = resolve(path);
        mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
        closeSync(openSync(file, 'a', 0o600)); // the keys table is sensitive: no group/world access
      }
      db = openSqliteDatabase(path, options.driver !== undefined ? { driver: options.driver } : {});
      db.exec(`PRAGMA busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
      db.exec('PRAGMA journal_mode = WAL');
      db.exec('PRAGMA synchronous = FULL');
      db.exec('PRAGMA foreign_keys = ON');
      const applied = migrate(db);
      return new SqliteStore(db, applied, options.auditRetention);
    } catch (err) {
      db?.close();
      throw new DctError('STORAGE_UNAVAILABLE', `cannot open SQLite database ${path}: ${(err as Error).message}`, { cause: err });
    }
  }

  private readonly statements: ReturnType<typeof prepareStatements>;
  private readonly listeners = new Set<(gun: string) => void>();
  /** the embedded registry's metadata, in the same file */
  readonly registry: RegistryStore;
  /** the audit feed, in the same file */
  readonly audit: SqliteAuditStore;

  private constructor(
    private readonly db: SqliteDatabase,
    /** versions of the migrations this open applied (empty when the schema was current) */
    readonly appliedMigrations: readonly number[],
    auditRetention?: number,
  ) {
    this.statements = prepareStatements(db);
    this.registry = new SqliteRegistryStore(db);
    this.audit = new SqliteAuditStore(db, auditRetention);
  }

  async getCurrent(gun: string, role: string): Promise<StoredFile | undefined> {
    return toStoredFile(this.statements.current.get(gun, role));
  }

  async getByVersion(gun: string, role: string, version: number): Promise<StoredFile | undefined> {
    return toStoredFile(this.statements.byVersion.get(gun, role, version));
  }

  async getByChecksum(gun: string, role: string, sha256: string): Promise<StoredFile | undefined> {
    return toStoredFile(this.statements.byChecksum.get(gun, role, sha256.toLowerCase()));
  }

  async updateMany(gun: string, files: readonly FileUpdate[]): Promise<void> {
    for (const file of files) assertStorableVersion(file.role, file.version);
    const s = this.statements;
    this.db.immediate(() => {
      const now = new Date().toISOString();
      for (const { role, version, data } of files) {
        const current = s.maxVersion.get(gun, role)?.v ?? null;
        if (current !== null && current >= version) throw versionConflict(gun, role, version, current);
        const sha256 = sha256Hex(data);
        try {
          s.insertFile.run(gun, role, version, data, sha256, now);
        } catch (err) {
          if (isUniqueViolation(err)) throw versionConflict(gun, role, version, version);
          throw err;
        }
        if (role === 'timestamp') s.insertChange.run(now, gun, version, sha256, 'update');
      }
    });
    if (files.length > 0) this.notify(gun);
  }

  async deleteRepository(gun: string): Promise<boolean> {
    const s = this.statements;
    const removed = this.db.immediate(() => {
      const removed = s.deleteFiles.run(gun).changes > 0;
      if (removed) s.insertChange.run(new Date().toISOString(), gun, 0, '', 'deletion');
      return removed;
    });
    if (removed) this.notify(gun);
    return removed;
  }

  async changes(opts: { gun?: string; changeId: number; records: number }): Promise<ChangeRecord[]> {
    const { gun, changeId, records } = opts;
    assertChangefeedQuery(changeId, records);
    const limit = Math.abs(records);
    if (limit === 0) return [];
    const s = this.statements;
    // as notary: a negative count or a negative id pages backwards; from the latest unless id > 0
    if (records < 0 || changeId < 0) {
      const before = changeId > 0 ? changeId : Number.MAX_SAFE_INTEGER;
      const rows = gun === undefined ? s.changesBefore.all(before, limit) : s.changesBeforeForGun.all(gun, before, limit);
      return rows.reverse().map(toChangeRecord);
    }
    const rows = gun === undefined ? s.changesAfter.all(changeId, limit) : s.changesAfterForGun.all(gun, changeId, limit);
    return rows.map(toChangeRecord);
  }

  async listRepositories(opts: { after?: string; limit: number }): Promise<RepositoryListing[]> {
    const limit = Math.max(0, Math.trunc(opts.limit));
    if (limit === 0) return [];
    return this.statements.repositories.all(opts.after ?? '', limit).map((r) => ({ gun: r.gun, updatedAt: new Date(r.updated) }));
  }

  async watch(listener: (gun: string) => void): Promise<() => Promise<void>> {
    // a wrapper, so the same function may be subscribed twice and unsubscribed once
    const entry = (gun: string) => listener(gun);
    this.listeners.add(entry);
    return async () => {
      this.listeners.delete(entry);
    };
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.audit.close();
    this.db.close();
  }

  async putKey(key: StoredPrivateKey): Promise<void> {
    const inserted = this.statements.insertKey.run(
      key.keyId,
      key.gun,
      key.role,
      key.algorithm,
      key.publicKey,
      key.encryptedPrivateKey,
      key.createdAt.toISOString(),
      key.lastUsed?.toISOString() ?? null,
    );
    if (inserted.changes === 0) throw new DctError('PRIVATE_KEY_EXISTS', `a private key with ID ${key.keyId} is already stored`);
  }

  async getKey(keyId: string): Promise<StoredPrivateKey | undefined> {
    return toStoredKey(this.statements.key.get(keyId));
  }

  async findUnusedKey(gun: string, role: string, algorithm: string): Promise<StoredPrivateKey | undefined> {
    return toStoredKey(this.statements.unusedKey.get(gun, role, algorithm));
  }

  async markUsed(keyId: string, when: Date): Promise<void> {
    this.statements.markUsed.run(when.toISOString(), keyId);
  }

  async deleteKey(keyId: string): Promise<void> {
    this.statements.deleteKey.run(keyId);
  }

  private notify(gun: string): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(gun);
      } catch (err) {
        // a failing listener must not turn a committed write into an error
        process.emitWarning(`dct: a storage watch listener failed: ${(err as Error).message}`);
      }
    }
  }
}

/** Applies the missing migrations, each in its own transaction; returns their versions. */
function migrate(db: SqliteDatabase): number[] {
  db.exec(SCHEMA_MIGRATIONS_TABLE);
  const done = new Set(
    db
      .prepare<[], { version: number }>('SELECT version FROM schema_migrations')
      .all()
      .map((r) => r.version),
  );
  const record = db.prepare<[number, string, string]>('INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)');
  const applied: number[] = [];
  for (const migration of SQLITE_MIGRATIONS) {
    if (done.has(migration.version)) continue;
    db.immediate(() => {
      db.exec(migration.sql);
      record.run(migration.version, migration.description, new Date().toISOString());
    });
    applied.push(migration.version);
  }
  return applied;
}

function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function versionConflict(gun: string, role: string, version: number, current: number): DctError {
  return new DctError('VERSION_CONFLICT', `${gun}: ${role} version ${version} is not newer than the stored version ${current}`);
}

function toStoredFile(row: FileRow | undefined): StoredFile | undefined {
  if (row === undefined) return undefined;
  return { gun: row.gun, role: row.role, version: row.version, data: row.data, sha256: row.sha256, createdAt: new Date(row.created_at) };
}

function toChangeRecord(row: ChangeRow): ChangeRecord {
  return {
    id: row.id,
    createdAt: new Date(row.created_at),
    gun: row.gun,
    version: row.version,
    sha256: row.sha256,
    category: row.category === 'deletion' ? 'deletion' : 'update',
  };
}

function toStoredKey(row: KeyRow | undefined): StoredPrivateKey | undefined {
  if (row === undefined) return undefined;
  return {
    keyId: row.key_id,
    gun: row.gun,
    role: row.role,
    algorithm: row.algorithm,
    publicKey: row.public_key,
    encryptedPrivateKey: row.encrypted_private_key,
    createdAt: new Date(row.created_at),
    lastUsed: row.last_used === null ? null : new Date(row.last_used),
  };
}
