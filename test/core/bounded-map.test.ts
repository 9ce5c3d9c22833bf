/**
 * The bounded map: results in the items' order whatever order tasks finish in, never more
 * than `limit` tasks at once, and on a failure the outcome of a loop awaiting the items one by
 * one: the first failing item's error (in the items' order), no item started after it, and
 * the items already started finished before it settles.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mapBounded, settleBounded } from '../../src/core/bounded-map.js';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Tasks that finish when the test says so, in any order. */
function gated() {
  const gates = new Map<number, { resolve: (v: string) => void; reject: (e: Error) => void }>();
  const started: number[] = [];
  let running = 0;
  let peak = 0;
  const task = (item: number) =>
    new Promise<string>((resolve, reject) => {
      started.push(item);
      peak = Math.max(peak, ++running);
      const done = () => running--;
      gates.set(item, {
        resolve: (v) => (done(), resolve(v)),
        reject: (e: Error) => (done(), reject(e)),
      });
    });
  const gate = (item: number) => {
    const g = gates.get(item);
    assert.ok(g, `item ${item} was started`);
    return g;
  };
  return { task, gate, started, peak: () => peak };
}

describe('mapBounded', () => {
  it('keeps the items order and the limit', async () => {
    const g = gated();
    const result = mapBounded([0, 1, 2, 3, 4], 2, g.task);
    await turn();
    assert.deepEqual(g.started, [0, 1]);
    g.gate(1).resolve('b');
    await turn();
    g.gate(2).resolve('c');
    await turn();
    g.gate(0).resolve('a');
    await turn();
    g.gate(4).resolve('e');
    g.gate(3).resolve('d');
    assert.deepEqual(await result, ['a', 'b', 'c', 'd', 'e']);
    assert.equal(g.peak(), 2);
  });

  it('on a failure starts no further item, waits for those started, and rejects with the first in the items order', async () => {
    const g = gated();
    let settled = false;
    const result = mapBounded([0, 1, 2, 3], 2, g.task).finally(() => (settled = true));
    result.catch(() => undefined);
    await turn();
    g.gate(1).reject(new Error('second'));
    await turn();
    assert.equal(settled, false, 'item 0 is still under way');
    g.gate(0).reject(new Error('first'));
    await assert.rejects(result, /first/);
    assert.deepEqual(g.started, [0, 1]);
  });

  it('with no items resolves to none', async () => {
    assert.deepEqual(await mapBounded([], 3, async () => 1), []);
  });
});

describe('settleBounded', () => {
  it('goes on past the failures stopOn does not accept', async () => {
    const outcomes = await settleBounded(
      [0, 1, 2],
      1,
      async (i) => {
        if (i === 1) throw new Error(`soft ${i}`);
        return i;
      },
      (reason) => !/soft/.test(String(reason)),
    );
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
  });
});
