/** Creates a signing key as notary and docker do (always ECDSA P-256) and stores it encrypted. */
import { generateKeyPairSync } from 'node:crypto';
import { PublicKey } from '../core/keys/public-key.js';
import type { PassphraseSource, PrivateKeySaver } from '../core/ports.js';

export interface GeneratedKey {
  keyId: string;
  publicKey: PublicKey;
  role: string;
}

/** A new key for `role` (and `gun`), stored under a new passphrase asked of `passphrases`. */
export async function generateKey(
  store: PrivateKeySaver,
  passphrases: PassphraseSource,
  opts: { role: string; gun?: string },
): Promise<GeneratedKey> {
  const { role, gun } = opts;
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pub = PublicKey.fromKeyObject(publicKey);
  const passphrase = await passphrases.get({ role, keyId: pub.id, isNew: true, attempt: 0, ...(gun ? { gun } : {}) });
  const keyId = await store.save({ privateKey, role, passphrase, ...(gun ? { gun } : {}) });
  return { keyId, publicKey: pub, role };
}
