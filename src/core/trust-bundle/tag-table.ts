/**
 * The tag table of a verified repository, as a bundle's manifest records it: one row per
 * signed name with the digest and size docker would pull (its released-role rule: the
 * first hit under `targets/releases`, else under `targets`), every role that signs the
 * same digest for the name, and which of each role's authorised keys signed its file.
 * Pure: computed from a TrustedSet the client update verified.
 */
import { targetsInAllRoles } from '../trust/repository-view.js';
import type { TrustedSet } from '../trust/trusted-set.js';
import { pathsAllow } from '../tuf/roles.js';
import type { BundleTag, BundleTagRole } from './manifest.js';

const TARGETS_ROLE = 'targets';
const RELEASES_ROLE = 'targets/releases';

/** The key IDs each loaded targets role is authorised to sign with (targets: the root's; a delegation: its parent's entry). */
function authorisedKeys(set: TrustedSet): Map<string, ReadonlySet<string>> {
  const out = new Map<string, ReadonlySet<string>>();
  out.set(TARGETS_ROLE, new Set(set.root.signed.roles[TARGETS_ROLE]?.keyids ?? []));
  for (const role of set.targetsRoles()) {
    for (const child of set.childRoles(role)) if (!out.has(child.name)) out.set(child.name, new Set(child.keyids));
  }
  return out;
}

function signingKeys(set: TrustedSet, role: string, authorised: Map<string, ReadonlySet<string>>): string[] {
  const allowed = authorised.get(role) ?? new Set<string>();
  const ids = (set.targets(role)?.signatures ?? []).map((s) => s.keyid).filter((id) => allowed.has(id));
  return [...new Set(ids)].sort();
}

/** Rows sorted by name (byte order), so two exports of the same data give the same table. */
export function tagTableOf(set: TrustedSet): BundleTag[] {
  const authorised = authorisedKeys(set);
  const byName = new Map<string, Array<{ role: string; sha256: string; length: number }>>();
  for (const t of targetsInAllRoles(set)) {
    if (!pathsAllow(set.pathsOf(t.role) ?? [], t.name)) continue; // outside the role's delegated paths: not signed by it
    const list = byName.get(t.name) ?? [];
    list.push({ role: t.role, sha256: t.sha256Hex ?? '', length: t.meta.length });
    byName.set(t.name, list);
  }
  const rows: BundleTag[] = [];
  for (const [name, entries] of byName) {
    const released = set.findTarget(name, [RELEASES_ROLE, TARGETS_ROLE]);
    const chosen = released
      ? { role: released.role, sha256: released.meta.hashes['sha256']?.toString('hex') ?? '', length: released.meta.length }
      : (entries[0] as { role: string; sha256: string; length: number });
    const roles: BundleTagRole[] = entries
      .filter((e) => e.sha256 === chosen.sha256 && e.length === chosen.length)
      .map((e) => ({ role: e.role, keyIds: signingKeys(set, e.role, authorised) }));
    rows.push({
      name,
      digest: chosen.sha256 === '' ? '' : `sha256:${chosen.sha256}`,
      size: chosen.length,
      roles,
      released: released !== undefined && (released.role === TARGETS_ROLE || released.role === RELEASES_ROLE),
    });
  }
  return rows.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The first difference between two tag tables, in words, or undefined when they are equal. */
export function tagTableDifference(claimed: readonly BundleTag[], verified: readonly BundleTag[]): string | undefined {
  const byName = new Map(verified.map((t) => [t.name, t]));
  for (const c of claimed) {
    const v = byName.get(c.name);
    if (!v) return `the manifest lists tag ${JSON.stringify(c.name)}, which the metadata does not sign`;
    if (c.digest !== v.digest)
      return `tag ${JSON.stringify(c.name)}: the manifest says ${c.digest || '(none)'}, the metadata signs ${v.digest || '(none)'}`;
    if (c.size !== v.size) return `tag ${JSON.stringify(c.name)}: the manifest says ${c.size} bytes, the metadata signs ${v.size}`;
    if (c.released !== v.released)
      return `tag ${JSON.stringify(c.name)}: the manifest says released=${c.released}, the metadata says ${v.released}`;
    if (JSON.stringify(c.roles) !== JSON.stringify(v.roles))
      return `tag ${JSON.stringify(c.name)}: the manifest lists other signing roles or keys`;
    byName.delete(c.name);
  }
  const missing = [...byName.keys()];
  if (missing.length > 0) return `the metadata signs tag ${JSON.stringify(missing[0])}, which the manifest does not list`;
  return undefined;
}
