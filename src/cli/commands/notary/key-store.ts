/**
 * The key use cases' ports (src/app/keys/key-files.ts) over dct's key store and
 * passphrase sources, as the notary CLI builds them.
 *
 * `readText`/`writeText` (key files as they are, for export and import) belong in
 * FileKeyStore itself (src/adapters/keystore); they live here until it has them.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FileKeyStore, type StoredKeyInfo } from '../../../adapters/keystore/file-keystore.js';
import { unlockWithPassphrase, type PassphraseSource } from '../../../adapters/passphrase.js';
import type { KeyFiles, KeyPassphrases } from '../../../app/keys/key-files.js';
import { DctError } from '../../../core/errors.js';

const SAFE_KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export class NotaryKeyStore extends FileKeyStore implements KeyFiles {
  readText(key: Pick<StoredKeyInfo, 'path'>): Promise<string> {
    return readFile(key.path, 'utf8');
  }

  /** `private/<name>.key`, mode 0600, written atomically (temp file, rename) */
  async writeText(name: string, text: string): Promise<void> {
    if (!SAFE_KEY_NAME.test(name)) throw new DctError('INVALID_KEY_FILE_NAME', `invalid key file name ${JSON.stringify(name)}`);
    await mkdir(this.privateDir, { recursive: true, mode: 0o700 });
    const target = join(this.privateDir, `${name}.key`);
    const temp = join(this.privateDir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.writeFile(text);
    } finally {
      await handle.close();
    }
    await rename(temp, target).catch(async (err) => {
      await rm(temp, { force: true });
      throw err;
    });
  }
}

/** The KeyPassphrases port over a passphrase source (notary's rules for retries). */
export function keyPassphrases(source: PassphraseSource): KeyPassphrases {
  return {
    forNewKey: (key) => source.get({ ...key, isNew: true }),
    unlock: (key, openKey) => unlockWithPassphrase(source, key, openKey),
  };
}
