/**
 * A trust dir's cache as an export source (`<trust dir>/tuf/<gun>/metadata`, the layout
 * docker and notary share): the files as the client last verified them, and when that
 * was (timestamp.json's mtime: the client rewrites it on every successful update).
 */
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { repositoryDir } from '../metadata-cache.js';
import { MetadataDirectory } from '../metadata-dir.js';

export interface CachedRepository {
  /** the metadata folder */
  path: string;
  files: MetadataDirectory;
  /** the newest mtime of its timestamp.json / root.json; undefined when nothing is cached */
  writtenAt: Date | undefined;
}

export async function cachedRepository(trustDir: string, gun: string): Promise<CachedRepository> {
  const path = join(repositoryDir(trustDir, gun), 'metadata');
  let writtenAt: Date | undefined;
  for (const name of ['timestamp.json', 'root.json']) {
    try {
      const s = await stat(join(path, name));
      if (!writtenAt || s.mtime > writtenAt) writtenAt = s.mtime;
    } catch {
      // not cached
    }
  }
  return { path, files: new MetadataDirectory(path), writtenAt };
}

/** Every GUN with a cached root.json under `<trust dir>/tuf`, sorted. */
export async function cachedRepositoryNames(trustDir: string): Promise<string[]> {
  const tuf = join(trustDir, 'tuf');
  const out: string[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (depth > 32) return;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const child = join(dir, e.name);
      if (e.name === 'metadata') {
        try {
          await stat(join(child, 'root.json'));
          out.push(relative(tuf, dir).split(sep).join('/'));
        } catch {
          // a folder without a cached root
        }
      } else if (e.name !== 'changelist') await walk(child, depth + 1);
    }
  };
  await walk(tuf, 0);
  return out.sort();
}
