/**
 * How the dct command line reaches the cosign CLI (`dct cosign …`, cosign 3's grammar):
 * listed in `dct --help`; main.ts dispatches the command line before commander parses it.
 */
import type { Command } from 'commander';

/** Runs the cosign CLI; returns its exit code. */
export async function runCosignCli(args: string[]): Promise<number> {
  const { runCosign } = await import('./index.js');
  return runCosign(args);
}

export function registerCosignCommand(program: Command): void {
  program
    .command('cosign')
    .description("cosign 3: sign and verify images and blobs in Sigstore's formats, same flags, files and outputs (`dct cosign --help`)")
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .action(async (args: string[]) => {
      process.exitCode = await runCosignCli(args);
    });
}
