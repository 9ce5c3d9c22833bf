/**
 * The audit stores: the contract on SQLite (in memory and on a file, reopened) and on PostgreSQL
 * (a fresh schema each; skipped locally when unreachable, a failure in CI), watch across replicas.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openStore } from '../../../src/adapters/storage/open-store.js';
import { PostgresStore } from '../../../src/adapters/storage/postgres-store.js';
import { SqliteStore } from '../../../src/adapters/storage/sqlite-store.js';
import { isDctError } from '../../../src/core/errors.js';
import { interopSkip } from '../../support/interop.js';
import { dropSchemas, POSTGRES_URL, postgresUnreachable } from '../../support/postgres.js';
import { auditRecord, auditStoreContract, waitFor } from './audit-store-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'dct-audit-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

auditStoreContract('SqliteAuditStore', (auditRetention) => SqliteStore.open(':memory:', auditRetention ? { auditRetention } : {}));

describe('SqliteAuditStore on a file', () => {
  it('keeps records and ids across a reopen, and never reuses the ids of removed records', async () => {
    const file = join(dir, 'audit.db');
    let store = await openStore(`sqlite:${file}`, { auditRetention: 2 });
    const first = await store.audit.append([auditRecord(1), auditRecord(2), auditRecord(3)]);
    await store.close();
    store = await openStore(`sqlite:${file}`, { auditRetention: 2 });
    try {
      assert.deepEqual(await store.audit.page({ changeId: 0, records: 10 }), first.slice(1));
      const [next] = await store.audit.append([auditRecord(4)]);
      assert.equal(next?.id, (first[2]?.id as number) + 1);
    } finally {
      await store.close();
    }
  });

  it('refuses a retention that is not a whole positive number', async () => {
    await assert.rejects(
      SqliteStore.open(':memory:', { auditRetention: 0 }),
      (err: unknown) => isDctError(err, 'STORAGE_UNAVAILABLE') || isDctError(err, 'INVALID_CONFIG'),
    );
  });
});

const unreachable = await postgresUnreachable();
if (unreachable !== undefined) {
  describe('PostgresAuditStore', { skip: interopSkip(unreachable) }, () => undefined);
} else {
  const schemas: string[] = [];
  const newSchema = () => {
    const name = `dct_test_${randomBytes(6).toString('hex')}`;
    schemas.push(name);
    return name;
  };
  const open = (schema: string, auditRetention?: number) =>
    PostgresStore.open({ connectionString: POSTGRES_URL, schema, ...(auditRetention ? { auditRetention } : {}) });
  after(() => dropSchemas(schemas));

  auditStoreContract('PostgresAuditStore', (retention) => open(newSchema(), retention));

  describe('PostgresAuditStore replicas', () => {
    it('a watcher on one replica hears appends made through another, and pages them', async () => {
      const schema = newSchema();
      const [first, second] = [await open(schema), await open(schema)];
      try {
        let calls = 0;
        await first.audit.watch(() => calls++);
        const stored = await second.audit.append([auditRecord(1), auditRecord(2)]);
        await waitFor(() => calls >= 1, 'the replica notification');
        assert.deepEqual(await first.audit.page({ changeId: 0, records: 10 }), stored);
      } finally {
        await first.close();
        await second.close();
      }
    });

    it('concurrent appends through two replicas all land, in id order, with no id twice', async () => {
      const schema = newSchema();
      const [first, second] = [await open(schema), await open(schema)];
      try {
        await Promise.all(
          Array.from({ length: 20 }, (_, i) => (i % 2 ? first : second).audit.append([auditRecord(2 * i), auditRecord(2 * i + 1)])),
        );
        const all = await first.audit.page({ changeId: 0, records: 100 });
        assert.equal(all.length, 40);
        assert.equal(new Set(all.map((r) => r.id)).size, 40);
        // each batch stays together, in its order
        for (let i = 0; i < 40; i += 2) assert.equal(Number(all[i + 1]?.context['n']), Number(all[i]?.context['n']) + 1);
      } finally {
        await first.close();
        await second.close();
      }
    });
  });
}
