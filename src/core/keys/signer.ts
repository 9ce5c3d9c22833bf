/**
 * Signing is injected: metadata asks a `Signer` for signatures and never sees
 * private keys. `KeySigner` signs in process; a remote signer service or a KMS
 * implements the same interface.
 */
import type { KeyObject } from 'node:crypto';
import { CoreError } from '../errors.js';
import type { PublicKey } from './public-key.js';
import { signatureMethodFor, signMessage, type Signature } from './signature.js';

export interface Signer {
  /** the key as it appears in metadata (for a root: the certificate key) */
  readonly publicKey: PublicKey;
  sign(message: Buffer): Promise<Signature>;
}

export class KeySigner implements Signer {
  constructor(
    private readonly privateKey: KeyObject,
    readonly publicKey: PublicKey,
  ) {
    if (privateKey.type !== 'private') throw new CoreError('INVALID_KEY', 'KeySigner needs a private key');
  }

  sign(message: Buffer): Promise<Signature> {
    const method = signatureMethodFor(this.publicKey.keyType);
    return Promise.resolve({ keyid: this.publicKey.id, method, sig: signMessage(this.privateKey, method, message) });
  }
}
