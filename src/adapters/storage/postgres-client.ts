/**
 * Checking a connection out of a `pg` pool safely. While a client is checked out the pool no
 * longer listens for its errors, and `pg` emits an `'error'` event when the server ends the
 * connection (a PostgreSQL restart ends every one): with no listener that event is an uncaught
 * exception that kills the process. Every checkout goes through here, so the error fails the
 * query in progress instead, and the client is discarded rather than returned to the pool.
 */
import type pg from 'pg';

/** Runs `work` with a checked-out client; the client is discarded when it failed or `work` says so. */
export async function withClient<T>(pool: pg.Pool, work: (client: pg.PoolClient, discard: (err: Error) => void) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (err: Error): void => {
    broken ??= err;
  };
  client.on('error', onError);
  try {
    return await work(client, (err) => {
      broken ??= err;
    });
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

/** BEGIN … COMMIT around `work`; ROLLBACK on failure, and a client that cannot roll back is discarded. */
export function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return withClient(pool, async (client, discard) => {
    await client.query('BEGIN');
    try {
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(discard);
      throw err;
    }
  });
}
