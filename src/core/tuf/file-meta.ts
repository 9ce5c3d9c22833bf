/** File metadata: `{"custom"?:…, "hashes":{alg: base64}, "length":n}` (notary `FileMeta`). */
import { createHash } from 'node:crypto';
import { decodeBase64 } from '../encoding.js';
import { CoreError } from '../errors.js';
import { canonicalize, type JsonObject, type JsonValue } from '../canonical-json.js';
import { asInteger, asObject, asString, invalid, setOwn } from './json-reader.js';

export const SUPPORTED_HASHES = { sha256: 32, sha512: 64 } as const;
export type HashAlgorithm = keyof typeof SUPPORTED_HASHES;

export interface FileMeta {
  length: number;
  hashes: Record<string, Buffer>;
  /** arbitrary JSON kept as parsed; written in canonical form */
  custom?: JsonValue;
}

/**
 * `where` names the value in error messages; it may be given as a function so
 * that callers parsing many entries (a targets file) build it only on error.
 */
export function fileMetaFromJSON(v: unknown, whereOrFn: string | (() => string)): FileMeta {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) asObject(v, whereOf(whereOrFn));
  const obj = v as Record<string, unknown>;
  // Hot path (a targets file holds one of these per target): the checks below are
  // those of asInteger / asObject / decodeBase64, inlined so that the field names
  // for error messages are only built, and the generic helpers only called, when
  // a check fails; the helpers then throw exactly the errors they always did.
  const rawLength = obj['length'];
  const length =
    typeof rawLength === 'number' && Number.isSafeInteger(rawLength) ? rawLength : asInteger(rawLength, `${whereOf(whereOrFn)}.length`);
  if (length < 0) throw invalid(`${whereOf(whereOrFn)}.length`, 'must not be negative');
  const rawHashes = obj['hashes'];
  const hashesObj =
    typeof rawHashes === 'object' && rawHashes !== null && !Array.isArray(rawHashes)
      ? (rawHashes as Record<string, unknown>)
      : asObject(rawHashes, `${whereOf(whereOrFn)}.hashes`);
  const hashes: Record<string, Buffer> = {};
  for (const alg of Object.keys(hashesObj)) {
    const value = hashesObj[alg];
    const what = () => `${whereOf(whereOrFn)}.hashes.${alg}`;
    setOwn(hashes, alg, decodeBase64(typeof value === 'string' ? value : asString(value, what()), what));
  }
  const meta: FileMeta = { length, hashes };
  // Go decodes `"custom":null` into a nil pointer and then omits it
  if (obj['custom'] !== undefined && obj['custom'] !== null) meta.custom = obj['custom'] as JsonValue;
  return meta;
}

function whereOf(whereOrFn: string | (() => string)): string {
  return typeof whereOrFn === 'string' ? whereOrFn : whereOrFn();
}

/** A `meta` map of a snapshot or timestamp: role name → file meta. */
export function metaFromJSON(v: unknown, where: string): Record<string, FileMeta> {
  const meta: Record<string, FileMeta> = {};
  for (const [name, fm] of Object.entries(asObject(v, where))) setOwn(meta, name, fileMetaFromJSON(fm, `${where}.${name}`));
  return meta;
}

export function metaToJSON(meta: Record<string, FileMeta>): JsonObject {
  const out: JsonObject = {};
  for (const [name, fm] of Object.entries(meta)) setOwn(out, name, fileMetaToJSON(fm));
  return out;
}

export function fileMetaToJSON(meta: FileMeta): JsonObject {
  const hashes: JsonObject = {};
  for (const [alg, digest] of Object.entries(meta.hashes)) setOwn(hashes, alg, digest.toString('base64'));
  const out: JsonObject = { hashes, length: meta.length };
  if (meta.custom !== undefined) out['custom'] = meta.custom;
  return out;
}

/** notary's default: sha256 and sha512 of the bytes, and their length. */
export function fileMetaOf(bytes: Uint8Array, algorithms: readonly HashAlgorithm[] = ['sha256', 'sha512']): FileMeta {
  const hashes: Record<string, Buffer> = {};
  for (const alg of algorithms) hashes[alg] = createHash(alg).update(bytes).digest();
  return { length: bytes.length, hashes };
}

/** notary CheckValidHashStructures: every known algorithm has the right size, and sha256 is present. */
export function assertValidHashStructure(meta: FileMeta, where: string): void {
  const sha256 = meta.hashes['sha256'];
  if (!sha256) throw invalid(where, 'missing sha256 checksum');
  for (const [alg, size] of Object.entries(SUPPORTED_HASHES)) {
    const digest = meta.hashes[alg];
    if (digest && digest.length !== size) throw invalid(where, `invalid ${alg} checksum length`);
  }
}

/**
 * Checks `bytes` against `meta` as a client must: exact length, every supported
 * algorithm listed matches, at least one supported algorithm listed.
 */
export function checkFileMeta(bytes: Uint8Array, meta: FileMeta, role: string): void {
  if (bytes.length !== meta.length) {
    throw new CoreError('LENGTH_MISMATCH', `${role}: expected ${meta.length} bytes, got ${bytes.length}`);
  }
  let checked = 0;
  for (const alg of Object.keys(SUPPORTED_HASHES) as HashAlgorithm[]) {
    const expected = meta.hashes[alg];
    if (!expected) continue;
    checked++;
    const actual = createHash(alg).update(bytes).digest();
    if (!actual.equals(expected)) throw new CoreError('HASH_MISMATCH', `${role}: ${alg} checksum mismatch`);
  }
  if (checked === 0) {
    throw new CoreError('HASH_MISMATCH', `no checksums for supported algorithms were provided for ${role}`);
  }
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * notary's `FileMeta.Equals`: the same length, the same hash algorithms with the
 * same values, and the same custom data (both absent, or equal JSON).
 */
export function fileMetaEquals(a: FileMeta, b: FileMeta): boolean {
  if (a.length !== b.length) return false;
  const algs = Object.keys(a.hashes);
  if (algs.length !== Object.keys(b.hashes).length) return false;
  if (!algs.every((alg) => Object.hasOwn(b.hashes, alg) && (a.hashes[alg] as Buffer).equals(b.hashes[alg] as Buffer))) return false;
  if ((a.custom === undefined) !== (b.custom === undefined)) return false;
  return a.custom === undefined || canonicalize(a.custom) === canonicalize(b.custom);
}
