/**
 * How the dct command line reaches the notary CLI (kept small: the commands load
 * only when used): `dct notary …`, or dct run under the name `notary` (a symlink or
 * copy named `notary`), which makes dct a drop-in replacement for the binary.
 */
import type { Command } from 'commander';

export { notaryInvocation } from '../../invocation.js';

/** Runs the notary CLI; returns its exit code. */
export async function runNotaryCli(args: string[]): Promise<number> {
  const { runNotary } = await import('./index.js');
  return runNotary(args);
}

/** Lists `notary` in `dct --help` (main.ts dispatches notary command lines before commander parses them). */
export function registerNotaryCommand(program: Command): void {
  program
    .command('notary')
    .description(
      'the notary CLI 0.7: same commands, flags, outputs and exit codes (`dct notary --help`); also run as `notary` through a symlink',
    )
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .action(async (args: string[]) => {
      process.exitCode = await runNotaryCli(args);
    });
}
