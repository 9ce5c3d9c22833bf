/**
 * Verifying a signature when only the digest of the signed bytes is known (the conformance
 * protocol's `sha256:<hex>` argument, cosign's digest-only verification). node:crypto always
 * hashes the message itself, so a pre-hashed check is done here: ECDSA over NIST P-256/P-384/
 * P-521 with the textbook verification equation (public data only, no secrets, so no timing
 * concerns), and RSA PKCS#1 v1.5 by recovering the DigestInfo with the public key. Ed25519 and
 * RSA-PSS have no pre-hashed form that Sigstore uses: they are refused with a code.
 */
import { constants, publicDecrypt, type KeyObject } from 'node:crypto';
import { DctError } from '../../core/errors.js';

interface Curve {
  p: bigint;
  n: bigint;
  b: bigint;
  gx: bigint;
  gy: bigint;
  bits: number;
}

const CURVES: Record<string, Curve> = {
  'P-256': {
    p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
    n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
    b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
    gx: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
    gy: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
    bits: 256,
  },
  'P-384': {
    p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn,
    n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
    gx: 0xaa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7n,
    gy: 0x3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5fn,
    bits: 384,
  },
  'P-521': {
    p: (1n << 521n) - 1n,
    n: BigInt(
      '0x01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff' +
        'fa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409',
    ),
    b: BigInt(
      '0x0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109' +
        'e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00',
    ),
    gx: BigInt(
      '0x00c6858e06b70404e9cd9e3ecb662395b4429c648139053fb521f828af606b4d3d' +
        'baa14b5e77efe75928fe1dc127a2ffa8de3348b3c1856a429bf97e7e31c2e5bd66',
    ),
    gy: BigInt(
      '0x011839296a789a3bc0045c8a5fb42c7d1bd998f54449579b446817afbd17273e66' +
        '2c97ee72995ef42640c550b9013fad0761353c7086a272c24088be94769fd16650',
    ),
    bits: 521,
  },
};

/** Jacobian point (X, Y, Z); Z = 0 is the point at infinity. */
type Point = [bigint, bigint, bigint];

const mod = (a: bigint, m: bigint): bigint => {
  const r = a % m;
  return r < 0n ? r + m : r;
};

function inverse(a: bigint, m: bigint): bigint {
  let [r0, r1] = [mod(a, m), m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return mod(s0, m);
}

/** Doubling on a = -3 curves (all NIST prime curves). */
function double([x, y, z]: Point, p: bigint): Point {
  if (z === 0n || y === 0n) return [0n, 1n, 0n];
  const zz = mod(z * z, p);
  const m = mod(3n * (x - zz) * (x + zz), p);
  const yy = mod(y * y, p);
  const s = mod(4n * x * yy, p);
  const x3 = mod(m * m - 2n * s, p);
  const y3 = mod(m * (s - x3) - 8n * yy * yy, p);
  return [x3, y3, mod(2n * y * z, p)];
}

function add(a: Point, b: Point, p: bigint): Point {
  if (a[2] === 0n) return b;
  if (b[2] === 0n) return a;
  const z1z1 = mod(a[2] * a[2], p);
  const z2z2 = mod(b[2] * b[2], p);
  const u1 = mod(a[0] * z2z2, p);
  const u2 = mod(b[0] * z1z1, p);
  const s1 = mod(a[1] * b[2] * z2z2, p);
  const s2 = mod(b[1] * a[2] * z1z1, p);
  if (u1 === u2) return s1 === s2 ? double(a, p) : [0n, 1n, 0n];
  const h = u2 - u1;
  const r = s2 - s1;
  const hh = mod(h * h, p);
  const hhh = mod(h * hh, p);
  const v = mod(u1 * hh, p);
  const x3 = mod(r * r - hhh - 2n * v, p);
  const y3 = mod(r * (v - x3) - s1 * hhh, p);
  return [x3, y3, mod(a[2] * b[2] * h, p)];
}

/** u1·G + u2·Q (Shamir's trick), affine x of the result or undefined at infinity. */
function combine(u1: bigint, g: Point, u2: bigint, q: Point, p: bigint): bigint | undefined {
  const gq = add(g, q, p);
  let acc: Point = [0n, 1n, 0n];
  const bits = Math.max(u1.toString(2).length, u2.toString(2).length);
  for (let i = bits - 1; i >= 0; i--) {
    acc = double(acc, p);
    const b1 = (u1 >> BigInt(i)) & 1n;
    const b2 = (u2 >> BigInt(i)) & 1n;
    if (b1 && b2) acc = add(acc, gq, p);
    else if (b1) acc = add(acc, g, p);
    else if (b2) acc = add(acc, q, p);
  }
  if (acc[2] === 0n) return undefined;
  const zi = inverse(acc[2], p);
  return mod(acc[0] * zi * zi, p);
}

const toBigInt = (bytes: Uint8Array): bigint => (bytes.length === 0 ? 0n : BigInt('0x' + Buffer.from(bytes).toString('hex')));

/** DER `SEQUENCE { INTEGER r, INTEGER s }`, strictly (short or one/two-byte long lengths). */
function parseDerSignature(sig: Uint8Array): [bigint, bigint] | undefined {
  let i = 0;
  const length = (): number | undefined => {
    const first = sig[i++];
    if (first === undefined) return undefined;
    if (first < 0x80) return first;
    const count = first & 0x7f;
    if (count < 1 || count > 2) return undefined;
    let n = 0;
    for (let k = 0; k < count; k++) {
      const byte = sig[i++];
      if (byte === undefined) return undefined;
      n = n * 256 + byte;
    }
    return n;
  };
  if (sig[i++] !== 0x30) return undefined;
  const total = length();
  if (total === undefined || i + total !== sig.length) return undefined;
  const ints: bigint[] = [];
  for (let k = 0; k < 2; k++) {
    if (sig[i++] !== 0x02) return undefined;
    const n = length();
    if (n === undefined || n === 0 || i + n > sig.length) return undefined;
    ints.push(toBigInt(sig.subarray(i, i + n)));
    i += n;
  }
  return i === sig.length ? [ints[0]!, ints[1]!] : undefined;
}

function verifyEcdsa(key: KeyObject, digest: Uint8Array, signature: Uint8Array): boolean {
  const jwk = key.export({ format: 'jwk' });
  const curve = jwk.crv ? CURVES[jwk.crv] : undefined;
  if (!curve || !jwk.x || !jwk.y)
    throw new DctError('SIGSTORE_DIGEST_UNSUPPORTED', `ECDSA curve ${jwk.crv ?? '?'} is not supported for digest-only verification`);
  const rs = parseDerSignature(signature);
  if (!rs) return false;
  const [r, s] = rs;
  const { n, p } = curve;
  if (r <= 0n || r >= n || s <= 0n || s >= n) return false;
  let e = toBigInt(digest);
  const excess = digest.length * 8 - curve.bits;
  if (excess > 0) e >>= BigInt(excess);
  const w = inverse(s, n);
  const qx = toBigInt(Buffer.from(jwk.x, 'base64url'));
  const qy = toBigInt(Buffer.from(jwk.y, 'base64url'));
  // node:crypto checked the point is on the curve when it imported the key
  const x = combine(mod(e * w, n), [curve.gx, curve.gy, 1n], mod(r * w, n), [qx, qy, 1n], p);
  return x !== undefined && mod(x, n) === r;
}

/** DER DigestInfo prefixes (RFC 8017 §9.2 note 1). */
const DIGEST_INFO: Record<string, string> = {
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
};

function verifyRsaPkcs1(key: KeyObject, digest: Uint8Array, hash: string, signature: Uint8Array): boolean {
  const prefix = DIGEST_INFO[hash];
  if (!prefix) throw new DctError('SIGSTORE_DIGEST_UNSUPPORTED', `RSA digest-only verification does not support ${hash}`);
  let recovered: Buffer;
  try {
    recovered = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, signature);
  } catch {
    return false;
  }
  return recovered.equals(Buffer.concat([Buffer.from(prefix, 'hex'), digest]));
}

/**
 * Whether `signature` is `key`'s signature over a message whose `hash` digest is `digest`.
 * Throws SIGSTORE_DIGEST_UNSUPPORTED for key types without a pre-hashed form.
 */
export function verifyPrehashed(key: KeyObject, digest: Uint8Array, hash: string, signature: Uint8Array): boolean {
  switch (key.asymmetricKeyType) {
    case 'ec':
      return verifyEcdsa(key, digest, signature);
    case 'rsa':
      return verifyRsaPkcs1(key, digest, hash, signature);
    default:
      throw new DctError(
        'SIGSTORE_DIGEST_UNSUPPORTED',
        `a ${key.asymmetricKeyType ?? 'unknown'} key's signature cannot be checked against a digest alone: give the artifact file instead`,
      );
  }
}
