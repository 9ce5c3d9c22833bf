/**
 * `notary key list|generate|rotate|import|export|remove|passwd`
 * (`N:cmd/notary/keys.go`): flags and texts here, the work in the key use cases
 * (src/app/keys) over the trust directory's private keys (`<trust dir>/private/`,
 * shared with notary and docker).
 */
import { open, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { generateKey } from '../../../app/generate-key.js';
import { changePassphrase } from '../../../app/keys/change-passphrase.js';
import { exportKeys } from '../../../app/keys/export-keys.js';
import { generateKeyPair } from '../../../app/keys/generate-key-pair.js';
import { importKeys, type ImportedKey } from '../../../app/keys/import-keys.js';
import { isKeyError } from '../../../app/keys/key-error.js';
import type { KeyPassphrases } from '../../../app/keys/key-files.js';
import { listKeys } from '../../../app/keys/list-keys.js';
import { removeKey, type KeyToRemove } from '../../../app/keys/remove-key.js';
import { rotateKey } from '../../../app/keys/rotate-key.js';
import { CliFailure } from '../../cli-failure.js';
import type { CommandSpec } from '../../cobra/command.js';
import type { HostEnvironment } from './context.js';
import type { FileKeyStore } from '../../../adapters/keystore/file-keystore.js';
import { notaryErrorText, notaryTable, fsError } from './output.js';
import { askConfirm, publishChanges, usageError, withContext, type CommandRun } from './publish.js';

const MAX_GUN_WIDTH = 25;
const MAX_LOC_WIDTH = 40;

export function keyCommand(host: HostEnvironment): CommandSpec {
  return {
    use: 'key',
    short: 'Operates on keys.',
    long: 'Operations on private keys.',
    commands: [
      {
        use: 'list',
        short: 'Lists keys.',
        long: 'Lists all keys known to notary.',
        run: (inv) => {
          if (inv.args.length > 0) throw usageError(inv, '');
          return withContext(inv, host, list);
        },
      },
      {
        use: 'generate [ algorithm ]',
        short: 'Generates a new key with a given algorithm.',
        long: 'Generates a new key with a given algorithm. If hardware key storage (e.g. a Yubikey) is available, generated root keys will be stored both on hardware and on disk (so that it can be backed up).  Please make sure to back up and then remove this on-key disk immediatelyafterwards. If a `--output` file name is provided, two files will be written, <output>.pem and <output>-key.pem, containing the publicand private keys respectively (the key will not be stored in Notary\'s key storage, including any connected hardware storage). If no `--role` is provided, "root" will be assumed.',
        flags: [
          { name: 'output', short: 'o', kind: 'string', usage: 'Filepath to write export output to' },
          { name: 'role', short: 'r', kind: 'string', usage: 'Role to generate key with, defaulting to "root".', def: 'root' },
        ],
        run: (inv) => {
          if (inv.args.length > 1) throw usageError(inv, 'Please provide only one Algorithm as an argument to generate (rsa, ecdsa)');
          const algorithm = (inv.args[0] ?? 'ecdsa').toLowerCase();
          if (algorithm !== 'ecdsa') throw new CliFailure('Algorithm not allowed, possible values are: ECDSA');
          return withContext(inv, host, (r) => generate(r, host));
        },
      },
      {
        use: 'remove [ keyID ]',
        short: 'Removes the key with the given keyID.',
        long: 'Removes the key with the given keyID.  If the key is stored in more than one location, you will be asked which one to remove.',
        run: (inv) => {
          if (inv.args.length < 1) throw usageError(inv, 'must specify the key ID of the key to remove');
          return withContext(inv, host, (r) => remove(r, host));
        },
      },
      {
        use: 'passwd [ keyID ]',
        short: 'Changes the passphrase for the key with the given keyID.',
        long: 'Changes the passphrase for the key with the given keyID.  Will require validation of the old passphrase.',
        run: (inv) => {
          if (inv.args.length < 1) throw usageError(inv, 'must specify the key ID of the key to change the passphrase of');
          return withContext(inv, host, passwd);
        },
      },
      {
        use: 'rotate [ GUN ] [ key role ]',
        short: 'Rotate a signing (non-root) key of the given type for the given Globally Unique Name and role.',
        long: 'Generates a new key for the given Globally Unique Name and role (one of "snapshot", "targets", "root", or "timestamp").  If rotating to a server-managed key, a new key is requested from the server rather than generated.  If the generation or key request is successful, the key rotation is immediately published.  No other changes, even if they are staged, will be published.',
        flags: [
          {
            name: 'server-managed',
            short: 'r',
            kind: 'bool',
            usage:
              'Signing and key management will be handled by the remote server (no key will be generated or stored locally). Required for timestamp role, optional for snapshot role',
          },
          { name: 'legacy', short: 'l', kind: 'int', usage: "Number of old version's root roles to sign with to support old clients" },
          { name: 'key', short: 'k', kind: 'strings', usage: 'New key(s) to rotate to. If not specified, one will be generated.' },
        ],
        run: (inv) => {
          if (inv.args.length < 2) throw usageError(inv, 'Must specify a GUN and a key role to rotate');
          return withContext(inv, host, (r) => rotate(r, host));
        },
      },
      {
        use: 'import pemfile [ pemfile ... ]',
        short: 'Imports all keys from all provided .pem files',
        long: 'Imports all keys from all provided .pem files by reading each PEM block from the file and writing that block to a unique object in the local keystore. A Yubikey will be the preferred import location for root keys if present.',
        flags: [
          { name: 'role', short: 'r', kind: 'string', usage: 'Role to import key with, if a role is not already given in a PEM header' },
          { name: 'gun', short: 'g', kind: 'string', usage: 'Gun to import key with, if a gun is not already given in a PEM header' },
        ],
        run: (inv) => {
          if (inv.args.length < 1) throw usageError(inv, 'must specify at least one input file to import keys from');
          return withContext(inv, host, (r) => importFiles(r, host));
        },
      },
      {
        use: 'export',
        short: 'Exports all keys from all local keystores. Can be filtered using the --key and --gun flags.',
        long: 'Exports all keys from all local keystores. Which keys are exported can be restricted by using the --key or --gun flags. By default the result is sent to stdout, it can be directed to a file with the -o flag. Keys stored in a Yubikey cannot be exported.',
        flags: [
          { name: 'gun', kind: 'strings', usage: 'GUNs for which to export keys' },
          { name: 'key', kind: 'strings', usage: 'Key IDs to export' },
          { name: 'output', short: 'o', kind: 'string', usage: 'Filepath to write export output to' },
        ],
        run: (inv) => {
          if (inv.args.length > 0) throw usageError(inv, 'export does not take any positional arguments');
          return withContext(inv, host, (r) => exportFiles(r, host));
        },
      },
    ],
  };
}

function truncateLeft(s: string, max: number): string {
  return s.length <= max ? s : `...${s.slice(s.length - (max - 3))}`;
}

function keyDeps(r: CommandRun): { keys: FileKeyStore; passphrases: KeyPassphrases } {
  return { keys: r.ctx.keyStore, passphrases: r.ctx.keyPassphrases() };
}

async function list(r: CommandRun): Promise<void> {
  const keys = await listKeys(r.ctx.keyStore);
  r.report.set('keys', keys);
  r.report.text('\n');
  if (keys.length === 0) r.report.text('No signing keys found.\n');
  else {
    r.report.text(
      notaryTable(
        ['ROLE', 'GUN', 'KEY ID', 'LOCATION'],
        keys.map((k) => [k.role, truncateLeft(k.gun, MAX_GUN_WIDTH), k.keyId, truncateLeft(k.location, MAX_LOC_WIDTH)]),
      ),
    );
  }
  r.report.text('\n');
}

async function generate(r: CommandRun, host: HostEnvironment): Promise<void> {
  const role = r.inv.flags.string('role');
  const out = r.inv.flags.string('output');
  if (out === '') {
    let generated;
    try {
      generated = await generateKey(r.ctx.keyStore, r.ctx.passphrases(), { role });
    } catch (err) {
      throw new CliFailure(`Failed to create a new ${role} key: ${notaryErrorText(err)}`);
    }
    r.report.set('generated', { role, keyId: generated.keyId });
    r.report.text(`Generated new ecdsa ${role} key with keyID: ${generated.keyId}\n`);
    return;
  }
  // two files, nothing stored in the trust directory
  const pair = await generateKeyPair(r.ctx.keyPassphrases(), role);
  await writeFileMode(resolve(host.cwd, `${out}-key.pem`), pair.privatePem);
  await writeFileMode(resolve(host.cwd, `${out}.pem`), pair.publicPem);
  r.report.set('generated', { role, keyId: pair.keyId, publicKeyFile: `${out}.pem`, privateKeyFile: `${out}-key.pem` });
}

async function writeFileMode(path: string, text: string): Promise<void> {
  const handle = await open(path, 'w', 0o600);
  try {
    await handle.writeFile(text);
  } finally {
    await handle.close();
  }
}

async function rotate(r: CommandRun, host: HostEnvironment): Promise<void> {
  const { inv, ctx, report } = r;
  const [gun, role] = inv.args as [string, string];
  report.set('gun', gun);
  const serverManaged = inv.flags.bool('server-managed');
  const repo = await ctx.repository(gun);
  const result = await rotateKey(
    {
      ...keyDeps(r),
      ring: ctx.keyRing(),
      remote: repo.remote,
      readKeyFile: async (file) => {
        const path = resolve(host.cwd, file);
        try {
          return await readFile(path, 'utf8');
        } catch (err) {
          throw new CliFailure(`Error reading input root key file: ${fsError(err, path)}`);
        }
      },
      confirmRootRotation: async () => {
        report.text(
          'Warning: you are about to rotate your root key.\n\nYou must use your old key to sign this root rotation.\nAre you sure you want to proceed?  (yes/no)  ',
        );
        if (await askConfirm(host)) return true;
        report.text('\nAborting action.\n');
        return false;
      },
      publish: (changes) => publishChanges(r, repo, changes),
    },
    { gun, role, serverManaged, keyFiles: inv.flags.strings('key') ?? [] },
  );
  if (!result.rotated) return;
  report.text(`Successfully rotated ${role} key for repository ${gun}\n`);
  report.set('rotated', { role, keyIds: result.keyIds, serverManaged });
}

async function remove(r: CommandRun, host: HostEnvironment): Promise<void> {
  const keyId = r.inv.args[0] as string;
  if (keyId.length !== 64) throw new CliFailure(`invalid key ID provided: ${keyId}`);
  r.report.text('\n');
  const describe = (k: KeyToRemove) => `${k.keyId} (role ${k.role}) from ${k.location}`;
  let result;
  try {
    result = await removeKey(r.ctx.keyStore, keyId, async (key) => {
      r.report.text(`Are you sure you want to remove ${describe(key)}?  (yes/no)  `);
      return askConfirm(host);
    });
  } catch (err) {
    if (isKeyError(err, 'KEY_NOT_FOUND')) r.report.text('\n');
    throw err;
  }
  if (!result.removed) {
    r.report.text('\nAborting action.\n');
    r.report.text('\n');
    r.report.set('removed', false);
    return;
  }
  r.report.text(`\nDeleted ${describe(result)}.\n`);
  r.report.text('\n');
  r.report.set('removed', { keyId, role: result.role });
}

async function passwd(r: CommandRun): Promise<void> {
  const keyId = r.inv.args[0] as string;
  if (keyId.length !== 64) throw new CliFailure(`invalid key ID provided: ${keyId}`);
  await changePassphrase(keyDeps(r), keyId);
  r.report.text(`\nSuccessfully updated passphrase for key ID: ${keyId}\n`);
  r.report.set('updated', keyId);
}

async function importFiles(r: CommandRun, host: HostEnvironment): Promise<void> {
  const request = { fallbackRole: r.inv.flags.string('role'), fallbackGun: r.inv.flags.string('gun') };
  const imported: ImportedKey[] = [];
  for (const file of r.inv.args) {
    let pem: string;
    try {
      pem = await readFile(resolve(host.cwd, file), 'utf8');
    } catch (err) {
      throw new CliFailure(fsError(err, file));
    }
    imported.push(...(await importKeys(keyDeps(r), { ...request, pem }, (e) => r.ctx.log.warn(e.message))));
  }
  r.report.set('imported', imported);
}

async function exportFiles(r: CommandRun, host: HostEnvironment): Promise<void> {
  const guns = r.inv.flags.strings('gun') ?? [];
  const keyIds = r.inv.flags.strings('key') ?? [];
  if (guns.length > 0 && keyIds.length > 0)
    throw new CliFailure('Only the --gun or --key flag may be provided, not a mix of the two flags');
  const exported = await exportKeys(r.ctx.keyStore, { guns, keyIds });
  const output = r.inv.flags.string('output');
  if (output !== '') await writeFileMode(resolve(host.cwd, output), exported.pem);
  else if (!r.report.json) r.inv.io.out(exported.pem);
  r.report.set('exported', exported.keyIds);
}
