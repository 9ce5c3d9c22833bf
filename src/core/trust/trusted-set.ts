/**
 * The trusted set: the one object that owns the client update rules for a
 * Notary (TUF) repository. It takes bytes and returns verified metadata; it
 * does no I/O and reads no clock (`now` is given). Order of use, as notary's
 * client: root (then any rotations), timestamp, snapshot, targets, delegations.
 *
 * Each update refuses, with a stable code:
 * - bytes over the size cap or the length pinned by the parent (endless data);
 * - hashes that differ from the parent's pin (mix-and-match, arbitrary target);
 * - signatures below the role's threshold, counting each key once (wrong key);
 * - a version lower than the trusted one (rollback);
 * - expired metadata (indefinite freeze).
 */
import { CoreError } from '../errors.js';
import type { PublicKey } from '../keys/public-key.js';
import { checkFileMeta, type FileMeta } from '../tuf/file-meta.js';
import { parseMetadata, type Metadata, type RoleMetadata } from '../tuf/metadata.js';
import type { Root } from '../tuf/root.js';
import { getOwn } from '../tuf/json-reader.js';
import { isDelegationRole, parentRole, pathsAllow, restrictPaths } from '../tuf/roles.js';
import type { Snapshot } from '../tuf/snapshot.js';
import type { Timestamp } from '../tuf/timestamp.js';
import type { Targets } from '../tuf/targets.js';
import type { VerifiedSignatures } from '../tuf/verified-signatures.js';
import { verifyThreshold } from '../tuf/verify.js';
import { applyPinning, validRootKeys, type TrustPinning } from './root-validation.js';

export interface SizeLimits {
  root: number;
  timestamp: number;
  /** upper bound for snapshot and targets files, whatever their parent pins */
  metadata: number;
}

export const DEFAULT_SIZE_LIMITS: SizeLimits = {
  root: 10 * 1024 * 1024,
  timestamp: 1024 * 1024, // notary MaxTimestampSize
  metadata: 100 * 1024 * 1024, // notary MaxDownloadSize
};

export interface TrustedSetOptions {
  gun: string;
  now: Date;
  /** first-contact rules; ignored once a root is trusted (rotation rules apply then) */
  pinning?: TrustPinning;
  /** versions trusted before (e.g. from a cache): nothing older is accepted */
  minimumVersions?: Record<string, number>;
  limits?: Partial<SizeLimits>;
  /** most delegated roles one lookup visits */
  maxDelegationsVisited?: number;
  /**
   * Trust an expired initial root as the anchor of a rotation only (a cached root
   * that expired): nothing but `updateRoot` is accepted until a fresh root is loaded.
   */
  allowExpiredRoot?: boolean;
  /** signatures verified before over exactly the same bytes: not verified again (verified-signatures.ts) */
  verified?: VerifiedSignatures;
}

/** A delegated role a client may follow from its parent. */
export interface ChildRole {
  name: string;
  keys: Record<string, PublicKey>;
  keyids: string[];
  threshold: number;
  /** effective paths: the role's own, restricted by its parent's */
  paths: string[];
}

export interface FoundTarget {
  role: string;
  meta: FileMeta;
}

export class TrustedSet {
  readonly gun: string;
  private readonly now: Date;
  private readonly limits: SizeLimits;
  private readonly maxVisited: number;
  private readonly minimumVersions: Map<string, number>;
  private readonly memo: { memo: VerifiedSignatures } | Record<string, never>;
  private rootMd: Metadata<Root>;
  private timestampMd: Metadata<Timestamp> | undefined;
  private snapshotMd: Metadata<Snapshot> | undefined;
  private readonly targetsMd = new Map<string, Metadata<Targets>>();
  /** base roles whose keys a root rotation replaced */
  private readonly keysRotated = new Set<string>();
  /** effective paths of each loaded targets role */
  private readonly effectivePaths = new Map<string, string[]>();

  /**
   * Trusts `rootBytes` as the initial root: its certificates must be valid for the
   * GUN (and pinned, if pinning says so), it must be signed by its own root keys to
   * threshold, not older than a trusted version, and not expired.
   */
  constructor(rootBytes: Buffer, options: TrustedSetOptions) {
    this.gun = options.gun;
    this.now = options.now;
    this.limits = { ...DEFAULT_SIZE_LIMITS, ...options.limits };
    this.maxVisited = options.maxDelegationsVisited ?? 256;
    this.minimumVersions = new Map(Object.entries(options.minimumVersions ?? {}));
    this.memo = options.verified ? { memo: options.verified } : {};
    checkSize(rootBytes, this.limits.root, 'root');
    const root = parseMetadata(rootBytes, 'root');
    const keys = applyPinning(validRootKeys(root.signed, this.gun, this.now, true), this.gun, options.pinning, this.now);
    verifyThreshold(root, { keys, keyids: Object.keys(keys), threshold: root.signed.roles['root']!.threshold }, 'root', this.memo);
    this.checkVersion('root', root.signed.version);
    if (!options.allowExpiredRoot) this.checkExpiry('root', root.signed);
    this.rootMd = root;
  }

  get root(): Metadata<Root> {
    return this.rootMd;
  }
  get timestamp(): Metadata<Timestamp> | undefined {
    return this.timestampMd;
  }
  get snapshot(): Metadata<Snapshot> | undefined {
    return this.snapshotMd;
  }
  targets(role = 'targets'): Metadata<Targets> | undefined {
    return this.targetsMd.get(role);
  }
  /** the loaded targets roles, in load order */
  targetsRoles(): string[] {
    return [...this.targetsMd.keys()];
  }
  /** a loaded role's effective paths (its own, restricted by its parents') */
  pathsOf(role: string): string[] | undefined {
    return this.effectivePaths.get(role);
  }

  /**
   * Rotates to a newer root: it must be signed to threshold by the current root's
   * keys (certificates not expiry-checked) and by its own keys, be for this GUN
   * and not older. `intermediate` skips the expiry check for a root that is only a
   * step of a chain walk (notary fetches `<v>.root.json` one version at a time).
   * Trusted timestamp/snapshot are dropped when their keys rotate (fast-forward recovery).
   */
  updateRoot(bytes: Buffer, { intermediate = false } = {}): Metadata<Root> {
    checkSize(bytes, this.limits.root, 'root');
    const candidate = parseMetadata(bytes, 'root');
    const old = this.rootMd.signed;
    if (candidate.signed.version < old.version) {
      throw new CoreError('VERSION_ROLLBACK', `root version ${candidate.signed.version} is lower than current version ${old.version}`);
    }
    try {
      const oldKeys = validRootKeys(old, this.gun, this.now, false);
      verifyThreshold(
        candidate,
        { keys: oldKeys, keyids: Object.keys(oldKeys), threshold: old.roles['root']!.threshold },
        'root',
        this.memo,
      );
    } catch (err) {
      throw new CoreError(
        'ROOT_ROTATION_FAILED',
        'could not rotate trust to a new trusted root: failed to validate data with current trusted certificates',
        { cause: err },
      );
    }
    const newKeys = validRootKeys(candidate.signed, this.gun, this.now, !intermediate);
    try {
      verifyThreshold(
        candidate,
        { keys: newKeys, keyids: Object.keys(newKeys), threshold: candidate.signed.roles['root']!.threshold },
        'root',
        this.memo,
      );
    } catch (err) {
      throw new CoreError('ROOT_ROTATION_FAILED', 'could not rotate trust to a new trusted root: failed to validate integrity of roots', {
        cause: err,
      });
    }
    this.checkVersion('root', candidate.signed.version);
    if (!intermediate) this.checkExpiry('root', candidate.signed);
    for (const role of ['timestamp', 'snapshot'] as const) {
      if (!sameKeys(old.roles[role]?.keyids, candidate.signed.roles[role]?.keyids)) {
        this.minimumVersions.delete(role);
        this.keysRotated.add(role);
      }
    }
    this.rootMd = candidate;
    this.timestampMd = undefined;
    this.snapshotMd = undefined;
    this.targetsMd.clear();
    this.effectivePaths.clear();
    return candidate;
  }

  /** A timestamp signed by the root's timestamp keys, unexpired, not older than trusted. */
  updateTimestamp(bytes: Buffer): Metadata<Timestamp> {
    checkSize(bytes, this.limits.timestamp, 'timestamp');
    this.checkExpiry('root', this.rootMd.signed); // an expired root anchors rotations only
    const md = parseMetadata(bytes, 'timestamp');
    this.verifyBaseRole(md, 'timestamp');
    const previous = this.timestampMd;
    if (previous && md.signed.version < previous.signed.version) {
      throw new CoreError(
        'VERSION_ROLLBACK',
        `timestamp version ${md.signed.version} is lower than current version ${previous.signed.version}`,
      );
    }
    this.checkVersion('timestamp', md.signed.version);
    this.checkExpiry('timestamp', md.signed);
    this.timestampMd = md;
    this.snapshotMd = undefined;
    this.targetsMd.clear();
    this.effectivePaths.clear();
    return md;
  }

  /** A snapshot matching the timestamp's pin, signed by the snapshot keys, unexpired, not older. */
  updateSnapshot(bytes: Buffer): Metadata<Snapshot> {
    if (!this.timestampMd) throw new CoreError('MISSING_METADATA', 'cannot load snapshot before timestamp');
    const pin = this.timestampMd.signed.snapshotMeta;
    checkPinned(bytes, pin, this.limits.metadata, 'snapshot');
    const md = parseMetadata(bytes, 'snapshot');
    this.verifyBaseRole(md, 'snapshot');
    this.checkVersion('snapshot', md.signed.version);
    this.checkExpiry('snapshot', md.signed);
    this.snapshotMd = md;
    this.targetsMd.clear();
    this.effectivePaths.clear();
    return md;
  }

  /**
   * The top-level targets role or a delegated one. Its bytes must match the
   * snapshot's pin; it must be signed by the root's targets keys or by its
   * parent's delegation keys, to threshold; unexpired, not older.
   */
  updateTargets(bytes: Buffer, role = 'targets'): Metadata<Targets> {
    if (!this.snapshotMd) throw new CoreError('MISSING_METADATA', `cannot load ${role} before snapshot`);
    const pin = this.snapshotMd.signed.meta[role];
    if (!pin) throw new CoreError('MISSING_METADATA', `${role} is not listed in the snapshot`);
    let paths = [''];
    let delegation: ChildRole | undefined;
    if (role !== 'targets') {
      if (!isDelegationRole(role)) throw new CoreError('INVALID_ROLE_NAME', `${JSON.stringify(role)} is not a targets role`);
      delegation = this.childRoles(parentRole(role)).find((c) => c.name === role);
      if (!delegation) {
        throw new CoreError('DELEGATION_NOT_ALLOWED', `${role} is not delegated by a trusted ${parentRole(role)}`);
      }
      paths = delegation.paths;
    }
    checkPinned(bytes, pin, this.limits.metadata, role);
    const md = parseMetadata(bytes, role) as Metadata<Targets>;
    if (delegation) verifyThreshold(md, delegation, role, { literal: true, ...this.memo });
    else this.verifyBaseRole(md, 'targets');
    this.checkVersion(role, md.signed.version);
    this.checkExpiry(role, md.signed);
    this.targetsMd.set(role, md);
    this.effectivePaths.set(role, paths);
    return md;
  }

  /**
   * The delegations of a loaded targets role that a client may follow: every key
   * present in the parent, paths restricted to the parent's (notary semantics).
   */
  childRoles(parent: string): ChildRole[] {
    const md = this.targetsMd.get(parent);
    if (!md) return [];
    const parentPaths = this.effectivePaths.get(parent) ?? [];
    const { keys, roles } = md.signed.delegations;
    return roles
      .filter((r) => r.keyids.every((id) => getOwn(keys, id) !== undefined))
      .map((r) => ({
        name: r.name,
        keys,
        keyids: r.keyids,
        threshold: r.threshold,
        paths: restrictPaths(parentPaths, r.paths),
      }));
  }

  /**
   * Walks loaded targets roles as notary's GetTargetByName: for each start role in
   * order, pre-order through its subtree (children before the rest of the queue),
   * visiting only roles whose paths allow `name`; first hit wins. Roles not loaded
   * are skipped (the caller loads what `childRoles` lists first).
   */
  findTarget(name: string, startRoles: readonly string[] = ['targets']): FoundTarget | undefined {
    for (const role of this.walkRoles(startRoles, name)) {
      const meta = this.targetsMd.get(role)!.signed.targets.get(name);
      if (meta) return { role, meta };
    }
    return undefined;
  }

  /**
   * Every target of the loaded roles below `startRoles`, each name once: the first
   * role in walk order wins (notary ListTargets); names outside a role's paths are skipped.
   */
  listTargets(startRoles: readonly string[] = ['targets']): Array<FoundTarget & { name: string }> {
    const found = new Map<string, FoundTarget>();
    for (const role of this.walkRoles(startRoles)) {
      const paths = this.effectivePaths.get(role) ?? [];
      for (const [name, meta] of this.targetsMd.get(role)!.signed.targets.entries()) {
        if (!found.has(name) && pathsAllow(paths, name)) found.set(name, { role, meta });
      }
    }
    return [...found.entries()].map(([name, t]) => ({ name, ...t }));
  }

  /**
   * `listTargets` without decoding any entry: name, role, canonical base64 sha256
   * ('' when none) and length, for listings of many targets.
   */
  listTargetSummaries(startRoles: readonly string[] = ['targets']): Array<{ name: string; role: string; sha256: string; length: number }> {
    const found = new Map<string, { name: string; role: string; sha256: string; length: number }>();
    for (const role of this.walkRoles(startRoles)) {
      const paths = this.effectivePaths.get(role) ?? [];
      const everything = paths.includes('');
      const { names, digests, lengths } = this.targetsMd.get(role)!.signed.targets.summaries();
      for (let i = 0; i < names.length; i++) {
        const name = names[i] as string;
        if (!found.has(name) && (everything || pathsAllow(paths, name)))
          found.set(name, { name, role, sha256: digests[i] as string, length: lengths[i] as number });
      }
    }
    return [...found.values()];
  }

  /** Loaded roles in notary's walk order; with `targetName`, only roles whose paths allow it. */
  *walkRoles(startRoles: readonly string[], targetName?: string): Generator<string> {
    const allows = (paths: readonly string[]) => targetName === undefined || pathsAllow(paths, targetName);
    let visited = 0;
    for (const start of startRoles) {
      const queue = [start];
      const seen = new Set<string>();
      while (queue.length > 0) {
        const role = queue.shift() as string;
        if (seen.has(role)) continue;
        seen.add(role);
        if (++visited > this.maxVisited) {
          throw new CoreError('SIZE_LIMIT_EXCEEDED', `more than ${this.maxVisited} delegated roles visited in one lookup`);
        }
        if (!this.targetsMd.has(role) || !allows(this.effectivePaths.get(role) ?? [])) continue;
        yield role;
        const children = this.childRoles(role).filter((c) => allows(c.paths) && !startRoles.includes(c.name));
        queue.unshift(...children.map((c) => c.name));
      }
    }
  }

  /** Refuses versions of `role` below `version` from now on (e.g. the version of a cached copy being replaced). */
  requireMinimumVersion(role: string, version: number): void {
    if (this.keysRotated.has(role)) return; // versions signed by a rotated-out key bound nothing (fast-forward recovery)
    const min = this.minimumVersions.get(role);
    if (min === undefined || version > min) this.minimumVersions.set(role, version);
  }

  private verifyBaseRole(md: Metadata<RoleMetadata>, role: 'timestamp' | 'snapshot' | 'targets'): void {
    const root = this.rootMd.signed;
    const spec = root.roles[role]!;
    verifyThreshold(md, { keys: root.keys, keyids: spec.keyids, threshold: spec.threshold }, role, { literal: true, ...this.memo });
  }

  private checkVersion(role: string, version: number): void {
    const min = this.minimumVersions.get(role);
    if (min !== undefined && version < min) {
      throw new CoreError('VERSION_ROLLBACK', `${role} version ${version} is lower than current version ${min}`);
    }
    this.minimumVersions.set(role, version);
  }

  private checkExpiry(role: string, signed: RoleMetadata): void {
    if (signed.expires.isBefore(this.now)) {
      throw new CoreError('EXPIRED', `${role} expired at ${signed.expires.toDate().toUTCString()}`);
    }
  }
}

function checkSize(bytes: Buffer, limit: number, role: string): void {
  if (bytes.length > limit) throw new CoreError('SIZE_LIMIT_EXCEEDED', `${role} is ${bytes.length} bytes, over the ${limit}-byte limit`);
}

function checkPinned(bytes: Buffer, pin: FileMeta, limit: number, role: string): void {
  if (pin.length > limit)
    throw new CoreError('SIZE_LIMIT_EXCEEDED', `${role} is pinned at ${pin.length} bytes, over the ${limit}-byte limit`);
  if (bytes.length > pin.length) {
    throw new CoreError('SIZE_LIMIT_EXCEEDED', `${role} is ${bytes.length} bytes, more than the ${pin.length} its parent pins`);
  }
  checkFileMeta(bytes, pin, role);
}

function sameKeys(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (!a || !b || a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((id) => set.has(id));
}
