/**
 * cosign's key files: the private key encrypted with a password (PEM `ENCRYPTED SIGSTORE
 * PRIVATE KEY`, or `ENCRYPTED COSIGN PRIVATE KEY` as cosign 1 wrote it: a JSON document
 * with scrypt key derivation and a NaCl secretbox around the PKCS#8 DER), the unencrypted
 * private keys `import-key-pair` takes (PKCS#8, SEC1 `EC PRIVATE KEY`, PKCS#1 `RSA PRIVATE
 * KEY`), and the public keys cosign reads (SPKI PEM, PKCS#1 `RSA PUBLIC KEY`, raw DER SPKI).
 *
 * Keys are held to the rules cosign applies (sigstore's goodkey): ECDSA on P-256, P-384 or
 * P-521, RSA of 2048 to 4096 bits, Ed25519. The error texts are cosign's.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, scryptSync, type KeyObject } from 'node:crypto';
import { DctError } from '../../core/errors.js';
import { lazyModule } from '../lazy-module.js';
import './errors.js';
import { decodePem, encodePem } from './pem-block.js';

// @noble/ciphers (an ES module) loads with the first private key, not with every command that
// reads public keys through this module's codec (require of an ES module: Node ≥ 20.19)
const salsa = lazyModule<typeof import('@noble/ciphers/salsa.js')>('@noble/ciphers/salsa.js', import.meta);
const xsalsa20poly1305 = (key: Uint8Array, nonce: Uint8Array) => salsa().xsalsa20poly1305(key, nonce);

export const SIGSTORE_PRIVATE_KEY_PEM_TYPE = 'ENCRYPTED SIGSTORE PRIVATE KEY';
export const COSIGN_PRIVATE_KEY_PEM_TYPE = 'ENCRYPTED COSIGN PRIVATE KEY';

/** scrypt work factors cosign writes (go-securesystemslib's defaults) */
const SCRYPT_PARAMS = { N: 65536, r: 8, p: 1 } as const;
const SALT_BYTES = 32;
const NONCE_BYTES = 24;
const KEY_BYTES = 32;

interface EncryptedKeyJson {
  kdf: { name: string; params: { N: number; r: number; p: number }; salt: string };
  cipher: { name: string; nonce: string };
  ciphertext: string;
}

/**
 * Loads a private key from a cosign key file (encrypted with `password`) or an unencrypted
 * PEM private key (the password is then not used). Throws a DctError with cosign's text.
 */
export function readCosignPrivateKey(pem: string | Buffer, password: string): KeyObject {
  const block = decodePem(pem);
  if (!block) throw new DctError('COSIGN_KEY_INVALID_PEM', 'invalid pem block');
  switch (block.type) {
    case SIGSTORE_PRIVATE_KEY_PEM_TYPE:
    case COSIGN_PRIVATE_KEY_PEM_TYPE: {
      const der = decryptKeyJson(block.bytes, password);
      let key: KeyObject;
      try {
        key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
      } catch (err) {
        throw new DctError(
          'COSIGN_KEY_MALFORMED',
          'parsing private key: x509: failed to parse private key (use ParseECPrivateKey instead for this key format)',
          { cause: err },
        );
      }
      validateKey(key, 'pkcs8');
      return key;
    }
    case 'RSA PRIVATE KEY':
      return parsePlain(block.bytes, 'pkcs1', 'error parsing rsa private key');
    case 'EC PRIVATE KEY':
      return parsePlain(block.bytes, 'sec1', 'error parsing ecdsa private key');
    case 'PRIVATE KEY':
      return parsePlain(block.bytes, 'pkcs8', 'error parsing pkcs #8 private key');
    default:
      throw new DctError('COSIGN_KEY_UNSUPPORTED_PEM_TYPE', 'unsupported private key');
  }
}

/** Loads a public key: SPKI PEM (`PUBLIC KEY`), PKCS#1 PEM (`RSA PUBLIC KEY`) or raw DER SPKI. */
export function readCosignPublicKey(bytes: string | Buffer): KeyObject {
  const block = decodePem(bytes);
  let key: KeyObject;
  try {
    if (block?.type === 'PUBLIC KEY') key = createPublicKey({ key: block.bytes, format: 'der', type: 'spki' });
    else if (block?.type === 'RSA PUBLIC KEY') key = createPublicKey({ key: block.bytes, format: 'der', type: 'pkcs1' });
    else if (block) throw new DctError('COSIGN_KEY_UNSUPPORTED_PEM_TYPE', `unsupported public key pem type: ${block.type}`);
    else if (typeof bytes !== 'string' && bytes.length > 0 && bytes[0] === 0x30)
      key = createPublicKey({ key: bytes, format: 'der', type: 'spki' });
    else throw new DctError('COSIGN_KEY_INVALID_PEM', 'PEM decoding failed');
  } catch (err) {
    if (err instanceof DctError) throw err;
    throw new DctError('COSIGN_KEY_MALFORMED', `error parsing public key: ${(err as Error).message}`, { cause: err });
  }
  validateKey(key, 'spki');
  return key;
}

/** The private key as cosign writes it: PKCS#8, scrypt + secretbox, PEM `ENCRYPTED SIGSTORE PRIVATE KEY`. */
export function writeCosignPrivateKey(key: KeyObject, password: string, pemType: string = SIGSTORE_PRIVATE_KEY_PEM_TYPE): string {
  const der = key.export({ format: 'der', type: 'pkcs8' });
  const salt = randomBytes(SALT_BYTES);
  const nonce = randomBytes(NONCE_BYTES);
  const secret = deriveKey(password, salt, SCRYPT_PARAMS);
  const ciphertext = xsalsa20poly1305(secret, nonce).encrypt(der);
  const doc: EncryptedKeyJson = {
    kdf: { name: 'scrypt', params: { ...SCRYPT_PARAMS }, salt: salt.toString('base64') },
    cipher: { name: 'nacl/secretbox', nonce: nonce.toString('base64') },
    ciphertext: Buffer.from(ciphertext).toString('base64'),
  };
  return encodePem(
    pemType === COSIGN_PRIVATE_KEY_PEM_TYPE ? COSIGN_PRIVATE_KEY_PEM_TYPE : SIGSTORE_PRIVATE_KEY_PEM_TYPE,
    Buffer.from(JSON.stringify(doc)),
  );
}

/** The public key as cosign writes it (`cosign.pub`): PEM SubjectPublicKeyInfo. */
export function writeCosignPublicKey(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return pub.export({ format: 'pem', type: 'spki' }).toString();
}

/** A new key pair as `cosign generate-key-pair` makes it: ECDSA P-256. */
export function generateCosignKeyPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

function decryptKeyJson(body: Buffer, password: string): Buffer {
  let doc: EncryptedKeyJson;
  try {
    doc = JSON.parse(body.toString('utf8')) as EncryptedKeyJson;
  } catch (err) {
    throw new DctError('COSIGN_KEY_MALFORMED', `decrypt: ${(err as Error).message}`, { cause: err });
  }
  const kdf = doc?.kdf;
  const params = kdf?.params;
  if (kdf?.name !== 'scrypt' || typeof params?.N !== 'number' || typeof params.r !== 'number' || typeof params.p !== 'number')
    throw new DctError('COSIGN_KEY_MALFORMED', 'decrypt: encrypted: unsupported key derivation function');
  if (doc.cipher?.name !== 'nacl/secretbox') throw new DctError('COSIGN_KEY_MALFORMED', 'decrypt: encrypted: unsupported cipher');
  if (typeof kdf.salt !== 'string' || typeof doc.cipher.nonce !== 'string' || typeof doc.ciphertext !== 'string')
    throw new DctError('COSIGN_KEY_MALFORMED', 'decrypt: encrypted: missing salt, nonce or ciphertext');
  // bound the work an attacker-supplied file can ask for (cosign writes N=2^15 or 2^16)
  if (
    params.N < 2 ||
    params.N > 1 << 20 ||
    (params.N & (params.N - 1)) !== 0 ||
    params.r < 1 ||
    params.r > 32 ||
    params.p < 1 ||
    params.p > 16
  )
    throw new DctError(
      'COSIGN_KEY_MALFORMED',
      `decrypt: encrypted: scrypt parameters out of range (N=${params.N}, r=${params.r}, p=${params.p})`,
    );
  const nonce = Buffer.from(doc.cipher.nonce, 'base64');
  if (nonce.length !== NONCE_BYTES) throw new DctError('COSIGN_KEY_MALFORMED', 'decrypt: encrypted: invalid nonce length');
  const secret = deriveKey(password, Buffer.from(kdf.salt, 'base64'), params);
  try {
    return Buffer.from(xsalsa20poly1305(secret, nonce).decrypt(Buffer.from(doc.ciphertext, 'base64')));
  } catch (err) {
    throw new DctError('COSIGN_KEY_WRONG_PASSWORD', 'decrypt: encrypted: decryption failed (wrong password? set COSIGN_PASSWORD)', {
      cause: err,
    });
  }
}

function deriveKey(password: string, salt: Buffer, p: { N: number; r: number; p: number }): Buffer {
  return scryptSync(Buffer.from(password, 'utf8'), salt, KEY_BYTES, { N: p.N, r: p.r, p: p.p, maxmem: 256 * p.N * p.r + (1 << 20) });
}

function parsePlain(der: Buffer, type: 'pkcs1' | 'sec1' | 'pkcs8', parseError: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: der, format: 'der', type });
  } catch (err) {
    throw new DctError('COSIGN_KEY_MALFORMED', parseError, { cause: err });
  }
  // Go's x509 parsers know only the NIST curves: secp256k1 and friends fail to parse
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType === 'ec' && curve !== undefined && !KNOWN_GO_CURVES.has(curve))
    throw new DctError('COSIGN_KEY_NOT_ALLOWED', parseError);
  if (type === 'pkcs8' && !['rsa', 'ec', 'ed25519'].includes(key.asymmetricKeyType ?? ''))
    throw new DctError('COSIGN_KEY_NOT_ALLOWED', 'unexpected private key');
  validateKey(key, type);
  return key;
}

const KNOWN_GO_CURVES = new Set(['secp224r1', 'prime256v1', 'secp384r1', 'secp521r1']);
const ALLOWED_CURVES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };
const CURVE_NAMES: Record<string, string> = { secp224r1: 'P-224', ...ALLOWED_CURVES };

/** sigstore's goodkey rules, with cosign's words */
function validateKey(key: KeyObject, from: string): void {
  const kind = key.asymmetricKeyType;
  if (kind === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 2048 || bits > 4096)
      throw new DctError('COSIGN_KEY_NOT_ALLOWED', `error validating rsa key: key size not supported: ${bits}`);
  } else if (kind === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve ?? '';
    if (!ALLOWED_CURVES[curve])
      throw new DctError('COSIGN_KEY_NOT_ALLOWED', `error validating ecdsa key: ECDSA curve ${CURVE_NAMES[curve] ?? curve} not allowed`);
  } else if (kind !== 'ed25519') {
    throw new DctError('COSIGN_KEY_NOT_ALLOWED', `unsupported key type ${kind ?? 'unknown'} (${from})`);
  }
}
