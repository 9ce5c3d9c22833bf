/** notary `key remove`: a stored key, deleted once confirmed. */
import { KeyError } from './key-error.js';
import type { KeyFiles } from './key-files.js';

export interface KeyToRemove {
  keyId: string;
  role: string;
  /** where the key is (notary names the key folder) */
  location: string;
}

export type RemoveKeyResult = { removed: false } | { removed: true; keyId: string; role: string; location: string };

export async function removeKey(keys: KeyFiles, keyId: string, confirm: (key: KeyToRemove) => Promise<boolean>): Promise<RemoveKeyResult> {
  const info = /^[0-9a-fA-F]+$/.test(keyId) ? await keys.info(keyId) : undefined;
  if (!info) throw new KeyError('KEY_NOT_FOUND', `No key with ID ${keyId} found`);
  const key = { keyId, role: info.role, location: keys.privateDir };
  if (!(await confirm(key))) return { removed: false };
  await keys.remove(keyId);
  return { removed: true, ...key };
}
