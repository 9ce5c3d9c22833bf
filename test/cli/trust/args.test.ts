/**
 * The docker trust grammar (over the shared pflag tokenizer): flags, values, help,
 * and docker's usage failures with their exit codes (125 for a bad flag, 1 for a
 * wrong argument count).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCliFailure } from '../../../src/cli/cli-failure.js';
import { boolFlag, helpText, listFlag, parseArgs, stringFlag, type CommandSpec } from '../../../src/cli/commands/trust/args.js';

const SPEC: CommandSpec = {
  path: 'trust signer add',
  use: 'OPTIONS NAME REPOSITORY [REPOSITORY...]',
  short: 'Add a signer',
  flags: [
    { name: 'key', kind: 'list', help: "Path to the signer's public key file" },
    { name: 'yes', short: 'y', kind: 'bool', help: 'Do not prompt' },
    { name: 'format', short: 'f', kind: 'string', help: 'Format' },
  ],
  args: { min: 2 },
};

function failure(argv: string[]): { text: string; exitCode: number } {
  try {
    parseArgs(SPEC, argv);
  } catch (err) {
    assert.ok(isCliFailure(err, 'usage'));
    return { text: err.message, exitCode: err.exitCode };
  }
  return assert.fail('accepted');
}

describe('docker trust grammar', () => {
  it('flags anywhere, lists accumulate, grouped and attached shorthands, -- ends flags', () => {
    const p = parseArgs(SPEC, ['alice', '--key', 'a.pub', '-yfjson', 'repo', '--key=b.pub', '--', '-x']);
    assert.deepEqual(p.args, ['alice', 'repo', '-x']);
    assert.deepEqual(listFlag(p, 'key'), ['a.pub', 'b.pub']);
    assert.equal(boolFlag(p, 'yes'), true);
    assert.equal(stringFlag(p, 'format'), 'json');
    assert.equal(stringFlag(parseArgs(SPEC, ['a', 'b', '-f=']), 'format'), '');
    assert.equal(boolFlag(parseArgs(SPEC, ['a', 'b', '-y=false']), 'yes'), false);
    assert.equal(parseArgs(SPEC, ['-h']).help, true);
  });

  it("bad flags: docker's text and usage, exit 125", () => {
    const usage =
      "\n\nUsage:  dct trust signer add OPTIONS NAME REPOSITORY [REPOSITORY...]\n\nRun 'dct trust signer add --help' for more information\n";
    assert.deepEqual(failure(['--nope']), { text: `unknown flag: --nope${usage}`, exitCode: 125 });
    assert.deepEqual(failure(['---x']), { text: `unknown flag: ---x${usage}`, exitCode: 125 });
    assert.deepEqual(failure(['-yZ']), { text: `unknown shorthand flag: 'Z' in -yZ${usage}`, exitCode: 125 });
    assert.deepEqual(failure(['a', '--format']), { text: `flag needs an argument: --format${usage}`, exitCode: 125 });
    assert.deepEqual(failure(['a', '-yf']), { text: `flag needs an argument: 'f' in -f${usage}`, exitCode: 125 });
    assert.deepEqual(failure(['--yes=maybe']), {
      text: `invalid argument "maybe" for "-y, --yes" flag: strconv.ParseBool: parsing "maybe": invalid syntax${usage}`,
      exitCode: 125,
    });
  });

  it('too few arguments: exit 1', () => {
    assert.deepEqual(failure(['alice']), {
      text: "dct: 'dct trust signer add' requires at least 2 arguments\n\nUsage:  dct trust signer add OPTIONS NAME REPOSITORY [REPOSITORY...]\n\nSee 'dct trust signer add --help' for more information\n",
      exitCode: 1,
    });
  });

  it("help text in docker's layout", () => {
    assert.equal(
      helpText(SPEC),
      'Usage:  dct trust signer add OPTIONS NAME REPOSITORY [REPOSITORY...]\n\nAdd a signer\n\nOptions:\n' +
        "      --key list        Path to the signer's public key file\n  -y, --yes             Do not prompt\n  -f, --format string   Format\n",
    );
  });
});
