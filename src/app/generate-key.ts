/** Creates a signing key as notary and docker do (always ECDSA P-256) and stores it encrypted. */
import { generateKeyPairSync } from 'node:crypto';
import type { FileKeyStore } from '../adapters/keystore/file-keystore.js';
import type { PassphraseSource } from '../adapters/passphrase.js';
import { PublicKey } from '../core/keys/public-key.js';

export interface GeneratedKey {
  keyId: string;
  publicKey: PublicKey;
  role: string;
}

export async function generateKey(
  store: FileKeyStore,
  passphrases: PassphraseSource,
  opts: { role: string; gun?: string },
): Promise<GeneratedKey> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pub = PublicKey.fromKeyObject(publicKey);
  const passphrase = await passphrases.get({ role: opts.role, keyId: pub.id, isNew: true, ...(opts.gun ? { gun: opts.gun } : {}) });
  const keyId = await store.save({ privateKey, role: opts.role, passphrase, ...(opts.gun ? { gun: opts.gun } : {}) });
  return { keyId, publicKey: pub, role: opts.role };
}
