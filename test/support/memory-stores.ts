/**
 * In-memory implementations of the trust-server ports, for unit tests of the
 * server use cases and the HTTP layer. Simple, but faithful to the port
 * contracts (src/core/ports.ts):
 *
 * - `MemoryTufStore` (TufStore): every version of every role kept; `updateMany`
 *   is all-or-nothing and fails with VERSION_CONFLICT when any (gun, role)
 *   already has a version ≥ the new one; each stored timestamp appends an
 *   `update` change, each effective deletion a `deletion` change; `watch`
 *   listeners hear every change. Data is copied in and out (no aliasing).
 * - `MemoryPrivateKeyStore` (PrivateKeyStore): a map of stored key rows.
 * - `MemoryKeyService` (KeyService): keys generated and held as node KeyObjects
 *   (ECDSA P-256 by default, `ed25519` on request), signing through core
 *   `KeySigner`; like notary-signer, `createKey` hands out a pending (never
 *   used) key for the same gun/role/algorithm before making a new one. Test
 *   hooks: `addKey` (import), `forget` (a lost key), `holds`, `isUsed`.
 *
 * Exports are relied on by several test suites: keep them stable.
 */
import { generateKeyPairSync, createPublicKey, type KeyObject } from 'node:crypto';
import { DctError } from '../../src/core/errors.js';
import { PublicKey } from '../../src/core/keys/public-key.js';
import { KeySigner, type Signer } from '../../src/core/keys/signer.js';
import type {
  ChangeRecord,
  FileUpdate,
  KeyService,
  PrivateKeyStore,
  RepositoryListing,
  StoredFile,
  StoredPrivateKey,
  TufStore,
} from '../../src/core/ports.js';
import { sha256Hex } from '../../src/core/tuf/file-meta.js';

const copyFile = (f: StoredFile): StoredFile => ({ ...f, data: Buffer.from(f.data), createdAt: new Date(f.createdAt) });

export class MemoryTufStore implements TufStore {
  /** `gun\0role` → versions, ascending */
  private readonly files = new Map<string, StoredFile[]>();
  private readonly log: ChangeRecord[] = [];
  private nextChangeId = 1;
  private readonly listeners = new Set<(gun: string) => void>();
  /** how many `updateMany` calls stored files (tests assert on writes) */
  writes = 0;

  /** `clock` stamps `createdAt` of stored files and changes */
  constructor(private readonly clock: () => Date = () => new Date()) {}

  async getCurrent(gun: string, role: string): Promise<StoredFile | undefined> {
    const list = this.files.get(key(gun, role));
    const last = list?.[list.length - 1];
    return last && copyFile(last);
  }

  async getByVersion(gun: string, role: string, version: number): Promise<StoredFile | undefined> {
    const found = this.files.get(key(gun, role))?.find((f) => f.version === version);
    return found && copyFile(found);
  }

  async getByChecksum(gun: string, role: string, sha256: string): Promise<StoredFile | undefined> {
    const matches = this.files.get(key(gun, role))?.filter((f) => f.sha256 === sha256.toLowerCase()) ?? [];
    const last = matches[matches.length - 1];
    return last && copyFile(last);
  }

  async updateMany(gun: string, updates: readonly FileUpdate[]): Promise<void> {
    const highest = new Map<string, number>();
    for (const u of updates) {
      const k = key(gun, u.role);
      const list = this.files.get(k);
      const current = highest.get(k) ?? list?.[list.length - 1]?.version ?? 0;
      if (u.version <= current) {
        throw new DctError('VERSION_CONFLICT', `${gun} ${u.role}: version ${u.version} is not newer than ${current}`);
      }
      highest.set(k, u.version);
    }
    const createdAt = this.clock();
    for (const u of updates) {
      const k = key(gun, u.role);
      const data = Buffer.from(u.data);
      const file: StoredFile = { gun, role: u.role, version: u.version, data, sha256: sha256Hex(data), createdAt };
      this.files.set(k, [...(this.files.get(k) ?? []), file]);
      if (u.role === 'timestamp') {
        this.log.push({ id: this.nextChangeId++, createdAt, gun, version: u.version, sha256: file.sha256, category: 'update' });
      }
    }
    if (updates.length > 0) {
      this.writes++;
      this.notify(gun);
    }
  }

  async deleteRepository(gun: string): Promise<boolean> {
    let removed = false;
    for (const k of [...this.files.keys()]) {
      if (k.startsWith(`${gun}\u0000`)) removed = this.files.delete(k) || removed;
    }
    if (removed) {
      this.log.push({ id: this.nextChangeId++, createdAt: this.clock(), gun, version: 0, sha256: '', category: 'deletion' });
      this.notify(gun);
    }
    return removed;
  }

  /** Forward with records ≥ 0 (ids > changeId); backward with records < 0 or changeId < 0 (notary's rule). */
  async listRepositories(opts: { after?: string; limit: number }): Promise<RepositoryListing[]> {
    const latest = new Map<string, Date>();
    for (const list of this.files.values()) {
      for (const f of list) {
        const seen = latest.get(f.gun);
        if (!seen || f.createdAt > seen) latest.set(f.gun, f.createdAt);
      }
    }
    const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
    return [...latest]
      .filter(([gun]) => opts.after === undefined || byBytes(gun, opts.after) > 0)
      .sort(([a], [b]) => byBytes(a, b))
      .slice(0, Math.max(0, opts.limit))
      .map(([gun, at]) => ({ gun, updatedAt: new Date(at) }));
  }

  async changes(opts: { gun?: string; changeId: number; records: number }): Promise<ChangeRecord[]> {
    const all = this.log.filter((c) => opts.gun === undefined || c.gun === opts.gun).map((c) => ({ ...c }));
    const n = Math.abs(opts.records);
    if (opts.records < 0 || opts.changeId < 0) {
      const before = opts.changeId < 0 ? all : all.filter((c) => c.id < opts.changeId);
      return n === 0 ? [] : before.slice(-n);
    }
    return all.filter((c) => c.id > opts.changeId).slice(0, n);
  }

  async watch(listener: (gun: string) => void): Promise<() => Promise<void>> {
    this.listeners.add(listener);
    return async () => {
      this.listeners.delete(listener);
    };
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }

  /** Every stored version of a role, ascending (a test helper, not part of the port). */
  versions(gun: string, role: string): number[] {
    return (this.files.get(key(gun, role)) ?? []).map((f) => f.version);
  }

  private notify(gun: string): void {
    for (const l of this.listeners) l(gun);
  }
}

function key(gun: string, role: string): string {
  return `${gun}\u0000${role}`;
}

export class MemoryPrivateKeyStore implements PrivateKeyStore {
  private readonly keys = new Map<string, StoredPrivateKey>();

  async putKey(k: StoredPrivateKey): Promise<void> {
    if (this.keys.has(k.keyId)) throw new DctError('PRIVATE_KEY_EXISTS', `key ${k.keyId} is already stored`);
    this.keys.set(k.keyId, { ...k });
  }

  async getKey(keyId: string): Promise<StoredPrivateKey | undefined> {
    const k = this.keys.get(keyId);
    return k && { ...k };
  }

  async findUnusedKey(gun: string, role: string, algorithm: string): Promise<StoredPrivateKey | undefined> {
    for (const k of this.keys.values()) {
      if (k.gun === gun && k.role === role && k.algorithm === algorithm && k.lastUsed === null) return { ...k };
    }
    return undefined;
  }

  async markUsed(keyId: string, when: Date): Promise<void> {
    const k = this.keys.get(keyId);
    if (k && k.lastUsed === null) k.lastUsed = when;
  }

  async deleteKey(keyId: string): Promise<void> {
    this.keys.delete(keyId);
  }
}

export type MemoryKeyAlgorithm = 'ecdsa' | 'ed25519';

export interface MemoryKeyServiceOptions {
  /** algorithm when `createKey` names none (default `ecdsa`) */
  algorithm?: MemoryKeyAlgorithm;
  /** hand out a pending unused key before creating a new one (default true, as notary-signer) */
  reusePending?: boolean;
}

interface HeldKey {
  privateKey: KeyObject;
  publicKey: PublicKey;
  gun: string;
  role: string;
  algorithm: string;
  used: boolean;
}

export class MemoryKeyService implements KeyService {
  private readonly held = new Map<string, HeldKey>();
  private readonly algorithm: MemoryKeyAlgorithm;
  private readonly reusePending: boolean;
  /** keys generated so far */
  created = 0;
  /** signatures made so far */
  signatures = 0;

  constructor(opts: MemoryKeyServiceOptions = {}) {
    this.algorithm = opts.algorithm ?? 'ecdsa';
    this.reusePending = opts.reusePending ?? true;
  }

  async createKey(gun: string, role: 'timestamp' | 'snapshot', algorithm?: string): Promise<PublicKey> {
    const algo = algorithm ?? this.algorithm;
    if (algo !== 'ecdsa' && algo !== 'ed25519') throw new DctError('UNSUPPORTED_KEY_TYPE', `cannot generate ${algo} keys`);
    if (this.reusePending) {
      for (const k of this.held.values()) {
        if (k.gun === gun && k.role === role && k.algorithm === algo && !k.used) return k.publicKey;
      }
    }
    const { privateKey } = algo === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    this.created++;
    return this.addKey(gun, role, privateKey);
  }

  async getKey(keyId: string): Promise<{ publicKey: PublicKey; gun: string; role: string } | undefined> {
    const k = this.held.get(keyId);
    return k && { publicKey: k.publicKey, gun: k.gun, role: k.role };
  }

  async signer(keyId: string): Promise<Signer | undefined> {
    const k = this.held.get(keyId);
    if (!k) return undefined;
    const inner = new KeySigner(k.privateKey, k.publicKey);
    return {
      publicKey: k.publicKey,
      sign: (message: Buffer) => {
        k.used = true;
        this.signatures++;
        return inner.sign(message);
      },
    };
  }

  /** Holds an existing private key for (gun, role); returns its public key. */
  addKey(gun: string, role: string, privateKey: KeyObject): PublicKey {
    const publicKey = PublicKey.fromKeyObject(createPublicKey(privateKey));
    const algorithm = publicKey.keyType === 'ed25519' ? 'ed25519' : publicKey.keyType;
    this.held.set(publicKey.id, { privateKey, publicKey, gun, role, algorithm, used: false });
    return publicKey;
  }

  /** Drops a key, as a restarted local (in-memory) notary trust service would. */
  forget(keyId: string): boolean {
    return this.held.delete(keyId);
  }

  holds(keyId: string): boolean {
    return this.held.has(keyId);
  }

  isUsed(keyId: string): boolean {
    return this.held.get(keyId)?.used ?? false;
  }
}
