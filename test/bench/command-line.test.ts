import assert from 'node:assert/strict';
import { test } from 'node:test';
import { median, parseBenchFlags } from '../../bench/shared/command-line.js';

const USAGE = 'usage: bench -- [--json] [--rounds N] [--dir DIR]';
const SPEC = { count: ['rounds'], text: ['dir'], switch: ['json'] } as const;

test('bench flags: counts, texts and switches are read; absent ones stay absent', () => {
  const flags = parseBenchFlags(['--rounds', '7', '--dir', '/tmp/x', '--json'], SPEC, USAGE);
  assert.equal(flags.counts.get('rounds'), 7);
  assert.equal(flags.texts.get('dir'), '/tmp/x');
  assert.ok(flags.switches.has('json'));
  const none = parseBenchFlags([], SPEC, USAGE);
  assert.equal(none.counts.size + none.texts.size + none.switches.size, 0);
});

test('bench flags: a count that is not a positive whole number is refused with the usage', () => {
  for (const bad of ['0', '2.5', 'many']) {
    assert.throws(
      () => parseBenchFlags(['--rounds', bad], SPEC, USAGE),
      (err: Error) => {
        assert.match(err.message, /--rounds needs a positive integer/);
        assert.ok(err.message.endsWith(USAGE));
        return true;
      },
    );
  }
});

test('bench flags: an unknown flag, a missing or negative value or an empty text is refused with the usage', () => {
  assert.throws(() => parseBenchFlags(['--bogus'], SPEC, USAGE), /unknown option --bogus\n/);
  for (const argv of [['--rounds'], ['--rounds', '-1'], ['--dir', '  '], ['stray']]) {
    assert.throws(
      () => parseBenchFlags(argv, SPEC, USAGE),
      (err: Error) => err.message.endsWith(USAGE),
      argv.join(' '),
    );
  }
});

test('median: middle value, mean of the middle two, order of the input kept', () => {
  const input = [5, 1, 3];
  assert.equal(median(input), 3);
  assert.deepEqual(input, [5, 1, 3]);
  assert.equal(median([4, 1, 2, 3]), 2.5);
});
