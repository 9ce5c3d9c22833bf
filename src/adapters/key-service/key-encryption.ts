/**
 * Encryption at rest of server-held private keys (the `encryptedPrivateKey` of a
 * `StoredPrivateKey`).
 *
 * Format, one line of `$`-separated parts (binary parts base64url, no padding):
 *
 *   dct-v1$scrypt$<N>$<r>$<p>$<salt>$<check>$<iv>$<tag>$<ciphertext>
 *
 * - scrypt(passphrase, salt 16 random bytes, N=2^15, r=8, p=1) gives 64 bytes: the
 *   first 32 are the AES-256-GCM key, `check` is 16 bytes of SHA-256 over the other
 *   32 (tells a wrong passphrase apart from a damaged blob; it reveals nothing the
 *   GCM tag would not: both let an attacker test passphrases at scrypt's cost);
 * - AES-256-GCM with a random 12-byte IV and the key ID as additional authenticated
 *   data, so a blob copied onto another key's row does not decrypt;
 * - the plaintext is notary's PKCS#8 `PrivateKeyInfo` (core `encodePrivateKeyInfo`).
 *
 * Derived keys are cached per (parameters, salt) for this cipher's passphrase, so
 * only the first use of a stored key pays for scrypt. Neither errors nor logs ever
 * carry key material or the passphrase.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, scrypt, timingSafeEqual, type KeyObject } from 'node:crypto';
import { DctError } from '../../core/errors.js';
import type { AdapterErrorCode } from '../errors.js';
import { encodePem } from '../../core/encoding.js';
import { decodePrivateKeyFile, encodePrivateKeyInfo, PKCS8_BLOCK } from '../../core/keys/key-file.js';

export const KEY_ENCRYPTION_FORMAT = 'dct-v1';

export interface ScryptParams {
  /** CPU/memory cost, a power of two */
  N: number;
  r: number;
  p: number;
}

/** What new blobs are written with. */
export const DEFAULT_SCRYPT_PARAMS: Readonly<ScryptParams> = Object.freeze({ N: 2 ** 15, r: 8, p: 1 });

/** Bounds on parameters read from a blob, so a forged row cannot make us burn gigabytes. */
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;
const MAX_SCRYPT_MEMORY = 256 * 1024 * 1024;

const SALT_BYTES = 16;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const CHECK_BYTES = 16;
const AES_KEY_BYTES = 32;
const DERIVED_BYTES = AES_KEY_BYTES + 32;
const DERIVED_CACHE_SIZE = 4096;
const PART = /^[A-Za-z0-9_-]*$/;

export interface PrivateKeyCipherOptions {
  /** scrypt parameters for new blobs (default N=2^15, r=8, p=1); blobs record their own */
  scrypt?: ScryptParams;
}

interface DerivedKey {
  aesKey: Buffer;
  check: Buffer;
}

/** Encrypts and decrypts private keys under one passphrase. */
export class PrivateKeyCipher {
  readonly #passphrase: Buffer;
  readonly #params: ScryptParams;
  /** derivations by `N$r$p$salt`, in use order (oldest first) */
  readonly #derived = new Map<string, Promise<DerivedKey>>();

  constructor(passphrase: string, opts: PrivateKeyCipherOptions = {}) {
    if (passphrase === '') throw new DctError('PASSPHRASE_REQUIRED', 'a non-empty passphrase is required to encrypt server keys');
    this.#passphrase = Buffer.from(passphrase, 'utf8');
    this.#params = checkParams(opts.scrypt ?? DEFAULT_SCRYPT_PARAMS, 'KEY_ENCRYPTION_FAILED');
  }

  /** The storage string for `privateKey`, bound to `keyId`. */
  async encrypt(keyId: string, privateKey: KeyObject): Promise<string> {
    const salt = randomBytes(SALT_BYTES);
    const iv = randomBytes(IV_BYTES);
    const { N, r, p } = this.#params;
    const derived = await this.#derive(this.#params, salt);
    const plaintext = encodePrivateKeyInfo(privateKey);
    try {
      const cipher = createCipheriv('aes-256-gcm', derived.aesKey, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(keyId, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      const parts = [salt, derived.check, iv, cipher.getAuthTag(), ciphertext].map((b) => b.toString('base64url'));
      return [KEY_ENCRYPTION_FORMAT, 'scrypt', N, r, p, ...parts].join('$');
    } finally {
      plaintext.fill(0);
    }
  }

  /**
   * The private key in `blob`. Fails with `WRONG_PASSPHRASE` when the blob was
   * written under another passphrase, `KEY_DECRYPTION_FAILED` when it is malformed,
   * damaged or belongs to another key ID.
   */
  async decrypt(keyId: string, blob: string): Promise<KeyObject> {
    const parsed = parseBlob(blob);
    const derived = await this.#derive(parsed.params, parsed.salt);
    if (!timingSafeEqual(derived.check, parsed.check)) {
      throw new DctError('WRONG_PASSPHRASE', `the key service passphrase does not decrypt key ${shortId(keyId)}`);
    }
    let plaintext: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', derived.aesKey, parsed.iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(keyId, 'utf8'));
      decipher.setAuthTag(parsed.tag);
      plaintext = Buffer.concat([decipher.update(parsed.ciphertext), decipher.final()]);
    } catch {
      throw decryptionFailed(keyId, 'it was altered or belongs to another key');
    }
    try {
      const pem = encodePem({ type: PKCS8_BLOCK, headers: {}, bytes: plaintext });
      return decodePrivateKeyFile(pem, undefined).privateKey;
    } catch {
      throw decryptionFailed(keyId, 'the decrypted data is not a private key');
    } finally {
      plaintext.fill(0);
    }
  }

  #derive(params: ScryptParams, salt: Buffer): Promise<DerivedKey> {
    const cacheKey = `${params.N}$${params.r}$${params.p}$${salt.toString('base64url')}`;
    const hit = this.#derived.get(cacheKey);
    if (hit) {
      this.#derived.delete(cacheKey);
      this.#derived.set(cacheKey, hit);
      return hit;
    }
    const pending = new Promise<DerivedKey>((resolve, reject) => {
      scrypt(this.#passphrase, salt, DERIVED_BYTES, { ...params, maxmem: MAX_SCRYPT_MEMORY }, (err, out) => {
        if (err) {
          reject(new DctError('KEY_DECRYPTION_FAILED', 'scrypt key derivation failed', { cause: err }));
          return;
        }
        const aesKey = Buffer.from(out.subarray(0, AES_KEY_BYTES));
        const check = createHash('sha256').update(out.subarray(AES_KEY_BYTES)).digest().subarray(0, CHECK_BYTES);
        out.fill(0);
        resolve({ aesKey, check });
      });
    });
    pending.catch(() => this.#derived.delete(cacheKey));
    this.#derived.set(cacheKey, pending);
    if (this.#derived.size > DERIVED_CACHE_SIZE) this.#derived.delete(this.#derived.keys().next().value as string);
    return pending;
  }
}

interface ParsedBlob {
  params: ScryptParams;
  salt: Buffer;
  check: Buffer;
  iv: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

function parseBlob(blob: string): ParsedBlob {
  const parts = blob.split('$');
  const [format, kdf, n, r, p, salt, check, iv, tag, ciphertext] = parts;
  if (parts.length !== 10 || format !== KEY_ENCRYPTION_FORMAT || kdf !== 'scrypt') {
    throw new DctError('KEY_DECRYPTION_FAILED', `unsupported encrypted key format (expected ${KEY_ENCRYPTION_FORMAT}$scrypt$…)`);
  }
  const params = checkParams({ N: integer(n), r: integer(r), p: integer(p) }, 'KEY_DECRYPTION_FAILED');
  const out = {
    params,
    salt: binary(salt, SALT_BYTES),
    check: binary(check, CHECK_BYTES),
    iv: binary(iv, IV_BYTES),
    tag: binary(tag, TAG_BYTES),
    ciphertext: binary(ciphertext),
  };
  if (out.ciphertext.length === 0) throw new DctError('KEY_DECRYPTION_FAILED', 'malformed encrypted key: empty ciphertext');
  return out;
}

function integer(s: string | undefined): number {
  return s !== undefined && /^[1-9][0-9]{0,9}$/.test(s) ? Number(s) : NaN;
}

function binary(s: string | undefined, length?: number): Buffer {
  if (s === undefined || !PART.test(s)) throw new DctError('KEY_DECRYPTION_FAILED', 'malformed encrypted key: bad base64url part');
  const bytes = Buffer.from(s, 'base64url');
  if (length !== undefined && bytes.length !== length) {
    throw new DctError('KEY_DECRYPTION_FAILED', 'malformed encrypted key: a part has the wrong length');
  }
  return bytes;
}

function checkParams(params: ScryptParams, code: AdapterErrorCode): ScryptParams {
  const { N, r, p } = params;
  const ok =
    Number.isInteger(N) &&
    N >= 2 &&
    N <= MAX_N &&
    (N & (N - 1)) === 0 &&
    Number.isInteger(r) &&
    r >= 1 &&
    r <= MAX_R &&
    Number.isInteger(p) &&
    p >= 1 &&
    p <= MAX_P &&
    128 * N * r <= MAX_SCRYPT_MEMORY / 2;
  if (!ok) throw new DctError(code, 'unsupported scrypt parameters');
  return { N, r, p };
}

function decryptionFailed(keyId: string, why: string): DctError {
  return new DctError('KEY_DECRYPTION_FAILED', `cannot decrypt stored key ${shortId(keyId)}: ${why}`);
}

function shortId(keyId: string): string {
  return /^[0-9a-f]+$/.test(keyId) ? keyId.slice(0, 7) : 'with a malformed ID';
}
