/**
 * The notation CLI: the root command and its subcommands (configuration: `key`, `cert`,
 * `policy` in `config-commands.ts`; signatures: `sign`, `verify`, `list`, `inspect` in
 * `signature-commands.ts`).
 */
import { Command, type CommandSpec } from '../../cobra/command.js';
import { notationConfigCommands } from './config-commands.js';
import { notationSignatureCommands } from './signature-commands.js';

/** The root of notation's command tree. */
export function notationRoot(): Command {
  const commands: CommandSpec[] = [...notationSignatureCommands(), ...notationConfigCommands()];
  return new Command({ use: 'notation', short: 'Notation - a tool to sign and verify artifacts', commands });
}

/** Runs `notation ARGS…`; returns the exit code. */
export async function runNotation(args: string[]): Promise<number> {
  void notationRoot();
  process.stderr.write(`Error: unknown command ${JSON.stringify(args[0] ?? '')} for "notation"\n`);
  return Promise.resolve(1);
}
