/**
 * The shared pflag tokenizer: the forms pflag accepts, the order of items, where
 * flags end, and the problems it hands back to the front end to word.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flagDisplayName, pflagMessage, scanFlags, type ScanOptions, type SyntaxProblem } from '../../../src/cli/pflag/scan.js';
import { goQuote, parseBool, parseInt64 } from '../../../src/cli/pflag/strconv.js';

interface F {
  name: string;
  short?: string;
  bool: boolean;
}
const FLAGS: F[] = [
  { name: 'yes', short: 'y', bool: true },
  { name: 'publish', short: 'p', bool: true },
  { name: 'server', short: 's', bool: false },
  { name: 'key', short: 'k', bool: false },
];

class Refused extends Error {
  constructor(readonly problem: SyntaxProblem) {
    super(pflagMessage(problem));
  }
}

function scan(argv: string[], extra: Partial<ScanOptions<F>> = {}): string[] {
  const out: string[] = [];
  for (const item of scanFlags<F>(argv, {
    long: (n) => FLAGS.find((f) => f.name === n),
    short: (s) => FLAGS.find((f) => f.short === s),
    takesValue: (f) => !f.bool,
    fail: (p) => new Refused(p),
    ...extra,
  })) {
    if (item.kind === 'flag') out.push(`${item.flag.name}=${item.value ?? '(bare)'}@${item.from}-${item.to}`);
    else if (item.kind === 'positional') out.push(`arg:${argv[item.index]}`);
    else if (item.kind === 'unknown') out.push(`unknown:${argv[item.index]}`);
    else out.push(`end@${item.index}${item.dashDash ? ' --' : ''}`);
  }
  return out;
}

describe('pflag tokenizer', () => {
  it('long flags: --name value, --name=value, bare bools, flags among arguments', () => {
    assert.deepEqual(scan(['a', '--server', 'x', '--yes', '--key=k1', 'b', '--publish=false']), [
      'arg:a',
      'server=x@1-2',
      'yes=(bare)@3-3',
      'key=k1@4-4',
      'arg:b',
      'publish=false@6-6',
    ]);
  });

  it('shorthands: grouped bools, attached values, -n=value, -n value', () => {
    assert.deepEqual(scan(['-yp', '-sX', '-k=v', '-yk', 'next', '-s', '=']), [
      'yes=(bare)@0-0',
      'publish=(bare)@0-0',
      'server=X@1-1',
      'key=v@2-2',
      'yes=(bare)@3-3',
      'key=next@3-4',
      'server==@5-6',
    ]);
  });

  it('`-`, the empty string are arguments; `--` ends the flags; not interspersed ends at the first argument', () => {
    assert.deepEqual(scan(['-', '', '--', '-y', '--server']), ['arg:-', 'arg:', 'end@3 --']);
    assert.deepEqual(scan(['-y', 'img', '-p'], { interspersed: false }), ['yes=(bare)@0-0', 'end@1']);
    assert.deepEqual(scan(['--yes', 'x', '-p'], { start: 1 }), ['arg:x', 'publish=(bare)@2-2']);
  });

  it('`-x=` with nothing after it: pflag reads `=` as a value or a shorthand; `always` attaches the empty value', () => {
    assert.deepEqual(scan(['-s=']), ['server==@0-0']);
    assert.deepEqual(scan(['-s='], { shorthandEquals: 'always' }), ['server=@0-0']);
    assert.deepEqual(scan(['-y='], { shorthandEquals: 'always' }), ['yes=@0-0']);
    assert.throws(() => scan(['-y=']), { message: "unknown shorthand flag: '=' in -=" });
  });

  it('unknown --name=value is passed over only when asked', () => {
    assert.deepEqual(scan(['--nope=1', 'a', '--=x'], { keepUnknownWithValue: true }), ['unknown:--nope=1', 'arg:a', 'unknown:--=x']);
    assert.throws(() => scan(['--nope=1']), { message: 'unknown flag: --nope' });
    assert.throws(() => scan(['--nope'], { keepUnknownWithValue: true }), { message: 'unknown flag: --nope' });
  });

  it('problems carry what each front end needs to word them, and read as pflag by default', () => {
    const problem = (argv: string[]) => {
      try {
        scan(argv);
      } catch (err) {
        return (err as Refused).problem;
      }
      return assert.fail('accepted');
    };
    assert.deepEqual(problem(['---x']), { reason: 'bad-syntax', token: '---x', name: '-x' });
    assert.deepEqual(problem(['--=v']), { reason: 'bad-syntax', token: '--=v', name: '' });
    assert.deepEqual(problem(['--server']), { reason: 'needs-argument', token: '--server', name: 'server' });
    assert.deepEqual(problem(['-yZp']), { reason: 'unknown', token: '-yZp', name: 'Z', shorthands: 'Zp' });
    assert.deepEqual(problem(['-yk']), { reason: 'needs-argument', token: '-yk', name: 'k', shorthands: 'k' });
    assert.equal(pflagMessage(problem(['---x'])), 'bad flag syntax: ---x');
    assert.equal(pflagMessage(problem(['-yZp'])), "unknown shorthand flag: 'Z' in -Zp");
    assert.equal(pflagMessage(problem(['-yk'])), "flag needs an argument: 'k' in -k");
    assert.equal(pflagMessage(problem(['--server'])), 'flag needs an argument: --server');
  });

  it('items come one at a time: a front end failing on a value fails before later syntax errors', () => {
    const seen: string[] = [];
    assert.throws(() => {
      for (const item of scanFlags<F>(['--server', 'bad', '--nope'], {
        long: (n) => FLAGS.find((f) => f.name === n),
        short: () => undefined,
        takesValue: (f) => !f.bool,
        fail: (p) => new Refused(p),
      })) {
        if (item.kind === 'flag') {
          seen.push(item.value ?? '');
          throw new Error('bad value');
        }
      }
    }, /bad value/);
    assert.deepEqual(seen, ['bad']);
  });
});

describe('strconv', () => {
  it('ParseBool, ParseInt(s, 0, 64), Quote, flag display names', () => {
    assert.deepEqual(['1', 't', 'TRUE', 'True', '0', 'F', 'false', 'yes'].map(parseBool), [
      true,
      true,
      true,
      true,
      false,
      false,
      false,
      undefined,
    ]);
    assert.deepEqual(['10', '-0x1f', '0b101', '0o17', '017', '1_000', '08', 'x'].map(parseInt64), [
      10,
      -31,
      5,
      15,
      15,
      1000,
      undefined,
      undefined,
    ]);
    assert.equal(goQuote('a"b\\\n\x01'), '"a\\"b\\\\\\n\\x01"');
    assert.equal(flagDisplayName('server', 's'), '-s, --server');
    assert.equal(flagDisplayName('tlscacert', undefined), '--tlscacert');
  });
});
