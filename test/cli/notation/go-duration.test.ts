/** `dct notation sign --expiry`: Go's `time.ParseDuration` syntax. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseGoDuration } from '../../../src/cli/commands/notation/go-duration.js';

describe("--expiry: Go's duration syntax", () => {
  it('reads hours, minutes and their mixes; refuses other text', () => {
    assert.equal(parseGoDuration('24h'), 24 * 3600_000);
    assert.equal(parseGoDuration('3h20m'), 3 * 3600_000 + 20 * 60_000);
    assert.equal(parseGoDuration('1.5h'), 5400_000);
    assert.equal(parseGoDuration('90s'), 90_000);
    assert.equal(parseGoDuration('0'), 0);
    for (const s of ['', 'h', '24', '1d', 'soon', '1h-', '.h']) assert.equal(parseGoDuration(s), undefined, s);
  });
});
