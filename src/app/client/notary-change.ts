/**
 * notary's staged changes (`client/changelist`): a change is
 * `{action, scope, type, path, content}`, `content` being the JSON the notary CLI stores
 * base64-encoded in the change file's `data` member (change-content-json.ts writes and
 * reads it as Go's `encoding/json` does):
 * - target (`create`): `{"length":N,"hashes":{"sha256":"<b64>",…},"custom":<raw>}`;
 * - delegation: `{"new_name","threshold","add_keys","remove_keys","add_paths","remove_paths","clear_paths"}`
 *   (every member omitted when empty);
 * - root key rotation (`scope root`, `type role`): `{"keys":[…],"role":"<base role>"}`;
 * - removals and witnesses: no content.
 *
 * Publishing applies them: change-applier.ts.
 */
import { DctError } from '../../core/errors.js';
import type { PublicKey } from '../../core/keys/public-key.js';
import type { FileMeta } from '../../core/tuf/file-meta.js';
import { isDelegationRole } from '../../core/tuf/roles.js';
import { encodeDelegationJson, encodeFileMetaJson, encodeRootRoleJson, type DelegationContent } from './change-content-json.js';

export const CHANGE_ACTIONS = { create: 'create', update: 'update', delete: 'delete' } as const;
export const CHANGE_TYPES = { target: 'target', delegation: 'delegation', role: 'role', witness: 'witness' } as const;

export interface NotaryChange {
  /** create, update or delete */
  action: string;
  /** the role the change is about (`targets`, `targets/…`, `targets/*`, `root`) */
  scope: string;
  /** target, delegation, role or witness */
  type: string;
  /** the target name ('' for the other types) */
  path: string;
  /** the change's JSON content, or null */
  content: Buffer | null;
}

/** Where changes are staged (notary's file changelist `<trust dir>/tuf/<gun>/changelist/`). */
export interface Changelist {
  /** the staged changes, oldest first */
  list(): Promise<NotaryChange[]>;
  add(change: NotaryChange): Promise<void>;
  clear(): Promise<void>;
}

/** notary AddTarget: one change per role (default `targets`). */
export function addTargetChanges(name: string, meta: FileMeta, roles: readonly string[], customJson?: Buffer): NotaryChange[] {
  const content = Buffer.from(encodeFileMetaJson(meta, customJson), 'utf8');
  return changesForRoles(roles).map((scope) => ({ action: 'create', scope, type: 'target', path: name, content }));
}

/** notary RemoveTarget: one change per role (default `targets`). */
export function removeTargetChanges(name: string, roles: readonly string[]): NotaryChange[] {
  return changesForRoles(roles).map((scope) => ({ action: 'delete', scope, type: 'target', path: name, content: null }));
}

/** A delegation change (`create` adds keys/paths, `update` changes, `delete` removes the role). */
export function delegationChange(action: 'create' | 'update' | 'delete', scope: string, content?: DelegationContent): NotaryChange {
  return { action, scope, type: 'delegation', path: '', content: content ? Buffer.from(encodeDelegationJson(content), 'utf8') : null };
}

/** notary Witness: re-sign a role on the next publish. */
export function witnessChange(scope: string): NotaryChange {
  return { action: 'update', scope, type: 'witness', path: '', content: null };
}

/** notary rootFileKeyChange: replace the keys of a base role. */
export function rootRoleChange(role: string, keys: readonly PublicKey[]): NotaryChange {
  return {
    action: 'create',
    scope: 'root',
    type: 'role',
    path: role,
    content: Buffer.from(encodeRootRoleJson({ role, keys: [...keys] }), 'utf8'),
  };
}

function changesForRoles(roles: readonly string[]): string[] {
  const scopes = roles.length === 0 ? ['targets'] : [...roles];
  for (const role of scopes) {
    if (role !== 'targets' && !isDelegationRole(role) && !isWildDelegation(role)) {
      throw new DctError('INVALID_ROLE', invalidRoleMessage(role, 'cannot add targets to this role'));
    }
  }
  return scopes;
}

/** `targets/*`, `targets/a/*`: a wildcard over the delegations below a role. */
export function isWildDelegation(role: string): boolean {
  if (!role.endsWith('/*')) return false;
  const base = role.slice(0, -2);
  return base === 'targets' || isDelegationRole(base);
}

/** notary's text for a role a change cannot name or touch. */
export function invalidRoleMessage(role: string, reason = ''): string {
  return reason ? `tuf: invalid role ${role}. ${reason}` : `tuf: invalid role ${role}.`;
}
