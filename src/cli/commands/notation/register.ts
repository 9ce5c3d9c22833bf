/**
 * How the dct command line reaches the notation CLI (`dct notation …`, notation 1.x's
 * grammar): listed in `dct --help`; main.ts dispatches the command line before commander parses it.
 */
import type { Command } from 'commander';

/** Runs the notation CLI; returns its exit code. */
export async function runNotationCli(args: string[]): Promise<number> {
  const { runNotation } = await import('./index.js');
  return runNotation(args);
}

export function registerNotationCommand(program: Command): void {
  program
    .command('notation')
    .description(
      "notation 1.x: sign and verify OCI artifacts in the Notary Project's formats, same flags, files and outputs (`dct notation --help`)",
    )
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .action(async (args: string[]) => {
      process.exitCode = await runNotationCli(args);
    });
}
