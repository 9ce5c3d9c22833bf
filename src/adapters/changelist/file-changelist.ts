/**
 * notary's on-disk changelist (`N:client/changelist/file_changelist.go`):
 * `<trust dir>/tuf/<gun>/changelist/<20-digit unix nanoseconds>_<uuid>.change`,
 * one change per file, listed in file-name order (so, oldest first), the
 * directory 0700 and files 0600.
 *
 * A file holds Go's `json.Marshal` of notary's `TUFChange`:
 * `{"action":"create","role":"targets","type":"target","path":"v1","data":"<base64>"}`
 * (`data` is `null` when there is no content; strings HTML-escaped as Go does),
 * so that notary and dct read and write each other's changelists.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { goJsonString } from '../../core/canonical-json.js';
import { DctError } from '../../core/errors.js';

/** One change as the file stores it (structurally the app's `NotaryChange`). */
export interface StoredChange {
  action: string;
  scope: string;
  type: string;
  path: string;
  content: Buffer | null;
}

export interface ChangelistOptions {
  /** unreadable change files are skipped, as notary does, after this is told why */
  onSkip?: (file: string, reason: string) => void;
  /** nanoseconds since the epoch (tests pin it) */
  nowNanos?: () => bigint;
}

/** wall-clock nanoseconds = this + the monotonic clock (Date.now has only milliseconds) */
const CLOCK_BASE = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

export class FileChangelist {
  private lastNanos = 0n;

  constructor(
    readonly dir: string,
    private readonly options: ChangelistOptions = {},
  ) {}

  /** the change file names, sorted (notary's order) */
  async files(): Promise<string[]> {
    let entries;
    try {
      entries = await readdir(this.dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return entries
      .filter((e) => !e.isDirectory())
      .map((e) => e.name)
      .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  }

  async list(): Promise<StoredChange[]> {
    const out: StoredChange[] = [];
    for (const name of await this.files()) {
      let text: string;
      try {
        text = await readFile(join(this.dir, name), 'utf8');
      } catch (err) {
        this.options.onSkip?.(name, (err as Error).message);
        continue;
      }
      try {
        out.push(decodeChangeFile(text));
      } catch (err) {
        this.options.onSkip?.(name, (err as Error).message);
      }
    }
    return out;
  }

  async add(change: StoredChange): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const name = `${this.nextNanos().toString().padStart(20, '0')}_${randomUUID()}.change`;
    const tmp = join(this.dir, `.${name}.${randomBytes(4).toString('hex')}.tmp`);
    await writeFile(tmp, encodeChangeFile(change), { mode: 0o600, flag: 'wx' });
    await rename(tmp, join(this.dir, name));
  }

  /** Removes the changes at these indexes of `files()` (unknown indexes are ignored, as notary does). */
  async remove(indexes: readonly number[]): Promise<void> {
    const files = await this.files();
    const wanted = new Set(indexes);
    for (let i = 0; i < files.length; i++) if (wanted.has(i)) await rm(join(this.dir, files[i] as string), { force: true });
  }

  /** Removes every file of the changelist directory. */
  async clear(): Promise<void> {
    let entries;
    try {
      entries = await readdir(this.dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) if (!e.isDirectory()) await rm(join(this.dir, e.name), { force: true });
  }

  /** strictly increasing, so that two changes staged in one command keep their order */
  private nextNanos(): bigint {
    let now = this.options.nowNanos?.() ?? CLOCK_BASE + process.hrtime.bigint();
    if (now <= this.lastNanos) now = this.lastNanos + 1n;
    this.lastNanos = now;
    return now;
  }
}

/** Go's json.Marshal of notary's TUFChange. */
export function encodeChangeFile(c: StoredChange): string {
  const data = c.content === null ? 'null' : `"${c.content.toString('base64')}"`;
  return `{"action":${goJsonString(c.action)},"role":${goJsonString(c.scope)},"type":${goJsonString(c.type)},"path":${goJsonString(c.path)},"data":${data}}`;
}

/** Go's json.Unmarshal into notary's TUFChange (member names match case-insensitively; missing ones are empty). */
export function decodeChangeFile(text: string): StoredChange {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new DctError('INVALID_CHANGE', (err as Error).message, { cause: err });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new DctError('INVALID_CHANGE', 'json: cannot unmarshal a change that is not an object');
  }
  const obj = json as Record<string, unknown>;
  const get = (name: string): unknown => {
    if (Object.hasOwn(obj, name)) return obj[name];
    for (const k of Object.keys(obj)) if (k.toLowerCase() === name) return obj[k];
    return undefined;
  };
  const str = (name: string): string => {
    const v = get(name);
    if (v === undefined || v === null) return '';
    if (typeof v !== 'string')
      throw new DctError('INVALID_CHANGE', `json: cannot unmarshal ${typeof v} into Go struct field TUFChange.${name} of type string`);
    return v;
  };
  const data = get('data');
  let content: Buffer | null = null;
  if (typeof data === 'string') {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data) || data.length % 4 !== 0)
      throw new DctError('INVALID_CHANGE', 'illegal base64 data in change');
    content = Buffer.from(data, 'base64');
  } else if (data !== undefined && data !== null) {
    throw new DctError('INVALID_CHANGE', 'json: cannot unmarshal data of a change: not a base64 string');
  }
  return { action: str('action'), scope: str('role'), type: str('type'), path: str('path'), content };
}
