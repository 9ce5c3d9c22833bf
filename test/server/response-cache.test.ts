/** The read path's prepared responses: bounded by bytes, hot entries kept, per-repository invalidation, expiry. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ResponseCache } from '../../src/server/response-cache.js';
import { jsonResponse, type PreparedResponse } from '../../src/server/responses.js';

const body = (n: number): PreparedResponse => jsonResponse('x'.repeat(n));

describe('ResponseCache', () => {
  it('evicts the least recently used entries beyond its byte budget, keeping an entry that is read all along', () => {
    const cache = new ResponseCache(10 * 100);
    cache.set('hot', 'g/hot', body(100));
    for (let i = 0; i < 200; i++) {
      cache.set(`cold-${i}`, `g/${i}`, body(100));
      assert.ok(cache.get('hot', 0), `the hot entry survives insertion ${i}`);
    }
    assert.equal(cache.get('cold-0', 0), undefined, 'an old cold entry is gone');
    assert.ok(cache.get('cold-199', 0), 'the newest is there');
    let held = 0;
    for (let i = 0; i < 200; i++) if (cache.get(`cold-${i}`, 0)) held++;
    assert.ok(held <= 9, `at most the budget is held (${held} cold entries)`);
  });

  it('invalidate drops every entry of one repository only; an entry past validUntil is a miss', () => {
    const cache = new ResponseCache();
    cache.set('a1', 'g/a', body(1));
    cache.set('a2', 'g/a', body(1));
    cache.set('b1', 'g/b', body(1));
    cache.invalidate('g/a');
    assert.equal(cache.get('a1', 0), undefined);
    assert.equal(cache.get('a2', 0), undefined);
    assert.ok(cache.get('b1', 0));
    cache.set('t', 'g/t', { ...body(1), validUntil: 1000 });
    assert.ok(cache.get('t', 999));
    assert.equal(cache.get('t', 1000), undefined);
    assert.equal(cache.get('t', 0), undefined, 'and it is gone');
  });
});
