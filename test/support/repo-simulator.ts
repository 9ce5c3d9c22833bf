/**
 * An in-memory Notary repository for tests (go-tuf's RepositorySimulator idea):
 * real keys, real root certificate, real signatures; tests script changes and
 * attacks by editing the models and calling `publish()`.
 */
import { TrustedSet } from '../../src/core/trust/trusted-set.js';
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { createRootCertificate, ROOT_CERTIFICATE_VALIDITY_MS } from '../../src/core/keys/certificate.js';
import { PublicKey } from '../../src/core/keys/public-key.js';
import { KeySigner, type Signer } from '../../src/core/keys/signer.js';
import { defaultExpires } from '../../src/core/tuf/common.js';
import { fileMetaOf } from '../../src/core/tuf/file-meta.js';
import { Metadata } from '../../src/core/tuf/metadata.js';
import { Root } from '../../src/core/tuf/root.js';
import { Snapshot } from '../../src/core/tuf/snapshot.js';
import { Timestamp } from '../../src/core/tuf/timestamp.js';
import { Targets } from '../../src/core/tuf/targets.js';

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: PublicKey;
}

export function newKey(type: 'ec' | 'ed25519' | 'rsa' = 'ec'): KeyPair {
  const pair =
    type === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
      : type === 'rsa'
        ? generateKeyPairSync('rsa', { modulusLength: 2048 })
        : generateKeyPairSync('ed25519');
  return { privateKey: pair.privateKey, publicKey: PublicKey.fromKeyObject(pair.publicKey) };
}

/** A root key whose metadata key is a self-signed certificate for `gun`, as notary makes it. */
export function newRootKey(gun: string, now: Date, validityMs = ROOT_CERTIFICATE_VALIDITY_MS): KeyPair {
  const { privateKey } = newKey('ec');
  const pem = createRootCertificate({
    privateKey,
    gun,
    notBefore: now,
    notAfter: new Date(now.getTime() + validityMs),
    serial: randomBytes(16),
  });
  return { privateKey, publicKey: PublicKey.fromCertificatePem(pem) };
}

export const signerOf = (k: KeyPair): Signer => new KeySigner(k.privateKey, k.publicKey);

export class RepoSimulator {
  readonly keys: { root: KeyPair[]; targets: KeyPair; snapshot: KeyPair; timestamp: KeyPair };
  readonly delegationKeys = new Map<string, KeyPair>();
  root: Root;
  targets: Targets;
  readonly delegated = new Map<string, Targets>();
  snapshot: Snapshot;
  timestamp: Timestamp;
  /** the latest published bytes per role (and `<n>.root` for each root version) */
  readonly files = new Map<string, Buffer>();
  /** extra signers used when the root is next signed (rotation: old keys sign too) */
  rootCosigners: KeyPair[] = [];

  constructor(
    readonly gun = 'example.com/sim/repo',
    public now = new Date('2026-11-23T12:00:00Z'),
  ) {
    this.keys = { root: [newRootKey(gun, now)], targets: newKey(), snapshot: newKey(), timestamp: newKey('ed25519') };
    const keys: Record<string, PublicKey> = {};
    for (const k of [...this.keys.root, this.keys.targets, this.keys.snapshot, this.keys.timestamp]) keys[k.publicKey.id] = k.publicKey;
    this.root = new Root(0, defaultExpires('root', now), keys, {
      root: { keyids: this.keys.root.map((k) => k.publicKey.id), threshold: 1 },
      targets: { keyids: [this.keys.targets.publicKey.id], threshold: 1 },
      snapshot: { keyids: [this.keys.snapshot.publicKey.id], threshold: 1 },
      timestamp: { keyids: [this.keys.timestamp.publicKey.id], threshold: 1 },
    });
    this.targets = new Targets('targets', 0, defaultExpires('targets', now));
    this.snapshot = new Snapshot(0, defaultExpires('snapshot', now), {});
    this.timestamp = new Timestamp(0, defaultExpires('timestamp', now), {});
  }

  addTarget(name: string, content: string, role = 'targets'): void {
    const t = role === 'targets' ? this.targets : this.delegated.get(role);
    if (!t) throw new Error(`no role ${role}`);
    t.targets.set(name, fileMetaOf(Buffer.from(content)));
  }

  /** Adds a delegation `name` below `parent` with a fresh key. */
  delegate(name: string, paths: string[] = [''], parent = 'targets', key = newKey()): KeyPair {
    const p = parent === 'targets' ? this.targets : this.delegated.get(parent);
    if (!p) throw new Error(`no role ${parent}`);
    p.delegations.keys[key.publicKey.id] = key.publicKey;
    p.delegations.roles.push({ name, keyids: [key.publicKey.id], threshold: 1, paths });
    this.delegationKeys.set(name, key);
    this.delegated.set(name, new Targets(name, 0, defaultExpires('targets', this.now)));
    return key;
  }

  async signRoot(): Promise<Buffer> {
    this.root.version++;
    const md = await new Metadata(this.root, []).sign([...this.keys.root, ...this.rootCosigners].map(signerOf));
    const bytes = md.serialize();
    this.files.set('root', bytes);
    this.files.set(`${this.root.version}.root`, bytes);
    this.rootCosigners = [];
    return bytes;
  }

  /** Re-signs every targets role, then snapshot and timestamp (and root the first time). */
  async publish(): Promise<void> {
    if (this.root.version === 0) await this.signRoot();
    this.targets.version++;
    this.files.set('targets', (await new Metadata(this.targets, []).sign([signerOf(this.keys.targets)])).serialize());
    for (const [name, t] of this.delegated) {
      t.version++;
      this.files.set(name, (await new Metadata(t, []).sign([signerOf(this.delegationKeys.get(name)!)])).serialize());
    }
    await this.publishSnapshot();
  }

  /** Everything published, loaded into a trusted set as a client's update would (root, timestamp, snapshot, targets, delegations). */
  trustedSet(): TrustedSet {
    const set = new TrustedSet(this.file('root'), { gun: this.gun, now: this.now });
    set.updateTimestamp(this.file('timestamp'));
    set.updateSnapshot(this.file('snapshot'));
    set.updateTargets(this.file('targets'));
    for (const role of this.delegated.keys()) set.updateTargets(this.file(role), role);
    return set;
  }

  async publishSnapshot(): Promise<void> {
    this.snapshot.version++;
    this.snapshot.meta = {};
    for (const role of ['root', 'targets', ...this.delegated.keys()]) {
      this.snapshot.meta[role] = fileMetaOf(this.files.get(role)!);
    }
    this.files.set('snapshot', (await new Metadata(this.snapshot, []).sign([signerOf(this.keys.snapshot)])).serialize());
    await this.publishTimestamp();
  }

  async publishTimestamp(): Promise<void> {
    this.timestamp.version++;
    this.timestamp.meta = { snapshot: fileMetaOf(this.files.get('snapshot')!) };
    this.files.set('timestamp', (await new Metadata(this.timestamp, []).sign([signerOf(this.keys.timestamp)])).serialize());
  }

  file(role: string): Buffer {
    const bytes = this.files.get(role);
    if (!bytes) throw new Error(`no published ${role}`);
    return bytes;
  }
}
