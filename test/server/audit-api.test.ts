/**
 * The audit feed's API on a real `dct server` without auth (loopback, plain HTTP): posting
 * records (source from the client's address, never from the body; bad records refused naming
 * the field), reading pages with notary's changefeed conventions and filters, the live follow
 * (events as records arrive, Last-Event-ID resumes, shutdown ends it), the server's own sink,
 * the unauthenticated-write guard and /metrics.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { openAuditSink } from '../../src/adapters/audit/open-audit-sink.js';
import type { AuditRecord } from '../../src/core/policy/audit-record.js';
import { loadConfig } from '../../src/server/config.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { auditRecord } from '../adapters/audit/audit-store-contract.js';
import { call, EventStream, postJson, waitUntil } from './audit-support.js';

const quiet = pino({ level: 'silent' });
interface Page {
  count: number;
  records: AuditRecord[];
}

describe('the audit feed API (no auth)', () => {
  let work: string;
  let server: RunningServer;
  let feed: string;
  let post: string;
  const page = async (query = '') => {
    const res = await call(`${feed}${query}`);
    assert.equal(res.status, 200, res.body);
    return res.json() as Page;
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'dct-audit-api-'));
    const config = loadConfig({
      env: { DCT_AUDIT_RETENTION: '50' },
      flags: {
        listen: '127.0.0.1:0',
        storage: `sqlite:${join(work, 'dct.db')}`,
        dataDir: join(work, 'data'),
        plainHttp: true,
        logLevel: 'silent',
      },
    });
    assert.equal(config.auditRetention, 50);
    server = await startServer(config, { DCT_SERVER_KEY_PASSPHRASE: 'audit-test' }, quiet);
    feed = `${server.url}/_dct/audit/changefeed`;
    post = `${server.url}/_dct/audit`;
  });
  after(async () => {
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('stores posted records with the source the server saw, ignoring a source and an id in the body', async () => {
    const res = await postJson(post, {
      records: [
        { ...auditRecord(1), source: 'user:admin', id: 424242 },
        auditRecord(2, { verdict: 'deny', admitted: false }),
        auditRecord(3, { point: 'admission' }),
      ],
    });
    assert.equal(res.status, 201, res.body);
    const { count, ids } = res.json() as { count: number; ids: number[] };
    assert.equal(count, 3);
    assert.ok(ids[0] !== 424242 && (ids[0] as number) < (ids[1] as number) && (ids[1] as number) < (ids[2] as number));
    const { records } = await page(`?change_id=${(ids[0] as number) - 1}&records=3`);
    assert.deepEqual(
      records.map((r) => [r.id, r.source, r.context['n']]),
      ids.map((id, i) => [id, 'address:127.0.0.1', String(i + 1)]),
    );
    assert.deepEqual(records[1], { ...auditRecord(2, { verdict: 'deny', admitted: false }), id: ids[1], source: 'address:127.0.0.1' });
  });

  it('pages as the trust changefeed does, and filters by image, verdict and point', async () => {
    await postJson(post, { records: [auditRecord(10, { image: 'other/app:v9', verdict: 'deny', admitted: false, point: 'verify' })] });
    const all = await page();
    assert.equal(all.count, all.records.length);
    assert.ok(all.count >= 4);
    const latest = await page('?records=-1');
    assert.deepEqual(
      latest.records.map((r) => r.context['n']),
      ['10'],
    );
    const before = await page(`?change_id=${latest.records[0]?.id}&records=-2`);
    assert.deepEqual(
      before.records.map((r) => r.context['n']),
      ['2', '3'],
    );
    assert.deepEqual(
      (await page('?verdict=deny')).records.map((r) => r.context['n']),
      ['2', '10'],
    );
    assert.deepEqual(
      (await page('?image=other%2Fapp%3Av9')).records.map((r) => r.context['n']),
      ['10'],
    );
    assert.deepEqual(
      (await page('?point=admission')).records.map((r) => r.context['n']),
      ['3'],
    );
    assert.deepEqual(await page('?point=pin'), { count: 0, records: [] });
  });

  it('answers a bad query with 400 INVALID_PARAMETERS naming the parameter', async () => {
    for (const [query, detail] of [
      ['?records=abc', /invalid records parameter/],
      ['?change_id=x', /change ID expected to be integer/],
      ['?records=2147483648', /out of range/],
      ['?verdict=maybe', /^verdict: must be one of allow, deny/],
      ['?point=kubelet', /^point: must be one of/],
    ] as const) {
      const res = await call(`${feed}${query}`);
      assert.equal(res.status, 400, query);
      const error = (res.json() as { errors: Array<{ code: string; detail: string }> }).errors[0];
      assert.equal(error?.code, 'INVALID_PARAMETERS');
      assert.match(error?.detail ?? '', detail);
    }
  });

  it('refuses bad posts: 400 AUDIT_RECORD_INVALID naming the record and field, 413 beyond the size limit', async () => {
    const bad = await postJson(post, {
      records: [auditRecord(1), auditRecord(2), auditRecord(3), { ...auditRecord(4), verdict: 'perhaps' }],
    });
    assert.equal(bad.status, 400);
    assert.deepEqual((bad.json() as { errors: unknown[] }).errors, [
      {
        code: 'AUDIT_RECORD_INVALID',
        message: 'An audit record sent by the client is invalid.',
        detail: 'records[3].verdict: must be one of allow, deny',
      },
    ]);
    const notJson = await call(post, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"records":' });
    assert.equal(notJson.status, 400);
    assert.match(notJson.body, /body: not JSON/);
    const form = await call(post, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'records=1' });
    assert.equal(form.status, 400);
    assert.match(form.body, /application\/json/);
    const huge = await postJson(post, { records: [auditRecord(1, { reasons: ['x'.repeat(5 * 1024 * 1024)] })] });
    assert.equal(huge.status, 413);
    const tooMany = await postJson(post, { records: Array.from({ length: 1001 }, (_, i) => auditRecord(i)) });
    assert.equal(tooMany.status, 400);
    assert.match(tooMany.body, /records: more than 1000 entries/);
    // nothing of them was stored
    assert.ok((await page('?records=-1000')).records.every((r) => r.verdict === 'allow' || r.verdict === 'deny'));
  });

  it('without auth, a post from a web page or to a foreign host name is refused like any write', async () => {
    const fromPage = await postJson(
      post,
      { records: [auditRecord(1)] },
      { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' },
    );
    assert.equal(fromPage.status, 403);
    const rebound = await postJson(post, { records: [auditRecord(1)] }, { Host: 'evil.example:80' });
    assert.equal(rebound.status, 403);
    assert.match(rebound.body, /not a name of this server/);
  });

  it('the server\'s own sink stores records with source "server"', async () => {
    server.audit?.record({ ...auditRecord(77, { point: 'registry' }), source: 'forged' });
    await server.audit?.flush();
    const [last] = (await page('?records=-1')).records;
    assert.equal(last?.context['n'], '77');
    assert.equal(last?.source, 'server');
  });

  it('the file sink and the HTTP sink: records posted by openAuditSink(URL) arrive', async () => {
    const errors: string[] = [];
    const sink = openAuditSink(server.url, { env: { DOCKER_CONFIG: join(work, 'docker') }, onError: (m) => errors.push(m) });
    for (let n = 100; n < 105; n++) sink.record(auditRecord(n));
    await sink.flush();
    assert.deepEqual(errors, []);
    const { records } = await page('?records=-5');
    assert.deepEqual(
      records.map((r) => [r.context['n'], r.source]),
      [100, 101, 102, 103, 104].map((n) => [String(n), 'address:127.0.0.1']),
    );
  });

  it('follows live: events as records arrive, Last-Event-ID resumes, filters apply', async () => {
    const stream = await EventStream.open(`${feed}?change_id=-1`);
    assert.equal(stream.status, 200);
    assert.match(String(stream.headers['content-type']), /^text\/event-stream/);
    const denies = await EventStream.open(`${feed}?change_id=-1&verdict=deny`);
    const posted = await postJson(post, {
      records: [auditRecord(201), auditRecord(202, { verdict: 'deny', admitted: false }), auditRecord(203)],
    });
    const ids = (posted.json() as { ids: number[] }).ids;
    await waitUntil(() => stream.events.length === 3, 'three events');
    assert.deepEqual(
      stream.events.map((e) => e.id),
      ids.map(String),
    );
    assert.deepEqual(
      stream.events.map((e) => (JSON.parse(e.data) as AuditRecord).context['n']),
      ['201', '202', '203'],
    );
    await waitUntil(() => denies.events.length === 1, 'the deny event');
    assert.equal(denies.events[0]?.id, String(ids[1]));
    stream.close();
    denies.close();
    // a reconnecting EventSource sends the last id it saw: it gets what came after, nothing twice
    const resumed = await EventStream.open(`${feed}?change_id=0`, { 'Last-Event-ID': String(ids[0]) });
    await waitUntil(() => resumed.events.length === 2, 'the resumed events');
    assert.deepEqual(
      resumed.events.map((e) => e.id),
      [ids[1], ids[2]].map(String),
    );
    await postJson(post, { records: [auditRecord(204)] });
    await waitUntil(() => resumed.events.length === 3, 'the next live event');
    resumed.close();
  });

  it('counts appended records in /metrics', async () => {
    const metrics = await call(`${server.url}/metrics`);
    const m = /^dct_audit_records_appended_total (\d+)$/m.exec(metrics.body);
    assert.ok(m && Number(m[1]) >= 12, metrics.body.slice(0, 200));
    assert.match(metrics.body, /^dct_audit_records_lost_total 0$/m);
    assert.match(metrics.body, /^dct_audit_streams \d+$/m);
  });
});

describe('the audit feed API: retention and shutdown', () => {
  it('keeps the configured number of records, and a shutdown ends live streams', async () => {
    const work = mkdtempSync(join(tmpdir(), 'dct-audit-close-'));
    const config = loadConfig({
      env: {},
      flags: {
        listen: '127.0.0.1:0',
        storage: 'sqlite::memory:',
        dataDir: join(work, 'data'),
        plainHttp: true,
        logLevel: 'silent',
        auditRetention: 3,
      },
    });
    const server = await startServer(config, { DCT_SERVER_KEY_PASSPHRASE: 'audit-test' }, quiet);
    try {
      const feed = `${server.url}/_dct/audit/changefeed`;
      await postJson(`${server.url}/_dct/audit`, { records: Array.from({ length: 5 }, (_, i) => auditRecord(i)) });
      const kept = (await call(feed)).json() as Page;
      assert.deepEqual(
        kept.records.map((r) => r.context['n']),
        ['2', '3', '4'],
      );
      const stream = await EventStream.open(feed);
      await waitUntil(() => stream.events.length === 3, 'the kept records');
      const closing = server.close();
      await waitUntil(() => stream.ended, 'the stream to end');
      await closing;
    } finally {
      await server.close();
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('refuses a retention that is not a whole positive number', () => {
    assert.throws(() => loadConfig({ env: { DCT_AUDIT_RETENTION: '0' }, flags: {} }), /auditRetention must be a whole positive number/);
  });
});
