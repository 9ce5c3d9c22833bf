#!/usr/bin/env node
/**
 * The dct command line: composition root of the CLI.
 *
 * Every command group is its own module, imported only when the command line
 * names it (`dct trust inspect …` loads the trust commands and nothing of the
 * server, the registry or the notary CLI); help and unknown commands load all.
 */
import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { enableCompileCache } from './compile-cache.js';

// first, before any other module of dct loads: node's on-disk cache of compiled code
enableCompileCache();

/** dct's version (package.json), read when asked for. */
const version = (): string =>
  (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

type Register = (program: Command) => void;

/** written by `npm run build` beside the bundled main.js (package.json `build`) */
const TRUST_BUNDLE = './trust-cli.bundle.js';

/** Top-level commands in `dct --help` order, each with the loader of its registration. */
const COMMANDS: ReadonlyArray<readonly [string, () => Promise<Register>]> = [
  [
    'key',
    async () => {
      const [{ registerKeyCommands }, { processOutput }] = await Promise.all([import('./commands/key.js'), import('./output.js')]);
      return (p) => registerKeyCommands(p, processOutput);
    },
  ],
  [
    'server',
    async () => {
      const [{ registerServerCommand }, { processOutput }] = await Promise.all([import('./commands/server.js'), import('./output.js')]);
      return (p) => registerServerCommand(p, processOutput);
    },
  ],
  [
    'signer',
    async () => {
      const [{ registerSignerCommand }, { processOutput }] = await Promise.all([import('./commands/signer.js'), import('./output.js')]);
      return (p) => registerSignerCommand(p, processOutput);
    },
  ],
  ['notary', async () => (await import('./commands/notary/register.js')).registerNotaryCommand],
  ['cosign', async () => (await import('./commands/cosign/register.js')).registerCosignCommand],
  ['notation', async () => (await import('./commands/notation/register.js')).registerNotationCommand],
  ['sigstore', async () => (await import('./commands/sigstore.js')).registerSigstoreCommand],
  ['trust', async () => (await import('./commands/trust/register.js')).registerTrustCommands],
  ['push', async () => (await import('./commands/push.js')).registerPushCommand],
  ['pull', async () => (await import('./commands/pull.js')).registerPullCommand],
  ['verify', async () => (await import('./commands/images/verify.js')).registerVerifyCommand],
  ['pin', async () => (await import('./commands/images/pin.js')).registerPinCommand],
  ['docker', async () => (await import('./commands/images/docker.js')).registerDockerCommand],
  ['policy', async () => (await import('./commands/policy.js')).registerPolicyCommand],
  ['admission', async () => (await import('./commands/admission.js')).registerAdmissionCommand],
  ['plugin', async () => (await import('./commands/plugin.js')).registerPluginCommand],
  [
    'tuf',
    async () => {
      const [{ registerTufVerify }, { processOutput }] = await Promise.all([import('./commands/tuf-verify.js'), import('./output.js')]);
      return (p) => registerTufVerify(p.command('tuf').description('work with TUF metadata files directly'), processOutput);
    },
  ],
];

/**
 * The commander program. With `argv`, only the command group it names is
 * registered (when it names one); without, or for help, every group.
 */
export async function buildProgram(argv?: readonly string[]): Promise<Command> {
  const { Command } = await import('commander');
  const program = new Command('dct')
    .description('Docker Content Trust, maintained: Notary v1 compatible trust data, keys and verification')
    .version(version(), '-v, --version')
    .showHelpAfterError()
    .exitOverride();
  const named = argv?.[2];
  const only = COMMANDS.find(([name]) => name === named);
  const loaders = only ? [only] : COMMANDS;
  const registers = await Promise.all(loaders.map(([, load]) => load()));
  for (const register of registers) register(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const { INVOKED_AS_ENV, notaryInvocation, pluginInvocation } = await import('./invocation.js');
  // a reader that stops early (`dct trust inspect … | head`) is not an error
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    });
  }
  const notaryArgs = notaryInvocation(argv);
  if (notaryArgs) {
    const { runNotaryCli } = await import('./commands/notary/register.js');
    return runNotaryCli(notaryArgs);
  }
  if (argv[2] === 'cosign') {
    // cosign's and notation's cobra grammars, parsed by their own commands
    const { runCosignCli } = await import('./commands/cosign/register.js');
    return runCosignCli(argv.slice(3));
  }
  if (argv[2] === 'notation') {
    const { runNotationCli } = await import('./commands/notation/register.js');
    return runNotationCli(argv.slice(3));
  }
  if (argv[2] === 'trust') {
    // docker's grammar, parsed by the trust commands themselves: no commander program needed
    const { runTrustCli } = await loadTrustCli();
    const code = await runTrustCli(argv.slice(3));
    // a trust command has finished all its work (cache written, connections done with): exit
    // once the output is flushed rather than wait for sockets and timers to wind down
    await flushed(process.stdout);
    await flushed(process.stderr);
    process.exit(code);
  }
  const pluginArgs = pluginInvocation(argv);
  if (pluginArgs) {
    delete process.env[INVOKED_AS_ENV];
    const [{ runPlugin }, { processIo }, { runTrust }] = await Promise.all([
      import('./commands/plugin.js'),
      import('./docker-trust/io.js'),
      import('./commands/trust/index.js'),
    ]);
    return runPlugin(pluginArgs, processIo(), version(), runTrust);
  }
  if (argv.length === 3 && (argv[2] === '--version' || argv[2] === '-v')) {
    // what commander prints for it, without loading commander and every command group
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const { CommanderError } = await import('commander');
  const [{ isCliFailure }, { isDctError }] = await Promise.all([import('./cli-failure.js'), import('../core/errors.js')]);
  try {
    await (await buildProgram(argv)).parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (isCliFailure(err)) {
      // a `reported` failure was printed by its command already
      if (err.kind !== 'reported') {
        process.stderr.write(`dct: ${err.message}${err.code ? ` [${err.code}]` : ''}\n`);
        if (err.hint) process.stderr.write(`hint: ${err.hint}\n`);
      }
      return err.exitCode;
    }
    if (isDctError(err)) {
      process.stderr.write(`dct: ${err.message} [${err.code}]\n`);
      return 1;
    }
    throw err;
  }
}

/** The trust commands: the single-file bundle when dct runs from its build, else the module graph. */
async function loadTrustCli(): Promise<typeof import('./trust-cli.js')> {
  const bundle = new URL(TRUST_BUNDLE, import.meta.url);
  if (bundle.pathname.endsWith('.js') && existsSync(bundle)) return (await import(bundle.href)) as typeof import('./trust-cli.js');
  return import('./trust-cli.js');
}

function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => (stream.writableLength === 0 ? resolve() : stream.write('', () => resolve())));
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // main words every failure itself; this is a bug's last word, not a stack trace
    process.stderr.write(`dct: unexpected failure: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
