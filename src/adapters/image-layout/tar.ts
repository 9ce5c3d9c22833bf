/**
 * Just enough of the tar format (POSIX ustar with pax extended headers, plus the GNU long
 * name and base-256 size extensions when reading) for image layers and `docker save`
 * archives: headers built by hand, a random-access index of a tar file (headers read at
 * their offsets, bodies skipped, so a multi-gigabyte archive costs a few reads), a
 * streaming scanner for layer tars, and a tar file writer that can stream an entry whose
 * size is only known at its end (the header is patched in place afterwards).
 */
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
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

// ---------------------------------------------------------------------------------------
// reading

function readString(block: Buffer, offset: number, length: number): string {
  const end = block.indexOf(0, offset);
  return block.toString('utf8', offset, end === -1 || end > offset + length ? offset + length : end);
}

function readNumber(block: Buffer, offset: number, length: number): number {
  const first = block[offset] as number;
  if (first & 0x80) {
    if (first === 0xff) throw tarError('negative number in tar header');
    let v = BigInt(first & 0x7f);
    for (let i = offset + 1; i < offset + length; i++) v = (v << 8n) | BigInt(block[i] as number);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw tarError('number in tar header too large');
    return Number(v);
  }
  const s = block
    .toString('ascii', offset, offset + length)
    .replace(/\0.*$/s, '')
    .trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw tarError(`invalid octal number ${JSON.stringify(s)} in tar header`);
  return parseInt(s, 8);
}

function checksumOk(block: Buffer): boolean {
  const stored = readNumber(block, 148, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < TAR_BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : (block[i] as number);
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

/** `./a//b/` → `a/b` */
export function normaliseTarPath(p: string): string {
  const parts: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return parts.join('/');
}

function parsePax(body: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  while (i < body.length) {
    const space = body.indexOf(0x20, i);
    if (space === -1) break;
    const len = parseInt(body.toString('ascii', i, space), 10);
    if (!Number.isSafeInteger(len) || len <= 0 || i + len > body.length) throw tarError('malformed pax extended header');
    const record = body.toString('utf8', space + 1, i + len - 1);
    const eq = record.indexOf('=');
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    i += len;
  }
  return out;
}

function typeOf(flag: string): TarEntryType {
  switch (flag) {
    case '0':
    case '\0':
    case '':
    case '7':
      return 'file';
    case '5':
      return 'directory';
    case '2':
      return 'symlink';
    case '1':
      return 'hardlink';
    default:
      return 'other';
  }
}

interface PendingExtensions {
  path?: string;
  linkpath?: string;
  size?: number;
}

/** Records what a pax (`x`) or GNU long-name (`L`, `K`) extension says about the next member; a pax size must be decimal digits. */
function applyExtension(flag: string, body: Buffer, pending: PendingExtensions, where: string): void {
  if (flag === 'x') {
    const pax = parsePax(body);
    const p = pax.get('path');
    const l = pax.get('linkpath');
    const s = pax.get('size');
    if (p !== undefined) pending.path = p;
    if (l !== undefined) pending.linkpath = l;
    if (s !== undefined) {
      if (!/^\d+$/.test(s) || !Number.isSafeInteger(Number(s)))
        throw tarError(`${where}invalid pax size ${JSON.stringify(s.slice(0, 40))}`);
      pending.size = Number(s);
    }
  } else if (flag === 'L') pending.path = readString(body, 0, body.length);
  else if (flag === 'K') pending.linkpath = readString(body, 0, body.length);
}

/** Turns one header block (+ any pending pax/GNU extensions) into a member; `offset` is the body's offset. */
function memberOf(block: Buffer, offset: number, pending: PendingExtensions): TarMember {
  const flag = String.fromCharCode(block[156] as number).replace('\0', '0');
  const magic = block.toString('ascii', 257, 262);
  let name = readString(block, 0, 100);
  if (magic === 'ustar') {
    const prefix = readString(block, 345, 155);
    if (prefix !== '') name = `${prefix}/${name}`;
  }
  if (pending.path !== undefined) name = pending.path;
  const type = typeOf(flag);
  const size = pending.size ?? readNumber(block, 124, 12);
  return {
    name: normaliseTarPath(name),
    type,
    flag,
    // links and directories have no body, whatever their size field says (POSIX)
    size: type === 'directory' || type === 'symlink' || type === 'hardlink' ? 0 : size,
    offset,
    mode: readNumber(block, 100, 8),
    mtime: readNumber(block, 136, 12),
    linkname: pending.linkpath ?? readString(block, 157, 100),
  };
}

const MAX_EXTENSION_BYTES = 1024 * 1024;

/**
 * Reads the headers of a tar file and returns its members in archive order (bodies are
 * skipped, never read). Later members of the same name come later in the list.
 */
export async function indexTarFile(path: string): Promise<TarMember[]> {
  const fh = await open(path, 'r');
  try {
    const { size: fileSize } = await fh.stat();
    const members: TarMember[] = [];
    const block = Buffer.alloc(TAR_BLOCK);
    let pos = 0;
    let pending: PendingExtensions = {};
    const readExact = async (buf: Buffer, at: number): Promise<void> => {
      let done = 0;
      while (done < buf.length) {
        const { bytesRead } = await fh.read(buf, done, buf.length - done, at + done);
        if (bytesRead === 0) throw tarError(`${path}: unexpected end of tar archive`);
        done += bytesRead;
      }
    };
    while (pos + TAR_BLOCK <= fileSize) {
      await readExact(block, pos);
      if (isZeroBlock(block)) break;
      if (!checksumOk(block)) throw tarError(`${path}: tar header checksum mismatch at offset ${pos} (not a tar archive?)`);
      const bodyOffset = pos + TAR_BLOCK;
      const flag = String.fromCharCode(block[156] as number);
      const size = readNumber(block, 124, 12);
      const next = bodyOffset + size + ((TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK);
      if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
        if (size > MAX_EXTENSION_BYTES) throw tarError(`${path}: tar extension header of ${size} bytes`);
        if (flag !== 'g') {
          const body = Buffer.alloc(size);
          await readExact(body, bodyOffset);
          applyExtension(flag, body, pending, `${path}: `);
        }
        pos = next;
        continue;
      }
      const member = memberOf(block, bodyOffset, pending);
      pending = {};
      const bodySize = member.type === 'file' || member.type === 'other' ? member.size : 0;
      const end = bodyOffset + bodySize;
      if (end > fileSize) throw tarError(`${path}: tar member ${member.name} runs past the end of the archive`);
      members.push(member);
      pos = end + ((TAR_BLOCK - (bodySize % TAR_BLOCK)) % TAR_BLOCK);
    }
    return members;
  } finally {
    await fh.close();
  }
}

export interface ScannedTarEntry {
  name: string;
  type: TarEntryType;
  size: number;
  linkname: string;
  mode: number;
  /** `sha256:<hex>` of a regular file's body */
  digest?: string;
}

/**
 * Scans a tar stream (e.g. a decompressed layer) and lists its entries with the sha256 of
 * each file's body; memory stays flat whatever the sizes.
 */
export async function scanTarStream(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<ScannedTarEntry[]> {
  const entries: ScannedTarEntry[] = [];
  let buffered = Buffer.alloc(0);
  let state: 'header' | 'body' | 'ext' | 'end' = 'header';
  let remaining = 0;
  let padding = 0;
  let current: (ScannedTarEntry & { hash?: ReturnType<typeof createHash> }) | undefined;
  let extFlag = '';
  let extChunks: Buffer[] = [];
  let pending: PendingExtensions = {};

  const finishBody = () => {
    if (current !== undefined) {
      const { name, type, size, linkname, mode, hash } = current;
      entries.push({ name, type, size, linkname, mode, ...(hash !== undefined ? { digest: `sha256:${hash.digest('hex')}` } : {}) });
      current = undefined;
    }
    if (state === 'ext') {
      const body = Buffer.concat(extChunks);
      extChunks = [];
      applyExtension(extFlag, body, pending, '');
    }
    state = 'header';
  };

  for await (const chunk of source) {
    buffered = buffered.length === 0 ? Buffer.from(chunk) : Buffer.concat([buffered, chunk]);
    let pos = 0;
    while (pos < buffered.length && state !== 'end') {
      if (padding > 0) {
        const n = Math.min(padding, buffered.length - pos);
        padding -= n;
        pos += n;
        continue;
      }
      if (state === 'header') {
        if (buffered.length - pos < TAR_BLOCK) break;
        const block = buffered.subarray(pos, pos + TAR_BLOCK);
        pos += TAR_BLOCK;
        if (isZeroBlock(block)) {
          state = 'end';
          break;
        }
        if (!checksumOk(block)) throw tarError('tar header checksum mismatch (not a tar stream?)');
        const flag = String.fromCharCode(block[156] as number);
        if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
          remaining = readNumber(block, 124, 12);
          if (remaining > MAX_EXTENSION_BYTES) throw tarError(`tar extension header of ${remaining} bytes`);
          extFlag = flag;
          state = 'ext';
        } else {
          const m = memberOf(block, 0, pending);
          pending = {};
          remaining = m.type === 'file' || m.type === 'other' ? m.size : 0;
          current = { name: m.name, type: m.type, size: m.size, linkname: m.linkname, mode: m.mode };
          if (m.type === 'file') current.hash = createHash('sha256');
          state = 'body';
        }
        if (remaining === 0) finishBody();
        continue;
      }
      // body or extension data
      const n = Math.min(remaining, buffered.length - pos);
      const piece = buffered.subarray(pos, pos + n);
      if (state === 'ext') extChunks.push(Buffer.from(piece));
      else current?.hash?.update(piece);
      remaining -= n;
      pos += n;
      if (remaining === 0) {
        const size = state === 'ext' ? extChunks.reduce((a, b) => a + b.length, 0) : (current?.size ?? 0);
        finishBody();
        padding = (TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK;
      }
    }
    buffered = buffered.subarray(pos);
  }
  if (state !== 'end' && (state !== 'header' || buffered.length > 0)) throw tarError('tar stream ends in the middle of an entry');
  return entries;
}

// ---------------------------------------------------------------------------------------
// writing a tar file

/**
 * Writes a tar file entry by entry through positional writes, so a streamed entry of
 * unknown size gets its header patched once its body is written.
 */
export class TarFileWriter {
  private pos = 0;
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
  ) {}

  static async create(path: string): Promise<TarFileWriter> {
    return new TarFileWriter(path, await open(path, 'wx'));
  }

  /** bytes written so far */
  get size(): number {
    return this.pos;
  }

  private async writeAt(buf: Uint8Array, at: number): Promise<void> {
    let done = 0;
    while (done < buf.length) {
      const { bytesWritten } = await this.fh.write(buf, done, buf.length - done, at + done);
      done += bytesWritten;
    }
  }

  private async append(buf: Uint8Array): Promise<void> {
    await this.writeAt(buf, this.pos);
    this.pos += buf.length;
  }

  async addBuffer(name: string, data: Uint8Array, options: Omit<TarHeaderInput, 'name' | 'size'> = {}): Promise<void> {
    await this.append(tarHeader({ ...options, name, size: data.length }));
    await this.append(data);
    await this.append(tarPadding(data.length));
  }

  async addDirectory(name: string, options: Omit<TarHeaderInput, 'name' | 'size' | 'type'> = {}): Promise<void> {
    await this.append(tarHeader({ ...options, name, size: 0, type: 'directory' }));
  }

  async addSymlink(name: string, target: string, options: Omit<TarHeaderInput, 'name' | 'size' | 'type' | 'linkname'> = {}): Promise<void> {
    await this.append(tarHeader({ ...options, name, size: 0, type: 'symlink', linkname: target }));
  }

  /**
   * Streams a file entry; its size need not be known in advance (the header is written
   * with size 0 and patched at the end). Returns the body's size.
   */
  async addStream(name: string, source: AsyncIterable<Uint8Array>, options: Omit<TarHeaderInput, 'name' | 'size'> = {}): Promise<number> {
    const header = tarHeader({ ...options, name, size: 0 });
    const headerAt = this.pos;
    await this.append(header);
    let size = 0;
    let batch: Buffer[] = [];
    let batched = 0;
    const flush = async () => {
      if (batched === 0) return;
      const buf = batch.length === 1 ? (batch[0] as Buffer) : Buffer.concat(batch, batched);
      batch = [];
      batched = 0;
      await this.append(buf);
    };
    for await (const chunk of source) {
      const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      batch.push(b);
      batched += b.length;
      size += b.length;
      if (batched >= 1024 * 1024) await flush();
    }
    await flush();
    await this.append(tarPadding(size));
    const patched = tarHeader({ ...options, name, size });
    if (patched.length !== header.length) throw tarError('internal: tar header length changed');
    await this.writeAt(patched, headerAt);
    return size;
  }

  /** Writes the end-of-archive blocks, fsyncs and closes. */
  async finish(): Promise<void> {
    await this.append(tarEnd());
    await this.fh.sync();
    await this.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fh.close();
  }
}
