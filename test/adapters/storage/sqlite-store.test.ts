import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SQLITE_MIGRATIONS } from '../../../src/adapters/storage/migrations.js';
import { openStore, parseStorageUrl } from '../../../src/adapters/storage/open-store.js';
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

storeContract('SqliteStore (file)', () => SqliteStore.open(join(tempDir(), 'dct.db')));
storeContract('SqliteStore (:memory:)', () => openStore('sqlite::memory:'));

describe('SqliteStore', () => {
  it('creates the parent folders 0700 and the file 0600, in WAL mode with synchronous FULL', async () => {
    const path = join(tempDir(), 'data', '.dct', 'dct.db');
    const store = await openStore(`sqlite:${path}`);
    await store.close();
    assert.equal(statSync(join(path, '..')).mode & 0o777, 0o700);
    assert.equal(statSync(join(path, '..', '..')).mode & 0o777, 0o700);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const db = new Database(path, { readonly: true });
    try {
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    } finally {
      db.close();
    }
  });

  it('keeps the data when reopened and does not re-run migrations', async () => {
    const path = join(tempDir(), 'dct.db');
    const first = await SqliteStore.open(path);
    assert.deepEqual(first.appliedMigrations, SQLITE_MIGRATIONS.map((m) => m.version));
    await first.updateMany('g', [meta('root', 1), meta('timestamp', 1)]);
    await first.close();

    const second = await SqliteStore.open(path);
    try {
      assert.deepEqual(second.appliedMigrations, []);
      assert.equal((await second.getCurrent('g', 'root'))?.version, 1);
      assert.equal((await second.changes({ changeId: 0, records: 10 })).length, 1);
      await rejectsWith(second.updateMany('g', [meta('root', 1)]), 'VERSION_CONFLICT');
    } finally {
      await second.close();
    }
    const db = new Database(path, { readonly: true });
    try {
      const rows = db.prepare('SELECT version FROM schema_migrations ORDER BY version').all();
      assert.deepEqual(rows, SQLITE_MIGRATIONS.map((m) => ({ version: m.version })));
    } finally {
      db.close();
    }
  });

  it('runs its connection with synchronous = FULL and a busy timeout', async () => {
    const store = await SqliteStore.open(join(tempDir(), 'dct.db'));
    // synchronous is per connection: read it through the store's own handle
    const db = (store as unknown as { db: Database.Database }).db;
    assert.equal(db.pragma('synchronous', { simple: true }), 2);
    assert.ok(Number(db.pragma('busy_timeout', { simple: true })) > 0);
    await store.close();
  });

  it('a throwing watcher neither fails the write nor stops the other watchers', async () => {
    const store = await SqliteStore.open(':memory:');
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      await store.watch(() => { throw new Error('boom'); });
      let called = 0;
      await store.watch(() => { called++; });
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

describe('openStore and parseStorageUrl', () => {
  it('parses the accepted forms', () => {
    assert.deepEqual(parseStorageUrl('sqlite:./.dct/dct.db'), { backend: 'sqlite', path: './.dct/dct.db' });
    assert.deepEqual(parseStorageUrl('sqlite::memory:'), { backend: 'sqlite', path: ':memory:' });
    assert.deepEqual(parseStorageUrl('postgres://root@127.0.0.1:5432/test?schema=dct&sslmode=disable'),
      { backend: 'postgres', connectionString: 'postgres://root@127.0.0.1:5432/test?sslmode=disable', schema: 'dct' });
    assert.deepEqual(parseStorageUrl('postgresql://u:p@db/notary'), { backend: 'postgres', connectionString: 'postgresql://u:p@db/notary' });
  });

  it('refuses anything else with INVALID_STORAGE_URL naming the accepted forms, without echoing passwords', async () => {
    for (const url of ['mysql://u@h/db', 'sqlite:', '/var/lib/dct.db', 'postgres://u@h/db?schema=', '']) {
      await rejectsWith(openStore(url), 'INVALID_STORAGE_URL');
    }
    await assert.rejects(openStore('redis://user:secret@h/0'), (err: unknown) =>
      isDctError(err, 'INVALID_STORAGE_URL') && /sqlite:PATH/.test(err.message) && /postgres:\/\//.test(err.message) && !err.message.includes('secret'));
    await rejectsWith(openStore('postgres://root@127.0.0.1:5432/test?schema=Bad-Name'), 'INVALID_STORAGE_URL');
  });
});
