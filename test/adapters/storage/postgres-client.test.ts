/**
 * A connection that PostgreSQL ends while dct holds it (a server restart ends every one) fails
 * the work in progress and is discarded; it must never be an uncaught 'error' event, which would
 * kill a server replica.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { inTransaction, withClient } from '../../../src/adapters/storage/postgres-client.js';
import { interopSkip } from '../../support/interop.js';
import { POSTGRES_URL, postgresUnreachable } from '../../support/postgres.js';

const unreachable = await postgresUnreachable();

describe('PostgreSQL client checkout', { skip: interopSkip(unreachable) }, () => {
  let pool: pg.Pool;
  let admin: pg.Client;
  before(async () => {
    pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
    pool.on('error', () => undefined);
    admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
  });
  after(async () => {
    await pool.end();
    await admin.end();
  });

  /** Ends the checked-out client's backend from another connection and waits until it is gone. */
  async function terminate(client: pg.PoolClient): Promise<void> {
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const ended = new Promise((resolve) => client.once('end', resolve));
    await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
    await ended;
  }

  it('a held connection the server ends fails the work, not the process', async () => {
    await assert.rejects(
      withClient(pool, async (client) => {
        await terminate(client);
        await client.query('SELECT 1');
      }),
    );
    const { rows } = await pool.query<{ one: number }>('SELECT 1 AS one');
    assert.equal(rows[0]!.one, 1, 'the pool serves a new connection afterwards');
  });

  it('a transaction whose connection the server ends is refused and the pool recovers', async () => {
    await assert.rejects(
      inTransaction(pool, async (client) => {
        await terminate(client);
        await client.query('SELECT 1');
      }),
    );
    assert.equal(await inTransaction(pool, async (client) => (await client.query<{ two: number }>('SELECT 2 AS two')).rows[0]!.two), 2);
  });
});
