/**
 * The audit sinks: the JSON lines file (lines that parse back as records; an unwritable file
 * counts its losses), the server's store sink (batches, source `server`, a failing store loses
 * and reports), and the HTTP sink against a dct server that is away at first (the oldest
 * dropped beyond the queue, the rest sent once it listens) or never comes (flush times out).
 */
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { HttpAuditSink } from '../../../src/adapters/audit/http-audit-sink.js';
import { JsonLinesAuditSink } from '../../../src/adapters/audit/json-lines-audit-sink.js';
import { openAuditSink } from '../../../src/adapters/audit/open-audit-sink.js';
import { StoreAuditSink } from '../../../src/adapters/audit/store-audit-sink.js';
import { SqliteStore } from '../../../src/adapters/storage/sqlite-store.js';
import { NO_AUDIT, type AuditRecord, type AuditStore } from '../../../src/core/policy/audit-record.js';
import { parseAuditRecord } from '../../../src/core/policy/audit-record-parser.js';
import { loadConfig } from '../../../src/server/config.js';
import { startServer } from '../../../src/server/start-server.js';
import { auditRecord } from './audit-store-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'dct-audit-sinks-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The records the reports of one cause count up to (the first loss is reported at once, later ones summed). */
const reported = (errors: readonly string[], cause: RegExp) =>
  errors.filter((m) => cause.test(m)).reduce((sum, m) => sum + Number(/: (\d+) audit record\(s\) lost$/.exec(m)?.[1] ?? NaN), 0);

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('openAuditSink', () => {
  it('picks no feed, a file or a server by the target', () => {
    assert.equal(openAuditSink(undefined), NO_AUDIT);
    assert.equal(openAuditSink(''), NO_AUDIT);
    assert.ok(openAuditSink(join(dir, 'x.jsonl')) instanceof JsonLinesAuditSink);
    assert.ok(openAuditSink('https://127.0.0.1:4443') instanceof HttpAuditSink);
  });
});

describe('JsonLinesAuditSink', () => {
  it('appends one JSON record a line, each a valid audit record', async () => {
    const file = join(dir, 'feed.jsonl');
    const sink = openAuditSink(file);
    sink.record(auditRecord(1));
    sink.record(auditRecord(2, { verdict: 'deny', admitted: false }));
    await sink.flush();
    sink.record(auditRecord(3));
    await sink.flush();
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    assert.deepEqual(
      lines.map((l, i) => parseAuditRecord(JSON.parse(l), `line ${i + 1}`)),
      [auditRecord(1), auditRecord(2, { verdict: 'deny', admitted: false }), auditRecord(3)],
    );
  });

  it('counts and reports records it cannot write, without throwing', async () => {
    const errors: string[] = [];
    const sink = new JsonLinesAuditSink(join(dir, 'missing', 'folder', 'feed.jsonl'), (m) => errors.push(m));
    sink.record(auditRecord(1));
    sink.record(auditRecord(2));
    await sink.flush();
    assert.equal(sink.lost, 2);
    assert.match(errors.join('\n'), /2 record\(s\) lost/);
  });
});

describe('StoreAuditSink', () => {
  it('stores a burst in one append with source "server"', async () => {
    const store = await SqliteStore.open(':memory:');
    try {
      let appends = 0;
      const counting: AuditStore = {
        append: (r) => (appends++, store.audit.append(r)),
        page: (q) => store.audit.page(q),
        watch: (l) => store.audit.watch(l),
      };
      const sink = new StoreAuditSink(counting);
      for (let n = 0; n < 5; n++) sink.record({ ...auditRecord(n), source: 'forged', id: 99 });
      await sink.flush();
      assert.equal(appends, 1);
      assert.equal(sink.appended, 5);
      const stored = await store.audit.page({ changeId: 0, records: 10 });
      assert.deepEqual(new Set(stored.map((r) => r.source)), new Set(['server']));
      assert.deepEqual(
        stored.map((r) => r.id),
        [1, 2, 3, 4, 5],
      );
    } finally {
      await store.close();
    }
  });

  it('loses and reports records when the store fails or the queue overflows, never throwing', async () => {
    const errors: string[] = [];
    const failing: AuditStore = {
      append: () => Promise.reject(new Error('disk full')),
      page: () => Promise.resolve([]),
      watch: () => Promise.resolve(async () => undefined),
    };
    const sink = new StoreAuditSink(failing, { maxQueued: 3, onError: (m) => errors.push(m) });
    for (let n = 0; n < 5; n++) sink.record(auditRecord(n));
    await sink.flush();
    assert.equal(sink.lost, 5);
    assert.equal(reported(errors, /queue is full/), 2);
    assert.equal(reported(errors, /disk full/), 3);
    assert.ok(errors.length <= 3, 'losses of one cause are summed up, not one line a record');
  });
});

describe('HttpAuditSink', () => {
  it('keeps the newest records while the server is away and sends them once it listens', async () => {
    const port = await freePort();
    const errors: string[] = [];
    const sink = new HttpAuditSink(`http://127.0.0.1:${port}`, {
      env: { DOCKER_CONFIG: join(dir, 'docker') },
      maxQueued: 3,
      retryMs: 50,
      maxRetryMs: 200,
      onError: (m) => errors.push(m),
    });
    for (let n = 1; n <= 5; n++) sink.record(auditRecord(n));
    assert.equal(sink.lost, 2);
    await new Promise((r) => setTimeout(r, 300)); // a few failed attempts
    const config = loadConfig({
      env: {},
      flags: { listen: `127.0.0.1:${port}`, storage: 'sqlite::memory:', dataDir: join(dir, 'data'), plainHttp: true, logLevel: 'silent' },
    });
    const server = await startServer(config, { DCT_SERVER_KEY_PASSPHRASE: 'sink-test' }, pino({ level: 'silent' }));
    try {
      await sink.flush();
      assert.equal(sink.delivered, 3);
      const res = await fetch(`${server.url}/_dct/audit/changefeed`);
      const { records } = (await res.json()) as { records: AuditRecord[] };
      assert.deepEqual(
        records.map((r) => r.context['n']),
        ['3', '4', '5'],
      );
      assert.equal(reported(errors, /queue .* is full/), 2);
    } finally {
      await server.close();
    }
  });

  // the test's own limit only detects a hang: the server never comes, so without the flush timeout flush() waits for ever
  it('gives up at the flush timeout when the server never comes, reporting what is lost', { timeout: 30_000 }, async () => {
    const port = await freePort();
    const errors: string[] = [];
    const sink = new HttpAuditSink(`http://127.0.0.1:${port}`, {
      env: { DOCKER_CONFIG: join(dir, 'docker') },
      retryMs: 20,
      flushTimeoutMs: 300,
      onError: (m) => errors.push(m),
    });
    sink.record(auditRecord(1));
    sink.record(auditRecord(2));
    await sink.flush();
    assert.equal(sink.lost, 2);
    assert.match(errors.join('\n'), /did not take the records in time \(last failure: .*ECONNREFUSED.*\): 2 audit record/);
  });

  it('refuses a target that is not an http(s) URL', () => {
    assert.throws(() => new HttpAuditSink('ftp://x'), /AUDIT_FEED_UNAVAILABLE|must be an https/);
  });
});
