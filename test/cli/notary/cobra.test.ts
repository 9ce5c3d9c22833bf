/**
 * notary's command-line grammar (cobra + pflag): flag syntax, lists, lookup of
 * commands, and the usage/help/error texts the real notary 0.7 prints (the
 * expected texts below are its output).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { execute } from '../../../src/cli/commands/notary/cobra.js';
import { Command, type CommandSpec, type Invocation } from '../../../src/cli/cobra/command.js';
import { find } from '../../../src/cli/cobra/find.js';
import { parseFlags } from '../../../src/cli/cobra/flags.js';
import { readCsvLine } from '../../../src/cli/pflag/csv.js';
import { notaryRoot } from '../../../src/cli/commands/notary/index.js';
import { notaryErrorText } from '../../../src/cli/commands/notary/output.js';

const GLOBAL_FLAGS = `Global Flags:
  -c, --configFile string   Path to the configuration file to use
  -D, --debug               Debug output
  -s, --server string       Remote trust server location
      --tlscacert string    Trust certs signed only by this CA
      --tlscert string      Path to TLS certificate file
      --tlskey string       Path to TLS key file
  -d, --trustDir string     Directory where the trust data is persisted to
  -v, --verbose             Verbose output
`;

/** `notary add` (no arguments): stdout of the real notary 0.7 */
const ADD_USAGE_ERROR = `Usage:
  notary add [ GUN ] <target> <file> [flags]

Flags:
      --custom string   Path to the file containing custom data for this target
  -h, --help            help for add
  -p, --publish         Automatically attempt to publish after staging the change. Will also publish existing staged changes.
  -r, --roles strings   Delegation roles to add this target to

${GLOBAL_FLAGS}
* fatal: Must specify a GUN, target, and path to target data
`;

/** `notary key generate -h` */
const GENERATE_HELP_USAGE = `Usage:
  notary key generate [ algorithm ] [flags]

Flags:
  -h, --help            help for generate
  -o, --output string   Filepath to write export output to
  -r, --role string     Role to generate key with, defaulting to "root". (default "root")

${GLOBAL_FLAGS}`;

async function notary(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io = { out: (s: string) => void (out += s), err: (s: string) => void (err += s) };
  const code = await execute(notaryRoot({ env: {}, cwd: '/', io }), args, io, notaryErrorText);
  return { code, out, err };
}

describe('notary grammar', () => {
  it('usage, help and errors print as the real notary prints them', async () => {
    assert.deepEqual(await notary('add'), { code: 1, out: ADD_USAGE_ERROR, err: '' });
    const help = await notary('key', 'generate', '-h');
    assert.equal(help.code, 0);
    assert.ok(help.out.endsWith(GENERATE_HELP_USAGE), help.out);
    assert.ok(help.out.startsWith('Generates a new key with a given algorithm. If hardware key storage'));
    assert.deepEqual(await notary('lst', 'g'), {
      code: 1,
      out: '\n* fatal: unknown command "lst" for "notary"\n\nDid you mean this?\n\tlist\n\n',
      err: '',
    });
    // cobra skips `--bogus list` as a flag and its value, so `g` is taken for the command
    assert.deepEqual(await notary('--bogus', 'list', 'g'), { code: 1, out: '\n* fatal: unknown command "g" for "notary"\n', err: '' });
    assert.deepEqual(await notary('list', 'g', '--bogus'), { code: 1, out: '\n* fatal: unknown flag: --bogus\n', err: '' });
    assert.deepEqual(await notary('init', 'g', '-p', '-x'), { code: 1, out: "\n* fatal: unknown shorthand flag: 'x' in -x\n", err: '' });
    assert.deepEqual(await notary('list', 'g', '-r'), { code: 1, out: "\n* fatal: flag needs an argument: 'r' in -r\n", err: '' });
    assert.deepEqual(await notary('reset', 'g', '-n', 'x'), {
      code: 1,
      out: '\n* fatal: invalid argument "x" for "-n, --number" flag: strconv.Atoi: parsing "x": invalid syntax\n',
      err: '',
    });
    assert.deepEqual(await notary('remove', 'g'), { code: 1, out: '\n* fatal: Must specify a GUN and target\n', err: '' });
    assert.deepEqual(await notary('key', 'generate', 'rsa'), {
      code: 1,
      out: '\n* fatal: Algorithm not allowed, possible values are: ECDSA\n',
      err: '',
    });
    const keyGroup = await notary('key', 'whatever');
    assert.equal(keyGroup.code, 0);
    assert.match(
      keyGroup.out,
      /^Operations on private keys\.\n\nUsage:\n {2}notary key \[command\]\n\nAvailable Commands:\n {2}export {6}Exports all keys/,
    );
    const root = await notary();
    assert.match(
      root.out,
      /^Usage:\n {2}notary \[flags\]\n {2}notary \[command\]\n\nAvailable Commands:\n {2}add {9}Adds the file as a target to the trusted collection\.\n {2}addhash /,
    );
    assert.match(
      root.out,
      /\n {6}--version {13}Print the version number of notary\n\nUse "notary \[command\] --help" for more information about a command\.\n$/,
    );
  });

  it('pflag syntax: flags anywhere, --flag=value, -fvalue, grouped booleans, repeated and comma-separated lists, --', () => {
    const spec: CommandSpec = {
      use: 'root',
      short: '',
      persistentFlags: [{ name: 'server', short: 's', kind: 'string', usage: '' }],
      commands: [
        {
          use: 'do',
          short: '',
          run: () => undefined,
          flags: [
            { name: 'roles', short: 'r', kind: 'strings', usage: '' },
            { name: 'yes', short: 'y', kind: 'bool', usage: '' },
            { name: 'publish', short: 'p', kind: 'bool', usage: '' },
            { name: 'number', short: 'n', kind: 'ints', usage: '' },
            { name: 'legacy', short: 'l', kind: 'int', usage: '' },
          ],
        },
      ],
    };
    const root = new Command(spec);
    const parse = (...args: string[]) => {
      const found = find(root, args);
      return parseFlags(found.cmd, found.args);
    };
    const a = parse(
      '-s',
      'https://x',
      'do',
      'gun',
      '-yp',
      '-r',
      'targets/a,targets/b',
      'name',
      '--roles=targets/c',
      '-rtargets/d',
      '-n',
      '1,2',
      '-n3',
      '-l',
      '0x10',
      '--',
      '-p',
    );
    assert.deepEqual(a.positional, ['gun', 'name', '-p']);
    assert.equal(a.flags.string('server'), 'https://x');
    assert.deepEqual([a.flags.bool('yes'), a.flags.bool('publish')], [true, true]);
    assert.deepEqual(a.flags.strings('roles'), ['targets/a', 'targets/b', 'targets/c', 'targets/d']);
    assert.deepEqual(a.flags.ints('number'), [1, 2, 3]);
    assert.equal(a.flags.int('legacy'), 16);
    const b = parse('do', '--publish=false', '--roles', '');
    assert.equal(b.flags.bool('publish'), false);
    // `--paths ""` is an empty list, not "not given" (notary's delegation commands tell them apart)
    assert.deepEqual(b.flags.strings('roles'), []);
    assert.equal(parse('do').flags.strings('roles'), undefined);
    assert.throws(
      () => parse('do', '--publish=maybe'),
      /invalid argument "maybe" for "-p, --publish" flag: strconv\.ParseBool: parsing "maybe": invalid syntax/,
    );
    assert.throws(() => parse('do', '--legacy'), /flag needs an argument: --legacy/);
  });

  it('lists are read as CSV', () => {
    assert.deepEqual(readCsvLine('a,b'), ['a', 'b']);
    assert.deepEqual(readCsvLine('"a,b",c'), ['a,b', 'c']);
    assert.deepEqual(readCsvLine('"say ""hi""",'), ['say "hi"', '']);
    assert.throws(() => readCsvLine('a"b'), /bare " in non-quoted-field/);
  });

  it('a command body reports failures as `* fatal:` with exit code 1; usage goes to stdout', async () => {
    let out = '';
    const io = { out: (s: string) => void (out += s), err: () => undefined };
    const root = new Command({
      use: 'tool',
      short: 'a tool',
      commands: [
        {
          use: 'fail <x>',
          short: 'fails',
          run: (inv: Invocation) => {
            inv.usage();
            throw new Error('it broke');
          },
        },
      ],
    });
    assert.equal(await execute(root, ['fail'], io, (e) => (e as Error).message), 1);
    assert.equal(out, 'Usage:\n  tool fail <x> [flags]\n\nFlags:\n  -h, --help   help for fail\n\n* fatal: it broke\n');
  });
});
