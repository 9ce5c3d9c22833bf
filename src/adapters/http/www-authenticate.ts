/**
 * `WWW-Authenticate` challenges (RFC 7235) as registries and trust servers send them on a
 * 401: `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`.
 */
export interface Challenge {
  /** lower case: `bearer`, `basic`, … */
  scheme: string;
  /** parameter names in lower case, values unquoted */
  params: Record<string, string>;
}

const SEPARATORS = ' \t"(),/:;<=>?@[]\\{}';

function isTokenChar(c: string | undefined): boolean {
  if (c === undefined) return false;
  const code = c.charCodeAt(0);
  return code > 32 && code < 127 && !SEPARATORS.includes(c);
}

/**
 * Parses `WWW-Authenticate` values (one per header line; a line may also carry several
 * comma-separated challenges). Parameter values are tokens or quoted strings with
 * backslash escapes. Malformed input ends the parse of that line, keeping what came before.
 */
export function parseWwwAuthenticate(header: string | readonly string[] | undefined): Challenge[] {
  if (header === undefined) return [];
  const out: Challenge[] = [];
  for (const line of typeof header === 'string' ? [header] : header) parseLine(line, out);
  return out;
}

function parseLine(s: string, out: Challenge[]): void {
  let i = 0;
  const skipSpace = () => {
    while (s[i] === ' ' || s[i] === '\t') i++;
  };
  const token = (): string => {
    const start = i;
    while (isTokenChar(s[i])) i++;
    return s.slice(start, i);
  };
  const quoted = (): string | undefined => {
    // at the opening quote
    let v = '';
    for (i++; i < s.length; i++) {
      const c = s[i] as string;
      if (c === '"') {
        i++;
        return v;
      }
      if (c === '\\') {
        i++;
        if (i >= s.length) return undefined;
        v += s[i];
      } else v += c;
    }
    return undefined;
  };
  for (;;) {
    while (s[i] === ' ' || s[i] === '\t' || s[i] === ',') i++;
    const scheme = token();
    if (scheme === '') return;
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    out.push(challenge);
    for (;;) {
      const save = i;
      skipSpace();
      while (s[i] === ',') {
        i++;
        skipSpace();
      }
      const key = token();
      if (key === '') {
        // token68 (e.g. `Negotiate abc==`) or garbage: skip to the next comma
        if (i < s.length && s[i] !== ',') {
          while (i < s.length && s[i] !== ',') i++;
          continue;
        }
        return;
      }
      skipSpace();
      if (s[i] !== '=') {
        // a new challenge's scheme
        i = save;
        break;
      }
      i++;
      skipSpace();
      let value: string | undefined;
      if (s[i] === '"') value = quoted();
      else {
        value = token();
        // token68 padding after a bare key= (`abc==`): not a parameter
        if (value === '' && s[i] === '=') {
          while (i < s.length && s[i] !== ',') i++;
          continue;
        }
      }
      if (value === undefined) return;
      challenge.params[key.toLowerCase()] = value;
      skipSpace();
      if (s[i] !== ',') {
        if (i >= s.length) return;
        // junk after a value: stop this line
        return;
      }
    }
  }
}
