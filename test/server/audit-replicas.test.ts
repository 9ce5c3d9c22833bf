/**
 * Two `dct server` replicas on one PostgreSQL schema: a record posted to one reaches a live
 * follow on the other at once (LISTEN/NOTIFY, well before a heartbeat would look), and both
 * serve the same pages. Unreachable PostgreSQL: skipped locally, a failure in CI.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../../src/server/config.js';
import { startServer } from '../../src/server/start-server.js';
import { auditRecord } from '../adapters/audit/audit-store-contract.js';
import { interopSkip } from '../support/interop.js';
import { dropSchemas, POSTGRES_URL, postgresUnreachable } from '../support/postgres.js';
import { call, EventStream, postJson, waitUntil } from './audit-support.js';

const unreachable = await postgresUnreachable();

describe('audit feed across replicas', { skip: unreachable !== undefined ? interopSkip(unreachable) : false }, () => {
  const schema = `dct_test_${randomBytes(6).toString('hex')}`;
  const work = mkdtempSync(join(tmpdir(), 'dct-audit-replicas-'));
  after(async () => {
    await dropSchemas([schema]);
    rmSync(work, { recursive: true, force: true });
  });

  it('a record posted to one replica reaches a live follow on the other', async () => {
    const storage = `${POSTGRES_URL}?schema=${schema}`;
    const start = (name: string) =>
      startServer(
        loadConfig({
          env: {},
          flags: { listen: '127.0.0.1:0', storage, dataDir: join(work, name), plainHttp: true, logLevel: 'silent' },
        }),
        { DCT_SERVER_KEY_PASSPHRASE: 'replicas' },
        pino({ level: 'silent' }),
      );
    const first = await start('a');
    const second = await start('b');
    try {
      const stream = await EventStream.open(`${second.url}/_dct/audit/changefeed?change_id=-1`);
      assert.equal(stream.status, 200);
      const posted = await postJson(`${first.url}/_dct/audit`, { records: [auditRecord(1), auditRecord(2)] });
      assert.equal(posted.status, 201);
      const heartbeats = stream.comments;
      // generous: past the 15 s heartbeat, which would page too, so the check below is what tells them apart
      await waitUntil(() => stream.events.length === 2, 'the events on the other replica', 30_000);
      // a heartbeat writes a comment line before it pages: none came, so the notification brought the events
      assert.equal(stream.comments, heartbeats, 'the events came with a heartbeat, not with the notification');
      assert.deepEqual(
        stream.events.map((e) => e.id),
        (posted.json() as { ids: number[] }).ids.map(String),
      );
      stream.close();
      assert.deepEqual(
        (await call(`${first.url}/_dct/audit/changefeed`)).json(),
        (await call(`${second.url}/_dct/audit/changefeed`)).json(),
      );
    } finally {
      await first.close();
      await second.close();
    }
  });
});
