/**
 * Just enough of the tar format (POSIX ustar with pax extended headers, plus the GNU long
 * name and base-256 size extensions when reading) for image layers and `docker save`
 * archives: blocks, entry types and headers built by hand. Reading: tar-reader.ts;
 * writing a file: tar-writer.ts.
 */
import { DctError } from '../../core/errors.js';

export const TAR_BLOCK = 512;

export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

export interface TarHeaderInput {
  /** path inside the archive; a directory's name may end with '/' */
  name: string;
  size: number;
  type?: TarEntryType;
  /** default 0o644 for files, 0o755 for directories, 0o777 for links */
  mode?: number;
  /** seconds since the epoch; default 0 (reproducible archives) */
  mtime?: number;
  uid?: number;
  gid?: number;
  uname?: string;
  gname?: string;
  linkname?: string;
}

export interface TarMember {
  /** normalised: no leading './' or '/', no trailing '/' */
  name: string;
  type: TarEntryType;
  /** the raw type flag */
  flag: string;
  size: number;
  /** offset of the first byte of the body in the archive */
  offset: number;
  mode: number;
  mtime: number;
  linkname: string;
}

export function tarError(message: string, options?: { cause?: unknown }): DctError {
  return new DctError('INVALID_TAR', message, options);
}

/** Zero bytes that pad a body of `size` bytes to the next block. */
export function tarPadding(size: number): Buffer {
  const rest = size % TAR_BLOCK;
  return rest === 0 ? Buffer.alloc(0) : Buffer.alloc(TAR_BLOCK - rest);
}

/** The two zero blocks that end an archive. */
export function tarEnd(): Buffer {
  return Buffer.alloc(2 * TAR_BLOCK);
}

const TYPE_FLAGS: Record<TarEntryType, string> = { file: '0', directory: '5', symlink: '2', hardlink: '1', other: '0' };
const MAX_OCTAL_SIZE = 8 ** 11 - 1;

function writeString(block: Buffer, offset: number, length: number, value: string): void {
  block.write(value, offset, length, 'utf8');
}

function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  const s = Math.floor(value)
    .toString(8)
    .padStart(length - 1, '0');
  if (s.length > length - 1) throw tarError(`tar header value ${value} does not fit`);
  block.write(s, offset, length - 1, 'ascii');
  block[offset + length - 1] = 0;
}

/** GNU base-256 encoding (read by GNU tar, Go's archive/tar, libarchive) for sizes of 8 GiB and more. */
function writeBase256(block: Buffer, offset: number, length: number, value: number): void {
  let v = BigInt(value);
  for (let i = offset + length - 1; i > offset; i--) {
    block[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  block[offset] = 0x80;
}

function writeSize(block: Buffer, size: number): void {
  if (!Number.isSafeInteger(size) || size < 0) throw tarError(`invalid tar entry size ${size}`);
  if (size <= MAX_OCTAL_SIZE) writeOctal(block, 124, 12, size);
  else writeBase256(block, 124, 12, size);
}

function writeChecksum(block: Buffer): void {
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < TAR_BLOCK; i++) sum += block[i] as number;
  const s = sum.toString(8).padStart(6, '0');
  block.write(s, 148, 6, 'ascii');
  block[154] = 0;
  block[155] = 0x20;
}

/** Splits a long path into ustar prefix + name, when it can. */
function splitUstarName(name: string): { prefix: string; name: string } | undefined {
  if (Buffer.byteLength(name) <= 100) return { prefix: '', name };
  for (let i = name.length - 1; i > 0; i--) {
    if (name[i] !== '/') continue;
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest.length > 0) return { prefix, name: rest };
  }
  return undefined;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

function rawHeader(fields: {
  name: string;
  prefix: string;
  size: number;
  flag: string;
  mode: number;
  mtime: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  linkname: string;
}): Buffer {
  const block = Buffer.alloc(TAR_BLOCK);
  writeString(block, 0, 100, fields.name);
  writeOctal(block, 100, 8, fields.mode);
  writeOctal(block, 108, 8, fields.uid);
  writeOctal(block, 116, 8, fields.gid);
  writeSize(block, fields.size);
  writeOctal(block, 136, 12, fields.mtime);
  block.write(fields.flag, 156, 1, 'ascii');
  writeString(block, 157, 100, fields.linkname);
  block.write('ustar\u000000', 257, 8, 'ascii');
  writeString(block, 265, 32, fields.uname);
  writeString(block, 297, 32, fields.gname);
  writeOctal(block, 329, 8, 0);
  writeOctal(block, 337, 8, 0);
  writeString(block, 345, 155, fields.prefix);
  writeChecksum(block);
  return block;
}

/**
 * The header block(s) of one entry: a single ustar block, preceded by a pax extended
 * header when the path or link target does not fit ustar's fields.
 */
export function tarHeader(input: TarHeaderInput): Buffer {
  const type = input.type ?? 'file';
  let name = input.name;
  if (type === 'directory' && !name.endsWith('/')) name += '/';
  const linkname = input.linkname ?? '';
  const mode = input.mode ?? (type === 'directory' ? 0o755 : type === 'symlink' || type === 'hardlink' ? 0o777 : 0o644);
  const common = {
    flag: TYPE_FLAGS[type],
    mode,
    mtime: input.mtime ?? 0,
    uid: input.uid ?? 0,
    gid: input.gid ?? 0,
    uname: input.uname ?? '',
    gname: input.gname ?? '',
  };
  const size = type === 'file' || type === 'other' ? input.size : 0;
  const split = splitUstarName(name);
  const pax: string[] = [];
  if (split === undefined) pax.push(paxRecord('path', name));
  if (Buffer.byteLength(linkname) > 100) pax.push(paxRecord('linkpath', linkname));
  const header = rawHeader({
    ...common,
    name: split?.name ?? name.slice(0, 99),
    prefix: split?.prefix ?? '',
    size,
    linkname: Buffer.byteLength(linkname) > 100 ? linkname.slice(0, 99) : linkname,
  });
  if (pax.length === 0) return header;
  const body = Buffer.from(pax.join(''), 'utf8');
  const paxHeader = rawHeader({ ...common, flag: 'x', mode: 0o644, name: 'PaxHeader', prefix: '', size: body.length, linkname: '' });
  return Buffer.concat([paxHeader, body, tarPadding(body.length), header]);
}
