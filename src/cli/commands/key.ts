/** `dct key list|generate`: private keys in notary's key-file format under `<trust dir>/private/`. */
import type { Command } from 'commander';
import { dirname } from 'node:path';
import { FileKeyStore } from '../../adapters/keystore/file-keystore.js';
import { createPassphraseSource } from '../../adapters/passphrase.js';
import { defaultTrustDir } from '../../adapters/trust-dir.js';
import { generateKey } from '../../app/generate-key.js';
import { DctError } from '../../core/errors.js';
import { isValidRoleName } from '../../core/tuf/roles.js';
import { parseFormat, type Output } from '../output.js';
import { tabwrite } from '../table.js';

const ROLE_ORDER = (role: string) => (role === 'root' ? 0 : role === 'targets' ? 1 : role === 'snapshot' ? 2 : 3);
const KEY_NAME = /^[a-z0-9][a-z0-9_-]*$/;

export function registerKeyCommands(program: Command, out: Output): void {
  const key = program.command('key').description('manage signing keys (shared with notary and docker: <trust dir>/private/<key id>.key)');

  key
    .command('list')
    .description('list the private keys in the trust directory (nothing is decrypted)')
    .option('-d, --trust-dir <dir>', 'trust directory', defaultTrustDir())
    .option('--format <format>', 'table or json', 'table')
    .action(async (opts: { trustDir: string; format: string }) => {
      const format = parseFormat(opts.format);
      const keys = (await new FileKeyStore(opts.trustDir).list()).sort(
        (a, b) => ROLE_ORDER(a.role) - ROLE_ORDER(b.role) || a.role.localeCompare(b.role) || a.keyId.localeCompare(b.keyId),
      );
      if (format === 'json') {
        out.json(keys.map((k) => ({ role: k.role, gun: k.gun ?? null, keyId: k.keyId, path: k.path })));
        return;
      }
      if (keys.length === 0) {
        out.text('\nNo signing keys found.\n\n');
        return;
      }
      out.text(
        '\n' +
          tabwrite([
            ['ROLE', 'GUN', 'KEY ID', 'LOCATION'],
            ['----', '---', '------', '--------'],
            ...keys.map((k) => [k.role, k.gun ?? '', k.keyId, dirname(k.path)]),
          ]) +
          '\n',
      );
    });

  key
    .command('generate')
    .description('create an ECDSA P-256 signing key, stored encrypted (passphrase from NOTARY_*/DOCKER_CONTENT_TRUST_* env or a prompt)')
    .option('-r, --role <role>', 'role the key is for: root, targets, snapshot, targets/<name>, or a signer name', 'root')
    .option('-g, --gun <gun>', 'repository the key belongs to (recorded for targets and snapshot keys)')
    .option('-d, --trust-dir <dir>', 'trust directory', defaultTrustDir())
    .option('--format <format>', 'table or json', 'table')
    .action(async (opts: { role: string; gun?: string; trustDir: string; format: string }) => {
      const format = parseFormat(opts.format);
      if (!isValidRoleName(opts.role) && !KEY_NAME.test(opts.role)) {
        throw new DctError(
          'INVALID_ARGUMENT',
          `--role ${JSON.stringify(opts.role)} is neither a TUF role nor a signer name (lower case, digits, - and _)`,
        );
      }
      const generated = await generateKey(new FileKeyStore(opts.trustDir), createPassphraseSource(), {
        role: opts.role,
        ...(opts.gun ? { gun: opts.gun } : {}),
      });
      if (format === 'json') out.json({ role: generated.role, keyId: generated.keyId });
      else out.text(`Generated new ecdsa ${generated.role} key with keyID: ${generated.keyId}\n`);
    });
}
