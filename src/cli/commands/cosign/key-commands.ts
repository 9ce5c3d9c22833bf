/**
 * cosign's `generate-key-pair`, `import-key-pair` and `public-key` (cosign 3's flags, files,
 * texts): key files in cosign's format, the password from COSIGN_PASSWORD, a terminal
 * prompt or stdin, and cosign's question before an existing key file is overwritten.
 */
import { access, writeFile, readFile, chmod } from 'node:fs/promises';
import { cosignKeyCodec } from '../../../adapters/cosign/cosign-key-codec.js';
import { cosignPasswordSource, type PasswordInput } from '../../../adapters/cosign/password.js';
import { generateKeyPair, importKeyPair, publicKeyOf, saveKeyPair, type KeyPairFiles } from '../../../app/cosign/keys/key-pair.js';
import type { PasswordSource } from '../../../app/cosign/keys/cosign-key-codec.js';
import type { CommandSpec, Io } from '../../cobra/command.js';

/** What the commands read besides their flags (tests pass their own). */
export interface CosignCommandEnv {
  env?: Record<string, string | undefined>;
  stdin?: PasswordInput;
}

export function cosignKeyCommands(deps: CosignCommandEnv = {}): CommandSpec[] {
  const password = (): PasswordSource => cosignPasswordSource({ env: deps.env ?? process.env, input: deps.stdin ?? process.stdin });
  return [
    {
      use: 'generate-key-pair',
      short: 'Generates a key-pair',
      long: 'Generates a key-pair for signing.',
      flags: [
        { name: 'kms', kind: 'string', usage: 'create key pair in KMS service to use for signing' },
        {
          name: 'output-key-prefix',
          kind: 'string',
          def: 'cosign',
          usage: 'name used for generated .pub and .key files (defaults to `cosign`)',
        },
      ],
      run: async (inv) => {
        if (inv.flags.string('kms') || inv.args.length > 0)
          throw new Error('dct cosign generates key pairs in files only: KMS, Kubernetes, GitHub and GitLab key stores are not supported');
        const pair = await generateKeyPair(cosignKeyCodec, password());
        await saveKeyPair(keyFiles, inv.flags.string('output-key-prefix'), pair, confirm(inv.io, deps, false), written(inv.io));
      },
    },
    {
      use: 'import-key-pair',
      short: 'Imports a PEM-encoded RSA or EC private key.',
      long: 'Imports a PEM-encoded RSA or EC private key for signing.',
      flags: [
        { name: 'key', short: 'k', kind: 'string', usage: 'import key pair to use for signing' },
        { name: 'output-key-prefix', short: 'o', kind: 'string', def: 'import-cosign', usage: 'name used for outputted key pairs' },
        { name: 'yes', short: 'y', kind: 'bool', usage: 'skip confirmation prompts for overwriting existing key' },
      ],
      run: async (inv) => {
        const keyPath = inv.flags.string('key');
        const pair = await importKeyPair(cosignKeyCodec, await readFile(keyPath), password());
        await saveKeyPair(
          keyFiles,
          inv.flags.string('output-key-prefix'),
          pair,
          confirm(inv.io, deps, inv.flags.bool('yes')),
          written(inv.io),
        );
      },
    },
    {
      use: 'public-key',
      short: 'Gets a public key from the key-pair.',
      long: 'Gets a public key from the key-pair and\nwrites to a specified file. By default, it will\nwrite to standard out.',
      flags: [
        { name: 'key', kind: 'string', usage: 'path to the private key file, KMS URI or Kubernetes Secret' },
        { name: 'outfile', kind: 'string', usage: 'path to a payload file to use rather than generating one' },
      ],
      run: async (inv) => {
        const keyPath = inv.flags.string('key');
        if (!keyPath) throw new Error('one of --key or --sk is required');
        const pem = await publicKeyOf(cosignKeyCodec, await readFile(keyPath), password());
        const outfile = inv.flags.string('outfile');
        if (outfile) {
          await writeFile(outfile, pem, { mode: 0o600 });
          inv.io.err(`Public key written to ${outfile}\n`);
        } else inv.io.out(pem);
      },
    },
  ];
}

const keyFiles: KeyPairFiles = {
  exists: async (path) =>
    access(path).then(
      () => true,
      () => false,
    ),
  write: async (path, text, mode) => {
    await writeFile(path, text, { mode });
    await chmod(path, mode);
  },
};

function written(io: Io): (what: 'Private' | 'Public', path: string) => void {
  return (what, path) => io.err(`${what} key written to ${path}\n`);
}

/** cosign's `WARNING: File … already exists. Overwrite?` then `[y/N]` on stdin */
function confirm(io: Io, deps: CosignCommandEnv, yes: boolean): (path: string) => Promise<boolean> {
  return async (path) => {
    io.err(`WARNING: File ${path} already exists. Overwrite?\n`);
    if (yes) return true;
    io.err('Are you sure you would like to continue? [y/N] ');
    const line = await readLine(deps.stdin ?? process.stdin);
    return line.trim().toLowerCase() === 'y';
  };
}

/** one line of stdin (cosign's y/N answers) */
export function readLine(input: PasswordInput): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const onData = (c: Buffer | string) => {
      text += c.toString();
      if (text.includes('\n')) done();
    };
    const done = () => {
      input.off('data', onData);
      input.off('end', done);
      input.pause();
      resolve(text.split('\n')[0] ?? '');
    };
    input.on('data', onData);
    input.on('end', done);
    input.resume();
  });
}
