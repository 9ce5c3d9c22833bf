/**
 * `dct trust …`: docker CLI 28's `docker trust` commands with its grammar,
 * messages, exit codes and JSON (spec §7), without a docker engine. The
 * arguments are parsed here, as docker's cobra does, not by commander.
 */
import { helpText, parseArgs, PROGRAM } from './args.js';
import { isCliFailure } from '../../cli-failure.js';
import type { TrustCommand } from './common.js';
import type { TrustIo } from '../../docker-trust/io.js';
import { isDctError } from '../../../core/errors.js';

/** A command of a group: its one-line summary, and its module, loaded only when it runs. */
interface LazyCommand {
  short: string;
  load(): Promise<TrustCommand>;
}

interface Group {
  path: string;
  short: string;
  groups?: Record<string, Group>;
  commands: Record<string, LazyCommand>;
}

// (each `short` is the command's own spec.short; a test keeps them equal)
const KEY: Group = {
  path: 'trust key',
  short: 'Manage keys for signing Docker images',
  commands: {
    generate: { short: 'Generate and load a signing key-pair', load: async () => (await import('./key.js')).keyGenerateCommand },
    load: { short: 'Load a private key file for signing', load: async () => (await import('./key.js')).keyLoadCommand },
  },
};
const SIGNER: Group = {
  path: 'trust signer',
  short: 'Manage entities who can sign Docker images',
  commands: {
    add: { short: 'Add a signer', load: async () => (await import('./signer.js')).signerAddCommand },
    remove: { short: 'Remove a signer', load: async () => (await import('./signer.js')).signerRemoveCommand },
  },
};
const TRUST: Group = {
  path: 'trust',
  short: 'Manage trust on Docker images',
  groups: { key: KEY, signer: SIGNER },
  commands: {
    inspect: {
      short: 'Return low-level information about keys and signatures',
      load: async () => (await import('./inspect.js')).inspectCommand,
    },
    revoke: { short: 'Remove trust for an image', load: async () => (await import('./revoke.js')).revokeCommand },
    sign: { short: 'Sign an image', load: async () => (await import('./sign.js')).signCommand },
    export: {
      short: 'Export trust data as a self-contained, verifiable bundle',
      load: async () => (await import('./export.js')).exportCommand,
    },
    'verify-bundle': { short: 'Verify a trust bundle offline', load: async () => (await import('./verify-bundle.js')).verifyBundleCommand },
    migrate: {
      short: 'Move repositories with their history to a dct server',
      load: async () => (await import('./migrate.js')).migrateCommand,
    },
    resign: {
      short: 'Re-sign the tags DCT verifies as cosign or Notation signatures',
      load: async () => (await import('./resign.js')).resignCommand,
    },
  },
};

/** Every command of `dct trust` by its path (`trust key generate`), loaded: for tests and help checks. */
export async function allTrustCommands(): Promise<Array<{ path: string; short: string; command: TrustCommand }>> {
  const out: Array<{ path: string; short: string; command: TrustCommand }> = [];
  const walk = async (g: Group): Promise<void> => {
    for (const [name, c] of Object.entries(g.commands)) out.push({ path: `${g.path} ${name}`, short: c.short, command: await c.load() });
    for (const sub of Object.values(g.groups ?? {})) await walk(sub);
  };
  await walk(TRUST);
  return out;
}

function groupUsage(g: Group): string {
  const list = (entries: Array<[string, string]>) => {
    const width = Math.max(...entries.map(([n]) => n.length), 10);
    return entries.map(([n, s]) => `  ${n.padEnd(width)}  ${s}`).join('\n');
  };
  let out = `Usage:  ${PROGRAM} ${g.path} COMMAND\n\n${g.short}\n\n`;
  if (g.groups) out += `Management Commands:\n${list(Object.entries(g.groups).map(([n, sub]) => [n, sub.short]))}\n\n`;
  out += `Commands:\n${list(Object.entries(g.commands).map(([n, c]) => [n, c.short]))}\n\n`;
  out += `Run '${PROGRAM} ${g.path} COMMAND --help' for more information on a command.\n`;
  return out;
}

/** Runs `dct trust <argv…>`; returns the exit code (output already written). */
export async function runTrust(argv: readonly string[], io: TrustIo): Promise<number> {
  let group = TRUST;
  let i = 0;
  for (;;) {
    const word = argv[i];
    if (word === undefined || word === '--help' || word === '-h') {
      io.out(groupUsage(group));
      return 0;
    }
    if (word.startsWith('-')) {
      io.err(
        `unknown ${word.startsWith('--') ? `flag: ${word.split('=')[0]}` : `shorthand flag: '${word[1]}' in ${word}`}\n\nUsage:  ${PROGRAM} ${group.path}\n\nRun '${PROGRAM} ${group.path} --help' for more information\n`,
      );
      return 125;
    }
    const sub = group.groups && Object.hasOwn(group.groups, word) ? group.groups[word] : undefined;
    if (sub) {
      group = sub;
      i++;
      continue;
    }
    const lazy = Object.hasOwn(group.commands, word) ? group.commands[word] : undefined;
    if (!lazy) {
      io.err(
        `${PROGRAM}: unknown command: ${PROGRAM} ${group.path} ${word}\n\nUsage:  ${PROGRAM} ${group.path}\n\nRun '${PROGRAM} ${group.path} --help' for more information\n`,
      );
      return 1;
    }
    const command = await lazy.load();
    let parsed;
    try {
      parsed = parseArgs(command.spec, argv.slice(i + 1));
    } catch (err) {
      if (isCliFailure(err, 'usage')) {
        io.err(err.message);
        return err.exitCode;
      }
      throw err;
    }
    if (parsed.help) {
      io.out(helpText(command.spec));
      return 0;
    }
    try {
      return await command.run(parsed, io);
    } catch (err) {
      // failures the command did not word itself (e.g. a bad --format value)
      io.err(`${(err as Error).message}\n`);
      return isDctError(err, 'INVALID_ARGUMENT') ? 125 : 1;
    }
  }
}
