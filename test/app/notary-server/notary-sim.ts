/**
 * Test support for the notary-server use cases: a server (in-memory store and
 * key service, pinned clock) and a client that publishes as notary/docker do
 * (createRepository for the first publish, then signed role updates), plus a
 * reader that loads what the server serves through the client trust rules.
 */
import type { KeyObject } from 'node:crypto';
import { createRepository, type CreatedRepository } from '../../../src/app/create-repository.js';
import {
  getCurrentSnapshot,
  getCurrentTimestamp,
  getServerKey,
  type ServerContext,
} from '../../../src/app/notary-server/server-metadata.js';
import { validateUpdate, type UpdateContext, type UploadedFile } from '../../../src/app/notary-server/validate-update.js';
import { GoTime } from '../../../src/core/go-time.js';
import { KeySigner } from '../../../src/core/keys/signer.js';
import type { FileUpdate } from '../../../src/core/ports.js';
import { TrustedSet } from '../../../src/core/trust/trusted-set.js';
import { defaultExpires } from '../../../src/core/tuf/common.js';
import { fileMetaOf } from '../../../src/core/tuf/file-meta.js';
import { Metadata } from '../../../src/core/tuf/metadata.js';
import type { Root } from '../../../src/core/tuf/root.js';
import { Snapshot } from '../../../src/core/tuf/snapshot.js';
import { Targets } from '../../../src/core/tuf/targets.js';
import { MemoryKeyService, MemoryTufStore, type MemoryKeyServiceOptions } from '../../support/memory-stores.js';
import { newKey, signerOf, type KeyPair } from '../../support/repo-simulator.js';

export const GUN = 'registry.example.com:5000/team/app';
export const NOW = new Date('2026-11-23T12:00:00Z');
export const DAY_MS = 24 * 3600 * 1000;

export class TestServer {
  readonly store: MemoryTufStore;
  readonly keys: MemoryKeyService;

  constructor(
    public now: Date = NOW,
    keyOptions: MemoryKeyServiceOptions = {},
  ) {
    this.store = new MemoryTufStore(() => this.now);
    this.keys = new MemoryKeyService(keyOptions);
  }

  ctx(gun = GUN): UpdateContext {
    return { gun, now: this.now, store: this.store, keys: this.keys };
  }

  serverCtx(): ServerContext {
    return { store: this.store, keys: this.keys, now: this.now };
  }

  validate(uploads: UploadedFile[], gun = GUN): Promise<FileUpdate[]> {
    return validateUpdate(this.ctx(gun), uploads);
  }

  /** validate + store, as the POST handler does */
  async publish(uploads: UploadedFile[], gun = GUN): Promise<FileUpdate[]> {
    const files = await this.validate(uploads, gun);
    await this.store.updateMany(gun, files);
    return files;
  }

  later(ms: number): void {
    this.now = new Date(this.now.getTime() + ms);
  }
}

export class TestClient {
  /** latest bytes per role, as the client would upload them */
  readonly files = new Map<string, Buffer>();
  readonly models = new Map<string, Targets>();
  readonly roleKeys = new Map<string, KeyPair>();
  rootKey: KeyPair;
  root: Root;
  snapshot: Snapshot | undefined;

  private constructor(
    readonly server: TestServer,
    readonly gun: string,
    readonly created: CreatedRepository,
    rootKey: KeyObject,
    targetsKey: KeyPair,
    readonly snapshotKey: KeyPair | undefined,
  ) {
    this.rootKey = { privateKey: rootKey, publicKey: created.keys.root };
    this.root = created.root.signed;
    this.models.set('targets', created.targets.signed);
    this.roleKeys.set('targets', targetsKey);
    this.snapshot = created.snapshot?.signed;
    for (const f of created.files) this.files.set(f.role, f.bytes);
  }

  /** notary init: server timestamp key, server (docker) or client snapshot key; root v1 + targets v1 (+ snapshot v1). */
  static async init(server: TestServer, opts: { serverSnapshot?: boolean; gun?: string } = {}): Promise<TestClient> {
    const gun = opts.gun ?? GUN;
    const serverSnapshot = opts.serverSnapshot ?? true;
    const rootKey = newKey('ec').privateKey;
    const targetsKey = newKey();
    const snapshotKey = serverSnapshot ? undefined : newKey();
    const ctx = server.serverCtx();
    const created = await createRepository({
      gun,
      now: server.now,
      rootKey,
      targetsKey: targetsKey.privateKey,
      ...(snapshotKey ? { snapshotKey: snapshotKey.privateKey } : { serverSnapshotKey: await getServerKey(ctx, gun, 'snapshot') }),
      timestampKey: await getServerKey(ctx, gun, 'timestamp'),
    });
    return new TestClient(server, gun, created, rootKey, targetsKey, snapshotKey);
  }

  /** the first publish's upload: root, targets and (client-managed) snapshot */
  initialUploads(): UploadedFile[] {
    return this.created.files.map((f) => ({ role: f.role, data: f.bytes }));
  }

  model(role: string): Targets {
    const m = this.models.get(role);
    if (!m) throw new Error(`no role ${role}`);
    return m;
  }

  addTarget(name: string, content: string, role = 'targets'): void {
    this.model(role).targets.set(name, fileMetaOf(Buffer.from(content)));
  }

  /** Lists `name` in `parent` with `key` (docker: the signer's key in targets/<signer> and targets/releases). */
  delegate(name: string, key: KeyPair, paths: string[] = [''], parent = 'targets'): void {
    const p = this.model(parent);
    p.delegations.keys[key.publicKey.id] = key.publicKey;
    p.delegations.roles.push({ name, keyids: [key.publicKey.id], threshold: 1, paths });
    this.roleKeys.set(name, key);
    if (!this.models.has(name)) this.models.set(name, new Targets(name, 0, defaultExpires('targets', this.server.now)));
  }

  /** Re-signs a targets role with version + 1 and a fresh expiry (or the given signers / expiry). */
  async sign(role: string, opts: { signers?: KeyPair[]; expires?: Date } = {}): Promise<UploadedFile> {
    const m = this.model(role);
    m.version++;
    m.expires = opts.expires ? GoTime.fromDate(opts.expires) : defaultExpires('targets', this.server.now);
    const md = await new Metadata(m, []).sign((opts.signers ?? [this.roleKeys.get(role)!]).map(signerOf));
    const data = md.serialize();
    this.files.set(role, data);
    return { role, data };
  }

  /** A client-managed snapshot: version + 1, meta of every file the client has. */
  async signSnapshot(): Promise<UploadedFile> {
    if (!this.snapshotKey || !this.snapshot) throw new Error('snapshot is server-managed');
    this.snapshot.version++;
    this.snapshot.expires = defaultExpires('snapshot', this.server.now);
    this.snapshot.meta = {};
    for (const [role, bytes] of this.files) if (role !== 'snapshot') this.snapshot.meta[role] = fileMetaOf(bytes);
    const data = (await new Metadata(this.snapshot, []).sign([signerOf(this.snapshotKey)])).serialize();
    this.files.set('snapshot', data);
    return { role: 'snapshot', data };
  }

  /** Signs `root` (a modified copy of the model) with the given root keys (certificate public keys). */
  async signRoot(root: Root, signers: KeyPair[]): Promise<UploadedFile> {
    const md = await new Metadata(root, []).sign(signers.map((k) => new KeySigner(k.privateKey, k.publicKey)));
    return { role: 'root', data: md.serialize() };
  }
}

/** Reads the repository as a client would (timestamp → snapshot → targets by checksum), through TrustedSet. */
export async function readAsClient(server: TestServer, gun = GUN): Promise<TrustedSet> {
  const root = await server.store.getCurrent(gun, 'root');
  if (!root) throw new Error('no root');
  const set = new TrustedSet(root.data, { gun, now: server.now });
  const ts = await getCurrentTimestamp(server.serverCtx(), gun);
  if (!ts) throw new Error('no timestamp');
  set.updateTimestamp(ts.data);
  const snap = await getCurrentSnapshot(server.serverCtx(), gun);
  if (!snap) throw new Error('no snapshot');
  set.updateSnapshot(snap.data);
  const queue = ['targets'];
  while (queue.length > 0) {
    const role = queue.shift()!;
    const pin = set.snapshot!.signed.meta[role];
    if (!pin) continue;
    const file = await server.store.getByChecksum(gun, role, pin.hashes['sha256']!.toString('hex'));
    if (!file) throw new Error(`${role} pinned by the snapshot is not served`);
    set.updateTargets(file.data, role);
    queue.push(...set.childRoles(role).map((c) => c.name));
  }
  return set;
}
