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
  for (const [k, v] of Object.entries(obj)) if (!known.includes(k)) out[k] = v;
  return out;
}
