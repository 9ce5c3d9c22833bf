/**
 * Signers as docker manages them (`C:cli/command/trust/signer_add.go`,
 * `signer_remove.go`, `sign.go` `addStagedSigner`; spec §7.5, §7.6): a signer
 * `<name>` is the delegation `targets/<name>` plus its keys in `targets/releases`,
 * both with paths `[""]` and threshold 1. No I/O.
 */
import { DctError } from '../../core/errors.js';
import type { PublicKey } from '../../core/keys/public-key.js';
import type { RepositoryDraft } from '../client/repository-draft.js';
import type { RoleWithSignatures } from './inspect.js';
import { RELEASES_ROLE, signerRole } from './roles.js';

/** docker's `addStagedSigner`: `targets/<name>` and `targets/releases` get the keys and the path "". */
export function stageSigner(draft: RepositoryDraft, name: string, keys: readonly PublicKey[]): void {
  const role = signerRole(name);
  draft.changeDelegation(role, { addKeys: keys, addPaths: [''] });
  draft.changeDelegation(RELEASES_ROLE, { addKeys: keys, addPaths: [''] });
}

export interface SignerRemoval {
  role: string;
  /** the signer's keys (as `targets/<name>` lists them), canonical and TUF IDs */
  keyIds: string[];
  /**
   * true when taking the signer's keys out of targets/releases leaves fewer valid
   * signatures on the current releases file than its threshold: the released
   * tags would no longer verify (docker asks before going on)
   */
  isLastSigner: boolean;
}

/**
 * What removing signer `name` means for the repository, as docker decides it
 * (`removeSingleSigner`, `isLastSignerForReleases`). Errors with docker's texts:
 * `releases` is reserved, the signer must exist, targets/releases must carry
 * signatures.
 */
export function planSignerRemoval(
  draft: RepositoryDraft,
  roles: readonly RoleWithSignatures[],
  name: string,
  repoName: string,
): SignerRemoval {
  const role = signerRole(name);
  if (role === RELEASES_ROLE) throw new DctError('RESERVED_SIGNER', 'releases is a reserved keyword and cannot be removed');
  const delegation = draft.delegations().find((d) => d.name === role);
  if (!delegation) throw new DctError('SIGNER_NOT_FOUND', `no signer ${name} for repository ${repoName}`);
  const keyIds = delegation.keys.flatMap((k) => (k.id === k.canonicalId ? [k.id] : [k.canonicalId, k.id]));
  const releases = roles.find((r) => r.name === RELEASES_ROLE);
  const signatures = releases?.signatureKeyIds ?? [];
  if (signatures.length === 0) {
    throw new DctError('RELEASES_UNSIGNED', 'all signed tags are currently revoked, use docker trust sign to fix');
  }
  // docker counts every signature on the file not made by the signer's keys (compared by
  // canonical ID only, which misses certificate keys); dct counts only signatures by keys
  // targets/releases still lists, compared by either ID, so that a signature left by a
  // signer removed earlier does not hide that this removal makes the releases unverifiable
  const ids = new Set(keyIds);
  const roleKeys = new Set(releases?.keyIds ?? []);
  const valid = signatures.filter((id) => roleKeys.has(id));
  const remaining = valid.filter((id) => !ids.has(id)).length;
  const threshold = releases?.threshold ?? 1;
  return { role, keyIds, isLastSigner: valid.length >= threshold && remaining < threshold };
}

/** docker's intended removal: the signer's keys leave targets/releases, and targets/<name> is deleted. */
export function unstageSigner(draft: RepositoryDraft, removal: SignerRemoval): void {
  if (draft.delegation(RELEASES_ROLE)) draft.changeDelegation(RELEASES_ROLE, { removeKeyIds: removal.keyIds });
  draft.removeDelegation(removal.role);
}
