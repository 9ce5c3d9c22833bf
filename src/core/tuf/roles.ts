/** Role names and delegation paths (notary `tuf/data/roles.go`). */
import { CoreError } from '../errors.js';

export const BASE_ROLES = ['root', 'targets', 'snapshot', 'timestamp'] as const;
export type BaseRole = (typeof BASE_ROLES)[number];

const DELEGATION_NAME = /^[-a-z0-9_/]+$/;

export function isBaseRole(name: string): name is BaseRole {
  return (BASE_ROLES as readonly string[]).includes(name);
}

/** A valid delegated targets role: `targets/…`, lower case, clean path, < 256 bytes. */
export function isDelegationRole(name: string): boolean {
  return name.startsWith('targets/') && Buffer.byteLength(name) < 256 && DELEGATION_NAME.test(name) && cleanPath(name) === name;
}

export function isTargetsRole(name: string): boolean {
  return name === 'targets' || isDelegationRole(name);
}

/** Any role name a notary server accepts in an update. */
export function isValidRoleName(name: string): boolean {
  return isBaseRole(name) || isDelegationRole(name);
}

export function assertTargetsRole(name: string): void {
  if (!isTargetsRole(name)) throw new CoreError('INVALID_ROLE_NAME', `${JSON.stringify(name)} is not a valid targets role`);
}

/** `targets/a/b` → `targets/a`; `targets` → `` */
export function parentRole(name: string): string {
  const i = name.lastIndexOf('/');
  return i < 0 ? '' : name.slice(0, i);
}

/** Number of path segments below `targets` (targets = 0). */
export function roleDepth(name: string): number {
  return name.split('/').length - 1;
}

/** Go's path.Clean for the names we accept. */
function cleanPath(p: string): string {
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return (p.startsWith('/') ? '/' : '') + out.join('/');
}

/** A target name is allowed by paths when it starts with one of them (plain prefix; `""` allows all). */
export function pathsAllow(paths: readonly string[], targetName: string): boolean {
  return paths.some((p) => targetName.startsWith(p));
}

/** notary RestrictDelegationPathPrefixes: the child's paths that fall under one of the parent's. */
export function restrictPaths(parentPaths: readonly string[], childPaths: readonly string[]): string[] {
  return childPaths.filter((child) => parentPaths.some((parent) => child.startsWith(parent)));
}
