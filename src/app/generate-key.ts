/** Creates a signing key as notary and docker do (always ECDSA P-256) and stores it encrypted. */
import { generateStoredKey, type FileKeyStore } from '../adapters/keystore/file-keystore.js';
import type { PassphraseSource } from '../adapters/passphrase.js';
import type { PublicKey } from '../core/keys/public-key.js';

export interface GeneratedKey {
  keyId: string;
  publicKey: PublicKey;
  role: string;
}

export async function generateKey(
  store: Pick<FileKeyStore, 'save'>,
  passphrases: PassphraseSource,
  opts: { role: string; gun?: string },
): Promise<GeneratedKey> {
  const { keyId, publicKey } = await generateStoredKey(store, passphrases, opts.role, opts.gun);
  return { keyId, publicKey, role: opts.role };
}
