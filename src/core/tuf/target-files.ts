/**
 * The `targets` map of a targets role. A file with thousands of targets is
 * checked in one pass when parsed, but each entry becomes a `FileMeta` (with
 * its digest Buffers) only when it is read: a client looks up a handful of
 * names, and decoding every digest up front costs more than the signature check.
 * The parsed JSON is never mutated; changes are kept beside it.
 */
import type { JsonObject } from '../canonical-json.js';
import { isCanonicalBase64 } from '../encoding.js';
import { fileMetaFromJSON, fileMetaToJSON, type FileMeta } from './file-meta.js';
import { asObject, setOwn } from './json-reader.js';

/** Parallel lists describing a targets map: name, canonical base64 sha256 ('' when none), length. */
export interface TargetSummaries {
  readonly names: readonly string[];
  readonly digests: readonly string[];
  readonly lengths: readonly number[];
}

/**
 * The entries of a file as parsed, read-only: every one is plain (see
 * `isPlainCanonicalEntry`) and stays undecoded until read.
 */
export interface ParsedEntries {
  /** the names, in the order `Object.keys` gives them for the parsed map */
  readonly names: readonly string[];
  has(name: string): boolean;
  /** the entry's JSON value (`{"hashes":…,"length":…}`), undefined when absent */
  entry(name: string): unknown;
  /** one digest of an entry (base64 as written), undefined when absent */
  hash(name: string, alg: string): string | undefined;
  /** names, sha256 and lengths of every entry, when they were read while the entries were checked */
  readonly index: TargetSummaries | undefined;
}

/** The entries of a parsed JSON object (never mutated). */
class ObjectEntries implements ParsedEntries {
  constructor(
    private readonly obj: Record<string, unknown>,
    readonly names: readonly string[],
    readonly index: TargetSummaries | undefined,
  ) {}

  has(name: string): boolean {
    return Object.hasOwn(this.obj, name);
  }

  entry(name: string): unknown {
    return Object.hasOwn(this.obj, name) ? this.obj[name] : undefined;
  }

  hash(name: string, alg: string): string | undefined {
    if (!Object.hasOwn(this.obj, name)) return undefined;
    const hashes = (this.obj[name] as { hashes: Record<string, unknown> }).hashes;
    const b64 = Object.hasOwn(hashes, alg) ? hashes[alg] : undefined;
    return typeof b64 === 'string' ? b64 : undefined;
  }
}

const NO_ENTRIES = new ObjectEntries({}, [], undefined);

export class TargetFiles {
  /** validated entries of the parsed file, not decoded yet */
  private raw: ParsedEntries = NO_ENTRIES;
  private readonly decoded = new Map<string, FileMeta>();
  private readonly removed = new Set<string>();

  constructor(entries: Record<string, FileMeta> = {}) {
    for (const [name, meta] of Object.entries(entries)) this.decoded.set(name, meta);
  }

  /** A map over entries already checked (by the one-pass reader of canonical text, `targets-text.ts`). */
  static fromParsedEntries(entries: ParsedEntries): TargetFiles {
    const files = new TargetFiles();
    files.raw = entries;
    return files;
  }

  /**
   * Checks every entry as `fileMetaFromJSON` would (same errors); entries whose
   * form re-serialises byte for byte stay undecoded until read.
   */
  static fromJSON(v: unknown, where: string): TargetFiles {
    const obj = asObject(v, where);
    const files = new TargetFiles();
    const names = Object.keys(obj);
    const digests = new Array<string>(names.length);
    const lengths = new Array<number>(names.length);
    let plain = 0;
    for (; plain < names.length; plain++) {
      const entry = obj[names[plain] as string];
      if (!isPlainCanonicalEntry(entry)) break;
      const { hashes, length } = entry as { hashes: Record<string, unknown>; length: number };
      digests[plain] = Object.hasOwn(hashes, 'sha256') ? (hashes['sha256'] as string) : '';
      lengths[plain] = length;
    }
    if (plain === names.length) {
      // the common case: every entry is plain; the parsed object itself holds them (it is never mutated)
      files.raw = new ObjectEntries(obj, names, { names, digests, lengths });
      return files;
    }
    const raw: Record<string, unknown> = {};
    for (const name of names) {
      const entry = obj[name];
      if (isPlainCanonicalEntry(entry)) setOwn(raw, name, entry);
      else
        files.decoded.set(
          name,
          fileMetaFromJSON(entry, () => `${where}[${JSON.stringify(name)}]`),
        );
    }
    files.raw = new ObjectEntries(raw, Object.keys(raw), undefined);
    return files;
  }

  get(name: string): FileMeta | undefined {
    const done = this.decoded.get(name);
    if (done || this.removed.has(name) || !this.raw.has(name)) return done;
    const meta = fileMetaFromJSON(this.raw.entry(name), name);
    this.decoded.set(name, meta);
    return meta;
  }

  /** Hex of one digest of an entry, without decoding the rest of it (listing 10,000 tags stays cheap). */
  hashHex(name: string, alg: string): string | undefined {
    const done = this.decoded.get(name);
    if (done) return done.hashes[alg]?.toString('hex');
    if (this.removed.has(name)) return undefined;
    const b64 = this.raw.hash(name, alg);
    return b64 === undefined ? undefined : Buffer.from(b64, 'base64').toString('hex');
  }

  /**
   * Every entry's (or only `only`'s) name, canonical base64 sha256 ('' when none) and
   * length, in `names()` order: read-only arrays, no object per entry. For a file as
   * parsed, the lists read while it was checked.
   */
  summaries(only?: string): TargetSummaries {
    const index = this.raw.index;
    if (only === undefined && index && this.decoded.size === 0 && this.removed.size === 0) return index;
    const names = only === undefined ? [...this.names()] : this.has(only) ? [only] : [];
    const metas = names.map((n) => this.get(n) as FileMeta);
    return { names, digests: metas.map((m) => m.hashes['sha256']?.toString('base64') ?? ''), lengths: metas.map((m) => m.length) };
  }

  has(name: string): boolean {
    return this.decoded.has(name) || (!this.removed.has(name) && this.raw.has(name));
  }

  set(name: string, meta: FileMeta): this {
    this.decoded.set(name, meta);
    this.removed.delete(name);
    return this;
  }

  delete(name: string): boolean {
    const had = this.has(name);
    this.decoded.delete(name);
    if (this.raw.has(name)) this.removed.add(name);
    return had;
  }

  *names(): Generator<string> {
    for (const name of this.decoded.keys()) yield name;
    for (const name of this.raw.names) if (!this.decoded.has(name) && !this.removed.has(name)) yield name;
  }

  *entries(): Generator<[string, FileMeta]> {
    for (const name of this.names()) yield [name, this.get(name) as FileMeta];
  }

  get size(): number {
    let n = this.decoded.size;
    for (const name of this.raw.names) if (!this.decoded.has(name) && !this.removed.has(name)) n++;
    return n;
  }

  toRecord(): Record<string, FileMeta> {
    return Object.fromEntries(this.entries());
  }

  toJSON(): JsonObject {
    const out: JsonObject = {};
    for (const [name, meta] of this.decoded) setOwn(out, name, fileMetaToJSON(meta));
    for (const name of this.raw.names) {
      if (this.decoded.has(name) || this.removed.has(name)) continue;
      const entry = this.raw.entry(name) as { length: number; hashes: Record<string, string>; custom?: JsonObject };
      const json: JsonObject = { hashes: copyOwn(entry.hashes), length: entry.length };
      if (entry.custom !== undefined) json['custom'] = entry.custom;
      setOwn(out, name, json);
    }
    return out;
  }
}

/**
 * True for `{"length": n ≥ 0, "hashes": {alg: canonical base64}, "custom"?: non-null}`:
 * entries whose serialisation needs no decoding (other members are dropped, as Go drops them).
 */
function isPlainCanonicalEntry(entry: unknown): boolean {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return false;
  const e = entry as Record<string, unknown>;
  const length = e['length'];
  if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) return false;
  const hashes = e['hashes'];
  if (typeof hashes !== 'object' || hashes === null || Array.isArray(hashes)) return false;
  if (e['custom'] === null) return false; // dropped when decoded, as Go drops it
  for (const alg in hashes) {
    if (!Object.hasOwn(hashes, alg)) continue;
    const value = (hashes as Record<string, unknown>)[alg];
    if (typeof value !== 'string' || !isCanonicalBase64(value)) return false;
  }
  return true;
}

function copyOwn(obj: Record<string, string>): JsonObject {
  const out: JsonObject = {};
  for (const k of Object.keys(obj)) setOwn(out, k, obj[k] as string);
  return out;
}
