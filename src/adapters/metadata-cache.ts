/**
 * The client's metadata cache in the layout docker and notary share:
 * `<trust dir>/tuf/<gun>/metadata/<role>.json` (delegations in sub-folders),
 * folders 0700, files 0600, each replaced atomically (temp file, rename).
 *
 * Only root.json, the trust anchor, is also flushed to disk before the rename: a
 * crash must not leave it torn (the repository would fall back to trust on first
 * use). Any other file lost to a crash is merely downloaded again (a torn one no
 * longer matches its parent's pin), so it is not worth an fsync per file on every
 * command (neither notary nor docker sync their caches at all).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DctError } from '../core/errors.js';
import type { MetadataCache, RoleFile } from '../core/ports.js';
import { isValidRoleName } from '../core/tuf/roles.js';
import { MetadataDirectory } from './metadata-dir.js';

/** The folder of a repository inside a trust dir; the GUN keeps its slashes and colons, as notary's. */
export function repositoryDir(trustDir: string, gun: string): string {
  assertSafeGun(gun);
  return join(trustDir, 'tuf', ...gun.split('/'));
}

/** A GUN used as a path must not climb out of the trust dir or be absolute. */
export function assertSafeGun(gun: string): void {
  const segments = gun.split('/');
  if (
    gun.length === 0 ||
    gun.length > 255 ||
    segments.some((s) => s === '' || s === '.' || s === '..') ||
    gun.includes('\\') ||
    gun.includes('\0')
  ) {
    throw new DctError('INVALID_GUN', `${JSON.stringify(gun)} is not a valid repository name (GUN)`);
  }
}

export class FileMetadataCache extends MetadataDirectory implements MetadataCache {
  constructor(
    readonly trustDir: string,
    readonly gun: string,
  ) {
    super(join(repositoryDir(trustDir, gun), 'metadata'));
  }

  async write(files: readonly RoleFile[]): Promise<void> {
    for (const { role } of files) {
      if (!isValidRoleName(role)) throw new DctError('INVALID_ROLE_NAME', `${JSON.stringify(role)} is not a role name`);
    }
    await Promise.all(files.map(({ role, bytes }) => this.writeOne(role, bytes)));
  }

  private async writeOne(role: string, bytes: Uint8Array): Promise<void> {
    const path = join(this.dir, `${role}.json`);
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    const handle = await open(tmp, 'wx', 0o600);
    try {
      await handle.writeFile(bytes);
      if (role === 'root') await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async clear(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
