/**
 * notary `key generate --output`: a new ECDSA P-256 key as two PEM texts, the
 * private key encrypted under a new passphrase and the public key, stored nowhere
 * (the caller writes them where it was asked to).
 */
import { generateKeyPairSync } from 'node:crypto';
import { encodePem } from '../../core/encoding.js';
import { encodePrivateKeyFile } from '../../core/keys/key-file.js';
import { PublicKey } from '../../core/keys/public-key.js';
import { ATTEMPTS_EXCEEDED, KeyError } from './key-error.js';
import type { KeyPassphrases } from './key-files.js';

export interface GeneratedKeyPair {
  keyId: string;
  privatePem: string;
  publicPem: string;
}

export async function generateKeyPair(passphrases: KeyPassphrases, role: string): Promise<GeneratedKeyPair> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pub = PublicKey.fromKeyObject(publicKey);
  let passphrase: string;
  try {
    passphrase = await passphrases.forNewKey({ role: '', keyId: pub.id });
  } catch (err) {
    throw new KeyError('PASSPHRASE_ATTEMPTS_EXCEEDED', ATTEMPTS_EXCEEDED, { cause: err });
  }
  if (passphrase === '') throw new KeyError('EMPTY_PASSPHRASE', 'no password provided');
  return {
    keyId: pub.id,
    privatePem: encodePrivateKeyFile({ privateKey, role, passphrase }),
    publicPem: encodePem({ type: 'PUBLIC KEY', headers: { role }, bytes: pub.publicBytes }),
  };
}
