/**
 * How cosign signs with each key type (sigstore's default algorithm per key): ECDSA with the
 * curve's hash (P-256/SHA-256, P-384/SHA-384, P-521/SHA-512, ASN.1 DER signatures), RSA
 * PKCS#1 v1.5 with SHA-256, Ed25519 pure (as cosign signs without a transparency log); and
 * DSSE's pre-authentication encoding.
 */
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

export type DigestName = 'sha256' | 'sha384' | 'sha512';

export interface SignatureAlgorithm {
  /** the hash the signature is made over (Ed25519: the digest recorded in a bundle) */
  hash: DigestName;
  /** node:crypto's digest argument to sign/verify (null for Ed25519) */
  signDigest: DigestName | null;
  /** the Sigstore protobuf HashAlgorithm name */
  protoHash: 'SHA2_256' | 'SHA2_384' | 'SHA2_512';
}

const PROTO: Record<DigestName, SignatureAlgorithm['protoHash']> = { sha256: 'SHA2_256', sha384: 'SHA2_384', sha512: 'SHA2_512' };
const CURVE_HASH: Record<string, DigestName> = { prime256v1: 'sha256', secp384r1: 'sha384', secp521r1: 'sha512' };

export function signatureAlgorithm(key: KeyObject): SignatureAlgorithm {
  if (key.asymmetricKeyType === 'ed25519') return { hash: 'sha512', signDigest: null, protoHash: 'SHA2_512' };
  const hash = key.asymmetricKeyType === 'ec' ? (CURVE_HASH[key.asymmetricKeyDetails?.namedCurve ?? ''] ?? 'sha256') : 'sha256';
  return { hash, signDigest: hash, protoHash: PROTO[hash] };
}

export function digestOf(hash: DigestName, bytes: Uint8Array): Buffer {
  return createHash(hash).update(bytes).digest();
}

export function signWith(key: KeyObject, bytes: Uint8Array): Buffer {
  return sign(signatureAlgorithm(key).signDigest, bytes, { key, dsaEncoding: 'der' });
}

/** false for a wrong signature, never a throw for malformed signature bytes */
export function verifyWith(publicKey: KeyObject, bytes: Uint8Array, signature: Uint8Array): boolean {
  const pub = publicKey.type === 'private' ? createPublicKey(publicKey) : publicKey;
  try {
    return verify(signatureAlgorithm(pub).signDigest, bytes, { key: pub, dsaEncoding: 'der' }, signature);
  } catch {
    return false;
  }
}

/** DSSE v1 pre-authentication encoding */
export function dssePae(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), Buffer.from(payload)]);
}

/** cosign's public key hint: base64 of the SHA-256 of the SubjectPublicKeyInfo DER */
export function publicKeyHint(publicKey: KeyObject): string {
  const pub = publicKey.type === 'private' ? createPublicKey(publicKey) : publicKey;
  return createHash('sha256')
    .update(pub.export({ format: 'der', type: 'spki' }))
    .digest('base64');
}
