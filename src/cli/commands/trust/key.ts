/**
 * `dct trust key generate NAME [--dir DIR]` and `dct trust key load [--name NAME] KEYFILE`
 * (`C:cli/command/trust/key_generate.go`, `key_load.go`; spec §7.3, §7.4).
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { generateSignerKey, loadSignerKey } from '../../../app/docker-trust/keys.js';
import { invalidNameMessage, SIGNER_NAME } from '../../../app/docker-trust/roles.js';
import { stringFlag, type ParsedArgs } from './args.js';
import { FORMAT_FLAG, formatOf, type TrustCommand } from './common.js';
import { goFileError } from '../../docker-trust/go-text.js';
import { importPassphrasesOf, keyStoreOf, passphrasesOf } from '../../docker-trust/trust-context.js';
import { errorJson } from '../../docker-trust/docker-errors.js';
import { jsonOut, type TrustIo } from '../../docker-trust/io.js';

export const keyGenerateCommand: TrustCommand = {
  spec: {
    path: 'trust key generate',
    use: 'NAME',
    short: 'Generate and load a signing key-pair',
    flags: [{ name: 'dir', kind: 'string', help: 'Directory to generate key in, defaults to current directory' }, FORMAT_FLAG],
    args: { exact: 1 },
  },
  async run(p: ParsedArgs, io: TrustIo): Promise<number> {
    const format = formatOf(p);
    const name = p.args[0] as string;
    const dir = stringFlag(p, 'dir') || io.cwd;
    const say = (t: string) => (format === 'json' ? undefined : io.out(t));
    const fail = (message: string, err?: unknown) => {
      if (format === 'json') jsonOut(io, { error: errorJson(err, message, name) });
      else io.err(`${message}\n`);
      return 1;
    };
    if (!SIGNER_NAME.test(name)) return fail(invalidNameMessage('key', name));
    const at = (path: string) => (isAbsolute(path) ? path : resolve(io.cwd, path));
    try {
      await stat(at(dir));
    } catch {
      return fail(`public key path does not exist: "${dir}"`);
    }
    const pubPath = join(dir, `${name}.pub`);
    if (await exists(at(pubPath))) return fail(`public key file already exists: "${pubPath}"`);
    say(`Generating key for ${name}...\n`);
    let generated;
    try {
      generated = await generateSignerKey(await keyStoreOf(io), await passphrasesOf(io), name);
    } catch (err) {
      return fail(`failed to generate key for ${name}: ${(err as Error).message}`, err);
    }
    try {
      await writeFile(at(pubPath), generated.pem, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      return fail(`failed to write public key to ${pubPath}: ${goFileError('open', pubPath, err)}`, err);
    }
    if (format === 'json') jsonOut(io, { name, keyId: generated.keyId, publicKey: pubPath });
    else say(`Successfully generated and loaded private key. Corresponding public key available: ${pubPath}\n`);
    return 0;
  },
};

export const keyLoadCommand: TrustCommand = {
  spec: {
    path: 'trust key load',
    use: '[OPTIONS] KEYFILE',
    short: 'Load a private key file for signing',
    flags: [{ name: 'name', kind: 'string', help: 'Name for the loaded key', default: 'signer' }, FORMAT_FLAG],
    args: { exact: 1 },
  },
  async run(p: ParsedArgs, io: TrustIo): Promise<number> {
    const format = formatOf(p);
    const file = p.args[0] as string;
    const name = stringFlag(p, 'name') ?? 'signer';
    const fail = (message: string, err?: unknown) => {
      if (format === 'json') jsonOut(io, { error: errorJson(err, message, name) });
      else io.err(`${message}\n`);
      return 1;
    };
    if (name !== '' && !SIGNER_NAME.test(name)) return fail(invalidNameMessage('key', name));
    if (format !== 'json') io.out(`Loading key from "${file}"...\n`);
    const path = isAbsolute(file) ? file : resolve(io.cwd, file);
    let text: string;
    try {
      const st = await stat(path);
      if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
        return fail(`refusing to load key from ${file}: private key file ${file} must not be readable or writable by others`);
      }
      text = await readFile(path, 'utf8');
    } catch (err) {
      return fail(`refusing to load key from ${file}: ${goFileError('stat', file, err)}`, err);
    }
    let loaded;
    try {
      loaded = await loadSignerKey(await keyStoreOf(io), await importPassphrasesOf(io), text, name, file);
    } catch (err) {
      return fail(`error importing key from ${file}: ${(err as Error).message}`, err);
    }
    if (format === 'json') jsonOut(io, { file, role: loaded.role, keyId: loaded.keyId });
    else io.out(`Successfully imported key from ${file}\n`);
    return 0;
  },
};

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
