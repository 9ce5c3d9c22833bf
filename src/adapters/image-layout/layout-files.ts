/**
 * Read access to the files of an image layout, wherever they are: in a folder, or as
 * members of a tar archive (`docker save` output holds an OCI layout since docker 25).
 * Paths are relative, '/'-separated.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DctError } from '../../core/errors.js';
import { indexTarFile, normaliseTarPath } from './tar-reader.js';
import { type TarMember } from './tar-header.js';

export interface LayoutFiles {
  /** where the files are, for messages */
  readonly location: string;
  /** a file's bytes; undefined when there is no such file; FILE_TOO_LARGE over `maxBytes` */
  read(path: string, maxBytes: number): Promise<Buffer | undefined>;
  /** a file's size; undefined when there is no such file */
  size(path: string): Promise<number | undefined>;
  /** a file's bytes as a stream, from `start` on; FILE_NOT_FOUND when there is no such file */
  openRead(path: string, start?: number): Promise<Readable>;
}

function tooLarge(location: string, path: string, size: number, max: number): DctError {
  return new DctError('FILE_TOO_LARGE', `${location}: ${path} has ${size} bytes, more than the ${max} allowed`);
}

function notFound(location: string, path: string): DctError {
  return new DctError('FILE_NOT_FOUND', `${location}: ${path} does not exist`);
}

function isNotFound(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** The files of a folder. */
export class DirectoryFiles implements LayoutFiles {
  constructor(readonly dir: string) {}

  get location(): string {
    return this.dir;
  }

  full(path: string): string {
    return join(this.dir, ...path.split('/'));
  }

  async size(path: string): Promise<number | undefined> {
    try {
      const st = await stat(this.full(path));
      return st.isFile() ? st.size : undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async read(path: string, maxBytes: number): Promise<Buffer | undefined> {
    let fh;
    try {
      fh = await open(this.full(path), 'r');
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    try {
      const { size } = await fh.stat();
      if (size > maxBytes) throw tooLarge(this.dir, path, size, maxBytes);
      const buf = await fh.readFile();
      if (buf.length > maxBytes) throw tooLarge(this.dir, path, buf.length, maxBytes);
      return buf;
    } finally {
      await fh.close();
    }
  }

  async openRead(path: string, start = 0): Promise<Readable> {
    // open first, so a missing file fails here rather than on the stream
    let fh;
    try {
      fh = await open(this.full(path), 'r');
    } catch (err) {
      if (isNotFound(err)) throw notFound(this.dir, path);
      throw err;
    }
    return createReadStream('', { fd: fh, start, highWaterMark: 1024 * 1024 });
  }
}

/** The members of a tar archive (symbolic and hard links inside the archive are followed). */
export class TarArchiveFiles implements LayoutFiles {
  private constructor(
    readonly archive: string,
    private readonly members: Map<string, TarMember>,
    readonly prefix: string,
  ) {}

  /** Indexes the archive; `prefix` is a folder inside it that paths are relative to. */
  static async open(archive: string, prefix = ''): Promise<TarArchiveFiles> {
    const members = new Map<string, TarMember>();
    for (const m of await indexTarFile(archive)) members.set(m.name, m);
    return new TarArchiveFiles(archive, members, normaliseTarPath(prefix));
  }

  /** The same archive seen from a folder inside it. */
  within(prefix: string): TarArchiveFiles {
    return new TarArchiveFiles(this.archive, this.members, normaliseTarPath(`${this.prefix}/${prefix}`));
  }

  get location(): string {
    return this.prefix === '' ? this.archive : `${this.archive}:${this.prefix}`;
  }

  /** every member name (normalised), in no particular order */
  names(): string[] {
    return [...this.members.keys()];
  }

  /** The regular-file member at `path`, links followed; undefined when absent. */
  member(path: string): TarMember | undefined {
    let name = normaliseTarPath(this.prefix === '' ? path : `${this.prefix}/${path}`);
    for (let hops = 0; hops < 16; hops++) {
      const m = this.members.get(name);
      if (m === undefined) return undefined;
      if (m.type === 'file') return m;
      if (m.type === 'symlink') {
        const dir = name.includes('/') ? name.slice(0, name.lastIndexOf('/')) : '';
        name = normaliseTarPath(m.linkname.startsWith('/') ? m.linkname : `${dir}/${m.linkname}`);
      } else if (m.type === 'hardlink') {
        name = normaliseTarPath(m.linkname);
      } else return undefined;
    }
    throw new DctError('INVALID_TAR', `${this.archive}: too many levels of links at ${path}`);
  }

  async size(path: string): Promise<number | undefined> {
    return this.member(path)?.size;
  }

  async read(path: string, maxBytes: number): Promise<Buffer | undefined> {
    const m = this.member(path);
    if (m === undefined) return undefined;
    if (m.size > maxBytes) throw tooLarge(this.location, path, m.size, maxBytes);
    const buf = Buffer.alloc(m.size);
    const fh = await open(this.archive, 'r');
    try {
      let done = 0;
      while (done < m.size) {
        const { bytesRead } = await fh.read(buf, done, m.size - done, m.offset + done);
        if (bytesRead === 0) throw new DctError('INVALID_TAR', `${this.archive}: truncated member ${m.name}`);
        done += bytesRead;
      }
    } finally {
      await fh.close();
    }
    return buf;
  }

  /** Up to `length` bytes of a member from `start` (fewer at its end). */
  async readRange(path: string, start: number, length: number): Promise<Buffer> {
    const m = this.member(path);
    if (m === undefined) throw notFound(this.location, path);
    const n = Math.max(0, Math.min(length, m.size - start));
    const buf = Buffer.alloc(n);
    const fh = await open(this.archive, 'r');
    try {
      let done = 0;
      while (done < n) {
        const { bytesRead } = await fh.read(buf, done, n - done, m.offset + start + done);
        if (bytesRead === 0) throw new DctError('INVALID_TAR', `${this.archive}: truncated member ${m.name}`);
        done += bytesRead;
      }
    } finally {
      await fh.close();
    }
    return buf;
  }

  async openRead(path: string, start = 0): Promise<Readable> {
    const m = this.member(path);
    if (m === undefined) throw notFound(this.location, path);
    if (start >= m.size) return Readable.from([]);
    const fh = await open(this.archive, 'r');
    return createReadStream('', { fd: fh, start: m.offset + start, end: m.offset + m.size - 1, highWaterMark: 1024 * 1024 });
  }
}
