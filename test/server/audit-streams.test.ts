/**
 * The live follow's limits, on a plain node HTTP server around AuditApi: streams beyond the
 * bound are 503 UNAVAILABLE with Retry-After, heartbeats keep an idle stream alive, a stream
 * ends when the token it was opened with expires, and closing ends every stream.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SqliteStore } from '../../src/adapters/storage/sqlite-store.js';
import { ApiError } from '../../src/server/api-errors.js';
import { AuditApi } from '../../src/server/audit-api.js';
import { errorResponse } from '../../src/server/responses.js';
import { auditRecord } from '../adapters/audit/audit-store-contract.js';
import { EventStream, waitUntil } from './audit-support.js';

describe('audit streams', () => {
  let store: SqliteStore;
  let api: AuditApi;
  let server: Server;
  let url: string;
  /** `?until=MS` ends the stream MS from now (what an expiring token does) */
  before(async () => {
    store = await SqliteStore.open(':memory:');
    api = new AuditApi(store.audit, { streams: { maxStreams: 2, heartbeatMs: 50, pageSize: 2 } });
    server = createServer((req, res) => {
      const query = new URL(req.url ?? '/', 'http://x').searchParams;
      const until = query.get('until');
      api.follow(req, res, query, until ? Date.now() + Number(until) : undefined).catch((err: unknown) => {
        if (err instanceof ApiError && !res.headersSent) {
          const prepared = errorResponse(err);
          res.writeHead(prepared.status, prepared.headers).end(prepared.body);
        } else res.destroy();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(async () => {
    await api.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await store.close();
  });

  it('sends records in pages, heartbeats while idle, refuses streams beyond the bound', async () => {
    await store.audit.append(Array.from({ length: 5 }, (_, i) => auditRecord(i)));
    const first = await EventStream.open(url);
    const second = await EventStream.open(`${url}?change_id=3`);
    await waitUntil(() => first.events.length === 5 && second.events.length === 2, 'the stored records');
    assert.deepEqual(
      first.events.map((e) => e.id),
      ['1', '2', '3', '4', '5'],
    );
    await waitUntil(() => first.comments >= 2, 'heartbeats');
    const third = await EventStream.open(url);
    assert.equal(third.status, 503);
    assert.equal(third.headers['retry-after'], '5');
    assert.equal(api.streams.open, 2);
    second.close();
    await waitUntil(() => api.streams.open === 1, 'the closed stream to go');
    const fourth = await EventStream.open(`${url}?change_id=-1`);
    assert.equal(fourth.status, 200);
    await store.audit.append([auditRecord(6)]);
    await waitUntil(() => fourth.events.length === 1 && first.events.length === 6, 'the new record on both');
    assert.equal(fourth.events[0]?.id, '6');
    first.close();
    fourth.close();
    await waitUntil(() => api.streams.open === 0, 'all streams to go');
  });

  it('ends a stream when its token expires', async () => {
    const stream = await EventStream.open(`${url}?until=150`);
    assert.equal(stream.status, 200);
    await waitUntil(() => stream.ended, 'the stream to end at the expiry', 3000);
  });

  it('closing ends every stream and refuses new ones', async () => {
    const stream = await EventStream.open(url);
    await api.close();
    await waitUntil(() => stream.ended, 'the stream to end');
    const late = await EventStream.open(url);
    assert.equal(late.status, 503);
  });
});
