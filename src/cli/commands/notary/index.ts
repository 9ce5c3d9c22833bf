/**
 * `dct notary …`, and dct run under the name `notary`: the notary CLI 0.7 with its
 * grammar, outputs, error texts and exit codes, over dct's client core — a
 * drop-in replacement for the `notary` binary. One extension: `--format json`
 * on every command prints one JSON document instead of notary's text.
 */
import { readFileSync } from 'node:fs';
import { execute } from './cobra.js';
import { Command, type CommandSpec, type Io } from '../../cobra/command.js';
import type { HostEnvironment } from './context.js';
import { delegationCommand } from './delegation.js';
import { keyCommand } from './key.js';
import { notaryErrorText } from './output.js';
import { repositoryCommands } from './repo.js';

/** dct's version (the package.json above this module, also from a bundle) */
const VERSION = (() => {
  for (let up = '../'; up.length <= 18; up += '../') {
    try {
      const pkg = JSON.parse(readFileSync(new URL(`${up}package.json`, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'dct') return pkg.version ?? '';
    } catch {
      // not here
    }
  }
  return '';
})();

export function notaryRoot(host: HostEnvironment): Command {
  const spec: CommandSpec = {
    use: 'notary',
    short: 'Notary allows the creation of trusted collections.',
    long: 'Notary allows the creation and management of collections of signed targets, allowing the signing and validation of arbitrary content.',
    persistentFlags: [
      { name: 'trustDir', short: 'd', kind: 'string', usage: 'Directory where the trust data is persisted to' },
      { name: 'configFile', short: 'c', kind: 'string', usage: 'Path to the configuration file to use' },
      { name: 'verbose', short: 'v', kind: 'bool', usage: 'Verbose output' },
      { name: 'debug', short: 'D', kind: 'bool', usage: 'Debug output' },
      { name: 'server', short: 's', kind: 'string', usage: 'Remote trust server location' },
      { name: 'tlscacert', kind: 'string', usage: 'Trust certs signed only by this CA' },
      { name: 'tlscert', kind: 'string', usage: 'Path to TLS certificate file' },
      { name: 'tlskey', kind: 'string', usage: 'Path to TLS key file' },
      { name: 'format', kind: 'string', usage: "Output format: table (notary's text) or json", hidden: true },
    ],
    flags: [{ name: 'version', kind: 'bool', usage: 'Print the version number of notary' }],
    run: (inv) => {
      if (inv.flags.bool('version')) {
        inv.io.out(`notary Version: ${VERSION}, Git commit: dct, Go version: node${process.versions.node}\n`);
        return;
      }
      inv.usage();
    },
    commands: [
      {
        use: 'version',
        short: 'Print the version number of notary',
        long: 'Print the version number of notary',
        run: (inv) => inv.io.out(`notary\n Version:    ${VERSION}\n Git commit: dct\n Go version: node${process.versions.node}\n`),
      },
      {
        use: 'help [command]',
        short: 'Help about any command',
        long: 'Help provides help for any command in the application.\nSimply type notary help [path to command] for full details.',
        run: () => undefined,
      },
      {
        use: 'completion',
        short: 'Generate the autocompletion script for the specified shell',
        long: "Generate the autocompletion script for notary for the specified shell.\nSee each sub-command's help for details on how to use the generated script.\n",
      },
      keyCommand(host),
      delegationCommand(host),
      ...repositoryCommands(host),
    ],
  };
  return new Command(spec);
}

/** Runs the notary command line (arguments after `notary`); returns the exit code. */
export async function runNotary(args: string[], host: Partial<HostEnvironment> = {}): Promise<number> {
  const io: Io = host.io ?? {
    out: (s) => void process.stdout.write(s),
    err: (s) => void process.stderr.write(s),
    bytes: (b) => void process.stdout.write(b),
  };
  const env: HostEnvironment = {
    env: host.env ?? process.env,
    cwd: host.cwd ?? process.cwd(),
    io,
    ...(host.stdin ? { stdin: host.stdin } : {}),
  };
  const json = args.some((a, i) => a === '--format=json' || (a === '--format' && args[i + 1] === 'json'));
  if (json) {
    // errors as JSON too
    let captured = '';
    const jsonIo: Io = { out: (s) => (captured += s), err: io.err };
    const code = await execute(notaryRoot({ ...env, io: jsonIo }), args, jsonIo, notaryErrorText);
    if (code === 0) io.out(captured);
    else io.out(JSON.stringify({ error: captured.replace(/^[\s\S]*?\* fatal: /, '').trim() }, null, 2) + '\n');
    return code;
  }
  return execute(notaryRoot(env), args, io, notaryErrorText);
}
