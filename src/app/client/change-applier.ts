/**
 * How publishing applies staged changes to a repository (notary `client/helpers.go`
 * `applyChangelist`, `tuf/tuf.go`), following notary 0.7 rule by rule, with its error
 * texts: a target is added only where the delegation tree lets the role sign its name, and
 * only when one of the role's keys is held; delegations are created, changed or deleted in
 * their parent (whose key must be held); `targets/*` purges keys from every delegation that
 * can be re-signed; a witness re-signs a role unchanged; a root change replaces a base
 * role's keys.
 */
import { canonicalize } from '../../core/canonical-json.js';
import { DctError } from '../../core/errors.js';
import type { PublicKey } from '../../core/keys/public-key.js';
import type { FileMeta } from '../../core/tuf/file-meta.js';
import { isBaseRole, isDelegationRole, parentRole, pathsAllow, restrictPaths } from '../../core/tuf/roles.js';
import { decodeDelegationJson, decodeFileMetaJson, decodeRootRoleJson, type RootRoleContent } from './change-content-json.js';
import { invalidRoleMessage, isWildDelegation, type NotaryChange } from './notary-change.js';
import type { RepositoryDraft } from './repository-draft.js';

export interface ApplyOptions {
  /** whether the client holds the private key of one of these keys (notary VerifyCanSign) */
  holdsKeyOf(keys: readonly PublicKey[]): Promise<boolean>;
  /** notary's logrus warnings and errors (printed by the CLI) */
  warn?(message: string): void;
  error?(message: string): void;
}

export interface ApplyResult {
  /** canonical IDs of base-role keys a rotation took out of root: notary deletes those private keys */
  retiredKeyIds: string[];
}

/** An error with notary's text, raised while applying a change. */
export class ChangeError extends DctError {
  declare readonly code: 'CHANGE_REJECTED';

  constructor(message: string) {
    super('CHANGE_REJECTED', message);
  }
}

/**
 * Applies staged changes to a draft, in order, as notary's publish does; the
 * first failing change stops everything (nothing is published then).
 */
export async function applyChanges(draft: RepositoryDraft, changes: readonly NotaryChange[], options: ApplyOptions): Promise<ApplyResult> {
  const applier = new ChangeApplier(draft, options);
  for (const change of changes) await applier.apply(change);
  return { retiredKeyIds: applier.retired };
}

class ChangeApplier {
  readonly retired: string[] = [];

  constructor(
    private readonly draft: RepositoryDraft,
    private readonly o: ApplyOptions,
  ) {}

  async apply(c: NotaryChange): Promise<void> {
    const isDelegation = isDelegationRole(c.scope) || isWildDelegation(c.scope);
    if (c.scope === 'targets' || isDelegation) {
      switch (c.type) {
        case 'target':
          return this.targetChange(c);
        case 'delegation':
          return this.delegationChange(c);
        case 'witness':
          return this.witness(c.scope);
        default:
          throw new ChangeError('only target meta and delegations changes supported');
      }
    }
    if (c.scope === 'root') {
      if (c.type !== 'role') throw new ChangeError(`type of root change not yet supported: ${c.type}`);
      if (c.action !== 'create') throw new ChangeError(`action not yet supported for root: ${c.action}`);
      return this.replaceBaseKeys(decodeRootRoleJson(c.content));
    }
    throw new ChangeError(`scope not supported: ${c.scope}`);
  }

  // ---- targets ------------------------------------------------------------

  private async targetChange(c: NotaryChange): Promise<void> {
    if (c.action === 'create') {
      const meta = decodeFileMetaJson(c.content);
      try {
        await this.addTarget(c.scope, c.path, meta);
      } catch (err) {
        this.o.error?.(`couldn't add target to ${c.scope}: ${(err as Error).message}`);
        throw err;
      }
    } else if (c.action === 'delete') {
      try {
        await this.removeTarget(c.scope, c.path);
      } catch (err) {
        this.o.error?.(`couldn't remove target from ${c.scope}: ${(err as Error).message}`);
        throw err;
      }
    } else {
      throw new ChangeError(`action not yet supported: ${c.action}`);
    }
  }

  /** notary Repo.AddTargets for one target */
  private async addTarget(role: string, name: string, meta: FileMeta): Promise<void> {
    const cannotSign = await this.verifyCanSign(role);
    if (cannotSign?.invalidRole) throw cannotSign.error;
    if (!this.reachable(role) || !pathsAllow(this.draft.effectivePaths(role), name)) {
      throw new ChangeError('Could not add all targets');
    }
    const current = this.draft.role(role)?.targets.get(name);
    if (current && sameFileMeta(current, meta)) return;
    if (cannotSign) throw cannotSign.error;
    this.draft.addTarget(role, name, meta);
  }

  /** notary Repo.RemoveTargets for one target */
  private async removeTarget(role: string, name: string): Promise<void> {
    const cannotSign = await this.verifyCanSign(role);
    if (cannotSign?.invalidRole) throw cannotSign.error;
    const current = this.draft.role(role);
    if (!current || !this.reachable(role) || !current.targets.has(name)) return;
    if (cannotSign) throw cannotSign.error;
    this.draft.removeTarget(role, name);
  }

  // ---- delegations ----------------------------------------------------------

  private async delegationChange(c: NotaryChange): Promise<void> {
    const scope = c.scope;
    switch (c.action) {
      case 'create': {
        const td = decodeDelegationJson(c.content);
        await this.updateDelegationKeys(scope, td.addKeys ?? [], [], td.threshold ?? 0);
        await this.updateDelegationPaths(scope, td.addPaths ?? [], [], false);
        return;
      }
      case 'update': {
        const td = decodeDelegationJson(c.content);
        if (isWildDelegation(scope)) return this.purgeKeys(scope, td.removeKeys ?? []);
        const existing = this.delegationRole(scope);
        // canonical IDs (what people see) to the IDs the metadata uses
        const byCanonical = new Map(existing.keys.map((k) => [k.canonicalId, k.id]));
        const removeIds = (td.removeKeys ?? []).map((id) => byCanonical.get(id) ?? '');
        await this.updateDelegationKeys(scope, td.addKeys ?? [], removeIds, td.threshold ?? 0);
        await this.updateDelegationPaths(scope, td.addPaths ?? [], td.removePaths ?? [], td.clearPaths === true);
        return;
      }
      case 'delete':
        return this.deleteDelegation(scope);
      default:
        throw new ChangeError(`unsupported action against delegations: ${c.action}`);
    }
  }

  /** notary Repo.UpdateDelegationKeys */
  private async updateDelegationKeys(
    role: string,
    addKeys: readonly PublicKey[],
    removeIds: readonly string[],
    threshold: number,
  ): Promise<void> {
    if (!isDelegationRole(role)) throw new ChangeError(invalidRoleMessage(role, 'not a valid delegated role'));
    const parent = parentRole(role);
    await this.requireCanSign(parent);
    // the parent's file may not exist yet: notary creates it
    if (!this.draft.role(parent)) this.draft.witness(parent);
    this.updateDelegation(role, { addKeys, removeIds, addPaths: [], removePaths: [], clearPaths: false, threshold });
  }

  /** notary Repo.UpdateDelegationPaths */
  private async updateDelegationPaths(
    role: string,
    addPaths: readonly string[],
    removePaths: readonly string[],
    clearPaths: boolean,
  ): Promise<void> {
    if (!isDelegationRole(role)) throw new ChangeError(invalidRoleMessage(role, 'not a valid delegated role'));
    const parent = parentRole(role);
    await this.requireCanSign(parent);
    if (!this.draft.role(parent)) throw new ChangeError(invalidRoleMessage(role, 'no valid delegated role exists'));
    this.updateDelegation(role, { addKeys: [], removeIds: [], addPaths, removePaths, clearPaths, threshold: 1 });
  }

  /** notary delegationUpdateVisitor, run on the parent of `role` */
  private updateDelegation(
    role: string,
    u: {
      addKeys: readonly PublicKey[];
      removeIds: readonly string[];
      addPaths: readonly string[];
      removePaths: readonly string[];
      clearPaths: boolean;
      threshold: number;
    },
  ): void {
    const parent = parentRole(role);
    if (!this.reachable(parent)) return; // notary's walk never reaches the parent: nothing happens
    const parentPaths = this.draft.effectivePaths(parent);
    if (u.addPaths.length !== restrictPaths(parentPaths, u.addPaths).length) {
      throw new ChangeError(invalidRoleMessage(role, 'invalid paths to add to role'));
    }
    const existing = this.draft.delegation(role);
    if (!existing && u.threshold < 1) throw new ChangeError(invalidRoleMessage(role));
    const keyIds = existing ? existing.keyids.filter((id) => !u.removeIds.includes(id)) : [];
    for (const k of u.addKeys) if (!keyIds.includes(k.id)) keyIds.push(k.id);
    const threshold = existing ? existing.threshold : u.threshold;
    if (keyIds.length < threshold) {
      this.o.warn?.(`role ${role} has fewer keys than its threshold of ${threshold}; it will not be usable until keys are added to it`);
    }
    this.draft.changeDelegation(role, {
      addKeys: u.addKeys,
      removeKeyIds: u.removeIds.filter((id) => id !== ''),
      addPaths: u.addPaths,
      removePaths: u.removePaths,
      clearPaths: u.clearPaths,
      ...(existing ? {} : { threshold }),
    });
  }

  /** notary Repo.DeleteDelegation */
  private async deleteDelegation(role: string): Promise<void> {
    if (!isDelegationRole(role)) throw new ChangeError(invalidRoleMessage(role, 'not a valid delegated role'));
    await this.requireCanSign(parentRole(role));
    this.draft.removeDelegation(role);
  }

  /** notary Repo.PurgeDelegationKeys: takes keys (canonical IDs) out of every delegation below the wildcard's parent */
  private async purgeKeys(wildcard: string, canonicalIds: readonly string[]): Promise<void> {
    const start = wildcard.slice(0, -2);
    const purge = new Set(canonicalIds);
    const parents = new Map<string, Set<string>>();
    for (const d of this.draft.delegations()) {
      const parent = parentRole(d.name);
      if (parent !== start && !parent.startsWith(`${start}/`)) continue;
      const ids = parents.get(parent) ?? new Set<string>();
      for (const k of d.keys) if (purge.has(k.canonicalId)) ids.add(k.id);
      parents.set(parent, ids);
    }
    for (const [parent, ids] of parents) {
      if (ids.size === 0) continue;
      if (await this.verifyCanSign(parent)) {
        this.o.warn?.(
          `role ${parent} contains keys being purged but you do not have the necessary keys present to sign it; keys will not be purged from ${parent} or its immediate children`,
        );
        continue;
      }
      for (const d of this.draft.delegations().filter((x) => parentRole(x.name) === parent)) {
        const drop = d.keyids.filter((id) => ids.has(id));
        if (drop.length === 0) continue;
        this.draft.changeDelegation(d.name, { removeKeyIds: drop });
        if (d.keyids.length - drop.length < d.threshold) {
          this.o.warn?.(
            `role ${d.name} has fewer keys than its threshold of ${d.threshold}; it will not be usable until keys are added to it`,
          );
        }
      }
    }
  }

  // ---- witness and root ---------------------------------------------------------

  /** notary witnessTargets: a role with a file is re-signed unchanged */
  private witness(role: string): void {
    if (this.draft.role(role) && (role === 'targets' || this.draft.delegation(role))) {
      this.draft.witness(role);
      return;
    }
    throw new ChangeError(invalidRoleMessage(role, 'this role is not known'));
  }

  /** notary Repo.ReplaceBaseKeys */
  private replaceBaseKeys(change: RootRoleContent): void {
    const role = change.role;
    if (!isBaseRole(role)) throw new ChangeError(invalidRoleMessage(role, 'invalid base role name'));
    const before = this.draft.rootRole;
    const old = before.roles[role]?.keyids ?? [];
    this.draft.replaceBaseRoleKeys(role, change.keys);
    if (role === 'targets') this.draft.witness('targets'); // notary re-signs the role whose keys changed
    if (role !== 'root') {
      const stillUsed = new Set(Object.values(this.draft.rootRole.roles).flatMap((r) => r.keyids));
      for (const id of old) {
        const key = before.keys[id];
        if (!stillUsed.has(id) && key) this.retired.push(key.canonicalId);
      }
    }
  }

  // ---- helpers ------------------------------------------------------------------

  /** a delegation as notary's GetDelegationRole finds it (declared, reachable), with its keys */
  private delegationRole(role: string): { keys: PublicKey[]; threshold: number } {
    if (!isDelegationRole(role)) throw new ChangeError(invalidRoleMessage(role, 'invalid delegation name'));
    if (!this.draft.delegation(role) || !this.reachable(parentRole(role)))
      throw new ChangeError(invalidRoleMessage(role, 'delegation does not exist'));
    return this.draft.signingKeys(role);
  }

  /** notary VerifyCanSign: undefined when the role exists and one of its keys is held */
  private async verifyCanSign(role: string): Promise<{ invalidRole: boolean; error: ChangeError } | undefined> {
    let keys: PublicKey[];
    if (isDelegationRole(role)) {
      try {
        keys = this.delegationRole(role).keys;
      } catch (err) {
        return { invalidRole: true, error: err as ChangeError };
      }
    } else if (isBaseRole(role)) {
      keys = this.draft.signingKeys(role).keys;
    } else {
      return { invalidRole: true, error: new ChangeError(invalidRoleMessage(role, 'does not exist')) };
    }
    if (await this.o.holdsKeyOf(keys)) return undefined;
    return {
      invalidRole: false,
      error: new ChangeError(
        `could not find necessary signing keys, at least one of these keys must be available: ${keys.map((k) => k.canonicalId).join(', ')}`,
      ),
    };
  }

  private async requireCanSign(role: string): Promise<void> {
    const cannot = await this.verifyCanSign(role);
    if (cannot) throw cannot.error;
  }

  /** whether notary's walk from `targets` reaches the role: every ancestor declares the next one and has a file */
  private reachable(role: string): boolean {
    if (role === 'targets') return this.draft.role('targets') !== undefined;
    if (!isDelegationRole(role)) return false;
    const parent = parentRole(role);
    return this.draft.delegation(role) !== undefined && this.draft.role(parent) !== undefined && this.reachable(parent);
  }
}

/** notary FileMeta.Equals: same length, same hashes, same custom data */
function sameFileMeta(a: FileMeta, b: FileMeta): boolean {
  if (a.length !== b.length) return false;
  const ka = Object.keys(a.hashes);
  const kb = Object.keys(b.hashes);
  if (ka.length !== kb.length) return false;
  for (const alg of ka) {
    const other = b.hashes[alg];
    if (!other || !other.equals(a.hashes[alg] as Buffer)) return false;
  }
  const ca = a.custom === undefined || a.custom === null ? undefined : canonicalize(a.custom);
  const cb = b.custom === undefined || b.custom === null ? undefined : canonicalize(b.custom);
  return ca === cb;
}
