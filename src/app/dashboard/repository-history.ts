/**
 * A repository's version history from the changefeed, newest first: per update the roles whose
 * files changed (their snapshot pins differ from the update before) and the key rotations in
 * it (a role of root, or a delegation in its parent's file, lists other key IDs than before).
 * Stored files are read by the checksums the changefeed and the snapshots pin.
 */
import type { ChangeRecord, TufStore } from '../../core/ports.js';
import { parseMetadata } from '../../core/tuf/metadata.js';
import { isTargetsRole } from '../../core/tuf/roles.js';
import type { HistoryEntry } from './dashboard-api.js';

/** updates read per repository page */
export const HISTORY_LIMIT = 50;

/** role → hex sha256 its snapshot pins, plus the snapshot's own */
type Pins = Map<string, string>;

export async function repositoryHistory(store: TufStore, gun: string, limit = HISTORY_LIMIT): Promise<HistoryEntry[]> {
  // one more than shown: the oldest shown update is compared with the one before it
  const changes = (await store.changes({ gun, changeId: -1, records: -(limit + 1) })).reverse();
  const pins: Array<Pins | undefined> = [];
  for (const change of changes) pins.push(change.category === 'update' ? await pinsOf(store, gun, change) : undefined);
  const out: HistoryEntry[] = [];
  for (let i = 0; i < Math.min(limit, changes.length); i++) {
    const change = changes[i] as ChangeRecord;
    const entry: HistoryEntry = {
      id: String(change.id),
      at: change.createdAt.toISOString(),
      category: change.category,
      version: change.version,
    };
    const now = pins[i];
    if (now) {
      const before = i + 1 < changes.length ? pins[i + 1] : undefined;
      // a deletion in between starts over: everything is new
      const previous = changes[i + 1]?.category === 'deletion' ? undefined : before;
      const roles = [...now.keys()].filter((role) => previous?.get(role) !== now.get(role));
      entry.roles = ['timestamp', ...roles.sort()];
      if (previous) {
        const rotated = await rotations(store, gun, roles, previous, now);
        if (rotated.length > 0) entry.rotation = { roles: rotated };
      }
    }
    out.push(entry);
  }
  return out;
}

async function pinsOf(store: TufStore, gun: string, change: ChangeRecord): Promise<Pins | undefined> {
  try {
    const ts = await store.getByChecksum(gun, 'timestamp', change.sha256);
    if (!ts) return undefined;
    const snapshotSha = parseMetadata(ts.data, 'timestamp').signed.snapshotMeta.hashes['sha256']?.toString('hex');
    if (!snapshotSha) return undefined;
    const snap = await store.getByChecksum(gun, 'snapshot', snapshotSha);
    if (!snap) return undefined;
    const pins: Pins = new Map([['snapshot', snapshotSha]]);
    for (const [role, meta] of Object.entries(parseMetadata(snap.data, 'snapshot').signed.meta)) {
      const sha = meta.hashes['sha256']?.toString('hex');
      if (sha) pins.set(role, sha);
    }
    return pins;
  } catch {
    return undefined; // unreadable data: the update is listed without its roles
  }
}

/** key IDs per role a file declares: root's roles, or a targets file's delegations */
async function declaredKeys(store: TufStore, gun: string, role: string, sha: string | undefined): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (!sha) return out;
  const file = await store.getByChecksum(gun, role, sha);
  if (!file) return out;
  if (role === 'root') {
    for (const [name, spec] of Object.entries(parseMetadata(file.data, 'root').signed.roles))
      out.set(name, [...spec.keyids].sort().join(','));
  } else {
    const md = parseMetadata(file.data, role) as { signed: { delegations?: { roles: Array<{ name: string; keyids: string[] }> } } };
    for (const d of md.signed.delegations?.roles ?? []) out.set(d.name, [...d.keyids].sort().join(','));
  }
  return out;
}

async function rotations(store: TufStore, gun: string, changed: readonly string[], before: Pins, now: Pins): Promise<string[]> {
  const rotated = new Set<string>();
  for (const role of changed) {
    if (role !== 'root' && !isTargetsRole(role)) continue;
    try {
      const old = await declaredKeys(store, gun, role, before.get(role));
      const cur = await declaredKeys(store, gun, role, now.get(role));
      for (const [name, keys] of cur) if (old.has(name) && old.get(name) !== keys) rotated.add(name);
    } catch {
      // unparseable files: no claim either way
    }
  }
  return [...rotated].sort();
}
