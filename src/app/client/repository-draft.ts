/**
 * A working copy of a repository's signed metadata that changes are applied to
 * and that then signs what changed (notary `tuf.Repo` + `client.publish`'s
 * signing step). Nothing here does I/O: keys come through the `KeyRing` port.
 *
 * Signing rules (notary 0.7):
 * - a changed targets role (or delegation) gets version + 1 and expiry now + 3 years,
 *   signed by every key of the role the client holds (at least the threshold);
 *   a delegation that had no file yet starts at version 1;
 * - `targets` is re-signed on the first publish of a repository even unchanged;
 * - root is re-signed (version + 1, 10 years) when its keys changed, by the old and
 *   the new root keys; on the first publish the initialised root is sent as it is;
 * - the snapshot is signed when the client holds a snapshot key, else the server does it;
 * - the timestamp is always the server's.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { DctError } from '../../core/errors.js';
import { PublicKey } from '../../core/keys/public-key.js';
import { KeySigner, type Signer } from '../../core/keys/signer.js';
import type { KeyRing, RoleFile } from '../../core/ports.js';
import type { TrustedSet } from '../../core/trust/trusted-set.js';
import { defaultExpires } from '../../core/tuf/common.js';
import { fileMetaEquals, fileMetaOf, type FileMeta } from '../../core/tuf/file-meta.js';
import { getOwn, setOwn } from '../../core/tuf/json-reader.js';
import { Metadata } from '../../core/tuf/metadata.js';
import { Root } from '../../core/tuf/root.js';
import { isDelegationRole, parentRole, pathsAllow, restrictPaths } from '../../core/tuf/roles.js';
import { Snapshot } from '../../core/tuf/snapshot.js';
import { TargetFiles } from '../../core/tuf/target-files.js';
import { Targets, type DelegatedRole } from '../../core/tuf/targets.js';

export interface DraftSource {
  gun: string;
  root: Metadata<Root>;
  /** the loaded targets roles (at least `targets`) */
  targets: ReadonlyMap<string, Metadata<Targets>>;
  /** absent for a server-managed snapshot that was never fetched */
  snapshot?: Metadata<Snapshot>;
  /** true when nothing is on the server yet: the first publish */
  initialPublish: boolean;
}

export interface DelegationChange {
  addKeys?: readonly PublicKey[];
  /** key IDs (TUF or canonical) to take out */
  removeKeyIds?: readonly string[];
  addPaths?: readonly string[];
  removePaths?: readonly string[];
  clearPaths?: boolean;
  threshold?: number;
}

export class RepositoryDraft {
  readonly gun: string;
  readonly initialPublish: boolean;
  private readonly rootMd: Metadata<Root>;
  private root: Root;
  private rootDirty = false;
  private readonly loaded: ReadonlyMap<string, Metadata<Targets>>;
  /** working copies of changed roles */
  private readonly working = new Map<string, Targets>();
  private readonly dirty = new Set<string>();
  private readonly deleted = new Set<string>();
  private readonly snapshotMd: Metadata<Snapshot> | undefined;

  constructor(source: DraftSource) {
    this.gun = source.gun;
    this.initialPublish = source.initialPublish;
    this.rootMd = source.root;
    this.root = source.root.signed;
    this.loaded = source.targets;
    this.snapshotMd = source.snapshot;
    if (!this.loaded.has('targets')) throw new DctError('MISSING_METADATA', 'targets trust data unavailable');
  }

  static fromTrustedSet(set: TrustedSet): RepositoryDraft {
    const targets = new Map<string, Metadata<Targets>>();
    for (const role of set.targetsRoles()) targets.set(role, set.targets(role)!);
    return new RepositoryDraft({
      gun: set.gun,
      root: set.root,
      targets,
      ...(set.snapshot ? { snapshot: set.snapshot } : {}),
      initialPublish: false,
    });
  }

  // ------------------------------------------------------------------ reading

  get rootRole(): Root {
    return this.root;
  }

  /** the current (possibly changed) content of a targets role, or undefined when it has no file */
  role(name: string): Targets | undefined {
    if (this.deleted.has(name)) return undefined;
    return this.working.get(name) ?? this.loaded.get(name)?.signed;
  }

  /** the delegation entry for `name` in its parent, or undefined */
  delegation(name: string): DelegatedRole | undefined {
    if (!isDelegationRole(name)) return undefined;
    return this.role(parentRole(name))?.delegation(name);
  }

  /** the delegated roles declared anywhere in the loaded roles, parents first */
  delegations(): Array<DelegatedRole & { keys: PublicKey[] }> {
    const out: Array<DelegatedRole & { keys: PublicKey[] }> = [];
    const queue = ['targets'];
    while (queue.length > 0) {
      const parent = this.role(queue.shift() as string);
      if (!parent) continue;
      for (const d of parent.delegations.roles) {
        out.push({ ...d, keys: d.keyids.map((id) => getOwn(parent.delegations.keys, id)).filter((k): k is PublicKey => !!k) });
        queue.push(d.name);
      }
    }
    return out;
  }

  /** effective paths of a role: its own restricted by its parents' (targets: all) */
  effectivePaths(name: string): string[] {
    if (name === 'targets') return [''];
    const d = this.delegation(name);
    if (!d) return [];
    return restrictPaths(this.effectivePaths(parentRole(name)), d.paths);
  }

  /** public keys that may sign `name` and its threshold */
  signingKeys(name: string): { keys: PublicKey[]; threshold: number } {
    if (name === 'root' || name === 'targets' || name === 'snapshot' || name === 'timestamp') {
      const spec = this.root.roles[name]!;
      return { keys: spec.keyids.map((id) => getOwn(this.root.keys, id)).filter((k): k is PublicKey => !!k), threshold: spec.threshold };
    }
    const d = this.delegation(name);
    if (!d) throw new DctError('INVALID_ROLE', `${name} is not a delegated role of this repository`);
    const keys = this.role(parentRole(name))!.delegations.keys;
    return { keys: d.keyids.map((id) => getOwn(keys, id)).filter((k): k is PublicKey => !!k), threshold: d.threshold };
  }

  // ------------------------------------------------------------------ changes

  /**
   * Adds or replaces a target in a role; the role's paths must allow the name. The
   * same metadata again changes nothing (notary leaves the role unsigned then).
   */
  addTarget(roleName: string, name: string, meta: FileMeta): void {
    const paths = this.effectivePaths(roleName);
    if (roleName !== 'targets' && !this.delegation(roleName)) {
      throw new DctError('INVALID_ROLE', `${roleName} is not a delegated role of this repository: add the delegation first`);
    }
    if (!pathsAllow(paths, name)) {
      throw new DctError(
        'DELEGATION_NOT_ALLOWED',
        `target ${JSON.stringify(name)} is outside the paths ${JSON.stringify(paths)} of ${roleName}`,
      );
    }
    const current = this.role(roleName)?.targets.get(name);
    if (current && fileMetaEquals(current, meta)) return;
    this.edit(roleName).targets.set(name, meta);
  }

  /** Removes a target from a role; false when the role did not have it. */
  removeTarget(roleName: string, name: string): boolean {
    const current = this.role(roleName);
    if (!current?.targets.has(name)) return false;
    this.edit(roleName).targets.delete(name);
    return true;
  }

  /** Creates or changes a delegation in its parent (notary `UpdateDelegationKeys`/`Paths`). */
  changeDelegation(name: string, change: DelegationChange): void {
    if (!isDelegationRole(name))
      throw new DctError('INVALID_ROLE', `${JSON.stringify(name)} is not a valid delegation role name (targets/<name>)`);
    const parentName = parentRole(name);
    const parent = this.role(parentName);
    if (!parent) {
      throw new DctError('INVALID_ROLE', `cannot add ${name}: its parent ${parentName} does not exist yet; add ${parentName} first`);
    }
    const editable = this.edit(parentName);
    const { keys, roles } = editable.delegations;
    let entry = roles.find((r) => r.name === name);
    if (!entry) {
      entry = { name, keyids: [], threshold: 1, paths: [] };
      roles.push(entry);
    }
    for (const key of change.addKeys ?? []) {
      if (!entry.keyids.includes(key.id)) entry.keyids.push(key.id);
      setOwn(keys, key.id, key);
    }
    if (change.removeKeyIds?.length) {
      const drop = new Set(change.removeKeyIds);
      entry.keyids = entry.keyids.filter((id) => !drop.has(id) && !drop.has(getOwn(keys, id)?.canonicalId ?? id));
    }
    if (change.clearPaths) entry.paths = [];
    if (change.removePaths?.length) entry.paths = entry.paths.filter((p) => !change.removePaths!.includes(p));
    for (const p of change.addPaths ?? []) if (!entry.paths.includes(p)) entry.paths.push(p);
    if (change.threshold !== undefined) entry.threshold = change.threshold;
    pruneUnusedKeys(editable);
  }

  /** Removes a delegation from its parent, and its own file (notary `DeleteDelegation`). */
  removeDelegation(name: string): boolean {
    const parentName = parentRole(name);
    const parent = this.role(parentName);
    if (!parent?.delegation(name)) return false;
    const editable = this.edit(parentName);
    editable.delegations.roles = editable.delegations.roles.filter((r) => r.name !== name);
    pruneUnusedKeys(editable);
    this.working.delete(name);
    this.dirty.delete(name);
    this.deleted.add(name);
    return true;
  }

  /** Takes keys out of every delegation (notary `delegation purge`). */
  purgeKeys(keyIds: readonly string[]): void {
    for (const d of this.delegations()) {
      const ids = d.keys.filter((k) => keyIds.includes(k.id) || keyIds.includes(k.canonicalId)).map((k) => k.id);
      if (ids.length > 0) this.changeDelegation(d.name, { removeKeyIds: ids });
    }
  }

  /** Re-sign a role with a new version even if unchanged (notary `witness`). */
  witness(roleName: string): void {
    if (!this.role(roleName) && !this.delegation(roleName))
      throw new DctError('INVALID_ROLE', `${roleName} does not exist in this repository`);
    this.edit(roleName);
  }

  /** Replaces the keys of a base role in root (key rotation); root is re-signed. */
  replaceBaseRoleKeys(role: 'root' | 'targets' | 'snapshot' | 'timestamp', keys: readonly PublicKey[]): void {
    if (keys.length === 0) throw new DctError('INVALID_KEY', `a ${role} key is required`);
    const roles = { ...this.root.roles, [role]: { keyids: keys.map((k) => k.id), threshold: 1 } };
    const used = new Set(Object.values(roles).flatMap((r) => r.keyids));
    const allKeys: Record<string, PublicKey> = {};
    for (const [id, key] of Object.entries(this.root.keys)) if (used.has(id)) setOwn(allKeys, id, key);
    for (const key of keys) setOwn(allKeys, key.id, key);
    this.root = new Root(this.root.version, this.root.expires, allKeys, roles, this.root.consistentSnapshot, this.root.unrecognized);
    this.root.assertValidStructure();
    this.rootDirty = true;
  }

  /** true when something would be published */
  get changed(): boolean {
    return this.rootDirty || this.dirty.size > 0 || this.deleted.size > 0 || this.initialPublish;
  }

  private edit(roleName: string): Targets {
    let copy = this.working.get(roleName);
    if (copy) return copy;
    const current = this.loaded.get(roleName)?.signed;
    if (!current && !this.delegation(roleName) && roleName !== 'targets') {
      throw new DctError('INVALID_ROLE', `${roleName} is not a delegated role of this repository`);
    }
    copy = current
      ? new Targets(roleName, current.version, current.expires, new TargetFiles(current.targets.toRecord()), {
          keys: { ...current.delegations.keys },
          roles: current.delegations.roles.map((r) => ({ ...r, keyids: [...r.keyids], paths: [...r.paths] })),
        })
      : new Targets(roleName, 0, defaultExpires('targets', new Date(0)));
    this.working.set(roleName, copy);
    this.dirty.add(roleName);
    this.deleted.delete(roleName);
    return copy;
  }

  // ------------------------------------------------------------------ signing

  /**
   * Signs everything that changed and returns the files of one atomic publish
   * (root, targets roles, and the snapshot when the client holds its key).
   */
  async sign(keyRing: KeyRing, now: Date): Promise<RoleFile[]> {
    const files: RoleFile[] = [];
    const signed = new Map<string, Buffer>();

    let rootBytes = this.rootMd.raw ?? this.rootMd.serialize();
    if (this.rootDirty) {
      const root = new Root(
        this.root.version + 1,
        defaultExpires('root', now),
        this.root.keys,
        this.root.roles,
        this.root.consistentSnapshot,
      );
      const oldKeys = this.rootMd.signed.roles['root']!.keyids.map((id) => getOwn(this.rootMd.signed.keys, id)!);
      const signers = await signersFor(keyRing, uniqueKeys([...this.signingKeys('root').keys, ...oldKeys]), 'root', 1);
      rootBytes = (await new Metadata(root, []).sign(signers)).serialize();
      files.push({ role: 'root', bytes: rootBytes });
      signed.set('root', rootBytes);
    } else if (this.initialPublish) {
      files.push({ role: 'root', bytes: rootBytes });
    }

    const toSign = new Set(this.dirty);
    if (this.initialPublish) toSign.add('targets');
    for (const roleName of [...toSign].sort(byDepth)) {
      const current = this.working.get(roleName) ?? this.loaded.get(roleName)!.signed;
      const next = new Targets(roleName, current.version + 1, defaultExpires('targets', now), current.targets, current.delegations);
      next.assertValidStructure();
      const { keys, threshold } = this.signingKeys(roleName);
      const signers = await signersFor(keyRing, keys, roleName, threshold);
      const bytes = (await new Metadata(next, []).sign(signers)).serialize();
      files.push({ role: roleName, bytes });
      signed.set(roleName, bytes);
    }

    const snapshotKeys = this.signingKeys('snapshot');
    const held = await heldKeys(keyRing, snapshotKeys.keys);
    // notary re-signs the snapshot on every publish when it holds the key, changes or not
    if (held.length > 0) {
      const previous = this.snapshotMd?.signed;
      const meta: Record<string, FileMeta> = {};
      for (const [role, fm] of Object.entries(previous?.meta ?? {})) if (!this.deleted.has(role)) setOwn(meta, role, fm);
      meta['root'] = fileMetaOf(rootBytes);
      for (const [role, bytes] of signed) if (role !== 'root') setOwn(meta, role, fileMetaOf(bytes));
      if (!meta['targets']) meta['targets'] = fileMetaOf(this.loaded.get('targets')!.raw ?? this.loaded.get('targets')!.serialize());
      const snapshot = new Snapshot((previous?.version ?? 0) + 1, defaultExpires('snapshot', now), meta);
      const signers = await signersFor(keyRing, snapshotKeys.keys, 'snapshot', snapshotKeys.threshold);
      files.push({ role: 'snapshot', bytes: (await new Metadata(snapshot, []).sign(signers)).serialize() });
    }
    return files;
  }
}

function byDepth(a: string, b: string): number {
  return a.split('/').length - b.split('/').length || (a < b ? -1 : a > b ? 1 : 0);
}

function uniqueKeys(keys: readonly PublicKey[]): PublicKey[] {
  const seen = new Map<string, PublicKey>();
  for (const k of keys) seen.set(k.id, k);
  return [...seen.values()];
}

function pruneUnusedKeys(t: Targets): void {
  const used = new Set(t.delegations.roles.flatMap((r) => r.keyids));
  const keys: Record<string, PublicKey> = {};
  for (const [id, key] of Object.entries(t.delegations.keys)) if (used.has(id)) setOwn(keys, id, key);
  t.delegations.keys = keys;
}

async function heldKeys(keyRing: KeyRing, keys: readonly PublicKey[]): Promise<PublicKey[]> {
  const held: PublicKey[] = [];
  for (const key of keys) if (await keyRing.has(key.canonicalId)) held.push(key);
  return held;
}

/**
 * Signers for every held key of a role (notary signs with all it has); fewer than
 * the threshold fails with notary's wording, naming the role.
 */
export async function signersFor(keyRing: KeyRing, keys: readonly PublicKey[], role: string, threshold: number): Promise<Signer[]> {
  const signers: Signer[] = [];
  for (const key of keys) {
    const privateKey = await keyRing.unlock(key.canonicalId);
    if (privateKey) signers.push(signerWith(privateKey, key));
  }
  if (signers.length < threshold) {
    throw new DctError(
      'SIGNING_KEYS_UNAVAILABLE',
      signers.length === 0
        ? `signing keys not available for ${role}: none of its ${keys.length} key(s) is in the trust directory; import one with \`dct notary key import\` or \`dct trust key load\``
        : `insufficient signatures for ${role}: ${signers.length} of the ${threshold} required keys are available`,
    );
  }
  return signers;
}

/** A signer for a private key as the metadata names it (a certificate key keeps its certificate). */
export function signerWith(privateKey: KeyObject, key: PublicKey): Signer {
  const derived = PublicKey.fromKeyObject(createPublicKey(privateKey));
  if (derived.id !== key.canonicalId) {
    throw new DctError('KEY_ID_MISMATCH', `the private key stored as ${key.canonicalId} does not match that public key`);
  }
  return new KeySigner(privateKey, key);
}
