/**
 * `dct trust …`: docker CLI 28's `docker trust` commands with its grammar,
 * messages, exit codes and JSON (spec §7), without a docker engine. The
 * arguments are parsed here, as docker's cobra does, not by commander.
 */
import type { Command } from 'commander';
import { CommandFailed } from '../../output.js';
import { helpText, parseArgs, PROGRAM, UsageError } from './args.js';
import type { TrustCommand } from './common.js';
import { inspectCommand } from './inspect.js';
import { processIo, type TrustIo } from './io.js';
import { keyGenerateCommand, keyLoadCommand } from './key.js';
import { revokeCommand } from './revoke.js';
import { signCommand } from './sign.js';
import { signerAddCommand, signerRemoveCommand } from './signer.js';
import { isDctError } from '../../../core/errors.js';

interface Group {
  path: string;
  short: string;
  groups?: Record<string, Group>;
  commands: Record<string, TrustCommand>;
}

const KEY: Group = {
  path: 'trust key',
  short: 'Manage keys for signing Docker images',
  commands: { generate: keyGenerateCommand, load: keyLoadCommand },
};
const SIGNER: Group = {
  path: 'trust signer',
  short: 'Manage entities who can sign Docker images',
  commands: { add: signerAddCommand, remove: signerRemoveCommand },
};
const TRUST: Group = {
  path: 'trust',
  short: 'Manage trust on Docker images',
  groups: { key: KEY, signer: SIGNER },
  commands: { inspect: inspectCommand, revoke: revokeCommand, sign: signCommand },
};

function groupUsage(g: Group): string {
  const list = (entries: Array<[string, string]>) => {
    const width = Math.max(...entries.map(([n]) => n.length), 10);
    return entries.map(([n, s]) => `  ${n.padEnd(width)}  ${s}`).join('\n');
  };
  let out = `Usage:  ${PROGRAM} ${g.path} COMMAND\n\n${g.short}\n\n`;
  if (g.groups) out += `Management Commands:\n${list(Object.entries(g.groups).map(([n, sub]) => [n, sub.short]))}\n\n`;
  out += `Commands:\n${list(Object.entries(g.commands).map(([n, c]) => [n, c.spec.short]))}\n\n`;
  out += `Run '${PROGRAM} ${g.path} COMMAND --help' for more information on a command.\n`;
  return out;
}

/** Runs `dct trust <argv…>`; returns the exit code (output already written). */
export async function runTrust(argv: readonly string[], io: TrustIo): Promise<number> {
  let group = TRUST;
  let i = 0;
  for (;;) {
    const word = argv[i];
    if (word === undefined || word === '--help' || word === '-h') {
      io.out(groupUsage(group));
      return 0;
    }
    if (word.startsWith('-')) {
      io.err(`unknown ${word.startsWith('--') ? `flag: ${word.split('=')[0]}` : `shorthand flag: '${word[1]}' in ${word}`}\n\nUsage:  ${PROGRAM} ${group.path}\n\nRun '${PROGRAM} ${group.path} --help' for more information\n`);
      return 125;
    }
    const sub = group.groups?.[word];
    if (sub) {
      group = sub;
      i++;
      continue;
    }
    const command = group.commands[word];
    if (!command) {
      io.err(`${PROGRAM}: unknown command: ${PROGRAM} ${group.path} ${word}\n\nUsage:  ${PROGRAM} ${group.path}\n\nRun '${PROGRAM} ${group.path} --help' for more information\n`);
      return 1;
    }
    let parsed;
    try {
      parsed = parseArgs(command.spec, argv.slice(i + 1));
    } catch (err) {
      if (err instanceof UsageError) {
        io.err(err.text);
        return err.exitCode;
      }
      throw err;
    }
    if (parsed.help) {
      io.out(helpText(command.spec));
      return 0;
    }
    try {
      return await command.run(parsed, io);
    } catch (err) {
      // failures the command did not word itself (e.g. a bad --format value)
      io.err(`${(err as Error).message}\n`);
      return isDctError(err, 'INVALID_ARGUMENT') ? 125 : 1;
    }
  }
}

export function registerTrustCommands(program: Command): void {
  // trust's own flags must reach it untouched (`dct trust sign -v` is not `dct -v`)
  program.enablePositionalOptions();
  program
    .command('trust')
    .description("docker trust, without a docker engine: sign tags, manage signers and keys, inspect trust data (docker CLI 28's grammar and outputs)")
    .helpOption(false)
    .passThroughOptions()
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .argument('[args...]')
    .action(async (args: string[]) => {
      const code = await runTrust(args, processIo());
      if (code !== 0) throw new CommandFailed(code);
    });
}
