/**
 * JSON as Go's `encoding/json` writes it (cosign is written in Go, and its payloads and
 * manifests are signed or hashed as bytes): no whitespace, struct fields in declaration
 * order (the caller builds objects in that order), map keys sorted (`sortedMap`), and
 * strings HTML-escaped (`<`, `>`, `&`, U+2028, U+2029 as `\u…`).
 */
import { MAX_CANONICAL_DEPTH } from '../canonical-json.js';
import { CoreError } from '../errors.js';

/**
 * Go's `json.Marshal` of a value whose objects are already in the order Go writes them. Writing
 * recurses: a value nested deeper than canonical JSON's limit (a signed payload's `optional` read
 * from a registry) is refused as MALFORMED_JSON rather than overflowing the stack.
 */
export function goJson(value: unknown, depth = 0): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'object' && depth >= MAX_CANONICAL_DEPTH) {
    throw new CoreError('MALFORMED_JSON', `JSON nested deeper than ${MAX_CANONICAL_DEPTH} levels`);
  }
  switch (typeof value) {
    case 'string':
      return goJsonString(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => goJson(v, depth + 1)).join(',')}]`;
      const parts: string[] = [];
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (v === undefined) continue;
        parts.push(`${goJsonString(k)}:${goJson(v, depth + 1)}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      return 'null';
  }
}

/** A map as Go writes one: keys sorted by their bytes. */
export function sortedMap<T>(map: Readonly<Record<string, T>>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(map).sort(compareBytes)) {
    Object.defineProperty(out, k, { value: map[k], enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

const SHORT: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

export function goJsonString(s: string): string {
  return `"${s.replace(/[\u0000-\u001f"\\<>&\u2028\u2029]/g, (c) => SHORT[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
}
