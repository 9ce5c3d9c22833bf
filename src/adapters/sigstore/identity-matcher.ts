/**
 * Matching a certificate identity or OIDC issuer against cosign's `--certificate-identity`
 * (exact) or `--certificate-identity-regexp` (regular expression) policy.
 *
 * cosign hands the regexp to Go's `regexp.MatchString`, which is **unanchored**: `example`
 * matches `https://example.com/x`; anchor with `^…$` to match the whole string. dct does the
 * same (JavaScript RegExp `test`), so a policy means the same in both tools. A leading Go flag
 * group (`(?i)`, `(?s)`, `(?m)`, combined) becomes the JavaScript flags, `\A`/`\z` and `(?P<name>`
 * are translated; RE2 rejects look-around and back-references, which JavaScript would accept, and
 * POSIX classes, `\Q…\E` and `\p` classes read differently: dct refuses them, so a pattern either
 * means the same in both tools or is rejected.
 */
import { DctError } from '../../core/errors.js';
import type { StringMatcher } from '../../core/signatures/sigstore-verification.js';

const MAX_PATTERN_LENGTH = 4096;

/** Compiles a matcher; throws SIGSTORE_POLICY_INVALID for a pattern Go's RE2 would not take the same way. */
export function compileMatcher(matcher: StringMatcher, what: string): (value: string | undefined) => boolean {
  if ('exact' in matcher) {
    const expected = matcher.exact;
    return (value) => value === expected;
  }
  let pattern = matcher.regexp;
  if (typeof pattern !== 'string' || pattern.length > MAX_PATTERN_LENGTH)
    throw new DctError('SIGSTORE_POLICY_INVALID', `the ${what} regexp is not a pattern of at most ${MAX_PATTERN_LENGTH} characters`);
  let flags = '';
  const flagGroup = /^\(\?([ims]+)\)/.exec(pattern);
  if (flagGroup) {
    flags = [...new Set(flagGroup[1])].join('');
    pattern = pattern.slice(flagGroup[0].length);
  }
  if (/\[:\^?[a-z]+:\]|\\Q|\\[pP][A-Za-z]/.test(pattern))
    throw new DctError(
      'SIGSTORE_POLICY_INVALID',
      `the ${what} regexp ${JSON.stringify(matcher.regexp)} uses RE2 syntax (POSIX classes, \\Q…\\E, \\p classes) dct does not translate: spell it with plain character classes`,
    );
  if (/\(\?<?[=!]|\\[1-9]|\\k</.test(pattern))
    throw new DctError(
      'SIGSTORE_POLICY_INVALID',
      `the ${what} regexp ${JSON.stringify(matcher.regexp)} uses look-around or back-references, which Go's RE2 syntax (cosign's) does not have`,
    );
  // RE2 spellings JavaScript reads differently: \A and \z (text anchors), (?P<name>…) groups
  // (under (?m), ^ and $ are line anchors in both, so \A and \z become "no character before/after")
  const [start, end] = flags.includes('m') ? ['(?<![\\s\\S])', '(?![\\s\\S])'] : ['^', '$'];
  pattern = pattern.replace(/\\\\|\\A|\\z|\(\?P</g, (m) => ({ '\\A': start, '\\z': end, '(?P<': '(?<' })[m] ?? m);
  let re: RegExp;
  try {
    re = new RegExp(pattern, flags);
  } catch (err) {
    throw new DctError(
      'SIGSTORE_POLICY_INVALID',
      `the ${what} regexp ${JSON.stringify(matcher.regexp)} does not compile: ${(err as Error).message}`,
    );
  }
  return (value) => value !== undefined && re.test(value);
}

/** The string or pattern a matcher expects, for messages. */
export function describeMatcher(matcher: StringMatcher): string {
  return 'exact' in matcher ? matcher.exact : matcher.regexp;
}
