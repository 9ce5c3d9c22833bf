/** The PostgreSQL the tests use (the machine's, trust auth), and whether it answers. */
import pg from 'pg';

export const POSTGRES_URL = process.env['DCT_TEST_POSTGRES_URL'] ?? 'postgres://root@127.0.0.1:5432/test';

/** undefined when PostgreSQL answers, else why not (pass it to `interopSkip`: skipped locally, a failure in CI). */
export async function postgresUnreachable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (err) {
    return `PostgreSQL at ${POSTGRES_URL} is unreachable (${(err as Error).message}); set DCT_TEST_POSTGRES_URL`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Drops the tests' schemas (with everything in them); nothing to do for an empty list. */
export async function dropSchemas(schemas: readonly string[]): Promise<void> {
  if (schemas.length === 0) return;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  try {
    for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await admin.end();
  }
}
