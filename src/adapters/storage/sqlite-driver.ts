/**
 * The SQLite connection the stores use, over whichever driver the running Node has:
 *
 *   node:sqlite     built into Node ≥ 22.13 (no native build); preferred where present
 *   better-sqlite3  the optional, natively built dependency; serves Node 20, and any
 *                   runtime it was compiled for
 *
 * Both are synchronous. This is the small common part the stores need: prepared
 * statements (BLOBs come back as Buffers from both), `exec`, and transactions.
 * A driver counts as available only once it opened a database: a better-sqlite3
 * compiled for another Node's ABI loads its JavaScript but fails there.
 */
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { DctError } from '../../core/errors.js';

export type SqliteDriverName = 'node:sqlite' | 'better-sqlite3';

/** In order of preference. */
export const SQLITE_DRIVERS: readonly SqliteDriverName[] = ['node:sqlite', 'better-sqlite3'];

export interface SqliteStatement<P extends unknown[] = unknown[], R = unknown> {
  get(...params: P): R | undefined;
  all(...params: P): R[];
  run(...params: P): { changes: number };
}

export interface SqliteDatabase {
  readonly driver: SqliteDriverName;
  readonly isOpen: boolean;
  prepare<P extends unknown[] = unknown[], R = unknown>(sql: string): SqliteStatement<P, R>;
  /** runs one or more statements, results ignored (DDL, PRAGMA settings) */
  exec(sql: string): void;
  /** `fn` in a transaction that takes the write lock up front (BEGIN IMMEDIATE) */
  immediate<T>(fn: () => T): T;
  /** `fn` in a deferred transaction (a consistent read of several tables) */
  deferred<T>(fn: () => T): T;
  close(): void;
}

export interface SqliteOpenOptions {
  /** a specific driver (tests); default: the first available of SQLITE_DRIVERS */
  driver?: SqliteDriverName;
  /** open an existing file read-only */
  readonly?: boolean;
}

/** The parts of node:sqlite used here (its types are not in @types/node 20). */
interface NodeSqliteStatement {
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): { changes: number | bigint };
}
interface NodeSqliteModule {
  DatabaseSync: new (
    path: string,
    options?: { readOnly?: boolean },
  ) => {
    exec(sql: string): void;
    prepare(sql: string): NodeSqliteStatement;
    close(): void;
  };
}

type Opener = (path: string, readonly: boolean) => SqliteDatabase;

const openers = new Map<SqliteDriverName, Opener | Error>();

/** The reason `driver` cannot be used on this runtime, or undefined when it can. */
export function sqliteDriverProblem(driver: SqliteDriverName): string | undefined {
  const opener = driverOpener(driver);
  return opener instanceof Error ? oneLine(opener) : undefined;
}

/** The drivers that work on this runtime, in order of preference. */
export function availableSqliteDrivers(): SqliteDriverName[] {
  return SQLITE_DRIVERS.filter((d) => sqliteDriverProblem(d) === undefined);
}

/** Opens `path` (or `:memory:`) with the chosen or preferred driver; STORAGE_UNAVAILABLE when there is none. */
export function openSqliteDatabase(path: string, options: SqliteOpenOptions = {}): SqliteDatabase {
  const candidates = options.driver !== undefined ? [options.driver] : SQLITE_DRIVERS;
  const problems: string[] = [];
  for (const driver of candidates) {
    const opener = driverOpener(driver);
    if (opener instanceof Error) problems.push(`${driver}: ${oneLine(opener)}`);
    else return opener(path, options.readonly ?? false);
  }
  throw new DctError(
    'STORAGE_UNAVAILABLE',
    `no SQLite driver works on Node ${process.versions.node} (${problems.join('; ')}); run dct on Node 24, or reinstall better-sqlite3 for this Node (npm rebuild better-sqlite3)`,
  );
}

/** Whether `err` is a UNIQUE or PRIMARY KEY violation, from either driver. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: unknown; errcode?: unknown } | null;
  // better-sqlite3 names the extended result code; node:sqlite gives its number
  return e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || e?.errcode === 2067 || e?.errcode === 1555;
}

/** better-sqlite3's ABI message spans several lines */
const oneLine = (err: Error) => err.message.replace(/\s+/g, ' ');

function driverOpener(driver: SqliteDriverName): Opener | Error {
  let opener = openers.get(driver);
  if (opener === undefined) {
    try {
      opener = driver === 'node:sqlite' ? nodeSqliteOpener() : betterSqliteOpener();
      opener(':memory:', false).close(); // loads a native addon, if any
    } catch (err) {
      opener = err instanceof Error ? err : new Error(String(err));
    }
    openers.set(driver, opener);
  }
  return opener;
}

function nodeSqliteOpener(): Opener {
  const sqlite = loadNodeSqlite();
  if (sqlite === undefined) throw new Error(`not built into Node ${process.versions.node} (unflagged from 22.13)`);
  return (path, readonly) => {
    const db = new sqlite.DatabaseSync(path, readonly ? { readOnly: true } : {});
    return connection('node:sqlite', {
      exec: (sql) => db.exec(sql),
      prepare: (sql) => {
        const statement = db.prepare(sql);
        return {
          get: (...params) => blobsAsBuffers(statement.get(...params)),
          all: (...params) => statement.all(...params).map(blobsAsBuffers),
          run: (...params) => ({ changes: Number(statement.run(...params).changes) }),
        };
      },
      close: () => db.close(),
    });
  };
}

/** node:sqlite (undefined on a Node without it, or with it behind a flag). */
function loadNodeSqlite(): NodeSqliteModule | undefined {
  return withoutSqliteExperimentalWarning(() => process.getBuiltinModule?.('node:sqlite') as NodeSqliteModule | undefined);
}

/**
 * Runs `load` without the one ExperimentalWarning Node 22 prints when node:sqlite
 * loads (Node 24 prints none); any other warning passes through.
 */
export function withoutSqliteExperimentalWarning<T>(load: () => T): T {
  // the very function is restored below, so it is kept unbound (and called with `process`)
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const emitWarning = process.emitWarning;
  process.emitWarning = function (this: unknown, warning: string | Error, ...rest: unknown[]) {
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: unknown } | undefined)?.type;
    const message = typeof warning === 'string' ? warning : warning.message;
    if (type === 'ExperimentalWarning' && message.startsWith('SQLite is an experimental feature')) return;
    return (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  };
  try {
    return load();
  } finally {
    process.emitWarning = emitWarning;
  }
}

function betterSqliteOpener(): Opener {
  const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
  return (path, readonly) => {
    const db = new Database(path, readonly ? { readonly: true, fileMustExist: true } : {});
    return connection('better-sqlite3', {
      exec: (sql) => db.exec(sql),
      prepare: (sql) => db.prepare(sql),
      close: () => db.close(),
    });
  };
}

function connection(
  driver: SqliteDriverName,
  raw: { exec(sql: string): void; prepare(sql: string): SqliteStatement; close(): void },
): SqliteDatabase {
  let open = true;
  const transaction = <T>(begin: string, fn: () => T): T => {
    raw.exec(begin);
    try {
      const result = fn();
      raw.exec('COMMIT');
      return result;
    } catch (err) {
      try {
        raw.exec('ROLLBACK');
      } catch {
        // SQLite may have rolled back already (e.g. after SQLITE_FULL)
      }
      throw err;
    }
  };
  return {
    driver,
    get isOpen() {
      return open;
    },
    prepare: <P extends unknown[], R>(sql: string) => raw.prepare(sql) as SqliteStatement<P, R>,
    exec: (sql) => raw.exec(sql),
    immediate: (fn) => transaction('BEGIN IMMEDIATE', fn),
    deferred: (fn) => transaction('BEGIN DEFERRED', fn),
    close: () => {
      if (!open) return;
      open = false;
      raw.close();
    },
  };
}

/** node:sqlite rows have no prototype and BLOBs as plain Uint8Arrays: plain objects and Buffers, as better-sqlite3's. */
function blobsAsBuffers<R>(row: R): R {
  if (row === undefined || row === null) return row;
  const plain: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    plain[key] = value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value;
  }
  return plain as R;
}
