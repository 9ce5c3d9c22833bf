/**
 * Key export as notary does it (`N:trustmanager/keys.go` ExportKeys): the stored
 * key files, sorted by their path below the key folder, each PEM block with a
 * `path` header naming that path, so that import stores them under the same names.
 */
import { decodePemBlocks, encodePem } from '../../core/encoding.js';
import type { KeyFiles } from './key-files.js';

export interface ExportKeysFilter {
  /** only the keys of this gun (notary looks at the first one given) */
  guns: readonly string[];
  /** only these key IDs */
  keyIds: readonly string[];
}

export interface ExportedKeys {
  /** the PEM text to write */
  pem: string;
  keyIds: string[];
}

export async function exportKeys(keys: KeyFiles, filter: ExportKeysFilter): Promise<ExportedKeys> {
  const files = (await keys.list()).map((k) => ({ rel: k.path.slice(keys.privateDir.length + 1).replace(/\.key$/, ''), key: k }));
  files.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  let pem = '';
  const keyIds: string[] = [];
  for (const f of files) {
    const blocks = decodePemBlocks(await keys.readText(f.key));
    if (filter.guns.length > 0 && (blocks[0]?.headers['gun'] ?? '') !== filter.guns[0]) continue;
    if (filter.keyIds.length > 0 && !filter.keyIds.includes(f.rel.slice(f.rel.lastIndexOf('/') + 1))) continue;
    for (const b of blocks) pem += encodePem({ ...b, headers: { ...b.headers, path: f.rel } });
    keyIds.push(f.key.keyId);
  }
  return { pem, keyIds };
}
