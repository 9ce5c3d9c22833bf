/**
 * Signature methods as notary 0.7 signs and verifies them
 * (`tuf/signed/verifiers.go`, `tuf/data/keys.go`).
 */
import { constants, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { CoreError } from '../errors.js';
import type { PublicKey } from './public-key.js';

export type SignatureMethod = 'ecdsa' | 'rsapss' | 'eddsa' | 'rsapkcs1v15' | 'pycrypto-pkcs#1 pss';

export interface Signature {
  keyid: string;
  method: string;
  sig: Buffer;
}

const MIN_RSA_BITS = 2048;

/**
 * True when `sig` is a valid signature of `message` by `key` with `method`.
 * False for a bad signature or a method that does not fit the key (notary
 * skips such signatures); never throws for attacker-controlled input.
 */
export function verifySignature(key: PublicKey, method: string, sig: Buffer, message: Buffer): boolean {
  let publicKey: KeyObject;
  try {
    publicKey = key.keyObject();
  } catch {
    return false;
  }
  try {
    switch (method) {
      case 'ecdsa':
        if (key.keyType !== 'ecdsa' && key.keyType !== 'ecdsa-x509') return false;
        if (sig.length !== 64) return false; // raw r||s for P-256; DER is refused as notary does
        return cryptoVerify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig);
      case 'eddsa':
        if (key.keyType !== 'ed25519' || sig.length !== 64) return false;
        return cryptoVerify(null, message, publicKey, sig);
      case 'rsapss':
      case 'rsapkcs1v15':
      case 'pycrypto-pkcs#1 pss': {
        if (key.keyType !== 'rsa' && key.keyType !== 'rsa-x509') return false;
        const bits = publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
        if (bits < MIN_RSA_BITS || sig.length < MIN_RSA_BITS / 8) return false;
        const padding = method === 'rsapkcs1v15' ? constants.RSA_PKCS1_PADDING : constants.RSA_PKCS1_PSS_PADDING;
        return cryptoVerify('sha256', message, { key: publicKey, padding, saltLength: 32 }, sig);
      }
      default:
        return false;
    }
  } catch {
    return false;
  }
}

/** The method notary uses to sign with a key of this type. */
export function signatureMethodFor(keyType: string): SignatureMethod {
  switch (keyType) {
    case 'ecdsa':
    case 'ecdsa-x509':
      return 'ecdsa';
    case 'rsa':
    case 'rsa-x509':
      return 'rsapss';
    case 'ed25519':
      return 'eddsa';
    default:
      throw new CoreError('UNSUPPORTED_KEY_TYPE', `cannot sign with a key of type ${JSON.stringify(keyType)}`);
  }
}

/** Signs `message` with a private key, in the byte format of `method`. */
export function signMessage(privateKey: KeyObject, method: SignatureMethod, message: Buffer): Buffer {
  switch (method) {
    case 'ecdsa':
      return cryptoSign('sha256', message, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    case 'eddsa':
      return cryptoSign(null, message, privateKey);
    case 'rsapss':
      return cryptoSign('sha256', message, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    case 'rsapkcs1v15':
      return cryptoSign('sha256', message, { key: privateKey, padding: constants.RSA_PKCS1_PADDING });
    default:
      throw new CoreError('UNSUPPORTED_SIGNATURE_METHOD', `dct does not sign with method ${method}`);
  }
}
