/**
 * What the aborted-verification tests check of every format verifier: the rejections left
 * unhandled while a test ran (collected by hooks of the calling suite), and that verify
 * ended with ABORTED.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach } from 'node:test';
import { isDctError } from '../../../../src/core/errors.js';
import { settled, type HeldRegistry } from './held-registry.js';

/** Collects the unhandled rejections of each test of the calling suite into the list returned (emptied before each). */
export function unhandledRejections(): unknown[] {
  const seen: unknown[] = [];
  const onUnhandled = (reason: unknown) => seen.push(reason);
  beforeEach(() => {
    seen.length = 0;
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(() => process.off('unhandledRejection', onUnhandled));
  return seen;
}

/** Asserts that verify rejected with ABORTED. */
export function assertAborted(outcome: PromiseSettledResult<unknown>): void {
  assert.equal(outcome.status, 'rejected');
  assert.ok(
    outcome.status === 'rejected' && isDctError(outcome.reason, 'ABORTED'),
    String(outcome.status === 'rejected' && outcome.reason),
  );
}

/**
 * Aborts `deadline` while `work` (a verify given its signal) waits on `held`, then answers
 * whatever is still held until it settles, and asserts: verify rejected with ABORTED, no
 * request was made after the abort, each request held at the abort got it (its signal is
 * aborted), and no rejection was left unhandled (`unhandled`, from `unhandledRejections`).
 */
export async function abortWhileHeld(
  held: HeldRegistry,
  deadline: AbortController,
  work: Promise<unknown>,
  unhandled: unknown[],
): Promise<void> {
  const inFlight = held.held.map((h) => held.requests.indexOf(h.label));
  assert.ok(inFlight.length > 0, 'a request is held at the abort');
  const before = held.requests.length;
  deadline.abort(new Error('the admission deadline passed'));
  const outcome = await held.answerAll(work);
  await settled();
  assertAborted(outcome);
  assert.deepEqual(held.requests.slice(before), [], 'no request after the abort');
  assert.deepEqual(
    inFlight.map((i) => held.signals[i]?.aborted ?? false),
    inFlight.map(() => true),
    'each request held at the abort got it',
  );
  assert.deepEqual(unhandled, []);
}
