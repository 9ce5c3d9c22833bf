/**
 * Docker's trusted resolution of an image reference (`C:cli/command/image/trust.go`
 * `TrustedReference`, `getTrustedPullTargets`, `convertTarget`; spec §7.2, §7.10),
 * on verified trust data. No I/O: the caller reads the repository
 * (`TrustRepository.read`) and hands over its `TrustedSet`.
 *
 * - A tag is looked up as notary's `GetTargetByName(tag, targets/releases, targets)`
 *   does; the role that holds it first must be `targets/releases` or `targets`
 *   (a tag only a signer's own delegation holds is not released), else docker's
 *   `No valid trust data for <tag>`.
 * - A target without a sha256 hash is docker's `no valid hash, expecting sha256`.
 * - A digest counts as signed when a released tag points at it (docker lets a
 *   pull by digest through unchecked; dct can say whether it is signed).
 */
import { DctError } from '../../core/errors.js';
import type { TrustedSet } from '../../core/trust/trusted-set.js';
import type { FileMeta } from '../../core/tuf/file-meta.js';
import { isReleasedRole, RELEASES_ROLE, TARGETS_ROLE } from '../docker-trust/roles.js';

/** The roles docker starts from, in order. */
export const RELEASED_ROLES: readonly string[] = [RELEASES_ROLE, TARGETS_ROLE];

export interface SignedTarget {
  /** the manifest's sha256, 64 lower-case hex digits */
  sha256Hex: string;
  /** the manifest's size in bytes */
  size: number;
  /** the role the tag was found in: `targets/releases` or `targets` */
  role: string;
}

export interface ReleasedTag extends SignedTarget {
  tag: string;
}

/** docker's `convertTarget`: the sha256 of a target, or docker's error. */
export function sha256Of(meta: FileMeta): string {
  const h = meta.hashes['sha256'];
  if (!h) throw new DctError('NO_VALID_HASH', 'no valid hash, expecting sha256');
  return h.toString('hex');
}

/**
 * docker's `TrustedReference` for `tag`: the released target, or `No valid trust
 * data for <tag>` (DctError TAG_NOT_SIGNED) when no released role holds it.
 */
export function signedTarget(set: TrustedSet, tag: string): SignedTarget {
  const found = set.findTarget(tag, RELEASED_ROLES);
  if (!found || !isReleasedRole(found.role)) throw new DctError('TAG_NOT_SIGNED', `No valid trust data for ${tag}`);
  return { sha256Hex: sha256Of(found.meta), size: found.meta.length, role: found.role };
}

/**
 * Every released tag (docker's `pull --all-tags` list: `ListTargets(targets/releases,
 * targets)`, tags won by another delegation left out), in listing order. Targets
 * without a sha256 are skipped, as docker skips them.
 */
export function releasedTags(set: TrustedSet): ReleasedTag[] {
  const tags: ReleasedTag[] = [];
  for (const t of set.listTargets(RELEASED_ROLES)) {
    if (!isReleasedRole(t.role)) continue;
    const h = t.meta.hashes['sha256'];
    if (!h) continue;
    tags.push({ tag: t.name, sha256Hex: h.toString('hex'), size: t.meta.length, role: t.role });
  }
  return tags;
}

/**
 * The released tags that point at a manifest digest (`sha256:<hex>` or the hex
 * alone); empty when the digest is not signed.
 */
export function releasedTagsFor(set: TrustedSet, digest: string): ReleasedTag[] {
  const hex = digest.startsWith('sha256:') ? digest.slice('sha256:'.length) : digest;
  if (!/^[0-9a-f]{64}$/.test(hex))
    throw new DctError('INVALID_DIGEST', `${digest} is not a sha256 digest: expected sha256: and 64 lower-case hex digits`);
  return releasedTags(set).filter((t) => t.sha256Hex === hex);
}

/**
 * A digest reference as dct judges it: signed when a released tag points at it,
 * else DctError DIGEST_NOT_SIGNED naming the repository.
 */
export function signedDigest(set: TrustedSet, digest: string): ReleasedTag[] {
  const tags = releasedTagsFor(set, digest);
  if (tags.length === 0) throw new DctError('DIGEST_NOT_SIGNED', `No signed tag of ${set.gun} points at ${digest}`);
  return tags;
}
