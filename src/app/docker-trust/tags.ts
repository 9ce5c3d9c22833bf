/**
 * Signing and revoking tags as docker does (`C:cli/trust/trust.go`
 * `GetSignableRoles`/`AddToAllSignableRoles`, `C:cli/command/trust/sign.go`,
 * `revoke.go`; spec §7.2, §7.7, §7.8). No I/O: the caller reads the repository,
 * opens a draft and publishes it.
 */
import { DctError } from '../../core/errors.js';
import { targetsInAllRoles } from '../../core/trust/repository-view.js';
import type { TrustedSet } from '../../core/trust/trusted-set.js';
import type { FileMeta } from '../../core/tuf/file-meta.js';
import { pathsAllow } from '../../core/tuf/roles.js';
import type { RepositoryDraft } from '../client/repository-draft.js';
import { signedTagsOf, type SignedTag } from './inspect.js';
import { isReleasedRole, isTopLevelDelegation, RELEASES_ROLE, TARGETS_ROLE } from './roles.js';

/**
 * docker's `GetSignableRoles`: `targets` when the repository has no delegations;
 * otherwise every delegation directly below `targets` whose paths allow the tag
 * and one of whose keys (canonical ID) is held.
 */
export function signableRoles(draft: RepositoryDraft, heldKeyIds: ReadonlySet<string>, tag: string): string[] {
  const delegations = draft.delegations();
  if (delegations.length === 0) return [TARGETS_ROLE];
  const roles = delegations
    .filter((d) => isTopLevelDelegation(d.name) && pathsAllow(d.paths, tag))
    .filter((d) => d.keys.some((k) => heldKeyIds.has(k.canonicalId)))
    .map((d) => d.name);
  if (roles.length === 0) throw new DctError('NO_SIGNING_KEYS', 'no valid signing keys for delegation roles');
  return roles;
}

/** docker's `AddToAllSignableRoles`: the tag goes into every signable role; returns them. */
export function addToSignableRoles(draft: RepositoryDraft, heldKeyIds: ReadonlySet<string>, tag: string, meta: FileMeta): string[] {
  const roles = signableRoles(draft, heldKeyIds, tag);
  for (const role of roles) draft.addTarget(role, tag, meta);
  return roles;
}

/** The target docker signs for a manifest: its sha256 and size, nothing else. */
export function manifestTarget(sha256Hex: string, size: number): FileMeta {
  if (!/^[0-9a-f]{64}$/.test(sha256Hex))
    throw new DctError('INVALID_DIGEST', `invalid sha256 digest ${JSON.stringify(sha256Hex)}: expected 64 lower-case hex digits`);
  if (!Number.isSafeInteger(size) || size < 0)
    throw new DctError('INVALID_SIZE', `invalid manifest size ${String(size)}: expected a whole number of bytes`);
  return { length: size, hashes: { sha256: Buffer.from(sha256Hex, 'hex') } };
}

export interface ReleasedTag {
  /** the released target as the first released role holds it (hashes and length) */
  meta: FileMeta;
  /** docker's "Existing signatures" line: the released row of this tag */
  existing: SignedTag | undefined;
}

/**
 * docker's `createTarget` + `getExistingSignatureInfoForReleasedTag`: the tag as
 * released (in `targets` or `targets/releases`), or undefined when it is not.
 */
export function releasedTag(set: TrustedSet, tag: string): ReleasedTag | undefined {
  const all = targetsInAllRoles(set, tag);
  const released = all.find((t) => isReleasedRole(t.role));
  if (!released) return undefined;
  return { meta: { length: released.meta.length, hashes: { ...released.meta.hashes } }, existing: signedTagsOf(set, tag)[0] };
}

/**
 * docker's `revokeSingleSig` / `revokeAllSigs`: the tag (or every released tag) is
 * taken out of every signable role. Returns the tags removed. Errors with docker's
 * texts (`No valid trust data for <tag>`, `no signed tags to remove`).
 */
export function revokeTags(set: TrustedSet, draft: RepositoryDraft, heldKeyIds: ReadonlySet<string>, tag: string | undefined): string[] {
  const tags: string[] = [];
  if (tag !== undefined) {
    const found = set.findTarget(tag, [RELEASES_ROLE, TARGETS_ROLE]);
    if (!found) throw new DctError('TAG_NOT_SIGNED', `No valid trust data for ${tag}`);
    tags.push(tag);
  } else {
    const all = set.listTargets([RELEASES_ROLE, TARGETS_ROLE]);
    if (all.length === 0) throw new DctError('NO_SIGNED_TAGS', 'no signed tags to remove');
    tags.push(...all.map((t) => t.name));
  }
  for (const name of tags) {
    for (const role of signableRoles(draft, heldKeyIds, name)) {
      if (draft.role(role)) draft.removeTarget(role, name);
    }
  }
  return tags;
}
