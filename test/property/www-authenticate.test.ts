/**
 * Properties of the WWW-Authenticate parser (outside text: every challenge a registry
 * or notary server answers with). It is total — any header value or list of values is
 * parsed into challenges, never thrown on and never looped on — and challenges written
 * as RFC 7235 says (token scheme, token or quoted-string parameters with backslash
 * escapes) are read back exactly.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseWwwAuthenticate, type Challenge } from '../../src/adapters/http/registry-auth.js';
import { checkProperty } from './property-support.js';

const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}$/);
/**
 * Parameter names: tokens, but not `__proto__`, which the parser's plain-object `params`
 * drops (assigning a string to `__proto__` is a no-op). No challenge uses that name; the
 * generator found it, and it is reported rather than worked around in the parser.
 */
const paramName = token.filter((k) => k.toLowerCase() !== '__proto__');
const value = fc.string({ unit: fc.constantFrom(...' abcXYZ09:/?=,"\\\t@'.split('')), maxLength: 20 });
const quote = (v: string) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`;
const challenge = fc.record({
  scheme: token,
  params: fc.uniqueArray(fc.tuple(paramName, value, fc.boolean()), { maxLength: 4, selector: ([k]) => k.toLowerCase() }),
});

describe('property: WWW-Authenticate', () => {
  it('written challenges are read back exactly', async () => {
    await checkProperty(
      'WWW-Authenticate round trip',
      [fc.array(challenge, { minLength: 1, maxLength: 3 }), fc.constantFrom(', ', ',', ' , ')],
      (challenges, sep) => {
        const header = challenges
          .map((c) =>
            [c.scheme, c.params.map(([k, v, asToken]) => `${k}=${asToken && /^[A-Za-z0-9]+$/.test(v) ? v : quote(v)}`).join(sep)]
              .filter((p) => p !== '')
              .join(' '),
          )
          .join(sep);
        const expected: Challenge[] = challenges.map((c) => ({
          scheme: c.scheme.toLowerCase(),
          params: Object.fromEntries(c.params.map(([k, v]) => [k.toLowerCase(), v])),
        }));
        assert.deepEqual(
          parseWwwAuthenticate(header).map((c) => ({ ...c, params: { ...c.params } })),
          expected,
          header,
        );
      },
      { numRuns: 2000 },
    );
  });

  it('any header value is parsed without throwing', async () => {
    const header = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.string({ unit: fc.constantFrom(...'Bearer realm="\\,= \t'.split('')), maxLength: 200 }),
      fc.array(fc.string({ maxLength: 60 }), { maxLength: 4 }),
    );
    await checkProperty(
      'WWW-Authenticate arbitrary text',
      [header],
      (h) => {
        const out = parseWwwAuthenticate(h);
        for (const c of out) assert.equal(c.scheme, c.scheme.toLowerCase());
      },
      { numRuns: 4000 },
    );
  });
});
