/** cosign's key files and key cryptography, as one object for the use cases' CosignKeyCodec port. */
import { createPublicKey, type KeyObject } from 'node:crypto';
import {
  COSIGN_PRIVATE_KEY_PEM_TYPE,
  SIGSTORE_PRIVATE_KEY_PEM_TYPE,
  generateCosignKeyPair,
  readCosignPrivateKey,
  readCosignPublicKey,
  writeCosignPrivateKey,
  writeCosignPublicKey,
} from './key-file.js';
import { decodePem } from './pem-block.js';
import { verifyWith } from './signature-algorithm.js';

export const cosignKeyCodec = {
  generate: (): KeyObject => generateCosignKeyPair().privateKey,
  isEncrypted: (pem: string | Buffer): boolean => {
    const type = decodePem(pem)?.type;
    return type === SIGSTORE_PRIVATE_KEY_PEM_TYPE || type === COSIGN_PRIVATE_KEY_PEM_TYPE;
  },
  readPrivate: readCosignPrivateKey,
  readPublic: readCosignPublicKey,
  writePrivate: (key: KeyObject, password: string): string => writeCosignPrivateKey(key, password),
  writePublic: (key: KeyObject): string => writeCosignPublicKey(key.type === 'private' ? createPublicKey(key) : key),
  verifySignature: verifyWith,
};
