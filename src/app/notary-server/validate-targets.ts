/**
 * The targets part of notary-server's update validation (spec §5.4;
 * `N:server/handlers/validation.go` loadAndValidateTargets, `N:tuf/builder.go`
 * loadTargets/loadDelegation, `N:tuf/tuf.go` GetDelegationRole).
 *
 * Uploaded targets roles are checked shallowest first (then by name, notary's
 * `RoleList` order). Before a delegation is checked, every ancestor not in the
 * upload is loaded from storage — verified against the (possibly new) root and
 * its own parent, expiry allowed — so a delegated role is accepted only when
 * its parent, from the upload or from storage, lists it and its keys sign it to
 * the parent's threshold. Versions are not compared here (validate-update does
 * that last, as notary's storage does).
 *
 * Paths: each loaded role gets its effective paths (its own, restricted to its
 * parent's, §1.7). Like notary, a role is *not* rejected for listing target
 * names outside them: clients never accept such targets from it, and refusing
 * them would block the next publish of a child whose parent narrowed its paths.
 */
import { CoreError } from '../../core/errors.js';
import type { StoredFile } from '../../core/ports.js';
import { parseTargets, type JsonDocument, type Metadata } from '../../core/tuf/metadata.js';
import type { Root } from '../../core/tuf/root.js';
import { isDelegationRole, isTargetsRole, parentRole, restrictPaths, roleDepth } from '../../core/tuf/roles.js';
import type { Targets } from '../../core/tuf/targets.js';
import { verifyThreshold } from '../../core/tuf/verify.js';
import { badTargets, expiredText, invalidUpdate, notaryText, UpdateValidationError } from './update-errors.js';

export interface LoadedTargets {
  md: Metadata<Targets>;
  /** the exact bytes (uploaded or stored) */
  bytes: Buffer;
  /** effective delegation paths (`targets`: `[""]`) */
  paths: string[];
  fromUpload: boolean;
}

/** notary `utils.RoleList`: fewer path segments first, then byte order of the name. */
export function compareTargetsRoles(a: string, b: string): number {
  const depth = roleDepth(a) - roleDepth(b);
  if (depth !== 0) return depth;
  return a < b ? -1 : a > b ? 1 : 0;
}

export class TargetsChain {
  /** every targets role loaded for this update, in load order */
  readonly loaded = new Map<string, LoadedTargets>();

  constructor(
    private readonly root: Root,
    private readonly now: Date,
    /** the current stored file of a role, if any */
    private readonly readStored: (role: string) => Promise<StoredFile | undefined>,
  ) {}

  /**
   * Validates the uploaded targets roles (ErrBadTargets on failure) and
   * returns their names in validation order.
   */
  async validateUploads(uploads: ReadonlyMap<string, { data: Buffer; doc?: JsonDocument }>): Promise<string[]> {
    const names = [...uploads.keys()].filter(isTargetsRole).sort(compareTargetsRoles);
    for (const role of names) {
      const ancestors: string[] = [];
      for (let a = role; a !== 'targets';) {
        a = parentRole(a);
        if (!this.loaded.has(a)) ancestors.unshift(a);
      }
      for (const ancestor of ancestors) await this.loadStored(ancestor);
      try {
        const upload = uploads.get(role)!;
        this.load(role, upload.data, { allowExpired: false, fromUpload: true }, upload.doc);
      } catch (err) {
        if (err instanceof UpdateValidationError) throw err;
        throw badTargets(notaryText(err), err);
      }
    }
    return names;
  }

  /** An ancestor from storage; a missing one is skipped (its child then fails as not delegated). */
  private async loadStored(role: string): Promise<void> {
    const file = await this.readStored(role);
    if (!file) return;
    try {
      this.load(role, file.data, { allowExpired: true, fromUpload: false });
    } catch (err) {
      // notary: a stored ancestor that no longer loads is not a validation verdict → INVALID_UPDATE without detail
      throw invalidUpdate(
        `stored ${role} (version ${file.version}) does not validate against the current metadata: ${notaryText(err)}`,
        err,
      );
    }
  }

  private load(role: string, bytes: Buffer, opts: { allowExpired: boolean; fromUpload: boolean }, doc?: JsonDocument): void {
    let paths: string[];
    let md: Metadata<Targets>;
    if (role === 'targets') {
      md = parseTargets(bytes, role, doc);
      const spec = this.root.roles['targets'];
      if (!spec) throw new CoreError('INVALID_METADATA', 'missing targets role specification');
      verifyThreshold(md, { keys: this.root.keys, keyids: spec.keyids, threshold: spec.threshold }, role);
      paths = [''];
    } else {
      if (!isDelegationRole(role)) throw new CoreError('INVALID_ROLE_NAME', `tuf: invalid role ${role}. invalid delegation name`);
      if (!this.loaded.has('targets')) throw new CoreError('MISSING_METADATA', 'targets must be loaded first');
      const parent = this.loaded.get(parentRole(role));
      const entry = parent?.md.signed.delegation(role);
      if (!parent || !entry) throw new CoreError('DELEGATION_NOT_ALLOWED', `tuf: invalid role ${role}. delegation does not exist`);
      md = parseTargets(bytes, role, doc);
      verifyThreshold(md, { keys: parent.md.signed.delegations.keys, keyids: entry.keyids, threshold: entry.threshold }, role);
      paths = restrictPaths(parent.paths, entry.paths);
    }
    if (!opts.allowExpired && md.signed.expires.isBefore(this.now)) {
      throw new CoreError('EXPIRED', expiredText(role, md.signed.expires));
    }
    this.loaded.set(role, { md, bytes, paths, fromUpload: opts.fromUpload });
  }
}
