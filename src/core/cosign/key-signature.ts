/**
 * Signatures made and checked with a key (cosign's `--key`): ECDSA (ASN.1 DER signatures,
 * SHA-256 for P-256, SHA-384 for P-384, SHA-512 for P-521, as sigstore's default signers),
 * RSA PKCS #1 v1.5 with SHA-256, Ed25519. The signer's key ID is the SHA-256 of its
 * SubjectPublicKeyInfo.
 */
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

function hashFor(key: KeyObject): string | null {
  if (key.asymmetricKeyType === 'ed25519') return null;
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'secp384r1') return 'sha384';
    if (curve === 'secp521r1') return 'sha512';
  }
  return 'sha256';
}

/** Signs bytes with a private key. */
export function signWithKey(privateKey: KeyObject, bytes: Uint8Array): Buffer {
  return sign(hashFor(privateKey), bytes, privateKey);
}

/** Whether `signature` over `bytes` verifies with the public key (the key's default hash, else SHA-256 as cosign verify uses). */
export function verifyWithKey(publicKey: KeyObject, bytes: Uint8Array, signature: Uint8Array): boolean {
  const hash = hashFor(publicKey);
  try {
    if (verify(hash, bytes, publicKey, signature)) return true;
    return hash !== null && hash !== 'sha256' && verify('sha256', bytes, publicKey, signature);
  } catch {
    return false;
  }
}

const keyIds = new WeakMap<KeyObject, string>();

/** `sha256:<hex>` of the key's SubjectPublicKeyInfo DER (computed once per key object: verifying many signatures asks often). */
export function publicKeyId(key: KeyObject): string {
  let id = keyIds.get(key);
  if (id === undefined) {
    const pub = key.type === 'private' ? createPublicKey(key) : key;
    id = `sha256:${createHash('sha256')
      .update(pub.export({ type: 'spki', format: 'der' }))
      .digest('hex')}`;
    keyIds.set(key, id);
  }
  return id;
}

/** The public key as PEM SubjectPublicKeyInfo. */
export function publicKeyPem(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return pub.export({ type: 'spki', format: 'pem' }).toString();
}
