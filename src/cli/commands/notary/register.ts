/**
 * How the dct command line reaches the notary CLI (kept small: the commands load
 * only when used): `dct notary …`, or dct run under the name `notary` (a symlink or
 * copy named `notary`), which makes dct a drop-in replacement for the binary.
 */
import type { Command } from 'commander';
import { basename } from 'node:path';

/** The notary arguments of a command line (`process.argv`), or undefined when it is not a notary invocation. */
export function notaryInvocation(argv: readonly string[]): string[] | undefined {
  const program = basename(argv[1] ?? '').replace(/\.(c|m)?js$|\.ts$/, '');
  if (program === 'notary') return argv.slice(2);
  if (argv[2] === 'notary') return argv.slice(3);
  return undefined;
}

/** Runs the notary CLI; returns its exit code. */
export async function runNotaryCli(args: string[]): Promise<number> {
  const { runNotary } = await import('./index.js');
  return runNotary(args);
}

/** Lists `notary` in `dct --help` (main.ts dispatches notary command lines before commander parses them). */
export function registerNotaryCommand(program: Command): void {
  program
    .command('notary')
    .description('the notary CLI 0.7: same commands, flags, outputs and exit codes (`dct notary --help`); also run as `notary` through a symlink')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .action(async (args: string[]) => {
      process.exitCode = await runNotaryCli(args);
    });
}
