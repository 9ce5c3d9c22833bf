/**
 * A repository's page: the tag → digest → size → signers table (released tags as docker
 * inspects them, each signer with the role that signed and its key IDs), the formats that
 * signed each digest, the role tree (root, targets with its delegations, snapshot,
 * timestamp; thresholds, paths, keys, certificate expiry), and the history.
 */
import type { PublicKey } from '../../core/keys/public-key.js';
import type { TufStore } from '../../core/ports.js';
import { targetsInAllRoles } from '../../core/trust/repository-view.js';
import type { TrustedSet } from '../../core/trust/trusted-set.js';
import { getOwn } from '../../core/tuf/json-reader.js';
import { signedTagsOf } from '../docker-trust/inspect.js';
import { isReleasedRole, signerNameOf } from '../docker-trust/roles.js';
import type { RepositoryDetail, RoleKey, RoleNode, TagRow, TagSigner } from './dashboard-api.js';
import { repositoryHistory } from './repository-history.js';
import { summarize } from './repository-summary.js';
import { certificateExpiry, readRepositoryTrust, type ServerHoldsKey } from './repository-trust.js';
import type { SignatureFormats } from './signature-formats.js';

export async function repositoryDetail(
  store: TufStore,
  gun: string,
  opts: { now: Date; warnDays: number; formats?: SignatureFormats; serverHolds?: ServerHoldsKey },
): Promise<RepositoryDetail | undefined> {
  const trust = await readRepositoryTrust(store, gun, opts.now, opts.warnDays, opts.serverHolds);
  if (!trust) return undefined;
  const { summary } = await summarize(trust, opts.formats);
  const set = trust.set;
  const tags = set ? await tagRows(set, gun, opts.formats) : [];
  return { summary, tags, roles: set ? roleTree(set) : [], history: await repositoryHistory(store, gun) };
}

function roleKey(id: string, key: PublicKey): RoleKey {
  const notAfter = certificateExpiry(key);
  return { id, type: key.keyType, ...(notAfter !== undefined ? { certificateExpires: new Date(notAfter).toISOString() } : {}) };
}

/** The key IDs of a targets role: root's for `targets`, the parent's delegation for the others. */
function keyIdsOf(set: TrustedSet, role: string): string[] {
  if (role === 'targets') return [...(set.root.signed.roles['targets']?.keyids ?? [])];
  for (const parent of set.targetsRoles()) {
    const d = set.targets(parent)?.signed.delegations.roles.find((r) => r.name === role);
    if (d) return [...d.keyids];
  }
  return [];
}

async function tagRows(set: TrustedSet, gun: string, formats: SignatureFormats | undefined): Promise<TagRow[]> {
  const rows = signedTagsOf(set);
  // every role holding each (tag, digest), with the entry's size
  const holders = new Map<string, { roles: string[]; size: number }>();
  for (const t of targetsInAllRoles(set)) {
    const k = `${t.name}\u0000${t.sha256Hex ?? ''}`;
    const h = holders.get(k) ?? { roles: [], size: t.meta.length };
    if (!h.roles.includes(t.role)) h.roles.push(t.role);
    holders.set(k, h);
  }
  const found = formats
    ? await formats.of(
        gun,
        rows.map((r) => r.digest),
      )
    : undefined;
  return rows.map((row) => {
    const h = holders.get(`${row.tag}\u0000${row.digest}`) ?? { roles: [], size: 0 };
    // docker's signers: the other delegations holding the same; Repo Admin (the released roles) when none
    const signing = h.roles.filter((r) => !isReleasedRole(r));
    const roles = signing.length > 0 ? signing : h.roles.filter(isReleasedRole);
    const signers: TagSigner[] = roles.map((role) => ({ name: signerNameOf(role), role, keyIds: keyIdsOf(set, role) }));
    return { tag: row.tag, digest: row.digest, size: h.size, signers, formats: found?.get(row.digest) ?? ['dct'] };
  });
}

function roleTree(set: TrustedSet): RoleNode[] {
  const root = set.root.signed;
  const base = (name: string, version: number, expires: string): RoleNode => {
    const spec = root.roles[name];
    const keys = (spec?.keyids ?? []).flatMap((id) => {
      const key = getOwn(root.keys, id);
      return key ? [roleKey(id, key)] : [];
    });
    return { role: name, version, expires, threshold: spec?.threshold ?? 1, keys };
  };
  const delegations = (parent: string): RoleNode[] => {
    const md = set.targets(parent);
    if (!md) return [];
    const { keys, roles } = md.signed.delegations;
    return roles.map((d) => {
      const loaded = set.targets(d.name);
      const children = delegations(d.name);
      return {
        role: d.name,
        version: loaded?.signed.version ?? 0,
        expires: loaded ? loaded.signed.expires.toDate().toISOString() : '',
        threshold: d.threshold,
        keys: d.keyids.flatMap((id) => {
          const key = getOwn(keys, id);
          return key ? [roleKey(id, key)] : [];
        }),
        paths: [...d.paths],
        ...(children.length > 0 ? { children } : {}),
      };
    });
  };
  const targetsMd = set.targets('targets');
  const targets = base('targets', targetsMd?.signed.version ?? 0, targetsMd ? targetsMd.signed.expires.toDate().toISOString() : '');
  const children = delegations('targets');
  const out: RoleNode[] = [
    base('root', root.version, root.expires.toDate().toISOString()),
    children.length > 0 ? { ...targets, children } : targets,
  ];
  if (set.snapshot) out.push(base('snapshot', set.snapshot.signed.version, set.snapshot.signed.expires.toDate().toISOString()));
  if (set.timestamp) out.push(base('timestamp', set.timestamp.signed.version, set.timestamp.signed.expires.toDate().toISOString()));
  return out;
}
