/**
 * PostgresStore against a live PostgreSQL (DCT_TEST_POSTGRES_URL, default the
 * local trust-auth server). Every store gets a fresh random schema, dropped at
 * the end. Unreachable server: skipped locally, a failure when CI is set (interopSkip).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { POSTGRES_MIGRATIONS } from '../../../src/adapters/storage/migrations.js';
import { openStore } from '../../../src/adapters/storage/open-store.js';
import { PostgresStore } from '../../../src/adapters/storage/postgres-store.js';
import { isDctError } from '../../../src/core/errors.js';
import { eventually, meta, storeContract } from './store-contract.js';
import { interopSkip } from '../../support/interop.js';
import { dropSchemas, POSTGRES_URL, postgresUnreachable } from '../../support/postgres.js';

const unreachable = await postgresUnreachable();

if (unreachable !== undefined) {
  describe('PostgresStore', { skip: interopSkip(unreachable) }, () => undefined);
} else {
  const schemas: string[] = [];
  const newSchema = () => {
    const name = `dct_test_${randomBytes(6).toString('hex')}`;
    schemas.push(name);
    return name;
  };
  const open = (schema: string, extra = '') => PostgresStore.open({ connectionString: `${POSTGRES_URL}${extra}`, schema });
  after(() => dropSchemas(schemas));

  storeContract('PostgresStore', () => open(newSchema()));

  describe('PostgresStore replicas', () => {
    it('migrates once when several replicas open a new schema at the same time', async () => {
      const schema = newSchema();
      const stores = await Promise.all([open(schema), open(schema), open(schema)]);
      try {
        assert.deepEqual(
          stores.flatMap((s) => s.appliedMigrations).sort(),
          POSTGRES_MIGRATIONS.map((m) => m.version),
        );
        const reopened = await open(schema);
        assert.deepEqual(reopened.appliedMigrations, []);
        await reopened.close();
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    });

    it('sees a change made through a second store on the same schema (watch across replicas)', async () => {
      const schema = newSchema();
      const [first, second] = [await open(schema), await open(schema)];
      try {
        const seen: string[] = [];
        await first.watch((gun) => seen.push(gun));
        await second.updateMany('replica/app', [meta('root', 1), meta('timestamp', 1)]);
        await eventually(() => seen.includes('replica/app'), 'the replica update notification');
        assert.equal((await first.getCurrent('replica/app', 'timestamp'))?.version, 1);
        await second.deleteRepository('replica/app');
        await eventually(() => seen.filter((g) => g === 'replica/app').length >= 2, 'the replica deletion notification');
      } finally {
        await first.close();
        await second.close();
      }
    });

    it('lets exactly one of 10 concurrent updates through two replicas win', async () => {
      const schema = newSchema();
      const [first, second] = [await open(schema), await open(schema)];
      try {
        await first.updateMany('g', [meta('timestamp', 1)]);
        const results = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) =>
            (i % 2 === 0 ? first : second).updateMany('g', [meta('snapshot', 2, `,"n":${i}`), meta('timestamp', 2, `,"n":${i}`)]),
          ),
        );
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
        for (const r of results) if (r.status === 'rejected') assert.ok(isDctError(r.reason, 'VERSION_CONFLICT'), String(r.reason));
        assert.equal((await second.changes({ changeId: 0, records: 10 })).length, 2);
      } finally {
        await first.close();
        await second.close();
      }
    });

    it('keeps watching after its connections are dropped, replaying changes made meanwhile', async () => {
      const schema = newSchema();
      const appName = `dct_${schema}`;
      const first = await open(schema, `?application_name=${appName}`);
      const second = await open(schema);
      const admin = new pg.Client({ connectionString: POSTGRES_URL });
      await admin.connect();
      try {
        const seen: string[] = [];
        await first.watch((gun) => seen.push(gun));
        await second.updateMany('before', [meta('timestamp', 1)]);
        await eventually(() => seen.includes('before'), 'the first notification');
        const { rowCount } = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [
          appName,
        ]);
        assert.ok(rowCount !== null && rowCount > 0);
        await second.updateMany('during', [meta('timestamp', 1)]);
        await eventually(() => seen.includes('during'), 'the change made while disconnected');
        await second.updateMany('after', [meta('timestamp', 1)]);
        await eventually(() => seen.includes('after'), 'a notification after reconnecting');
        assert.equal((await first.getCurrent('after', 'timestamp'))?.version, 1, 'the pool recovers too');
      } finally {
        await admin.end();
        await first.close();
        await second.close();
      }
    });

    it('isolates schemas and opens through openStore(postgres://…?schema=…)', async () => {
      const [a, b] = [newSchema(), newSchema()];
      const storeA = await openStore(`${POSTGRES_URL}?schema=${a}`);
      const storeB = await openStore(`${POSTGRES_URL.replace(/^postgres:/, 'postgresql:')}?schema=${b}`);
      try {
        await storeA.updateMany('g', [meta('root', 1)]);
        assert.equal(await storeB.getCurrent('g', 'root'), undefined);
        await storeB.updateMany('g', [meta('root', 1)]);
        assert.equal((await storeA.getCurrent('g', 'root'))?.version, 1);
      } finally {
        await storeA.close();
        await storeB.close();
      }
    });

    it('reports an unreachable server as STORAGE_UNAVAILABLE', async () => {
      await assert.rejects(
        PostgresStore.open({ connectionString: 'postgres://root@127.0.0.1:1/test', connectTimeoutMs: 2000 }),
        (err: unknown) => isDctError(err, 'STORAGE_UNAVAILABLE'),
      );
    });
  });
}
