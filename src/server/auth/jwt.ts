/**
 * The small part of JWS/JWT that docker registry token auth needs, on
 * node:crypto: compact serialisation, base64url without padding, ECDSA
 * signatures as raw r‖s (IEEE P1363, JWA §3.4), RSA PKCS#1 v1.5. `none` and
 * the HMAC algorithms are never accepted: a verifying key's type decides which
 * algorithms it may verify, so a public key cannot be abused as an HMAC secret.
 *
 * Key IDs are libtrust fingerprints (what docker/distribution looks `kid` up
 * by): the first 240 bits of SHA-256 over the DER SubjectPublicKeyInfo,
 * base32, in twelve groups of four separated by `:`.
 */
import { createHash, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';

export type JwsAlgorithm = 'ES256' | 'ES384' | 'ES512' | 'RS256' | 'RS384' | 'RS512';

const ALGORITHMS: Record<JwsAlgorithm, { hash: string; curve?: string; sigBytes?: number }> = {
  ES256: { hash: 'sha256', curve: 'prime256v1', sigBytes: 64 },
  ES384: { hash: 'sha384', curve: 'secp384r1', sigBytes: 96 },
  ES512: { hash: 'sha512', curve: 'secp521r1', sigBytes: 132 },
  RS256: { hash: 'sha256' },
  RS384: { hash: 'sha384' },
  RS512: { hash: 'sha512' },
};

export function isJwsAlgorithm(alg: unknown): alg is JwsAlgorithm {
  return typeof alg === 'string' && Object.hasOwn(ALGORITHMS, alg);
}

export function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** Strict base64url (no padding, no other alphabet); undefined when malformed. */
export function fromBase64url(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined;
  return Buffer.from(text, 'base64url');
}

/** The algorithm a key signs with (EC curve decides the ES variant, RSA → RS256). */
export function algorithmFor(key: KeyObject): JwsAlgorithm {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    for (const [alg, a] of Object.entries(ALGORITHMS)) if (a.curve === curve) return alg as JwsAlgorithm;
  }
  throw new Error(`token signing keys are ECDSA (P-256, P-384, P-521) or RSA, not ${key.asymmetricKeyType ?? 'unknown'}`);
}

/** May `key` verify signatures made with `alg`? */
export function keyFitsAlgorithm(key: KeyObject, alg: JwsAlgorithm): boolean {
  const a = ALGORITHMS[alg];
  if (a.curve) return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === a.curve;
  return key.asymmetricKeyType === 'rsa';
}

/** Signs `claims` as a compact JWS with header `{typ:"JWT", alg, kid}`. */
export function signJwt(claims: object, key: KeyObject, kid: string): string {
  const alg = algorithmFor(key);
  const input = `${base64url(JSON.stringify({ typ: 'JWT', alg, kid }))}.${base64url(JSON.stringify(claims))}`;
  const a = ALGORITHMS[alg];
  const signature = a.curve
    ? cryptoSign(a.hash, Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' })
    : cryptoSign(a.hash, Buffer.from(input), key);
  return `${input}.${base64url(signature)}`;
}

export interface DecodedJwt {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  /** header.claims, the signed bytes */
  signingInput: string;
  signature: Buffer;
}

/** Splits and decodes a compact JWS; undefined when it is not one (malformed). */
export function decodeJwt(raw: string): DecodedJwt | undefined {
  const parts = raw.split('.');
  if (parts.length !== 3) return undefined;
  const [h, c, s] = parts as [string, string, string];
  const headerBytes = fromBase64url(h);
  const claimBytes = fromBase64url(c);
  const signature = fromBase64url(s);
  if (!headerBytes || !claimBytes || !signature) return undefined;
  let header: unknown;
  let claims: unknown;
  try {
    header = JSON.parse(headerBytes.toString('utf8'));
    claims = JSON.parse(claimBytes.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isObject(header) || !isObject(claims)) return undefined;
  return { header, claims, signingInput: `${h}.${c}`, signature };
}

/** Verifies the signature of a decoded token with `key` under `alg` (false on any mismatch). */
export function verifyJwtSignature(jwt: DecodedJwt, alg: JwsAlgorithm, key: KeyObject): boolean {
  if (!keyFitsAlgorithm(key, alg)) return false;
  const a = ALGORITHMS[alg];
  if (a.sigBytes !== undefined && jwt.signature.length !== a.sigBytes) return false;
  try {
    return a.curve
      ? cryptoVerify(a.hash, Buffer.from(jwt.signingInput), { key, dsaEncoding: 'ieee-p1363' }, jwt.signature)
      : cryptoVerify(a.hash, Buffer.from(jwt.signingInput), key, jwt.signature);
  } catch {
    return false;
  }
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** libtrust's key ID of a public key (docker/distribution `kid`). */
export function libtrustKeyId(publicKey: KeyObject): string {
  const digest = createHash('sha256')
    .update(publicKey.export({ format: 'der', type: 'spki' }))
    .digest()
    .subarray(0, 30);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of digest) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return (out.match(/.{4}/g) as string[]).join(':');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
