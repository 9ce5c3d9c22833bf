/**
 * What `docker trust inspect` shows about a repository (`C:cli/command/trust/common.go`
 * `lookupTrustInfo`, `matchReleasedSignatures`; spec §7.9), computed from verified
 * trust data. No I/O: the caller reads the repository (`TrustRepository.read`).
 */
import type { TrustedSet } from '../../core/trust/trusted-set.js';
import { delegationRoles, listRoles } from '../../core/trust/repository-view.js';
import { hexOfBase64All } from '../../core/encoding.js';
import { sortNatural } from './natural-order.js';
import { isReleasedRole, RELEASES_ROLE, signerNameOf } from './roles.js';
import type { TrustContext } from './trust-context.js';

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
    signedTags: signedTagsOf(set, tag),
    signers: signersOf(set),
    rootKeyIds: [...(root.roles['root']?.keyids ?? [])],
    repositoryKeyIds: [...(root.roles['targets']?.keyids ?? [])],
  };
}

/** A released (tag, digest) row; further digests of the same tag are chained. */
interface ReleasedRow {
  sha256: string;
  row: SignedTag;
  next: ReleasedRow | undefined;
}

/**
 * docker's `matchReleasedSignatures` over notary's `GetAllTargetMetadataByName(tag)`
 * ('' = every tag): the released (tag, digest) pairs, each with the other signers
 * (non-released roles) holding the same, in natural tag order. Computed from each
 * role's digest list: 10,000 tags in several roles cost a few array passes, no object
 * per target, and one hex conversion for all rows.
 */
export function signedTagsOf(set: TrustedSet, tag = ''): SignedTag[] {
  const roles = [...set.walkRoles(['targets'], tag === '' ? undefined : tag)];
  const lists = roles.map((role) => set.targets(role)!.signed.targets.summaries(tag === '' ? undefined : tag));
  const byTag = new Map<string, ReleasedRow>();
  const rows: SignedTag[] = [];
  const shas: string[] = [];
  for (let r = 0; r < roles.length; r++) {
    if (!isReleasedRole(roles[r] as string)) continue;
    const { names, digests } = lists[r]!;
    for (let i = 0; i < names.length; i++) {
      const name = names[i] as string;
      const sha256 = digests[i] as string;
      const first = byTag.get(name);
      let same = first;
      while (same !== undefined && same.sha256 !== sha256) same = same.next;
      if (same !== undefined) continue;
      const row: SignedTag = { tag: name, digest: '', signers: [] };
      byTag.set(name, { sha256, row, next: first });
      rows.push(row);
      shas.push(sha256);
    }
  }
  for (let r = 0; r < roles.length; r++) {
    const role = roles[r] as string;
    if (isReleasedRole(role)) continue;
    const signer = signerNameOf(role);
    const { names, digests } = lists[r]!;
    for (let i = 0; i < names.length; i++) {
      let same = byTag.get(names[i] as string);
      if (same === undefined) continue;
      const sha256 = digests[i] as string;
      while (same !== undefined && same.sha256 !== sha256) same = same.next;
      same?.row.signers.push(signer);
    }
  }
  const hex = hexOfBase64All(shas);
  for (let i = 0; i < rows.length; i++) (rows[i] as SignedTag).digest = hex[i] as string;
  return sortNatural(rows, (row) => row.tag);
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
    const md =
      r.name === 'root' ? set.root : r.name === 'snapshot' ? set.snapshot : r.name === 'timestamp' ? set.timestamp : set.targets(r.name);
    return {
      name: r.name,
      keyIds: r.keys.map((k) => k.id),
      threshold: r.threshold,
      signatureKeyIds: (md?.signatures ?? []).map((s) => s.keyid),
    };
  });
}

/**
 * docker's `lookupTrustInfo` for one trust context: the signed tags (only the tag of
 * the reference, when it names one), signers and keys. The changelist is cleared
 * before and after, as docker does; a failure to read the trust data is thrown as it is.
 */
export async function lookupTrustInfo(ctx: TrustContext, opts: { onWarning?(message: string): void } = {}): Promise<TrustInfo> {
  await ctx.clearChangelist();
  try {
    const tag = ctx.ref.digest === undefined ? (ctx.ref.tag ?? '') : '';
    const read = await ctx.repo.read();
    for (const w of read.warnings) opts.onWarning?.(w);
    return trustInfoOf(read.trusted, tag);
  } finally {
    await ctx.clearChangelist().catch(() => undefined);
  }
}
