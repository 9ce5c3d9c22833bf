/**
 * The notation CLI (`dct notation …`, notation 1.x's grammar): the root command and its
 * subcommands (configuration: `key`, `cert`, `policy` in `config-commands.ts`; signatures:
 * `sign`, `verify`, `list`/`ls`, `inspect` in `signature-commands.ts`). Failures print as
 * notation's cobra prints them: `Error: <message>` on stderr, exit 1.
 */
import { DctError } from '../../../core/errors.js';
import { isCliFailure } from '../../cli-failure.js';
import { Command, type CommandSpec, type Io } from '../../cobra/command.js';
import { find } from '../../cobra/find.js';
import { parseFlags } from '../../cobra/flags.js';
import { notationConfigCommands } from './config-commands.js';
import { defaultNotationServices } from './default-services.js';
import type { NotationServices } from './notation-services.js';
import { notationSignatureCommands } from './signature-commands.js';

/** The root of notation's command tree. */
export function notationRoot(services: () => NotationServices, env: Readonly<Record<string, string | undefined>> = process.env): Command {
  const commands: CommandSpec[] = [
    ...notationSignatureCommands(services),
    ...notationConfigCommands({ env }),
    {
      use: 'help [command]',
      short: 'Help about any command',
      long: 'Help provides help for any command in the application.\nSimply type notation help [path to command] for full details.',
      run: () => undefined,
    },
  ];
  return new Command({ use: 'notation', short: 'Notation - a tool to sign and verify artifacts', commands });
}

export interface NotationHost {
  io?: Io;
  env?: Readonly<Record<string, string | undefined>>;
  /** the services the commands use (tests pass doubles) */
  services?: NotationServices;
}

/** notation's alias `ls` for `list`: the first word that is not a flag (or the one after `help`) */
function withAliases(args: string[]): string[] {
  const words = args.flatMap((a, i) => (a.startsWith('-') ? [] : [i]));
  const at = args[words[0] ?? -1] === 'help' ? words[1] : words[0];
  return at !== undefined && args[at] === 'ls' ? [...args.slice(0, at), 'list', ...args.slice(at + 1)] : args;
}

function errorText(err: unknown): string {
  if (err instanceof DctError || isCliFailure(err) || err instanceof Error) return err.message;
  return String(err);
}

/** Runs `notation ARGS…`; returns the exit code. */
export async function runNotation(rawArgs: string[], host: NotationHost = {}): Promise<number> {
  const io: Io = host.io ?? { out: (s) => void process.stdout.write(s), err: (s) => void process.stderr.write(s) };
  let services: NotationServices | undefined = host.services;
  const env = host.env ?? process.env;
  const root = notationRoot(() => (services ??= defaultNotationServices(env)), env);
  const args = withAliases(rawArgs);
  let found;
  try {
    found = find(root, args);
  } catch (err) {
    io.err(`Error: ${errorText(err)}\nRun 'notation --help' for usage.\n`);
    return 1;
  }
  const { cmd } = found;
  if (cmd.name === 'help' && cmd.parent === root) {
    let target = root;
    for (const word of found.args.filter((a) => !a.startsWith('-'))) target = target.children.find((c) => c.name === word) ?? target;
    io.out(target.helpString());
    return 0;
  }
  let parsed;
  try {
    parsed = parseFlags(cmd, found.args);
  } catch (err) {
    io.err(`Error: ${errorText(err)}\n`);
    return 1;
  }
  if (parsed.flags.bool('help') || !cmd.runnable) {
    io.out(cmd.helpString());
    return 0;
  }
  try {
    await cmd.spec.run?.({ command: cmd, args: parsed.positional, flags: parsed.flags, io, usage: () => io.out(cmd.usageString()) });
    return 0;
  } catch (err) {
    if (isCliFailure(err, 'reported')) return err.exitCode;
    io.err(`Error: ${errorText(err)}\n`);
    return isCliFailure(err) ? err.exitCode : 1;
  }
}
