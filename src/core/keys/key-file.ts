/**
 * notary's private key files (`<trust dir>/private/<canonical key id>.key`), spec §3.7.
 *
 * Writing reproduces notary byte for byte (apart from the random salt and IV):
 * PKCS#8 with notary's quirks (ECDSA version 1, RSA without a NULL parameter,
 * Ed25519 under OID 1.3.6.1.4.1.11591.15.1 with a 96-byte blob), encrypted with
 * PBES2 / PBKDF2-HMAC-SHA1 (2048 iterations, no PRF field) / AES-256-CBC, in a PEM
 * block carrying `gun:` and `role:` headers.
 *
 * Reading accepts everything notary reads plus standard PKCS#8 (RFC 8410 Ed25519,
 * explicit PRFs from other tools) and the legacy OpenSSL-encrypted PEM blocks.
 * Pure: no fs, env or clock. Error messages never contain key material.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  pbkdf2Sync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { decodeInteger, decodeOid, der, derChildren, expectTag, readDerExact, TAG, type DerNode } from '../der.js';
import { decodePem, encodePem, type PemBlock } from '../encoding.js';
import { CoreError, isDctError } from '../errors.js';
import { PublicKey } from './public-key.js';

const OID = {
  ecPublicKey: '1.2.840.10045.2.1',
  prime256v1: '1.2.840.10045.3.1.7',
  rsaEncryption: '1.2.840.113549.1.1.1',
  ed25519Notary: '1.3.6.1.4.1.11591.15.1',
  ed25519: '1.3.101.112',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
} as const;

/** PBKDF2 PRFs by OID (absent = HMAC-SHA1, which is all notary ever uses). */
const PBKDF2_PRFS: Record<string, string> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
};
/** PBES2 encryption schemes by OID: node cipher name and key length. */
const PBES2_CIPHERS: Record<string, [string, number]> = {
  '2.16.840.1.101.3.4.1.2': ['aes-128-cbc', 16],
  '2.16.840.1.101.3.4.1.22': ['aes-192-cbc', 24],
  '2.16.840.1.101.3.4.1.42': ['aes-256-cbc', 32],
};
/** `DEK-Info` ciphers of legacy OpenSSL-encrypted PEM blocks. */
const LEGACY_CIPHERS: Record<string, [string, number]> = {
  'AES-128-CBC': ['aes-128-cbc', 16],
  'AES-192-CBC': ['aes-192-cbc', 24],
  'AES-256-CBC': ['aes-256-cbc', 32],
  'DES-EDE3-CBC': ['des-ede3-cbc', 24],
};

/** What notary writes. */
const NOTARY_ITERATIONS = 2048;
const MAX_ITERATIONS = 10_000_000;
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export const ENCRYPTED_PKCS8_BLOCK = 'ENCRYPTED PRIVATE KEY';
export const PKCS8_BLOCK = 'PRIVATE KEY';
const LEGACY_BLOCKS = ['EC PRIVATE KEY', 'RSA PRIVATE KEY', 'ED25519 PRIVATE KEY'];

export interface EncodePrivateKeyFileOptions {
  privateKey: KeyObject;
  role: string;
  /** written only when non-empty (notary writes it for targets/snapshot/timestamp keys) */
  gun?: string;
  /** '' writes an unencrypted `PRIVATE KEY` block, as notary does */
  passphrase: string;
}

export interface DecodedPrivateKeyFile {
  privateKey: KeyObject;
  /** the plain public key: `publicKey.id` is the canonical ID notary names the file after */
  publicKey: PublicKey;
  role?: string;
  gun?: string;
  encrypted: boolean;
}

export interface KeyFileHeaders {
  blockType: string;
  role?: string;
  gun?: string;
  encrypted: boolean;
}

// ---- writing --------------------------------------------------------------

export function encodePrivateKeyFile(opts: EncodePrivateKeyFileOptions): string {
  const info = encodePrivateKeyInfo(opts.privateKey);
  // like notary's EncryptPrivateKey: empty role / gun mean no header
  const headers: Record<string, string> = {};
  if (opts.role) headers.role = opts.role;
  if (opts.gun) headers.gun = opts.gun;
  if (opts.passphrase === '') return encodePem({ type: PKCS8_BLOCK, headers, bytes: info });
  return encodePem({ type: ENCRYPTED_PKCS8_BLOCK, headers, bytes: encryptPrivateKeyInfo(info, opts.passphrase) });
}

/** notary's unencrypted PKCS#8 `PrivateKeyInfo` (deterministic). */
export function encodePrivateKeyInfo(privateKey: KeyObject): Buffer {
  if (privateKey.type !== 'private') throw new CoreError('INVALID_KEY', 'a private key is required');
  const type = privateKey.asymmetricKeyType;
  if (type === 'ec') {
    if (privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new CoreError('UNSUPPORTED_KEY_TYPE', 'only P-256 ECDSA keys are supported');
    }
    const sec1 = privateKey.export({ format: 'der', type: 'sec1' });
    return der.sequence(der.integer(1), der.sequence(der.oid(OID.ecPublicKey), der.oid(OID.prime256v1)), der.octetString(sec1));
  }
  if (type === 'rsa') {
    const pkcs1 = privateKey.export({ format: 'der', type: 'pkcs1' });
    return der.sequence(der.integer(0), der.sequence(der.oid(OID.rsaEncryption)), der.octetString(pkcs1));
  }
  if (type === 'ed25519') {
    const jwk = privateKey.export({ format: 'jwk' });
    const seed = Buffer.from(jwk.d as string, 'base64url');
    const pub = Buffer.from(jwk.x as string, 'base64url');
    const blob = Buffer.concat([pub, seed, pub]);
    return der.sequence(der.integer(0), der.sequence(der.oid(OID.ed25519Notary)), der.octetString(blob));
  }
  throw new CoreError('UNSUPPORTED_KEY_TYPE', `unsupported key algorithm ${String(type)}`);
}

function encryptPrivateKeyInfo(info: Buffer, passphrase: string): Buffer {
  const salt = randomBytes(8);
  const iv = randomBytes(16);
  const key = pbkdf2Sync(Buffer.from(passphrase, 'utf8'), salt, NOTARY_ITERATIONS, 32, 'sha1');
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const data = Buffer.concat([cipher.update(info), cipher.final()]);
  const kdf = der.sequence(der.oid(OID.pbkdf2), der.sequence(der.octetString(salt), der.integer(NOTARY_ITERATIONS)));
  const scheme = der.sequence(der.oid('2.16.840.1.101.3.4.1.42'), der.octetString(iv));
  return der.sequence(der.sequence(der.oid(OID.pbes2), der.sequence(kdf, scheme)), der.octetString(data));
}

// ---- reading --------------------------------------------------------------

export function decodePrivateKeyFile(pemText: string, passphrase: string | undefined): DecodedPrivateKeyFile {
  const block = readKeyBlock(pemText);
  const headers = headersOf(block);
  if (headers.encrypted && passphrase === undefined) {
    throw new CoreError('WRONG_PASSPHRASE', `passphrase required to decrypt the ${headers.role ?? 'private'} key file`);
  }
  const pass = passphrase ?? '';
  let privateKey: KeyObject;
  if (block.type === ENCRYPTED_PKCS8_BLOCK) {
    privateKey = afterDecryption(() => parsePrivateKeyInfo(decryptPbes2(block.bytes, pass)));
  } else if (block.type === PKCS8_BLOCK) {
    privateKey = parsePrivateKeyInfo(block.bytes);
  } else if (headers.encrypted) {
    privateKey = afterDecryption(() => parseLegacyKey(block.type, decryptLegacyPem(block, pass)));
  } else {
    privateKey = parseLegacyKey(block.type, block.bytes);
  }
  const publicKey = publicKeyOf(privateKey);
  return { privateKey, publicKey, ...roleAndGun(headers), encrypted: headers.encrypted };
}

/** The block type and `role`/`gun` headers, without decrypting anything. */
export function readKeyFileHeaders(pemText: string): KeyFileHeaders {
  return headersOf(readKeyBlock(pemText));
}

export function isEncryptedKeyFile(pemText: string): boolean {
  return readKeyFileHeaders(pemText).encrypted;
}

/** The plain public key (`ecdsa`/`rsa`/`ed25519`) of a private key: its `id` is the key file name. */
export function publicKeyOf(privateKey: KeyObject): PublicKey {
  return PublicKey.fromKeyObject(createPublicKey(privateKey));
}

function readKeyBlock(pemText: string): PemBlock {
  let block: PemBlock;
  try {
    block = decodePem(pemText, 'private key file');
  } catch (err) {
    if (isDctError(err, 'MALFORMED_PEM')) throw err;
    throw new CoreError('MALFORMED_PEM', `private key file: ${(err as Error).message}`, { cause: err });
  }
  if (block.type !== ENCRYPTED_PKCS8_BLOCK && block.type !== PKCS8_BLOCK && !LEGACY_BLOCKS.includes(block.type)) {
    throw new CoreError('UNSUPPORTED_KEY_FILE', `unsupported private key file: PEM block type ${JSON.stringify(block.type)}`);
  }
  return block;
}

function headersOf(block: PemBlock): KeyFileHeaders {
  const legacyEncrypted = LEGACY_BLOCKS.includes(block.type) && /ENCRYPTED/.test(block.headers['Proc-Type'] ?? '');
  return {
    blockType: block.type,
    ...roleAndGun({ role: block.headers.role, gun: block.headers.gun }),
    encrypted: block.type === ENCRYPTED_PKCS8_BLOCK || legacyEncrypted,
  };
}

function roleAndGun(h: { role?: string | undefined; gun?: string | undefined }): { role?: string; gun?: string } {
  const out: { role?: string; gun?: string } = {};
  if (h.role) out.role = h.role;
  if (h.gun) out.gun = h.gun;
  return out;
}

/** Garbage from a wrong key can get through the CBC padding check: treat unparsable plaintext as a wrong passphrase. */
function afterDecryption<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (isDctError(err, 'MALFORMED_DER') || isDctError(err, 'INVALID_KEY')) {
      throw new CoreError('WRONG_PASSPHRASE', 'incorrect passphrase (or a corrupted key file)', { cause: err });
    }
    throw err;
  }
}

function children(node: DerNode | undefined, what: string): DerNode[] {
  return derChildren(expectTag(node, TAG.SEQUENCE, what));
}

function decryptPbes2(body: Buffer, passphrase: string): Buffer {
  const [algorithm, encrypted] = children(readDerExact(body), 'EncryptedPrivateKeyInfo');
  const [schemeOid, schemeParams] = children(algorithm, 'an encryption AlgorithmIdentifier');
  const scheme = decodeOid(expectTag(schemeOid, TAG.OID, 'an encryption scheme'));
  if (scheme !== OID.pbes2) throw new CoreError('UNSUPPORTED_KEY_FILE', `unsupported key encryption scheme ${scheme} (only PBES2)`);
  const [kdf, enc] = children(schemeParams, 'PBES2 parameters');
  const [kdfOid, kdfParams] = children(kdf, 'a key derivation function');
  const kdfName = decodeOid(expectTag(kdfOid, TAG.OID, 'a KDF identifier'));
  if (kdfName !== OID.pbkdf2) throw new CoreError('UNSUPPORTED_KEY_FILE', `unsupported key derivation function ${kdfName}`);
  const [saltNode, iterNode, ...rest] = children(kdfParams, 'PBKDF2 parameters');
  const salt = expectTag(saltNode, TAG.OCTET_STRING, 'a PBKDF2 salt').content;
  const iterations = decodeInteger(expectTag(iterNode, TAG.INTEGER, 'a PBKDF2 iteration count'));
  if (iterations < 1n || iterations > BigInt(MAX_ITERATIONS)) {
    throw new CoreError('UNSUPPORTED_KEY_FILE', `unsupported PBKDF2 iteration count ${iterations}`);
  }
  let keyLength: bigint | undefined;
  let digest = 'sha1';
  for (const node of rest) {
    if (node.tag === TAG.INTEGER && keyLength === undefined) keyLength = decodeInteger(node);
    else if (node.tag === TAG.SEQUENCE) {
      const prf = decodeOid(expectTag(derChildren(node)[0], TAG.OID, 'a PRF identifier'));
      const name = PBKDF2_PRFS[prf];
      if (!name) throw new CoreError('UNSUPPORTED_KEY_FILE', `unsupported PBKDF2 PRF ${prf}`);
      digest = name;
    } else throw new CoreError('MALFORMED_DER', 'malformed DER: unexpected PBKDF2 parameter');
  }
  const [cipherOid, ivNode] = children(enc, 'an encryption scheme');
  const cipherId = decodeOid(expectTag(cipherOid, TAG.OID, 'a cipher identifier'));
  const cipher = PBES2_CIPHERS[cipherId];
  if (!cipher) throw new CoreError('UNSUPPORTED_KEY_FILE', `unsupported key encryption cipher ${cipherId}`);
  const [cipherName, cipherKeyLength] = cipher;
  if (keyLength !== undefined && keyLength !== BigInt(cipherKeyLength)) {
    throw new CoreError('UNSUPPORTED_KEY_FILE', `PBKDF2 key length ${keyLength} does not fit ${cipherName}`);
  }
  const iv = expectTag(ivNode, TAG.OCTET_STRING, 'a cipher IV').content;
  if (iv.length !== 16) throw new CoreError('MALFORMED_DER', 'malformed DER: the cipher IV must be 16 bytes');
  const data = expectTag(encrypted, TAG.OCTET_STRING, 'encrypted key data').content;
  const key = pbkdf2Sync(Buffer.from(passphrase, 'utf8'), salt, Number(iterations), cipherKeyLength, digest);
  return decrypt(cipherName, key, iv, data);
}

function decryptLegacyPem(block: PemBlock, passphrase: string): Buffer {
  const [name = '', ivHex = ''] = (block.headers['DEK-Info'] ?? '').split(',').map((s) => s.trim());
  const cipher = LEGACY_CIPHERS[name.toUpperCase()];
  if (!cipher) throw new CoreError('UNSUPPORTED_KEY_FILE', `unsupported legacy PEM cipher ${JSON.stringify(name)}`);
  const [cipherName, keyLength] = cipher;
  const ivLength = cipherName.startsWith('des') ? 8 : 16;
  if (!/^[0-9a-fA-F]+$/.test(ivHex) || ivHex.length !== ivLength * 2) {
    throw new CoreError('MALFORMED_PEM', 'malformed DEK-Info header: bad IV');
  }
  const iv = Buffer.from(ivHex, 'hex');
  return decrypt(cipherName, evpBytesToKey(Buffer.from(passphrase, 'utf8'), iv.subarray(0, 8), keyLength), iv, block.bytes);
}

/** OpenSSL's EVP_BytesToKey with MD5 and one iteration (Go's x509.DecryptPEMBlock). */
function evpBytesToKey(password: Buffer, salt: Buffer, keyLength: number): Buffer {
  const parts: Buffer[] = [];
  let prev = Buffer.alloc(0);
  for (let have = 0; have < keyLength; have += prev.length) {
    prev = createHash('md5').update(prev).update(password).update(salt).digest();
    parts.push(prev);
  }
  return Buffer.concat(parts).subarray(0, keyLength);
}

function decrypt(cipherName: string, key: Buffer, iv: Buffer, data: Buffer): Buffer {
  let decipher;
  try {
    decipher = createDecipheriv(cipherName, key, iv);
  } catch (err) {
    throw new CoreError('UNSUPPORTED_KEY_FILE', `cipher ${cipherName} is not available`, { cause: err });
  }
  try {
    return Buffer.concat([decipher.update(data), decipher.final()]);
  } catch (err) {
    throw new CoreError('WRONG_PASSPHRASE', 'incorrect passphrase', { cause: err });
  }
}

function parsePrivateKeyInfo(body: Buffer): KeyObject {
  const [version, algorithm, keyData] = children(readDerExact(body), 'PrivateKeyInfo');
  const v = decodeInteger(expectTag(version, TAG.INTEGER, 'a PrivateKeyInfo version'));
  if (v !== 0n && v !== 1n) throw new CoreError('MALFORMED_DER', `malformed DER: PrivateKeyInfo version ${v}`);
  const [algOid, algParams] = children(algorithm, 'a key AlgorithmIdentifier');
  const alg = decodeOid(expectTag(algOid, TAG.OID, 'a key algorithm'));
  const bytes = expectTag(keyData, TAG.OCTET_STRING, 'the private key octets').content;
  switch (alg) {
    case OID.ecPublicKey:
      return ecKeyFromSec1(bytes, algParams?.tag === TAG.OID ? decodeOid(algParams) : undefined);
    case OID.rsaEncryption:
      return rsaKeyFromPkcs1(bytes);
    case OID.ed25519Notary:
      return ed25519FromNotaryBlob(bytes);
    case OID.ed25519:
      return ed25519FromSeed(expectTag(readDerExact(bytes), TAG.OCTET_STRING, 'an Ed25519 seed').content);
    default:
      throw new CoreError('UNSUPPORTED_KEY_FILE', `unsupported private key algorithm ${alg}`);
  }
}

function parseLegacyKey(blockType: string, bytes: Buffer): KeyObject {
  if (blockType === 'EC PRIVATE KEY') return ecKeyFromSec1(bytes, undefined);
  if (blockType === 'RSA PRIVATE KEY') return rsaKeyFromPkcs1(bytes);
  return ed25519FromNotaryBlob(bytes);
}

/** SEC1 ECPrivateKey with or without its [0] curve and [1] public key; only P-256. */
function ecKeyFromSec1(sec1: Buffer, curveFromAlgorithm: string | undefined): KeyObject {
  const [version, dNode, ...tagged] = children(readDerExact(sec1), 'an ECPrivateKey');
  if (decodeInteger(expectTag(version, TAG.INTEGER, 'an ECPrivateKey version')) !== 1n) {
    throw new CoreError('MALFORMED_DER', 'malformed DER: ECPrivateKey version must be 1');
  }
  let d = expectTag(dNode, TAG.OCTET_STRING, 'an EC private scalar').content;
  let curve = curveFromAlgorithm;
  let publicPoint: Buffer | undefined;
  for (const node of tagged) {
    if (node.tag === 0xa0) curve = decodeOid(readDerExact(node.content));
    else if (node.tag === 0xa1) publicPoint = expectTag(readDerExact(node.content), TAG.BIT_STRING, 'an EC public key').content.subarray(1);
  }
  if (curve !== OID.prime256v1) throw new CoreError('UNSUPPORTED_KEY_FILE', `unsupported ECDSA curve ${String(curve)} (only P-256)`);
  while (d.length > 32 && d[0] === 0) d = d.subarray(1);
  if (d.length === 0 || d.length > 32) throw new CoreError('INVALID_KEY', 'invalid P-256 private scalar');
  d = Buffer.concat([Buffer.alloc(32 - d.length), d]);
  const sec1For = (...extra: Buffer[]) =>
    der.sequence(der.integer(1), der.octetString(d), der.explicit(0, der.oid(OID.prime256v1)), ...extra);
  const bare = toKeyObject(() => createPrivateKey({ key: sec1For(), format: 'der', type: 'sec1' }), 'ECDSA');
  const spki = createPublicKey(bare).export({ format: 'der', type: 'spki' });
  const point = spki.subarray(spki.length - 65);
  if (publicPoint?.length === 65 && !point.equals(publicPoint)) {
    throw new CoreError('INVALID_KEY', 'the ECDSA public key in the key file does not match its private key');
  }
  // re-import with the public key so that exports (sec1, pkcs8) carry it, as Go writes them
  const full = sec1For(der.explicit(1, der.bitString(point)));
  return toKeyObject(() => createPrivateKey({ key: full, format: 'der', type: 'sec1' }), 'ECDSA');
}

function rsaKeyFromPkcs1(pkcs1: Buffer): KeyObject {
  readDerExact(pkcs1);
  return toKeyObject(() => createPrivateKey({ key: pkcs1, format: 'der', type: 'pkcs1' }), 'RSA');
}

/** notary's 96 bytes: public (32) ‖ Go private key (seed 32 ‖ public 32). */
function ed25519FromNotaryBlob(blob: Buffer): KeyObject {
  if (blob.length !== 96) throw new CoreError('INVALID_KEY', 'an Ed25519 key blob must be 96 bytes');
  const key = ed25519FromSeed(blob.subarray(32, 64));
  const pub = Buffer.from(key.export({ format: 'jwk' }).x as string, 'base64url');
  if (!pub.equals(blob.subarray(0, 32)) || !pub.equals(blob.subarray(64))) {
    throw new CoreError('INVALID_KEY', 'the Ed25519 public key in the key file does not match its private key');
  }
  return key;
}

function ed25519FromSeed(seed: Buffer): KeyObject {
  if (seed.length !== 32) throw new CoreError('INVALID_KEY', 'an Ed25519 seed must be 32 bytes');
  const pkcs8 = Buffer.concat([ED25519_PKCS8_PREFIX, seed]);
  return toKeyObject(() => createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }), 'Ed25519');
}

function toKeyObject(make: () => KeyObject, what: string): KeyObject {
  try {
    return make();
  } catch (err) {
    throw new CoreError('INVALID_KEY', `invalid ${what} private key`, { cause: err });
  }
}
