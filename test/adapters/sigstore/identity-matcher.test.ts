/**
 * cosign's identity and issuer regexps are Go `regexp.MatchString` (RE2, unanchored): dct's
 * matcher means the same or refuses the pattern (SIGSTORE_POLICY_INVALID).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileMatcher } from '../../../src/adapters/sigstore/identity-matcher.js';
import { isDctError } from '../../../src/core/errors.js';

const matches = (regexp: string, value: string) => compileMatcher({ regexp }, 'identity')(value);
const refused = (regexp: string) =>
  assert.throws(
    () => compileMatcher({ regexp }, 'identity'),
    (err: unknown) => isDctError(err, 'SIGSTORE_POLICY_INVALID'),
  );

describe('identity matcher', () => {
  it('exact is exact', () => {
    const m = compileMatcher({ exact: 'a@example.com' }, 'identity');
    assert.equal(m('a@example.com'), true);
    assert.equal(m('xa@example.com'), false);
    assert.equal(m(undefined), false);
  });

  it('regexps are unanchored unless anchored, as regexp.MatchString', () => {
    assert.equal(matches('example', 'https://example.com/x'), true);
    assert.equal(matches('^example', 'https://example.com/x'), false);
    assert.equal(matches('^https://example\\.com/x$', 'https://example.com/x'), true);
    assert.equal(matches('^https://example\\.com/x$', 'https://example.com/x/evil'), false);
  });

  it('RE2 flags, \\A, \\z and (?P<name>…) mean what they mean in Go', () => {
    assert.equal(matches('(?i)^A@EXAMPLE', 'a@example.com'), true);
    assert.equal(matches('\\Aa@', 'a@x'), true);
    assert.equal(matches('\\Aa@', 'ba@x'), false);
    assert.equal(matches('\\.com\\z', 'a@example.com'), true);
    assert.equal(matches('\\.com\\z', 'a@example.com.evil'), false);
    assert.equal(matches('(?m)\\Aa$', 'x\na'), false);
    assert.equal(matches('(?m)^a$', 'x\na'), true);
    assert.equal(matches('(?P<user>[a-z]+)@example', 'cody@example.com'), true);
    assert.equal(matches('\\\\A', '\\A'), true);
  });

  it('syntax RE2 lacks or reads differently is refused', () => {
    for (const re of ['a(?=b)', 'a(?!b)', '(?<=a)b', '(a)\\1', '[[:alpha:]]', '\\Qa.b\\E', '\\pL', '(', 'x'.repeat(5000)]) refused(re);
  });
});
