/**
 * The store for several server replicas: TUF files, changefeed and private
 * keys in PostgreSQL (`pg` pool).
 *
 * Consistency: writes to one GUN are serialised by a transaction-scoped
 * advisory lock on the GUN, so the "stored version < new version" check and the
 * insert cannot interleave with another replica; the unique (gun, role,
 * version) index backs it up (a violation is reported as VERSION_CONFLICT).
 * Changefeed rows are inserted under one more advisory lock held to commit, so
 * their ids become visible in id order and a reader paging forward never skips
 * a row that commits later with a smaller id.
 *
 * Replicas: every write NOTIFYs `dct_tuf_changes[_<schema>]` (payload: the
 * GUN) inside its transaction, so it is delivered on commit. `watch()` LISTENs
 * on a dedicated connection that reconnects with back-off; after a reconnect
 * it replays, from the changefeed, the GUNs changed while it was away. Listeners
 * may be called more than once per change (right after a local commit and again
 * when the notification arrives).
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
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
import { PostgresChannel } from './postgres-channel.js';
import { inTransaction, withClient } from './postgres-client.js';
import { PostgresAuditStore } from './postgres-audit-store.js';
import { PostgresRegistryStore } from './postgres-registry-store.js';
import {
  assertChangefeedQuery,
  assertStorableVersion,
  isStorableVersion,
  POSTGRES_MIGRATIONS,
  SCHEMA_MIGRATIONS_TABLE,
} from './migrations.js';

export interface PostgresStoreOptions {
  /** `postgres://user@host:port/database?…` as `pg` understands it */
  connectionString: string;
  /** keep the tables in this schema (created when missing) instead of the connection's default */
  schema?: string;
  /** pool size (default 10) */
  maxConnections?: number;
  /** how long to wait for a connection (default 10 s) */
  connectTimeoutMs?: number;
  /** audit records kept (default DEFAULT_AUDIT_RETENTION) */
  auditRetention?: number;
}

/** Schema names we accept: unquoted-identifier safe and short enough to suffix the channel name. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,46}$/;
const CHANNEL = 'dct_tuf_changes';
const AUDIT_CHANNEL = 'dct_audit';
/** first keys of our two-key advisory locks ("DCT" + a number) */
const LOCK = { migrations: 0x44435401, gun: 0x44435402, changefeed: 0x44435403 } as const;

interface ChangeRow {
  id: string;
  created_at: Date;
  gun: string;
  version: number;
  sha256: string;
  category: string;
}

/** columns aliased to the port's field names (BYTEA arrives as a Buffer, TIMESTAMPTZ as a Date) */
const FILE_COLUMNS = 'gun, role, version, data, sha256, created_at AS "createdAt"';
const KEY_COLUMNS = `key_id AS "keyId", gun, role, algorithm, public_key AS "publicKey",
  encrypted_private_key AS "encryptedPrivateKey", created_at AS "createdAt", last_used AS "lastUsed"`;

export class PostgresStore implements TufStore, PrivateKeyStore {
  /** Connects, creates the schema if asked to, and applies missing migrations (one replica at a time). */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const { schema } = options;
    if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
      throw new DctError(
        'INVALID_STORAGE_URL',
        `invalid PostgreSQL schema name "${schema}" (expected [a-z_][a-z0-9_]*, at most 47 characters)`,
      );
    }
    const config: pg.ClientConfig = {
      connectionString: options.connectionString,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
    };
    const pool = new pg.Pool({ ...config, max: options.maxConnections ?? 10 });
    pool.on('error', () => {
      // an idle connection died (server restart, network): the pool drops it and opens a new one when needed
    });
    try {
      const applied = await migrate(pool, schema);
      const audit = new PostgresAuditStore(
        pool,
        config,
        schema === undefined ? AUDIT_CHANNEL : `${AUDIT_CHANNEL}_${schema}`,
        options.auditRetention,
      );
      return new PostgresStore(pool, config, schema === undefined ? CHANNEL : `${CHANNEL}_${schema}`, applied, audit);
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw new DctError('STORAGE_UNAVAILABLE', `cannot open the PostgreSQL store: ${(err as Error).message}`, { cause: err });
    }
  }

  /** the GUNs changed, as this process and the replicas' NOTIFYs tell them */
  private readonly changed: PostgresChannel<string>;
  /** the highest changefeed id when LISTEN was last (re)established */
  private watermark: number | undefined;
  private closed = false;
  /** the embedded registry's metadata, in the same database */
  readonly registry: RegistryStore;

  private constructor(
    private readonly pool: pg.Pool,
    clientConfig: pg.ClientConfig,
    private readonly channel: string,
    /** versions of the migrations this open applied (empty when another replica had done it) */
    readonly appliedMigrations: readonly number[],
    /** the audit feed, in the same database */
    readonly audit: PostgresAuditStore,
  ) {
    this.registry = new PostgresRegistryStore(pool);
    this.changed = new PostgresChannel(clientConfig, channel, {
      what: 'storage',
      decode: (gun) => gun,
      caughtUp: (client) => this.missedGuns(client),
    });
  }

  async getCurrent(gun: string, role: string): Promise<StoredFile | undefined> {
    return this.oneFile(`WHERE gun = $1 AND role = $2 ORDER BY version DESC LIMIT 1`, [gun, role]);
  }

  async getByVersion(gun: string, role: string, version: number): Promise<StoredFile | undefined> {
    if (!isStorableVersion(version)) return undefined;
    return this.oneFile(`WHERE gun = $1 AND role = $2 AND version = $3`, [gun, role, version]);
  }

  async getByChecksum(gun: string, role: string, sha256: string): Promise<StoredFile | undefined> {
    return this.oneFile(`WHERE gun = $1 AND role = $2 AND sha256 = $3 ORDER BY version DESC LIMIT 1`, [gun, role, sha256.toLowerCase()]);
  }

  async updateMany(gun: string, files: readonly FileUpdate[]): Promise<void> {
    for (const file of files) assertStorableVersion(file.role, file.version);
    if (files.length === 0) return;
    try {
      await this.inTransaction(async (client) => {
        await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK.gun, gun]);
        const timestamps: Array<{ version: number; sha256: string }> = [];
        for (const { role, version, data } of files) {
          const { rows } = await client.query<{ v: number | null }>(
            'SELECT MAX(version) AS v FROM tuf_files WHERE gun = $1 AND role = $2',
            [gun, role],
          );
          const current = rows[0]?.v ?? null;
          if (current !== null && current >= version) throw versionConflict(gun, role, version, current);
          const sha256 = createHash('sha256').update(data).digest('hex');
          await client.query('INSERT INTO tuf_files (gun, role, version, data, sha256) VALUES ($1, $2, $3, $4, $5)', [
            gun,
            role,
            version,
            data,
            sha256,
          ]);
          if (role === 'timestamp') timestamps.push({ version, sha256 });
        }
        if (timestamps.length > 0) {
          await client.query('SELECT pg_advisory_xact_lock($1, 0)', [LOCK.changefeed]);
          for (const { version, sha256 } of timestamps) {
            await client.query("INSERT INTO changefeed (gun, version, sha256, category) VALUES ($1, $2, $3, 'update')", [
              gun,
              version,
              sha256,
            ]);
          }
        }
        await client.query('SELECT pg_notify($1, $2)', [this.channel, gun]);
      });
    } catch (err) {
      if (isUniqueViolation(err))
        throw new DctError('VERSION_CONFLICT', `${gun}: a concurrent update stored the same version first`, { cause: err });
      throw err;
    }
    this.changed.notify(gun);
  }

  async deleteRepository(gun: string): Promise<boolean> {
    const removed = await this.inTransaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK.gun, gun]);
      const { rowCount } = await client.query('DELETE FROM tuf_files WHERE gun = $1', [gun]);
      if (!rowCount) return false;
      await client.query('SELECT pg_advisory_xact_lock($1, 0)', [LOCK.changefeed]);
      await client.query("INSERT INTO changefeed (gun, version, sha256, category) VALUES ($1, 0, '', 'deletion')", [gun]);
      await client.query('SELECT pg_notify($1, $2)', [this.channel, gun]);
      return true;
    });
    if (removed) this.changed.notify(gun);
    return removed;
  }

  async changes(opts: { gun?: string; changeId: number; records: number }): Promise<ChangeRecord[]> {
    const { gun, changeId, records } = opts;
    assertChangefeedQuery(changeId, records);
    const limit = Math.abs(records);
    if (limit === 0) return [];
    const params: unknown[] = [];
    const where: string[] = [];
    const param = (value: unknown) => `$${params.push(value)}`;
    if (gun !== undefined) where.push(`gun = ${param(gun)}`);
    // as notary: a negative count or a negative id pages backwards; from the latest unless id > 0
    const backward = records < 0 || changeId < 0;
    if (!backward) where.push(`id > ${param(changeId)}`);
    else if (changeId > 0) where.push(`id < ${param(changeId)}`);
    const { rows } = await this.pool.query<ChangeRow>(
      `SELECT id, created_at, gun, version, sha256, category FROM changefeed
       ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY id ${backward ? 'DESC' : 'ASC'} LIMIT ${param(limit)}`,
      params,
    );
    if (backward) rows.reverse();
    return rows.map((row) => ({
      id: Number(row.id),
      createdAt: row.created_at,
      gun: row.gun,
      version: row.version,
      sha256: row.sha256,
      category: row.category === 'deletion' ? 'deletion' : 'update',
    }));
  }

  async listRepositories(opts: { after?: string; limit: number }): Promise<RepositoryListing[]> {
    const limit = Math.max(0, Math.trunc(opts.limit));
    if (limit === 0) return [];
    // byte order whatever the database's collation
    const { rows } = await this.pool.query<{ gun: string; updated: Date }>(
      `SELECT gun, MAX(created_at) AS updated FROM tuf_files WHERE gun COLLATE "C" > $1
       GROUP BY gun ORDER BY gun COLLATE "C" LIMIT $2`,
      [opts.after ?? '', limit],
    );
    return rows.map((r) => ({ gun: r.gun, updatedAt: r.updated }));
  }

  /** The LISTEN connection is opened by the first call and kept until close(). */
  watch(listener: (gun: string) => void): Promise<() => Promise<void>> {
    return this.changed.watch(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.changed.close();
    await this.audit.close();
    await this.pool.end();
  }

  async putKey(key: StoredPrivateKey): Promise<void> {
    const { rowCount } = await this.pool.query(
      `INSERT INTO private_keys (key_id, gun, role, algorithm, public_key, encrypted_private_key, created_at, last_used)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (key_id) DO NOTHING`,
      [key.keyId, key.gun, key.role, key.algorithm, key.publicKey, key.encryptedPrivateKey, key.createdAt, key.lastUsed],
    );
    if (!rowCount) throw new DctError('PRIVATE_KEY_EXISTS', `a private key with ID ${key.keyId} is already stored`);
  }

  async getKey(keyId: string): Promise<StoredPrivateKey | undefined> {
    const { rows } = await this.pool.query<StoredPrivateKey>(`SELECT ${KEY_COLUMNS} FROM private_keys WHERE key_id = $1`, [keyId]);
    return rows[0];
  }

  async findUnusedKey(gun: string, role: string, algorithm: string): Promise<StoredPrivateKey | undefined> {
    const { rows } = await this.pool.query<StoredPrivateKey>(
      `SELECT ${KEY_COLUMNS} FROM private_keys WHERE gun = $1 AND role = $2 AND algorithm = $3 AND last_used IS NULL
       ORDER BY created_at ASC, key_id ASC LIMIT 1`,
      [gun, role, algorithm],
    );
    return rows[0];
  }

  async markUsed(keyId: string, when: Date): Promise<void> {
    await this.pool.query('UPDATE private_keys SET last_used = $1 WHERE key_id = $2', [when, keyId]);
  }

  async deleteKey(keyId: string): Promise<void> {
    await this.pool.query('DELETE FROM private_keys WHERE key_id = $1', [keyId]);
  }

  private async oneFile(condition: string, params: unknown[]): Promise<StoredFile | undefined> {
    const { rows } = await this.pool.query<StoredFile>(`SELECT ${FILE_COLUMNS} FROM tuf_files ${condition}`, params);
    return rows[0];
  }

  private inTransaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, work);
  }

  /** The GUNs the changefeed recorded since the last LISTEN connection (notifications sent while away are lost). */
  private async missedGuns(client: pg.Client): Promise<string[]> {
    const { rows } = await client.query<{ id: string | null }>('SELECT MAX(id) AS id FROM changefeed');
    const latest = Number(rows[0]?.id ?? 0);
    let missed: string[] = [];
    if (this.watermark !== undefined && latest > this.watermark) {
      const found = await client.query<{ gun: string }>('SELECT DISTINCT gun FROM changefeed WHERE id > $1', [this.watermark]);
      missed = found.rows.map((r) => r.gun);
    }
    this.watermark = latest;
    return missed;
  }
}

/** Applies missing migrations under a session advisory lock, so replicas starting together take turns. */
async function migrate(pool: pg.Pool, schema: string | undefined): Promise<number[]> {
  // a connection whose lock could not be released is discarded, which releases the lock
  return withClient(pool, async (client, discard) => {
    await client.query('SELECT pg_advisory_lock($1, hashtext($2))', [LOCK.migrations, schema ?? '']);
    try {
      if (schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      await client.query(SCHEMA_MIGRATIONS_TABLE);
      const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
      const done = new Set(rows.map((r) => r.version));
      const applied: number[] = [];
      for (const migration of POSTGRES_MIGRATIONS) {
        if (done.has(migration.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(migration.sql);
          await client.query('INSERT INTO schema_migrations (version, description, applied_at) VALUES ($1, $2, $3)', [
            migration.version,
            migration.description,
            new Date().toISOString(),
          ]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
        applied.push(migration.version);
      }
      return applied;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [LOCK.migrations, schema ?? '']).catch(discard);
    }
  });
}

function versionConflict(gun: string, role: string, version: number, current: number): DctError {
  return new DctError('VERSION_CONFLICT', `${gun}: ${role} version ${version} is not newer than the stored version ${current}`);
}

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === '23505';
}
