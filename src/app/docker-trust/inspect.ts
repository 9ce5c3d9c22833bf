/**
 * What `docker trust inspect` shows about a repository (`C:cli/command/trust/common.go`
 * `lookupTrustInfo`, `matchReleasedSignatures`; spec §7.9), computed from verified
 * trust data. No I/O: the caller reads the repository (`TrustRepository.read`).
 */
import type { TrustedSet } from '../../core/trust/trusted-set.js';
import { delegationRoles, listRoles, targetsInAllRoles, type TargetInRole } from '../../core/trust/repository-view.js';
import { sortNatural } from './natural-order.js';
import { isReleasedRole, RELEASES_ROLE, signerNameOf } from './roles.js';

/** One released (tag, digest) and the signers (non-released roles) that hold the same. */
export interface SignedTag {
  tag: string;
  /** hex sha256 of the manifest ('' when the target has no sha256) */
  digest: string;
  /** signer names in walk order; empty = only the repository admin (targets / targets/releases) */
  signers: string[];
}

/** A delegation other than targets/releases, by signer name, with canonical key IDs as listed. */
export interface SignerKeys {
  name: string;
  keyIds: string[];
}

export interface TrustInfo {
  /** in docker's natural tag order */
  signedTags: SignedTag[];
  /** in walk order (each output format sorts them its own way) */
  signers: SignerKeys[];
  /** key IDs of the root role (certificate TUF IDs) and of the targets role, as root.json lists them */
  rootKeyIds: string[];
  repositoryKeyIds: string[];
}

/**
 * The trust information of a verified repository. `tag` limits the signed tags
 * to that name ('' = every tag), as `GetAllTargetMetadataByName` does.
 */
export function trustInfoOf(set: TrustedSet, tag = ''): TrustInfo {
  const root = set.root.signed;
  return {
    signedTags: releasedSignatures(targetsInAllRoles(set, tag)),
    signers: signersOf(set),
    rootKeyIds: [...(root.roles['root']?.keyids ?? [])],
    repositoryKeyIds: [...(root.roles['targets']?.keyids ?? [])],
  };
}

/** docker's `matchReleasedSignatures`: released (tag, digest) pairs and who else signed the same. */
export function releasedSignatures(targets: readonly TargetInRole[]): SignedTag[] {
  const rows = new Map<string, SignedTag>();
  const keyOf = (tag: string, digest: string) => `${digest}\u0000${tag}`;
  for (const t of targets) {
    if (!isReleasedRole(t.role)) continue;
    const digest = digestOf(t);
    rows.set(keyOf(t.name, digest), { tag: t.name, digest, signers: [] });
  }
  for (const t of targets) {
    if (isReleasedRole(t.role)) continue;
    const row = rows.get(keyOf(t.name, digestOf(t)));
    if (row) row.signers.push(signerNameOf(t.role));
  }
  return sortNatural([...rows.values()], (row) => row.tag);
}

/** docker's `getDelegationRoleToKeyMap`: every delegation but targets/releases, by signer name. */
export function signersOf(set: TrustedSet): SignerKeys[] {
  const byName = new Map<string, SignerKeys>();
  for (const role of delegationRoles(set)) {
    if (role.name === RELEASES_ROLE) continue;
    const name = signerNameOf(role.name);
    byName.set(name, { name, keyIds: role.keys.map((k) => k.canonicalId) });
  }
  return [...byName.values()];
}

/** notary `ListRoles` entry of a role with the signatures on its file (docker's `RoleWithSignatures`). */
export interface RoleWithSignatures {
  name: string;
  keyIds: string[];
  threshold: number;
  /** key IDs of the signatures on the role's current file ([] when it has none) */
  signatureKeyIds: string[];
}

export function rolesWithSignatures(set: TrustedSet): RoleWithSignatures[] {
  return listRoles(set).map((r) => {
    const md = r.name === 'root' ? set.root : r.name === 'snapshot' ? set.snapshot : r.name === 'timestamp' ? set.timestamp : set.targets(r.name);
    return {
      name: r.name,
      keyIds: r.keys.map((k) => k.id),
      threshold: r.threshold,
      signatureKeyIds: (md?.signatures ?? []).map((s) => s.keyid),
    };
  });
}

function digestOf(t: TargetInRole): string {
  return t.sha256Hex ?? '';
}
