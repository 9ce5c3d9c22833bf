/** Strict accessors for parsed JSON: every failure is an INVALID_METADATA error naming the field. */
import { CoreError } from '../errors.js';

export type JsonRecord = Record<string, unknown>;

export function invalid(where: string, why: string): CoreError {
  return new CoreError('INVALID_METADATA', `${where}: ${why}`);
}

export function asObject(v: unknown, where: string): JsonRecord {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid(where, 'expected a JSON object');
  return v as JsonRecord;
}

export function asArray(v: unknown, where: string): unknown[] {
  if (!Array.isArray(v)) throw invalid(where, 'expected a JSON array');
  return v;
}

export function asString(v: unknown, where: string): string {
  if (typeof v !== 'string') throw invalid(where, 'expected a string');
  return v;
}

export function asBoolean(v: unknown, where: string): boolean {
  if (typeof v !== 'boolean') throw invalid(where, 'expected a boolean');
  return v;
}

/** An integer that survives Go's int decoding and float64 re-canonicalisation. */
export function asInteger(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw invalid(where, 'expected an integer');
  return v;
}

export function asStringArray(v: unknown, where: string): string[] {
  return asArray(v, where).map((item, i) => asString(item, `${where}[${i}]`));
}

/** Members of `obj` not in `known`, kept so nothing a newer writer added is silently lost. */
export function unrecognized(obj: JsonRecord, known: readonly string[]): JsonRecord {
  const out: JsonRecord = {};
  for (const [k, v] of Object.entries(obj)) if (!known.includes(k)) setOwn(out, k, v);
  return out;
}

/**
 * Sets a member whose name comes from untrusted input: `__proto__` becomes an
 * ordinary own member instead of changing the object's prototype.
 */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/** Reads a member whose name comes from untrusted input: own members only. */
export function getOwn<T>(obj: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}
