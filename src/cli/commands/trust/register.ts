/**
 * `dct trust` in `dct --help`: main.ts runs `dct trust …` command lines itself
 * (docker's grammar, no commander), so this only lists the group and forwards.
 */
import type { Command } from 'commander';
import { CliFailure } from '../../cli-failure.js';
import { runTrust } from './index.js';
import { processIo } from '../../docker-trust/io.js';

export function registerTrustCommands(program: Command): void {
  // trust's own flags must reach it untouched (`dct trust sign -v` is not `dct -v`)
  program.enablePositionalOptions();
  program
    .command('trust')
    .description(
      "docker trust, without a docker engine: sign tags, manage signers and keys, inspect trust data (docker CLI 28's grammar and outputs)",
    )
    .helpOption(false)
    .passThroughOptions()
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .argument('[args...]')
    .action(async (args: string[]) => {
      const code = await runTrust(args, processIo());
      if (code !== 0) throw CliFailure.reported(code);
    });
}
