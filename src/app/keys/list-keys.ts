/** notary `key list`: the stored keys, root keys first, then by gun, role, key ID and location. */
import type { KeyFiles } from './key-files.js';

export interface ListedKey {
  role: string;
  /** '' for keys of no repository */
  gun: string;
  keyId: string;
  location: string;
}

export async function listKeys(keys: KeyFiles): Promise<ListedKey[]> {
  const location = keys.privateDir;
  const listed = (await keys.list()).map((k) => ({ role: k.role, gun: k.gun ?? '', keyId: k.keyId, location }));
  return listed.sort((a, b) => {
    if (a.role !== b.role) {
      if (a.role === 'root') return -1;
      if (b.role === 'root') return 1;
    }
    for (const f of ['gun', 'role', 'keyId', 'location'] as const) {
      if (a[f] < b[f]) return -1;
      if (a[f] > b[f]) return 1;
    }
    return 0;
  });
}
