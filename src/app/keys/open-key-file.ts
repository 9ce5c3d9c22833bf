/**
 * A private key given as a file (notary's readKey and importRootKey): the key is
 * opened with the passphrases asked for a root key; root keys must come encrypted.
 */
import { decodePrivateKeyFile, readKeyFileHeaders, type DecodedPrivateKeyFile } from '../../core/keys/key-file.js';
import { KeyError } from './key-error.js';
import type { KeyFiles, KeyPassphrases } from './key-files.js';

/** The private key of a key file's text; `mustBeEncrypted` refuses a key stored in the clear. */
export async function openKeyFile(passphrases: KeyPassphrases, pem: string, mustBeEncrypted: boolean): Promise<DecodedPrivateKeyFile> {
  let encrypted: boolean;
  try {
    encrypted = readKeyFileHeaders(pem).encrypted;
  } catch {
    throw new KeyError('KEY_IMPORT_FAILED', 'no valid private key found');
  }
  if (!encrypted && mustBeEncrypted) throw new KeyError('KEY_IMPORT_FAILED', 'only encrypted root keys may be imported');
  return passphrases.unlock({ role: 'root', keyId: '' }, (pass) => decodePrivateKeyFile(pem, pass));
}

/** notary importRootKey: an encrypted root key file, opened and stored under a new passphrase; returns its key ID */
export async function importRootKey(deps: { keys: KeyFiles; passphrases: KeyPassphrases }, pem: string): Promise<string> {
  const decoded = await openKeyFile(deps.passphrases, pem, true);
  const passphrase = await deps.passphrases.forNewKey({ role: 'root', keyId: decoded.publicKey.id });
  return deps.keys.save({ privateKey: decoded.privateKey, role: 'root', passphrase });
}
