import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDctError } from '../../src/core/errors.js';
import { GoTime } from '../../src/core/go-time.js';

describe('GoTime', () => {
  it('keeps nanoseconds and offsets through a round trip (Go RFC3339Nano)', () => {
    for (const text of [
      '2116-07-03T17:56:36.027379879-05:00',
      '2116-07-03T23:08:08.447842546Z',
      '2029-01-01T12:00:00.5-05:00',
      '2026-12-15T00:00:00.000001Z',
      '2036-11-20T11:06:32Z',
      '2029-11-22T11:06:37.21689083Z',
      '2030-06-01T00:00:00+05:30',
    ]) {
      assert.equal(GoTime.parse(text).format(), text);
    }
  });

  it('normalises forms Go would rewrite', () => {
    assert.equal(GoTime.parse('2030-01-01T00:00:00+00:00').format(), '2030-01-01T00:00:00Z');
    assert.equal(GoTime.parse('2030-01-01T00:00:00.120Z').format(), '2030-01-01T00:00:00.12Z');
    assert.equal(GoTime.parse('2030-01-01T00:00:00.000Z').format(), '2030-01-01T00:00:00Z');
  });

  it('compares instants across offsets', () => {
    const t = GoTime.parse('2030-01-01T00:00:00-05:00');
    assert.equal(t.toDate().toISOString(), '2030-01-01T05:00:00.000Z');
    assert.equal(t.isBefore(new Date('2030-01-01T05:00:00.001Z')), true);
    assert.equal(t.isBefore(new Date('2030-01-01T05:00:00.000Z')), false);
  });

  it('formats Dates in UTC without trailing zeros', () => {
    assert.equal(GoTime.fromDate(new Date('2030-01-01T00:00:00.250Z')).format(), '2030-01-01T00:00:00.25Z');
  });

  it('refuses malformed times with a stable code', () => {
    for (const bad of ['', '2030-01-01', '2030-13-01T00:00:00Z', '2030-02-30T00:00:00Z', '2030-01-01T25:00:00Z', '2030-01-01 00:00:00Z']) {
      assert.throws(
        () => GoTime.parse(bad),
        (err) => isDctError(err, 'MALFORMED_TIME'),
        bad,
      );
    }
  });
});
