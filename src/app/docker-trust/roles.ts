/**
 * The roles docker's trust commands use (`C:cli/command/trust/helpers.go`, spec §7.2):
 * `targets` and `targets/releases` hold the *released* tags (shown as "Repo Admin"),
 * every other delegation `targets/<name>` is a signer shown by its name.
 */
import { parentRole } from '../../core/tuf/roles.js';

export const TARGETS_ROLE = 'targets';
export const RELEASES_ROLE = 'targets/releases';
/** how docker names the released roles in its outputs */
export const REPO_ADMIN = 'Repo Admin';
/** docker's key/signer name rule (`validKeyName`, `validSignerName`) */
export const SIGNER_NAME = /^[a-z0-9][a-z0-9_-]*$/;

/** docker's `isReleasedTarget`: the tag is released when `targets` or `targets/releases` holds it. */
export function isReleasedRole(role: string): boolean {
  return role === TARGETS_ROLE || role === RELEASES_ROLE;
}

/** docker's `notaryRoleToSigner`: `targets/alice` → `alice`, released roles → `Repo Admin`. */
export function signerNameOf(role: string): string {
  if (isReleasedRole(role)) return REPO_ADMIN;
  return role.startsWith('targets/') ? role.slice('targets/'.length) : role;
}

/** `alice` → `targets/alice` */
export function signerRole(name: string): string {
  return `targets/${name}`;
}

/** true for a delegation directly below `targets` (docker signs only into those) */
export function isTopLevelDelegation(role: string): boolean {
  return parentRole(role) === TARGETS_ROLE;
}

/** The message docker gives for a bad key or signer name. */
export function invalidNameMessage(kind: 'key' | 'signer', name: string): string {
  return `${kind} name "${name}" must start with lowercase alphanumeric characters and can include "-" or "_" after the first character`;
}
