/**
 * The `key:` at the start of a YAML line, as `dct pin` reads Kubernetes manifests and compose files
 * (yaml-image-references.ts): a plain or quoted key followed by `: ` or the end of the line.
 */

/** characters a plain key cannot start with */
const NOT_PLAIN_START = /[\s#"'{[\]},&*!|>%@`]/;

/**
 * The `key:` of a line after its indentation and `- ` item markers (`keyCol`; `lastDash`: where the
 * last `- ` marker starts, -1 without one): a plain or quoted key followed by `: ` or the end of the
 * line, and the offset just after its colon. Read in one pass: the regular expression this replaces
 * (`[^#]*?[ ]*:`) backtracked quadratically on a long line without a colon, and `dct pin` reads
 * files from anywhere (a pull request's manifests in CI).
 */
export function yamlKeyOf(body: string, keyCol: number, lastDash: number): { key: string; afterColon: number } | undefined {
  const first = body[keyCol];
  if (first === '"' || first === "'") {
    const close = body.indexOf(first, keyCol + 1);
    const afterColon = close < 0 ? -1 : colonAfterSpaces(body, close + 1);
    if (afterColon >= 0) return { key: body.slice(keyCol + 1, close), afterColon };
  } else if (first !== undefined && !NOT_PLAIN_START.test(first)) {
    const plain = plainKey(body, keyCol);
    if (plain) return plain;
  }
  // the last `- ` then starts a plain key (`- -a: b` is the key `-a`, `- - 'x: y` the key `- 'x`)
  return lastDash >= 0 ? plainKey(body, lastDash) : undefined;
}

/** a plain key from `start`: up to the first `:` that ends the line or has a blank after it, with no `#` before it */
function plainKey(body: string, start: number): { key: string; afterColon: number } | undefined {
  const hash = body.indexOf('#', start);
  const limit = hash < 0 ? body.length : hash;
  for (let colon = body.indexOf(':', start + 1); colon >= 0 && colon < limit; colon = body.indexOf(':', colon + 1)) {
    const next = body[colon + 1];
    if (next !== undefined && next !== ' ' && next !== '\t') continue;
    let end = colon;
    while (end > start + 1 && body[end - 1] === ' ') end--;
    return { key: body.slice(start, end), afterColon: colon + 1 };
  }
  return undefined;
}

/** after spaces from `at`, a `:` that ends the line or has a blank after it: the offset after it, else -1 */
function colonAfterSpaces(body: string, at: number): number {
  let i = at;
  while (body[i] === ' ') i++;
  const next = body[i + 1];
  return body[i] === ':' && (next === undefined || next === ' ' || next === '\t') ? i + 1 : -1;
}
