/**
 * The cosign CLI: the root command and its subcommands (key files and blobs:
 * `key-commands.ts`, `blob-commands.ts`; images: `image-commands.ts`).
 */
import { Command, type CommandSpec } from '../../cobra/command.js';
import { cosignBlobCommands } from './blob-commands.js';
import { cosignImageCommands } from './image-commands.js';
import { cosignKeyCommands } from './key-commands.js';

/** The root of cosign's command tree. */
export function cosignRoot(): Command {
  const commands: CommandSpec[] = [...cosignKeyCommands(), ...cosignBlobCommands(), ...cosignImageCommands()];
  return new Command({ use: 'cosign', short: 'A tool for Container Signing, Verification and Storage in an OCI registry.', commands });
}

/** Runs `cosign ARGS…`; returns the exit code. */
export async function runCosign(args: string[]): Promise<number> {
  void cosignRoot();
  process.stderr.write(`Error: unknown command ${JSON.stringify(args[0] ?? '')} for "cosign"\n`);
  return Promise.resolve(1);
}
