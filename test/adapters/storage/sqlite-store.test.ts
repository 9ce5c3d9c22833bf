import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SQLITE_MIGRATIONS } from '../../../src/adapters/storage/migrations.js';
import { openStore, parseStorageUrl } from '../../../src/adapters/storage/open-store.js';
import {
  availableSqliteDrivers,
  openSqliteDatabase,
  SQLITE_DRIVERS,
  sqliteDriverProblem,
  withoutSqliteExperimentalWarning,
  type SqliteDatabase,
} from '../../../src/adapters/storage/sqlite-driver.js';
import { SqliteStore } from '../../../src/adapters/storage/sqlite-store.js';
import { isDctError } from '../../../src/core/errors.js';
import { meta, rejectsWith, storeContract } from './store-contract.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dct-sqlite-'));
  dirs.push(dir);
  return dir;
}
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

// each driver this runtime has (node:sqlite from Node 22.13, better-sqlite3 where it was built for this Node)
for (const driver of SQLITE_DRIVERS) {
  const problem = sqliteDriverProblem(driver);
  if (problem !== undefined) {
    describe(`SqliteStore on ${driver}`, { skip: `${driver} does not work on Node ${process.versions.node}: ${problem}` }, () => undefined);
    it(`asking for ${driver} fails with STORAGE_UNAVAILABLE naming the fix`, async () => {
      await assert.rejects(
        SqliteStore.open(':memory:', { driver }),
        (err: unknown) => isDctError(err, 'STORAGE_UNAVAILABLE') && /Node 24/.test(err.message),
      );
    });
    continue;
  }
  storeContract(`SqliteStore on ${driver} (file)`, () => SqliteStore.open(join(tempDir(), 'dct.db'), { driver }));
  storeContract(`SqliteStore on ${driver} (:memory:)`, () => SqliteStore.open(':memory:', { driver }));
  sqliteStoreTests(driver);
}

describe('SQLite drivers', () => {
  it('at least one works, and node:sqlite is preferred where Node has it (no native module needed)', async () => {
    const available = availableSqliteDrivers();
    assert.ok(available.length > 0, `no SQLite driver on Node ${process.versions.node}`);
    const hasNodeSqlite = process.getBuiltinModule?.('node:sqlite') !== undefined;
    const store = await openStore('sqlite::memory:');
    try {
      const db = (store as unknown as { db: SqliteDatabase }).db;
      assert.equal(db.driver, hasNodeSqlite ? 'node:sqlite' : available[0]);
    } finally {
      await store.close();
    }
  });

  it("drops only Node 22's ExperimentalWarning about SQLite while node:sqlite loads", async () => {
    const seen: string[] = [];
    const onWarning = (w: Error) => seen.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const result = withoutSqliteExperimentalWarning(() => {
        process.emitWarning('SQLite is an experimental feature and might change at any time', 'ExperimentalWarning');
        process.emitWarning('SQLite is an experimental feature and might change at any time', { type: 'ExperimentalWarning' });
        process.emitWarning('Something else is an experimental feature', 'ExperimentalWarning');
        process.emitWarning('SQLite is an experimental feature, says a DeprecationWarning', 'DeprecationWarning');
        return 42;
      });
      process.emitWarning('SQLite is an experimental feature and might change at any time', 'ExperimentalWarning');
      assert.equal(result, 42);
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(seen, [
        'ExperimentalWarning: Something else is an experimental feature',
        'DeprecationWarning: SQLite is an experimental feature, says a DeprecationWarning',
        'ExperimentalWarning: SQLite is an experimental feature and might change at any time',
      ]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('hands out BLOBs as Buffers', () => {
    for (const driver of availableSqliteDrivers()) {
      const db = openSqliteDatabase(':memory:', { driver });
      try {
        db.exec('CREATE TABLE t (b BLOB NOT NULL) STRICT');
        db.prepare<[Buffer]>('INSERT INTO t (b) VALUES (?)').run(Buffer.from('bytes'));
        const row = db.prepare<[], { b: Buffer }>('SELECT b FROM t').get();
        assert.ok(Buffer.isBuffer(row?.b), driver);
        assert.equal(row.b.toString(), 'bytes');
      } finally {
        db.close();
      }
    }
  });

  it('rolls a failed transaction back and keeps the connection usable', () => {
    for (const driver of availableSqliteDrivers()) {
      const db = openSqliteDatabase(':memory:', { driver });
      try {
        db.exec('CREATE TABLE t (v INTEGER PRIMARY KEY) STRICT');
        const insert = db.prepare<[number]>('INSERT INTO t (v) VALUES (?)');
        assert.throws(() =>
          db.immediate(() => {
            insert.run(1);
            insert.run(1);
          }),
        );
        assert.equal(db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM t').get()?.n, 0, driver);
        assert.equal(
          db.immediate(() => insert.run(2).changes),
          1,
        );
      } finally {
        db.close();
      }
    }
  });
});

function sqliteStoreTests(driver: (typeof SQLITE_DRIVERS)[number]): void {
  describe(`SqliteStore on ${driver}`, () => {
    it('creates the parent folders 0700 and the file 0600, in WAL mode with synchronous FULL', async () => {
      const path = join(tempDir(), 'data', '.dct', 'dct.db');
      const store = await SqliteStore.open(path, { driver });
      await store.close();
      assert.equal(statSync(join(path, '..')).mode & 0o777, 0o700);
      assert.equal(statSync(join(path, '..', '..')).mode & 0o777, 0o700);
      assert.equal(statSync(path).mode & 0o777, 0o600);
      const db = openSqliteDatabase(path, { driver, readonly: true });
      try {
        assert.equal(db.prepare<[], { journal_mode: string }>('PRAGMA journal_mode').get()?.journal_mode, 'wal');
      } finally {
        db.close();
      }
    });

    it('keeps the data when reopened and does not re-run migrations', async () => {
      const path = join(tempDir(), 'dct.db');
      const first = await SqliteStore.open(path, { driver });
      assert.deepEqual(
        first.appliedMigrations,
        SQLITE_MIGRATIONS.map((m) => m.version),
      );
      await first.updateMany('g', [meta('root', 1), meta('timestamp', 1)]);
      await first.close();

      const second = await SqliteStore.open(path, { driver });
      try {
        assert.deepEqual(second.appliedMigrations, []);
        assert.equal((await second.getCurrent('g', 'root'))?.version, 1);
        assert.equal((await second.changes({ changeId: 0, records: 10 })).length, 1);
        await rejectsWith(second.updateMany('g', [meta('root', 1)]), 'VERSION_CONFLICT');
      } finally {
        await second.close();
      }
      const db = openSqliteDatabase(path, { driver, readonly: true });
      try {
        const rows = db.prepare('SELECT version FROM schema_migrations ORDER BY version').all();
        assert.deepEqual(
          rows,
          SQLITE_MIGRATIONS.map((m) => ({ version: m.version })),
        );
      } finally {
        db.close();
      }
    });

    it('runs its connection with synchronous = FULL and a busy timeout', async () => {
      const store = await SqliteStore.open(join(tempDir(), 'dct.db'), { driver });
      // synchronous is per connection: read it through the store's own handle
      const db = (store as unknown as { db: SqliteDatabase }).db;
      assert.equal(db.driver, driver);
      assert.equal(db.prepare<[], { synchronous: number }>('PRAGMA synchronous').get()?.synchronous, 2);
      assert.ok(Number(db.prepare<[], { timeout: number }>('PRAGMA busy_timeout').get()?.timeout) > 0);
      await store.close();
    });

    it('a throwing watcher neither fails the write nor stops the other watchers', async () => {
      const store = await SqliteStore.open(':memory:', { driver });
      const warnings: string[] = [];
      const onWarning = (w: Error) => warnings.push(w.message);
      process.on('warning', onWarning);
      try {
        await store.watch(() => {
          throw new Error('boom');
        });
        let called = 0;
        await store.watch(() => {
          called++;
        });
        await store.updateMany('g', [meta('root', 1)]);
        assert.equal(called, 1);
        assert.equal((await store.getCurrent('g', 'root'))?.version, 1);
        await new Promise((r) => setImmediate(r));
        assert.ok(warnings.some((w) => w.includes('boom')));
      } finally {
        process.off('warning', onWarning);
        await store.close();
      }
    });
  });
}

describe('openStore and parseStorageUrl', () => {
  it('parses the accepted forms', () => {
    assert.deepEqual(parseStorageUrl('sqlite:./.dct/dct.db'), { backend: 'sqlite', path: './.dct/dct.db' });
    assert.deepEqual(parseStorageUrl('sqlite::memory:'), { backend: 'sqlite', path: ':memory:' });
    assert.deepEqual(parseStorageUrl('postgres://root@127.0.0.1:5432/test?schema=dct&sslmode=disable'), {
      backend: 'postgres',
      connectionString: 'postgres://root@127.0.0.1:5432/test?sslmode=disable',
      schema: 'dct',
    });
    assert.deepEqual(parseStorageUrl('postgresql://u:p@db/notary'), {
      backend: 'postgres',
      connectionString: 'postgresql://u:p@db/notary',
    });
  });

  it('refuses anything else with INVALID_STORAGE_URL naming the accepted forms, without echoing passwords', async () => {
    for (const url of ['mysql://u@h/db', 'sqlite:', '/var/lib/dct.db', 'postgres://u@h/db?schema=', '']) {
      await rejectsWith(openStore(url), 'INVALID_STORAGE_URL');
    }
    await assert.rejects(
      openStore('redis://user:secret@h/0'),
      (err: unknown) =>
        isDctError(err, 'INVALID_STORAGE_URL') &&
        /sqlite:PATH/.test(err.message) &&
        /postgres:\/\//.test(err.message) &&
        !err.message.includes('secret'),
    );
    await rejectsWith(openStore('postgres://root@127.0.0.1:5432/test?schema=Bad-Name'), 'INVALID_STORAGE_URL');
  });
});
