/**
 * The signature algorithms of the Notary Project (RSASSA-PSS with SHA-256/384/512, ECDSA on
 * P-256/P-384/P-521), their JWS names and COSE identifiers, and the one each key must use: RSA
 * 2048 → PS256, 3072 → PS384, 4096 → PS512; P-256 → ES256, P-384 → ES384, P-521 → ES512.
 */
import { constants, sign, verify, type KeyObject } from 'node:crypto';
import { envelopeError } from './envelope-error.js';

export type SignatureAlgorithm = 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512';

interface AlgorithmSpec {
  hash: 'sha256' | 'sha384' | 'sha512';
  cose: number;
  /** how notation names it in `inspect` */
  display: string;
  kind: 'rsa' | 'ec';
  /** RSA modulus bits or EC curve name */
  size: number | string;
  /** ECDSA r‖s length */
  ecBytes?: number;
}

export const ALGORITHMS: Readonly<Record<SignatureAlgorithm, AlgorithmSpec>> = {
  PS256: { hash: 'sha256', cose: -37, display: 'RSASSA-PSS-SHA-256', kind: 'rsa', size: 2048 },
  PS384: { hash: 'sha384', cose: -38, display: 'RSASSA-PSS-SHA-384', kind: 'rsa', size: 3072 },
  PS512: { hash: 'sha512', cose: -39, display: 'RSASSA-PSS-SHA-512', kind: 'rsa', size: 4096 },
  ES256: { hash: 'sha256', cose: -7, display: 'ECDSA-SHA-256', kind: 'ec', size: 'prime256v1', ecBytes: 32 },
  ES384: { hash: 'sha384', cose: -35, display: 'ECDSA-SHA-384', kind: 'ec', size: 'secp384r1', ecBytes: 48 },
  ES512: { hash: 'sha512', cose: -36, display: 'ECDSA-SHA-512', kind: 'ec', size: 'secp521r1', ecBytes: 66 },
};

export function isSignatureAlgorithm(name: unknown): name is SignatureAlgorithm {
  return typeof name === 'string' && Object.hasOwn(ALGORITHMS, name);
}

export function algorithmOfCose(id: unknown): SignatureAlgorithm | undefined {
  return (Object.keys(ALGORITHMS) as SignatureAlgorithm[]).find((a) => ALGORITHMS[a].cose === id);
}

/** The algorithm notation uses for a key (public or private); refuses other keys. */
export function algorithmForKey(key: KeyObject): SignatureAlgorithm {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') {
    const bits = details.modulusLength ?? 0;
    if (bits === 2048) return 'PS256';
    if (bits === 3072) return 'PS384';
    if (bits === 4096) return 'PS512';
    throw envelopeError(
      'NOTATION_SIGNING_KEY_UNSUPPORTED',
      `RSA key size ${bits} bits is not supported: use an RSA key of 2048, 3072 or 4096 bits, or an ECDSA P-256/P-384/P-521 key`,
    );
  }
  if (key.asymmetricKeyType === 'ec') {
    const curve = details.namedCurve;
    if (curve === 'prime256v1') return 'ES256';
    if (curve === 'secp384r1') return 'ES384';
    if (curve === 'secp521r1') return 'ES512';
    throw envelopeError('NOTATION_SIGNING_KEY_UNSUPPORTED', `EC curve ${curve ?? 'unknown'} is not supported: use P-256, P-384 or P-521`);
  }
  throw envelopeError(
    'NOTATION_SIGNING_KEY_UNSUPPORTED',
    `key type ${key.asymmetricKeyType ?? 'unknown'} is not supported: use an RSA (2048/3072/4096) or ECDSA (P-256/P-384/P-521) key`,
  );
}

export function signBytes(algorithm: SignatureAlgorithm, key: KeyObject, data: Uint8Array): Buffer {
  const spec = ALGORITHMS[algorithm];
  if (spec.kind === 'rsa')
    return sign(spec.hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST });
  return sign(spec.hash, data, { key, dsaEncoding: 'ieee-p1363' });
}

/** RSASSA-PSS with the salt as long as the hash (as notation signs and checks), ECDSA as r‖s. */
export function verifyBytes(algorithm: SignatureAlgorithm, key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  const spec = ALGORITHMS[algorithm];
  try {
    if (spec.kind === 'rsa')
      return verify(
        spec.hash,
        data,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
        signature,
      );
    if (signature.length !== 2 * (spec.ecBytes ?? 0)) return false;
    return verify(spec.hash, data, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}
