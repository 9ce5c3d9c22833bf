/**
 * The trust service inside the server process: timestamp and snapshot keys kept
 * in the server's database (`PrivateKeyStore`), encrypted under a passphrase.
 *
 * Behaves like notary-signer (spec §6.1): `createKey` hands out a pending (never
 * used) key for the same gun, role and algorithm before generating a new one, so
 * repeated `GET …/timestamp.key` before the first publish converge; a key becomes
 * used when it first signs. New keys are ECDSA P-256 unless ed25519 is asked for.
 *
 * Decrypted keys are cached in memory (bounded, least recently used out) so that
 * signing a timestamp costs one signature, not a scrypt derivation.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { DctError } from '../../core/errors.js';
import { publicKeyOf } from '../../core/keys/key-file.js';
import { PublicKey } from '../../core/keys/public-key.js';
import { signatureMethodFor, signMessage, type Signature } from '../../core/keys/signature.js';
import type { Signer } from '../../core/keys/signer.js';
import type { KeyService, PrivateKeyStore, StoredPrivateKey } from '../../core/ports.js';
import { PrivateKeyCipher, type ScryptParams } from './key-encryption.js';

/** Algorithms the key service generates (notary-signer: ecdsa and ed25519; rsa can only be imported). */
export const GENERATED_KEY_ALGORITHMS = ['ecdsa', 'ed25519'] as const;
export type GeneratedKeyAlgorithm = (typeof GENERATED_KEY_ALGORITHMS)[number];

export const SERVER_KEY_ROLES = ['timestamp', 'snapshot'] as const;
const MAX_GUN_LENGTH = 255;
const DEFAULT_CACHE_SIZE = 1024;

export interface EmbeddedKeyServiceOptions {
  store: PrivateKeyStore;
  /** encrypts the keys at rest; must be the same across restarts and replicas */
  passphrase: string;
  now: () => Date;
  /** algorithm when `createKey` names none (default ecdsa) */
  defaultAlgorithm?: GeneratedKeyAlgorithm;
  /** how many decrypted keys stay in memory (default 1024) */
  cacheSize?: number;
  /** scrypt cost for newly stored keys (tests lower it) */
  scrypt?: ScryptParams;
}

interface HeldKey {
  record: StoredPrivateKey;
  publicKey: PublicKey;
}

export class EmbeddedKeyService implements KeyService {
  readonly #store: PrivateKeyStore;
  readonly #cipher: PrivateKeyCipher;
  readonly #now: () => Date;
  readonly #defaultAlgorithm: GeneratedKeyAlgorithm;
  readonly #cacheSize: number;
  /** decrypted private keys by key ID, least recently used first */
  readonly #decrypted = new Map<string, Promise<KeyObject>>();
  /** keys this process knows are marked used (or is marking) */
  readonly #marked = new Map<string, Promise<void>>();
  /** createKey calls in flight per (gun, role, algorithm): one at a time, so they converge */
  readonly #creating = new Map<string, Promise<unknown>>();

  constructor(opts: EmbeddedKeyServiceOptions) {
    this.#store = opts.store;
    this.#cipher = new PrivateKeyCipher(opts.passphrase, opts.scrypt ? { scrypt: opts.scrypt } : {});
    this.#now = opts.now;
    this.#defaultAlgorithm = opts.defaultAlgorithm ?? 'ecdsa';
    this.#cacheSize = Math.max(1, opts.cacheSize ?? DEFAULT_CACHE_SIZE);
  }

  async createKey(gun: string, role: 'timestamp' | 'snapshot', algorithm?: string): Promise<PublicKey> {
    const algo = checkCreateRequest(gun, role, algorithm ?? this.#defaultAlgorithm);
    return this.#serialized(`${algo}\u0000${role}\u0000${gun}`, async () => {
      const pending = await this.#store.findUnusedKey(gun, role, algo);
      if (pending) return heldKeyOf(pending).publicKey;
      const privateKey = generatePrivateKey(algo);
      const publicKey = publicKeyOf(privateKey);
      await this.#store.putKey({
        keyId: publicKey.id,
        gun,
        role,
        algorithm: algo,
        publicKey: JSON.stringify(publicKey.toJSON()),
        encryptedPrivateKey: await this.#cipher.encrypt(publicKey.id, privateKey),
        createdAt: this.#now(),
        lastUsed: null,
      });
      this.#remember(publicKey.id, Promise.resolve(privateKey));
      return publicKey;
    });
  }

  async getKey(keyId: string): Promise<{ publicKey: PublicKey; gun: string; role: string } | undefined> {
    const held = await this.#held(keyId);
    return held && { publicKey: held.publicKey, gun: held.record.gun, role: held.record.role };
  }

  /** The signer of a held key; decrypts it now, so a wrong passphrase shows here. */
  async signer(keyId: string): Promise<Signer | undefined> {
    const held = await this.#held(keyId);
    if (!held) return undefined;
    const { record, publicKey } = held;
    const method = signatureMethodFor(publicKey.keyType);
    await this.#privateKey(record, publicKey);
    if (record.lastUsed !== null && !this.#marked.has(keyId)) this.#marked.set(keyId, Promise.resolve());
    return {
      publicKey,
      sign: async (message: Buffer): Promise<Signature> => {
        const privateKey = await this.#privateKey(record, publicKey);
        await this.#markUsed(keyId);
        return { keyid: publicKey.id, method, sig: signMessage(privateKey, method, message) };
      },
    };
  }

  async #held(keyId: string): Promise<HeldKey | undefined> {
    if (typeof keyId !== 'string' || !/^[0-9a-f]{64}$/.test(keyId)) return undefined;
    const record = await this.#store.getKey(keyId);
    return record && heldKeyOf(record);
  }

  /** The decrypted key: from the cache, or decrypted once however many callers ask at the same time. */
  #privateKey(record: StoredPrivateKey, publicKey: PublicKey): Promise<KeyObject> {
    const cached = this.#decrypted.get(record.keyId);
    if (cached) {
      this.#decrypted.delete(record.keyId);
      this.#decrypted.set(record.keyId, cached);
      return cached;
    }
    const decrypting = this.#cipher.decrypt(record.keyId, record.encryptedPrivateKey).then((key) => {
      if (publicKeyOf(key).id !== publicKey.id) {
        throw new DctError('KEY_DECRYPTION_FAILED', `stored key ${record.keyId.slice(0, 7)} does not match its public key`);
      }
      return key;
    });
    this.#remember(record.keyId, decrypting);
    decrypting.catch(() => {
      if (this.#decrypted.get(record.keyId) === decrypting) this.#decrypted.delete(record.keyId);
    });
    return decrypting;
  }

  #remember(keyId: string, key: Promise<KeyObject>): void {
    this.#decrypted.delete(keyId);
    this.#decrypted.set(keyId, key);
    while (this.#decrypted.size > this.#cacheSize) this.#decrypted.delete(this.#decrypted.keys().next().value as string);
  }

  /** Records the first use once per process; a failed write is retried by the next signature. */
  #markUsed(keyId: string): Promise<void> {
    let marking = this.#marked.get(keyId);
    if (!marking) {
      marking = this.#store.markUsed(keyId, this.#now());
      this.#marked.set(keyId, marking);
      marking.catch(() => {
        if (this.#marked.get(keyId) === marking) this.#marked.delete(keyId);
      });
    }
    return marking;
  }

  async #serialized<T>(lockKey: string, work: () => Promise<T>): Promise<T> {
    const before = this.#creating.get(lockKey) ?? Promise.resolve();
    const mine = before.catch(() => undefined).then(work);
    this.#creating.set(lockKey, mine);
    try {
      return await mine;
    } finally {
      if (this.#creating.get(lockKey) === mine) this.#creating.delete(lockKey);
    }
  }
}

function checkCreateRequest(gun: unknown, role: unknown, algorithm: unknown): GeneratedKeyAlgorithm {
  if (typeof gun !== 'string' || gun === '' || gun.length > MAX_GUN_LENGTH || /[\u0000-\u001f\u007f]/.test(gun)) {
    throw new DctError('INVALID_ARGUMENT', `a key needs a repository name (gun) of 1 to ${MAX_GUN_LENGTH} printable characters`);
  }
  if (!(SERVER_KEY_ROLES as readonly unknown[]).includes(role)) {
    throw new DctError(
      'INVALID_ARGUMENT',
      `the key service holds only ${SERVER_KEY_ROLES.join(' and ')} keys, not ${JSON.stringify(role)}`,
    );
  }
  if (!(GENERATED_KEY_ALGORITHMS as readonly unknown[]).includes(algorithm)) {
    throw new DctError(
      'UNSUPPORTED_KEY_TYPE',
      `the key service generates ${GENERATED_KEY_ALGORITHMS.join(' or ')} keys, not ${JSON.stringify(algorithm)}`,
    );
  }
  return algorithm as GeneratedKeyAlgorithm;
}

function generatePrivateKey(algorithm: GeneratedKeyAlgorithm): KeyObject {
  return algorithm === 'ed25519'
    ? generateKeyPairSync('ed25519').privateKey
    : generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
}

/** A stored row as a held key, refusing rows whose public key does not hash to their ID. */
function heldKeyOf(record: StoredPrivateKey): HeldKey {
  let publicKey: PublicKey;
  try {
    publicKey = PublicKey.fromJSON(JSON.parse(record.publicKey), 'stored public key');
  } catch (err) {
    throw new DctError('INVALID_STORED_KEY', `stored key ${record.keyId.slice(0, 7)} has an unreadable public key`, { cause: err });
  }
  if (publicKey.id !== record.keyId) {
    throw new DctError('INVALID_STORED_KEY', `stored key ${record.keyId.slice(0, 7)} does not match its public key`);
  }
  return { record, publicKey };
}
