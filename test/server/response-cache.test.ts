/** The read path's prepared responses: bounded by bytes, hot entries kept, per-repository invalidation, expiry. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ENTRY_OVERHEAD_BYTES, ResponseCache, entryCost } from '../../src/server/response-cache.js';
import { jsonResponse, metadataCaching, metadataResponse, type PreparedResponse } from '../../src/server/responses.js';

const body = (n: number): PreparedResponse => jsonResponse('x'.repeat(n));

describe('ResponseCache', () => {
  it('charges each entry its body, its key and the fixed overhead', () => {
    assert.equal(entryCost('k'.repeat(30), body(500)), 500 + 30 + ENTRY_OVERHEAD_BYTES);
  });

  it('never holds more than its byte budget, however many entries are set; evicts the least recently used first', () => {
    const cost = entryCost('cold-000', body(100));
    const cache = new ResponseCache(10 * cost);
    for (let i = 0; i < 1000; i++) {
      cache.set(`cold-${String(i).padStart(3, '0')}`, `g/${i}`, body(100));
      const stats = cache.stats();
      assert.ok(stats.bytes <= 10 * cost, `within the budget after ${i + 1} entries (${stats.bytes} bytes)`);
    }
    assert.deepEqual(cache.stats(), { entries: 10, bytes: 10 * cost, maxBytes: 10 * cost, evictions: 990 });
    assert.equal(cache.get('cold-989', 0), undefined, 'the 11th newest is gone');
    for (let i = 990; i < 1000; i++) assert.ok(cache.get(`cold-${i}`, 0), `cold-${i} is held`);
  });

  it('keeps an entry that is read all along', () => {
    const cost = entryCost('cold-000', body(100));
    const cache = new ResponseCache(10 * cost);
    cache.set('hot-0000', 'g/hot', body(100));
    for (let i = 0; i < 200; i++) {
      cache.set(`cold-${String(i).padStart(3, '0')}`, `g/${i}`, body(100));
      assert.ok(cache.get('hot-0000', 0), `the hot entry survives insertion ${i}`);
    }
  });

  it('holds nothing with a budget of 0, and no entry larger than the budget', () => {
    const none = new ResponseCache(0);
    none.set('a', 'g/a', body(1));
    assert.equal(none.get('a', 0), undefined);
    assert.deepEqual(none.stats(), { entries: 0, bytes: 0, maxBytes: 0, evictions: 0 });
    const small = new ResponseCache(entryCost('b', body(10)));
    small.set('b', 'g/b', body(10));
    small.set('c', 'g/c', body(11));
    assert.ok(small.get('b', 0), 'a too large entry evicts nothing');
    assert.equal(small.get('c', 0), undefined);
  });

  it('replacing an entry charges it once', () => {
    const cache = new ResponseCache();
    cache.set('a', 'g/a', body(10));
    cache.set('a', 'g/a', body(20));
    assert.deepEqual(cache.stats().bytes, entryCost('a', body(20)));
    assert.equal(cache.get('a', 0)?.body.length, 20);
  });

  it('invalidate drops every entry of one repository only; an entry past validUntil is a miss', () => {
    const cache = new ResponseCache();
    cache.set('a1', 'g/a', body(1));
    cache.set('b1', 'g/b', body(1));
    cache.set('a2', 'g/a', body(1));
    cache.set('a3', 'g/a', body(1));
    cache.invalidate('g/a');
    assert.equal(cache.get('a1', 0), undefined);
    assert.equal(cache.get('a2', 0), undefined);
    assert.equal(cache.get('a3', 0), undefined);
    assert.ok(cache.get('b1', 0));
    assert.deepEqual(cache.stats().entries, 1);
    // a repository's entries stay chained after one of them is evicted or replaced
    cache.set('c1', 'g/c', body(1));
    cache.set('c2', 'g/c', body(1));
    cache.set('c1', 'g/c', body(2));
    cache.invalidate('g/c');
    assert.equal(cache.get('c1', 0), undefined);
    assert.equal(cache.get('c2', 0), undefined);
    cache.set('t', 'g/t', { ...body(1), validUntil: 1000 });
    assert.ok(cache.get('t', 999));
    assert.equal(cache.get('t', 1000), undefined);
    assert.equal(cache.get('t', 0), undefined, 'and it is gone');
    assert.equal(cache.stats().bytes, entryCost('b1', body(1)));
  });

  it('serves the same status, headers and bytes, not a view into a larger buffer', () => {
    const cache = new ResponseCache();
    const big = Buffer.alloc(64 * 1024, 7);
    const res = metadataResponse(big.subarray(100, 600), new Date(0), metadataCaching().current);
    cache.set('c\u0000g/x\u0000timestamp', 'g/x', res);
    const hit = cache.get('c\u0000g/x\u0000timestamp', 0) as PreparedResponse;
    assert.equal(hit.status, 200);
    assert.deepEqual(hit.headers, res.headers);
    assert.deepEqual(hit.body, res.body);
    assert.equal(hit.body.buffer.byteLength, 500, 'the body owns exactly its bytes');
  });
});
