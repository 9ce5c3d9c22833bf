/**
 * Matching a certificate identity or OIDC issuer against cosign's `--certificate-identity`
 * (exact) or `--certificate-identity-regexp` (regular expression) policy.
 *
 * cosign hands the regexp to Go's `regexp.MatchString`, which is **unanchored**: `example`
 * matches `https://example.com/x`; anchor with `^…$` to match the whole string. dct does the
 * same (JavaScript RegExp `test`), so a policy means the same in both tools. A leading Go flag
 * group (`(?i)`, `(?s)`, `(?m)`, combined) becomes the JavaScript flags; RE2 rejects look-around
 * and back-references, which JavaScript would accept: dct refuses them too, so a pattern
 * either means the same or is rejected.
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
  if (/\(\?<?[=!]|\\[1-9]|\\k</.test(pattern))
    throw new DctError(
      'SIGSTORE_POLICY_INVALID',
      `the ${what} regexp ${JSON.stringify(matcher.regexp)} uses look-around or back-references, which Go's RE2 syntax (cosign's) does not have`,
    );
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

/** How a matcher reads in a message. */
export function describeMatcher(matcher: StringMatcher): string {
  return 'exact' in matcher ? JSON.stringify(matcher.exact) : `/${matcher.regexp}/`;
}
