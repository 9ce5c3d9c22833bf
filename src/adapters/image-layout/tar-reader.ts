/**
 * Reading tar: a random-access index of a tar file (headers read at their offsets, bodies
 * skipped, so a multi-gigabyte archive costs a few reads) and a streaming scanner for
 * layer tars.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { TAR_BLOCK, tarError, type TarEntryType, type TarMember } from './tar-header.js';

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
