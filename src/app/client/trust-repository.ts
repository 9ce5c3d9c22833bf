/**
 * A repository as a client works with it (notary `client.repository`): read
 * verified trust data, open a draft to change it, initialise it, publish.
 * Every adapter comes in through ports: the server (`RemoteRepository`, absent
 * when offline), the cache (`MetadataCache`) and the private keys (`KeyRing`).
 */
import { createPublicKey } from 'node:crypto';
import { DctError, isDctError } from '../../core/errors.js';
import { PublicKey } from '../../core/keys/public-key.js';
import type { KeyRing, MetadataCache, RemoteRepository, RoleFile } from '../../core/ports.js';
import type { TrustPinning } from '../../core/trust/root-validation.js';
import { DEFAULT_SIZE_LIMITS, TrustedSet, type SizeLimits } from '../../core/trust/trusted-set.js';
import { parseMetadata } from '../../core/tuf/metadata.js';
import type { Snapshot } from '../../core/tuf/snapshot.js';
import type { Targets } from '../../core/tuf/targets.js';
import { verifyThreshold } from '../../core/tuf/verify.js';
import type { Metadata } from '../../core/tuf/metadata.js';
import { createRepository } from '../create-repository.js';
import { RepositoryDraft } from './repository-draft.js';
import { updateRepository, type UpdatedRepository } from './update-repository.js';

export interface TrustRepositoryOptions {
  gun: string;
  cache: MetadataCache;
  keyRing: KeyRing;
  /** absent: offline (reads from the cache only; writes fail) */
  remote?: RemoteRepository;
  pinning?: TrustPinning;
  limits?: Partial<SizeLimits>;
  /** the clock (tests pin it) */
  now?: () => Date;
}

export interface InitializeOptions {
  /** canonical IDs of root keys to use; default: the first root key held, else a new one */
  rootKeyIds?: readonly string[];
  /** docker: always; notary: only after `key rotate snapshot -r` */
  serverManagedSnapshot: boolean;
  /** the root certificate (PEM) for the root key, instead of a new self-signed one (notary `init --rootcert`) */
  rootCertificatePem?: string;
}

export class TrustRepository {
  readonly gun: string;
  private readonly now: () => Date;

  constructor(private readonly o: TrustRepositoryOptions) {
    this.gun = o.gun;
    this.now = o.now ?? (() => new Date());
  }

  get remote(): RemoteRepository | undefined {
    return this.o.remote;
  }

  get keyRing(): KeyRing {
    return this.o.keyRing;
  }

  /** Verified, up-to-date trust data (offline: the cache's, while unexpired). */
  read(): Promise<UpdatedRepository> {
    return updateRepository({ ...this.base(), now: this.now() });
  }

  /**
   * A draft of the repository to change: the server's (verified), else the one
   * initialised locally and never published; undefined when neither exists.
   */
  async openDraft(): Promise<RepositoryDraft | undefined> {
    const remote = this.requireRemote();
    try {
      const { trusted } = await updateRepository({ ...this.base(), remote, now: this.now(), forWrite: true });
      return RepositoryDraft.fromTrustedSet(trusted);
    } catch (err) {
      if (!isDctError(err, 'REPOSITORY_NOT_FOUND')) throw err;
    }
    return this.unpublishedDraft();
  }

  /**
   * Creates a repository locally (notary `init`, docker's first signer/sign):
   * root key (existing or new), a new targets key, a new snapshot key or the
   * server's, the server's timestamp key; root and targets v1 go to the cache.
   */
  async initialize(options: InitializeOptions): Promise<RepositoryDraft> {
    const remote = this.requireRemote();
    const keyRing = this.o.keyRing;
    let rootKeyId = options.rootKeyIds?.[0];
    if (!rootKeyId)
      rootKeyId = (await keyRing.list())
        .filter((k) => k.role === 'root')
        .map((k) => k.keyId)
        .sort()[0];
    const rootKey = rootKeyId ? await keyRing.unlock(rootKeyId) : (await keyRing.generate('root')).privateKey;
    if (!rootKey) throw new DctError('KEY_NOT_FOUND', `root key ${rootKeyId} is not in the trust directory`);
    const timestampKey = await remote.getKey('timestamp');
    const targetsKey = (await keyRing.generate('targets', this.gun)).privateKey;
    const snapshot = options.serverManagedSnapshot
      ? { serverSnapshotKey: await remote.getKey('snapshot') }
      : { snapshotKey: (await keyRing.generate('snapshot', this.gun)).privateKey };
    const created = await createRepository({
      gun: this.gun,
      now: this.now(),
      rootKey,
      targetsKey,
      timestampKey,
      ...snapshot,
      ...(options.rootCertificatePem !== undefined ? { rootCertificatePem: options.rootCertificatePem } : {}),
    });
    await this.o.cache.clear();
    await this.o.cache.write(created.files);
    return new RepositoryDraft({
      gun: this.gun,
      root: created.root,
      targets: new Map([['targets', created.targets]]),
      ...(created.snapshot ? { snapshot: created.snapshot } : {}),
      initialPublish: true,
    });
  }

  /**
   * Signs what the draft changed and uploads it in one atomic update; returns what
   * was sent. As notary's publish, the update is sent even when it holds no file.
   */
  async publish(draft: RepositoryDraft): Promise<RoleFile[]> {
    const remote = this.requireRemote();
    const files = await draft.sign(this.o.keyRing, this.now());
    await remote.publish(files);
    return files;
  }

  /** The public key of a private key the ring holds (for `signer add` style commands). */
  async publicKeyOf(keyId: string): Promise<PublicKey | undefined> {
    const privateKey = await this.o.keyRing.unlock(keyId);
    return privateKey ? PublicKey.fromKeyObject(createPublicKey(privateKey)) : undefined;
  }

  private base() {
    return {
      gun: this.gun,
      cache: this.o.cache,
      ...(this.o.remote ? { remote: this.o.remote } : {}),
      ...(this.o.pinning ? { pinning: this.o.pinning } : {}),
      ...(this.o.limits ? { limits: this.o.limits } : {}),
    };
  }

  private requireRemote(): RemoteRepository {
    if (!this.o.remote) throw new DctError('OFFLINE', 'client is offline: this needs the trust server');
    return this.o.remote;
  }

  /** notary's "initial publish" source: root, targets (and a client snapshot) made by init, verified with their own keys. */
  private async unpublishedDraft(): Promise<RepositoryDraft | undefined> {
    const limits = { ...DEFAULT_SIZE_LIMITS, ...this.o.limits };
    const rootBytes = await this.o.cache.read('root', limits.root);
    if (!rootBytes) return undefined;
    const set = new TrustedSet(rootBytes, { gun: this.gun, now: this.now() });
    const root = set.root.signed;
    const targetsBytes = await this.o.cache.read('targets', limits.metadata);
    if (!targetsBytes)
      throw new DctError(
        'MISSING_METADATA',
        `the repository ${this.gun} was initialised locally but its targets.json is missing from the cache`,
      );
    const targets = parseMetadata(targetsBytes, 'targets') as Metadata<Targets>;
    const spec = root.roles['targets']!;
    verifyThreshold(targets, { keys: root.keys, keyids: spec.keyids, threshold: spec.threshold }, 'targets');
    let snapshot: Metadata<Snapshot> | undefined;
    const snapshotBytes = await this.o.cache.read('snapshot', limits.metadata);
    if (snapshotBytes) {
      snapshot = parseMetadata(snapshotBytes, 'snapshot');
      const s = root.roles['snapshot']!;
      verifyThreshold(snapshot, { keys: root.keys, keyids: s.keyids, threshold: s.threshold }, 'snapshot');
    }
    return new RepositoryDraft({
      gun: this.gun,
      root: set.root,
      targets: new Map([['targets', targets]]),
      ...(snapshot ? { snapshot } : {}),
      initialPublish: true,
    });
  }
}
