/**
 * The client update (notary `client/tufclient.go`): brings a repository's trusted
 * metadata up to date from a Notary server, starting from the local cache.
 *
 * Order and rules as notary's client, with one difference that only makes it
 * safer: verified downloads reach the cache only when the whole update succeeded,
 * so a server that serves one bad file leaves the cache exactly as it was.
 *
 * 1. A cached root is trusted as it is (no pinning: it was validated when first
 *    cached); an expired one only anchors a rotation to the server's newer root.
 *    Without a cached root, the server's root is validated with trust pinning
 *    (trust on first use by default).
 * 2. timestamp (from the server; from the cache when the server cannot be
 *    reached), then snapshot, targets and delegations breadth-first, each from
 *    the cache when it matches its parent's pin, else from the server by checksum.
 * 3. On any error in 2, the root is refreshed once (walking `<v>.root.json` when
 *    the newest root is not signed by the trusted one) and 2 is retried. As
 *    notary, the refresh asks for the root a snapshot verified in 2 pins
 *    (`root.<sha256>.json`), else for the current `root.json`.
 */
import { createHash } from 'node:crypto';
import { DctError, isDctError } from '../../core/errors.js';
import type { MetadataCache, RemoteRepository, RoleFile } from '../../core/ports.js';
import type { TrustPinning } from '../../core/trust/root-validation.js';
import { DEFAULT_SIZE_LIMITS, TrustedSet, type SizeLimits } from '../../core/trust/trusted-set.js';
import { checkFileMeta, type FileMeta } from '../../core/tuf/file-meta.js';
import { parseMetadata } from '../../core/tuf/metadata.js';

export interface UpdateOptions {
  gun: string;
  now: Date;
  cache: MetadataCache;
  /** absent: offline, the cache alone (it must hold an unexpired repository) */
  remote?: RemoteRepository;
  /** first-contact rules (notary `trust_pinning`); none = trust on first use */
  pinning?: TrustPinning;
  /** for a publish: the server's root is fetched even when a root is cached (to learn that the repository exists) */
  forWrite?: boolean;
  limits?: Partial<SizeLimits>;
}

export interface UpdatedRepository {
  trusted: TrustedSet;
  /** what notary prints as warnings: skipped delegations, cached timestamp, nearing expiry */
  warnings: string[];
  /** true when the timestamp came from the cache because the server could not be reached */
  offline: boolean;
}

/** Codes of the errors this use case adds to the core's. */
export type UpdateErrorCode = 'REPOSITORY_NOT_FOUND' | 'REPOSITORY_NOT_INITIALIZED' | 'MISSING_METADATA' | 'OFFLINE';

/** Transport failures a read may fall back to the cache for (notary: network errors and "server unavailable"). */
export function isUnreachable(err: unknown): boolean {
  return isDctError(err, 'NETWORK_ERROR') || isDctError(err, 'TIMEOUT') || isDctError(err, 'SERVER_UNAVAILABLE');
}

/** notary ErrRepositoryNotExist */
export function repositoryNotFound(serverName: string, gun: string): DctError {
  return new DctError('REPOSITORY_NOT_FOUND', `${serverName} does not have trust data for ${gun}`);
}

/** notary ErrMetaNotFound (its text has two spaces) */
export function metadataNotFound(role: string): DctError {
  return new DctError('MISSING_METADATA', `${role} trust data unavailable.  Has a notary repository been initialized?`);
}

const MAX_ROOT_WALK = 1000;
const NEAR_EXPIRY_MS = 182 * 24 * 60 * 60 * 1000; // notary: 6 months
export const CACHED_TIMESTAMP_WARNING =
  'Error while downloading remote metadata, using cached timestamp - this might not be the latest version available remotely';

export async function updateRepository(options: UpdateOptions): Promise<UpdatedRepository> {
  return new RepositoryUpdate(options).run();
}

class RepositoryUpdate {
  private readonly limits: SizeLimits;
  private readonly warnings: string[] = [];
  /** bytes verified in this update, by role, to cache when everything succeeded */
  private readonly verified = new Map<string, Buffer>();
  private offline = false;

  constructor(private readonly o: UpdateOptions) {
    this.limits = { ...DEFAULT_SIZE_LIMITS, ...o.limits };
  }

  async run(): Promise<UpdatedRepository> {
    const set = await this.trustedRoot();
    try {
      await this.updateFromTimestamp(set);
    } catch (err) {
      const remote = this.o.remote;
      if (!remote || this.offline) throw err;
      // notary: one root refresh, then one retry; an unchanged root cannot help. A snapshot
      // verified before the failure pins the root to fetch (notary's `root.<sha256>.json`)
      const rootPin = set.snapshot?.signed.meta['root'];
      const rootSha256 = rootPin?.hashes['sha256']?.toString('hex');
      const newest =
        rootPin && rootSha256
          ? await remote.read('root', Math.min(rootPin.length, this.limits.root), rootSha256)
          : await remote.read('root', this.limits.root);
      if (!newest) throw repositoryNotFound(remote.serverName, this.o.gun);
      if (newest.equals(rootBytes(set))) throw err;
      await this.rotateRoot(set, newest);
      this.clearVerifiedExceptRoot();
      await this.updateFromTimestamp(set);
    }
    this.warnNearExpiry(set);
    await this.o.cache.write(await this.changedFiles());
    return { trusted: set, warnings: this.warnings, offline: this.offline };
  }

  /** Step 1: the trusted root, from the cache or (first contact, expired cache, write) the server. */
  private async trustedRoot(): Promise<TrustedSet> {
    const { gun, now, cache, remote } = this.o;
    const cached = await cache.read('root', this.limits.root);
    const minimumVersions = await this.cachedVersions(cached);
    const base = { gun, now, minimumVersions, limits: this.limits };
    let set: TrustedSet | undefined;
    let expired = false;
    if (cached) {
      try {
        set = new TrustedSet(cached, base);
      } catch (err) {
        if (!isDctError(err, 'EXPIRED') && !isDctError(err, 'CERTIFICATE_VALIDATION_FAILED')) {
          // an unusable cached root is treated as none, as notary does; its version still bounds the next one
          set = undefined;
        } else {
          try {
            set = new TrustedSet(cached, { ...base, allowExpiredRoot: true });
            expired = true;
          } catch {
            set = undefined;
          }
        }
      }
    }
    if (set && !expired && !this.o.forWrite) return set;
    if (!remote) {
      if (set && !expired) return set;
      if (set) throw new DctError('EXPIRED', `the cached root of ${gun} has expired and the trust server cannot be reached to renew it`);
      throw new DctError('OFFLINE', `no trust data for ${gun} is cached, and the trust server is not used (offline)`);
    }
    const remoteRoot = await remote.read('root', this.limits.root);
    if (!remoteRoot) throw repositoryNotFound(remote.serverName, gun);
    if (!set) {
      set = new TrustedSet(remoteRoot, { ...base, ...(this.o.pinning ? { pinning: this.o.pinning } : {}) });
      this.verified.set('root', remoteRoot);
    } else if (expired) {
      await this.rotateRoot(set, remoteRoot);
    }
    return set;
  }

  /**
   * Rotates to `newest`: directly when the trusted root signed it, else one
   * version at a time (`<v>.root.json`), each signed by its predecessor.
   */
  private async rotateRoot(set: TrustedSet, newest: Buffer): Promise<void> {
    try {
      set.updateRoot(newest);
    } catch (err) {
      if (!isDctError(err, 'ROOT_ROTATION_FAILED') || !this.o.remote) throw err;
      const from = set.root.signed.version;
      const to = parseMetadata(newest, 'root').signed.version; // bounds only: every step is verified
      if (to - from > MAX_ROOT_WALK) {
        throw new DctError(
          'ROOT_ROTATION_FAILED',
          `root version ${to} is more than ${MAX_ROOT_WALK} versions ahead of trusted version ${from}`,
          {
            cause: err,
          },
        );
      }
      for (let v = from + 1; v < to; v++) {
        const step = await this.o.remote.readRootVersion(v, this.limits.root);
        if (!step) throw metadataNotFound(`${v}.root`);
        set.updateRoot(step, { intermediate: true });
      }
      set.updateRoot(newest);
    }
    this.verified.set('root', newest);
  }

  /** Step 2: timestamp, snapshot, targets and delegations. */
  private async updateFromTimestamp(set: TrustedSet): Promise<void> {
    const { remote, cache } = this.o;
    let timestamp: Buffer | undefined;
    let unreachable: unknown;
    if (remote) {
      try {
        timestamp = await remote.read('timestamp', this.limits.timestamp);
      } catch (err) {
        if (!isUnreachable(err)) throw err;
        unreachable = err;
      }
    }
    if (timestamp) {
      set.updateTimestamp(timestamp);
      this.verified.set('timestamp', timestamp);
    } else {
      const cached = await cache.read('timestamp', this.limits.timestamp);
      if (!cached) {
        if (remote && !unreachable) throw metadataNotFound('timestamp');
        throw new DctError('OFFLINE', `no cached timestamp for ${this.o.gun} and the trust server cannot be reached`, {
          cause: unreachable,
        });
      }
      this.warnings.push(CACHED_TIMESTAMP_WARNING);
      set.updateTimestamp(cached);
      this.offline = true;
    }

    const snapshotPin = set.timestamp!.signed.snapshotMeta;
    const snapshot = await this.load('snapshot', snapshotPin, await this.pinned(set, 'snapshot', snapshotPin), (b) =>
      set.updateSnapshot(b),
    );
    // as notary's builder: the trusted root must be the one the snapshot pins; if not, the
    // root refresh in run() fetches the newer root (a rotation the client has not seen yet)
    const rootPin = snapshot.signed.meta['root'];
    if (rootPin && !matches(rootBytes(set), rootPin)) {
      throw new DctError(
        'HASH_MISMATCH',
        `root: the snapshot pins a root other than the trusted root (version ${set.root.signed.version})`,
      );
    }
    // the children of a verified role are fetched together (downloads overlap), then verified one by one in walk order
    const fetching = new Map<string, Promise<Buffer>>();
    const fetch = (role: string, pin: FileMeta): Promise<Buffer> => {
      let pending = fetching.get(role);
      if (!pending) {
        pending = this.pinned(set, role, pin);
        pending.catch(() => undefined); // awaited in turn below; an update that fails earlier must not leave it unhandled
        fetching.set(role, pending);
      }
      return pending;
    };
    const queue = ['targets'];
    while (queue.length > 0) {
      const role = queue.shift() as string;
      const pin = snapshot.signed.meta[role];
      if (!pin) continue; // notary skips roles the snapshot does not list
      const bytes = await fetch(role, pin);
      try {
        await this.load(role, pin, bytes, (b) => set.updateTargets(b, role));
      } catch (err) {
        if (role === 'targets' || !(isDctError(err, 'EXPIRED') || isDctError(err, 'THRESHOLD_NOT_MET'))) throw err;
        this.verified.delete(role);
        this.warnings.push(`Error getting ${role}: ${(err as Error).message}`);
        continue;
      }
      const children = set.childRoles(role).map((c) => c.name);
      for (const child of children) {
        const childPin = snapshot.signed.meta[child];
        if (childPin) void fetch(child, childPin);
      }
      queue.unshift(...children);
    }
  }

  /**
   * A file its parent pins: the cached copy when it matches, else the server's by
   * checksum; a cached copy being replaced still bounds the version (no rollback).
   */
  private async pinned(set: TrustedSet, role: string, pin: FileMeta): Promise<Buffer> {
    const cached = await this.o.cache.read(role, this.limits.metadata);
    if (cached && likelyPinned(cached, pin)) return cached;
    if (cached) {
      const version = peekVersion(cached);
      if (version !== undefined) set.requireMinimumVersion(role, version);
    }
    return this.download(role, pin);
  }

  /** The server's copy of a pinned file, by checksum. */
  private async download(role: string, pin: FileMeta): Promise<Buffer> {
    if (!this.o.remote || this.offline) throw metadataNotFound(role);
    const checksum = pin.hashes['sha256']?.toString('hex');
    const bytes = await this.o.remote.read(role, Math.min(pin.length, this.limits.metadata), checksum);
    if (!bytes) throw metadataNotFound(role);
    this.verified.set(role, bytes);
    return bytes;
  }

  /**
   * Verifies `bytes` with `verify`; a cached copy that fails is downloaded and
   * judged again, as notary's tryLoadCacheThenRemote does (its answer is then final).
   */
  private async load<T>(role: string, pin: FileMeta, bytes: Buffer, verify: (bytes: Buffer) => T): Promise<T> {
    try {
      return verify(bytes);
    } catch (err) {
      if (this.verified.has(role) || !this.o.remote || this.offline) throw err;
    }
    return verify(await this.download(role, pin));
  }

  /**
   * Versions of the cached root and timestamp: nothing older is accepted (rollback
   * protection across runs). Snapshot, targets and delegations are bounded the same
   * way when their cached copy is replaced (`pinned`), without parsing what is unchanged.
   */
  private async cachedVersions(cachedRoot: Buffer | undefined): Promise<Record<string, number>> {
    const versions: Record<string, number> = {};
    const timestamp = await this.o.cache.read('timestamp', this.limits.timestamp);
    for (const [role, bytes] of [
      ['root', cachedRoot],
      ['timestamp', timestamp],
    ] as const) {
      const version = bytes && peekVersion(bytes);
      if (version !== undefined) versions[role] = version;
    }
    return versions;
  }

  private clearVerifiedExceptRoot(): void {
    for (const role of [...this.verified.keys()]) if (role !== 'root') this.verified.delete(role);
  }

  private async changedFiles(): Promise<RoleFile[]> {
    const files: RoleFile[] = [];
    for (const [role, bytes] of this.verified) {
      const cached = await this.o.cache.read(role, bytes.length);
      if (!cached || !cached.equals(bytes)) files.push({ role, bytes });
    }
    return files;
  }

  private warnNearExpiry(set: TrustedSet): void {
    const soon = new Date(this.o.now.getTime() + NEAR_EXPIRY_MS);
    const roles: Array<[string, { expires: { isBefore(d: Date): boolean } } | undefined]> = [
      ['root', set.root.signed],
      ['snapshot', set.snapshot?.signed],
      ...set.targetsRoles().map((r) => [r, set.targets(r)?.signed] as [string, { expires: { isBefore(d: Date): boolean } } | undefined]),
    ];
    for (const [role, signed] of roles) {
      if (signed?.expires.isBefore(soon)) this.warnings.push(`${role} is nearing expiry, you should re-sign the role metadata`);
    }
  }
}

/**
 * Whether a cached file is worth handing to the trusted set instead of downloading:
 * its length and sha256 match (the trusted set then checks every hash itself).
 */
function likelyPinned(bytes: Buffer, pin: FileMeta): boolean {
  const sha256 = pin.hashes['sha256'];
  if (!sha256) return matches(bytes, pin);
  return bytes.length === pin.length && createHash('sha256').update(bytes).digest().equals(sha256);
}

function matches(bytes: Buffer, pin: FileMeta): boolean {
  try {
    checkFileMeta(bytes, pin, 'cached');
    return true;
  } catch {
    return false;
  }
}

function rootBytes(set: TrustedSet): Buffer {
  return set.root.raw ?? set.root.serialize();
}

/** The `signed.version` of an unverified (cached) file, or undefined when it has none. */
function peekVersion(bytes: Buffer): number | undefined {
  try {
    const version = (JSON.parse(bytes.toString('utf8')) as { signed?: { version?: unknown } }).signed?.version;
    return typeof version === 'number' && Number.isSafeInteger(version) ? version : undefined;
  } catch {
    return undefined;
  }
}
