/**
 * Reading one of notation's configuration files: a regular file only (notation refuses
 * directories and symlinks there), of bounded size (a huge file is refused before it is read).
 */
import { lstat, open } from 'node:fs/promises';
import { DctError } from '../../../core/errors.js';
import { MAX_CONFIG_FILE_BYTES } from '../../../core/notation/trust-policy.js';

export type FileKind = 'missing' | 'file' | 'other';

/** What is at `path` without following a symlink. */
export async function fileKind(path: string): Promise<FileKind> {
  try {
    const st = await lstat(path);
    return st.isFile() ? 'file' : 'other';
  } catch (err) {
    if (isNotFound(err)) return 'missing';
    throw err;
  }
}

export function isNotFound(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** The file's bytes; NOTATION_CONFIG_TOO_LARGE past `limit` bytes. Errors of the file system pass through. */
export async function readBounded(path: string, what: string, limit = MAX_CONFIG_FILE_BYTES): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size > limit) throw new DctError('NOTATION_CONFIG_TOO_LARGE', `${what} ${path} is ${size} bytes, more than the ${limit} dct reads`);
    const buf = Buffer.alloc(size);
    let read = 0;
    while (read < size) {
      const { bytesRead } = await handle.read(buf, read, size - read, read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return buf.subarray(0, read);
  } finally {
    await handle.close();
  }
}

/** A file-system error as Go words it (`open /x: no such file or directory`). */
export function goFsError(err: unknown, op: string, path: string): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const why: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EEXIST: 'file exists',
    EISDIR: 'is a directory',
    ENOTDIR: 'not a directory',
    ENOTEMPTY: 'directory not empty',
  };
  const reason = (code && why[code]) ?? (err instanceof Error ? err.message : String(err));
  return `${op} ${path}: ${reason}`;
}
