#!/usr/bin/env node
/** The dct command line: composition root of the CLI. */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { isDctError } from '../core/errors.js';
import { registerKeyCommands } from './commands/key.js';
import { notaryInvocation, registerNotaryCommand, runNotaryCli } from './commands/notary/register.js';
import { registerServerCommand } from './commands/server.js';
import { registerSignerCommand } from './commands/signer.js';
import { registerTufVerify } from './commands/tuf-verify.js';
import { registerTrustCommands } from './commands/trust/index.js';
import { registerDockerCommand } from './commands/images/docker.js';
import { registerPinCommand } from './commands/images/pin.js';
import { registerPullCommand } from './commands/pull.js';
import { registerPushCommand } from './commands/push.js';
import { registerVerifyCommand } from './commands/images/verify.js';
import { INVOKED_AS_ENV, pluginInvocation, registerPluginCommand, runPlugin } from './commands/plugin.js';
import { processIo } from './commands/trust/io.js';
import { processOutput } from './output.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export function buildProgram(): Command {
  const program = new Command('dct')
    .description('Docker Content Trust, maintained: Notary v1 compatible trust data, keys and verification')
    .version(pkg.version, '-v, --version')
    .showHelpAfterError()
    .exitOverride();
  registerKeyCommands(program, processOutput);
  registerServerCommand(program, processOutput);
  registerSignerCommand(program, processOutput);
  registerNotaryCommand(program);
  registerTrustCommands(program);
  registerPushCommand(program);
  registerPullCommand(program);
  registerVerifyCommand(program);
  registerPinCommand(program);
  registerDockerCommand(program);
  registerPluginCommand(program);
  const tuf = program.command('tuf').description('work with TUF metadata files directly');
  registerTufVerify(tuf, processOutput);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const notaryArgs = notaryInvocation(argv);
  if (notaryArgs) return runNotaryCli(notaryArgs);
  const pluginArgs = pluginInvocation(argv);
  if (pluginArgs) {
    delete process.env[INVOKED_AS_ENV];
    return runPlugin(pluginArgs, processIo(), pkg.version);
  }
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (isDctError(err)) {
      process.stderr.write(`dct: ${err.message} [${err.code}]\n`);
      return 1;
    }
    throw err;
  }
}

main(process.argv).then((code) => {
  process.exitCode = code;
});
