/**
 * The patterns a rule matches images with, and which rule is the most specific.
 *
 * A pattern is a glob over `registry/repository` (`docker.io/library/alpine`,
 * `registry.example.com/team/*`, `registry.example.com/**`, `**`): `*` matches within one path
 * component, `**` across components (`/` included), `?` one character other than `/`. The
 * image's name is normalized as docker does first (`alpine` is `docker.io/library/alpine`).
 *
 * Order of rules (the most specific wins), for one image, over the patterns of each rule that match:
 * 1. an exact pattern (no wildcard) beats any pattern with a wildcard;
 * 2. then the longer literal prefix (the text before the first wildcard) wins;
 * 3. then fewer wildcards win;
 * 4. then the rule written first.
 */

export interface Specificity {
  exact: boolean;
  /** characters before the first wildcard */
  prefix: number;
  wildcards: number;
}

const WILDCARD = /\*\*|\*|\?/g;

export function specificityOf(pattern: string): Specificity {
  const first = pattern.search(/[*?]/);
  const wildcards = pattern.match(WILDCARD)?.length ?? 0;
  return { exact: wildcards === 0, prefix: first < 0 ? pattern.length : first, wildcards };
}

/** Negative when `a` is more specific than `b`. */
export function compareSpecificity(a: Specificity, b: Specificity): number {
  if (a.exact !== b.exact) return a.exact ? -1 : 1;
  if (a.prefix !== b.prefix) return b.prefix - a.prefix;
  return a.wildcards - b.wildcards;
}

const cache = new Map<string, RegExp>();

/** The pattern as an anchored regular expression. */
export function patternRegExp(pattern: string): RegExp {
  let re = cache.get(pattern);
  if (re) return re;
  let src = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*' && pattern[i + 1] === '*') {
      // `a/**` also matches `a` itself; `**/b` also `b`
      if (pattern[i + 2] === '/') {
        src += '(?:.*/)?';
        i += 2;
      } else if (src.endsWith('/') && i + 2 === pattern.length) {
        src = src.slice(0, -1) + '(?:/.*)?';
        i += 1;
      } else {
        src += '.*';
        i += 1;
      }
    } else if (c === '*') src += '[^/]*';
    else if (c === '?') src += '[^/]';
    else src += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  re = new RegExp(`^${src}$`);
  cache.set(pattern, re);
  return re;
}

export function matchesPattern(pattern: string, name: string): boolean {
  return patternRegExp(pattern).test(name);
}

/** Whether the pattern names one repository (no wildcard). */
export function isExactPattern(pattern: string): boolean {
  return !/[*?]/.test(pattern);
}
