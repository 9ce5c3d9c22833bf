/** ui/src/single-flight.ts: calls made while one is under way share it; a settled one is not reused. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { singleFlight } from '../../ui/src/single-flight.js';

/** A promise and the functions that settle it. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('singleFlight', () => {
  it('runs once for the calls made while it is under way, and they all get its value', async () => {
    const gate = deferred<number>();
    let runs = 0;
    const once = singleFlight(() => {
      runs++;
      return gate.promise;
    });
    const calls = [once(), once(), once()];
    assert.equal(runs, 1);
    gate.resolve(7);
    assert.deepEqual(await Promise.all(calls), [7, 7, 7]);
  });

  it('runs again once settled', async () => {
    let runs = 0;
    const once = singleFlight(async () => ++runs);
    assert.equal(await once(), 1);
    assert.equal(await once(), 2);
  });

  it('shares a rejection, then runs again', async () => {
    const gate = deferred<string>();
    let runs = 0;
    const once = singleFlight(() => (++runs === 1 ? gate.promise : Promise.resolve('second')));
    const a = once();
    const b = once();
    gate.reject(new Error('refused'));
    await assert.rejects(a, /refused/);
    await assert.rejects(b, /refused/);
    assert.equal(await once(), 'second');
    assert.equal(runs, 2);
  });

  it('a sharer that calls again when the flight has settled starts a new one', async () => {
    let runs = 0;
    const once = singleFlight(async () => ++runs);
    const again = await once().then(() => once());
    assert.equal(again, 2);
  });
});
