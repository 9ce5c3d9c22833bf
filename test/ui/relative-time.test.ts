/** ui/src/relative-time.ts: relative times, on the server's clock. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { relative, serverNow, setServerNow } from '../../ui/src/relative-time.js';

const NOW = Date.parse('2026-12-07T18:00:00.000Z');
const at = (ms: number) => new Date(NOW + ms).toISOString();
const MIN = 60_000;
const DAY = 86_400_000;

describe('relative', () => {
  it('says a time in the largest unit it reaches, rounded, both ways', () => {
    assert.equal(relative(at(0), NOW), 'now');
    assert.equal(relative(at(-30_000), NOW), '30 seconds ago');
    assert.equal(relative(at(59_000), NOW), 'in 59 seconds');
    assert.equal(relative(at(MIN), NOW), 'in 1 minute');
    assert.equal(relative(at(-5 * MIN), NOW), '5 minutes ago');
    assert.equal(relative(at(90 * MIN), NOW), 'in 2 hours');
    assert.equal(relative(at(-DAY), NOW), 'yesterday');
    assert.equal(relative(at(3 * DAY + 11 * 3_600_000), NOW), 'in 3 days');
    assert.equal(relative(at(40 * DAY), NOW), 'next month');
    assert.equal(relative(at(-2 * 365 * DAY), NOW), '2 years ago');
  });

  it('says — without a time and gives back what is no time', () => {
    assert.equal(relative(undefined, NOW), '—');
    assert.equal(relative('', NOW), '—');
    assert.equal(relative('soon', NOW), 'soon');
  });
});

describe('the server clock', () => {
  it('follows the server: a browser 5 minutes behind says times as the server would', () => {
    const local = NOW - 5 * MIN;
    setServerNow(new Date(NOW).toISOString(), local);
    assert.equal(serverNow(local), NOW);
    assert.equal(serverNow(local + 1000), NOW + 1000);
    // relative() reads the server's clock by default
    const localNow = Date.now();
    setServerNow(new Date(localNow + DAY).toISOString(), localNow);
    assert.equal(relative(new Date(localNow + DAY).toISOString()), 'now');
  });

  it('keeps its offset when told an unreadable time', () => {
    setServerNow(new Date(NOW).toISOString(), NOW - 1000);
    setServerNow('not a time', NOW);
    assert.equal(serverNow(NOW), NOW + 1000);
  });
});
