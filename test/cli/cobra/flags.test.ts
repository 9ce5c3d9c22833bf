/**
 * pflag's two list kinds as the cobra model reads them: a stringSlice (`strings`) splits each
 * value as a CSV line and accumulates; a stringArray takes each value whole (notation's
 * `--user-metadata k=a,b` keeps its comma), and a flag not given reads as undefined.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command } from '../../../src/cli/cobra/command.js';
import { parseFlags } from '../../../src/cli/cobra/flags.js';

const cmd = new Command({
  use: 'x',
  short: 'x',
  flags: [
    { name: 'slice', short: 's', kind: 'strings', usage: 'a stringSlice' },
    { name: 'array', short: 'a', kind: 'stringArray', usage: 'a stringArray' },
  ],
});

describe('cobra list flags', () => {
  it('a stringSlice splits on commas (CSV quoting kept), a stringArray does not; both accumulate', () => {
    const { flags } = parseFlags(cmd, ['-s', 'a,b', '--slice', '"c,d"', '-a', 'k=v1,v2', '--array=k2=x', 'pos']);
    assert.deepEqual(flags.strings('slice'), ['a', 'b', 'c,d']);
    assert.deepEqual(flags.strings('array'), ['k=v1,v2', 'k2=x']);
  });

  it('an absent list flag is undefined; an empty stringArray value is one empty string', () => {
    const absent = parseFlags(cmd, []).flags;
    assert.equal(absent.strings('array'), undefined);
    assert.deepEqual(parseFlags(cmd, ['--array=']).flags.strings('array'), ['']);
  });

  it('usage names the kind as pflag does', () => {
    assert.match(cmd.helpString(), /-a, --array stringArray/);
    assert.match(cmd.helpString(), /-s, --slice strings/);
  });
});
