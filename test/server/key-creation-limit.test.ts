/**
 * Server key creation is limited: `GET …/timestamp.key` of a new GUN counts
 * as a write of its client (the per-client write limit), a GUN with a pending
 * key gets that key again (no new key), and creations run a few at a time
 * behind a bounded queue.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openSqliteDatabase } from '../../src/adapters/storage/sqlite-driver.js';
import { isDctError } from '../../src/core/errors.js';
import { KeyCreationGate } from '../../src/server/key-creation-limit.js';
import { Raw, startTestServer, type TestServer } from './registry/support.js';

const keyRows = (server: TestServer): number => {
  const db = openSqliteDatabase(join(server.dir, 'dct.db'), { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM private_keys').get() as { n: number }).n;
  } finally {
    db.close();
  }
};

describe('GET of a server key for new GUNs and the write limit', () => {
  let server: TestServer;
  let raw: Raw;
  before(async () => {
    server = await startTestServer({ flags: { writesPerSecond: 0.001, writeBurst: 3, registry: false } });
    raw = new Raw(server.url);
  });
  after(async () => server?.close());

  it('each GET that creates a key takes a write; beyond the burst 429 TOO_MANY_REQUESTS and no key is made', async () => {
    for (const gun of ['a', 'b', 'c']) {
      const r = await raw.call(`/v2/example.com/keys/${gun}/_trust/tuf/timestamp.key`);
      assert.equal(r.status, 200, r.text);
    }
    assert.equal(keyRows(server), 3);
    const refused = await raw.call('/v2/example.com/keys/d/_trust/tuf/timestamp.key');
    assert.equal(refused.status, 429);
    assert.deepEqual(refused.codes, ['TOO_MANY_REQUESTS']);
    assert.equal(refused.headers['retry-after'], '1');
    assert.equal(keyRows(server), 3);
    // plain reads are not writes
    assert.equal((await raw.call('/v2/example.com/keys/a/_trust/tuf/root.json')).status, 404);
  });
});

describe('a GUN with a pending key', () => {
  let server: TestServer;
  let raw: Raw;
  before(async () => {
    server = await startTestServer({ flags: { registry: false } });
    raw = new Raw(server.url);
  });
  after(async () => server?.close());

  it('repeated (and concurrent) GETs return the same pending key and store one key', async () => {
    const path = '/v2/example.com/keys/pending/_trust/tuf/snapshot.key';
    const answers = await Promise.all([1, 2, 3, 4].map(() => raw.call(path)));
    answers.push(await raw.call(path));
    for (const a of answers) assert.equal(a.status, 200);
    assert.equal(new Set(answers.map((a) => a.text)).size, 1);
    assert.equal(keyRows(server), 1);
  });
});

describe('KeyCreationGate', () => {
  it('runs `concurrent` creations at once, queues `queued` more and refuses the rest with TOO_MANY_REQUESTS', async () => {
    const gate = new KeyCreationGate(1, 1);
    let release!: () => void;
    const started: string[] = [];
    const first = gate.run(async () => {
      started.push('first');
      await new Promise<void>((r) => (release = r));
      return 'first';
    });
    const second = gate.run(async () => {
      started.push('second');
      return 'second';
    });
    await assert.rejects(
      gate.run(async () => 'third'),
      (err: unknown) => isDctError(err, 'TOO_MANY_REQUESTS'),
    );
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(started, ['first']);
    release();
    assert.deepEqual(await Promise.all([first, second]), ['first', 'second']);
    // all places free again
    assert.equal(await gate.run(async () => 'again'), 'again');
  });
});
