/**
 * JSON as Go's `encoding/json` writes it: like `JSON.stringify` without spaces, but with `<`,
 * `>`, `&`, U+2028 and U+2029 escaped as `\u003c`…, which notation's envelopes carry byte for byte.
 */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Objects' keys sorted at every depth (how Go writes a map). */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}
