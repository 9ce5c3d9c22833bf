/**
 * Properties of image-reference parsing (outside text: every reference a user or a
 * docker CLI passes): any string is parsed or refused with a DctError; references made
 * from the grammar round-trip (parse∘format is the identity on their fields, format∘parse
 * on their text); normalising is idempotent; host/port helpers never throw.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  isLoopbackHost,
  parseAnyReference,
  parseImageReference,
  parseIPv4,
  parseIPv6,
  parseReference,
  splitHostPort,
} from '../../src/core/image-reference.js';
import { checkProperty, typedOrValue } from './property-support.js';

const component = fc.stringMatching(/^[a-z0-9]{1,6}(?:(?:[._]|__|-+)[a-z0-9]{1,6}){0,2}$/);
const domain = fc.oneof(
  fc.constant('localhost'),
  fc.stringMatching(/^[a-z0-9]{1,8}(?:\.[a-z0-9]{1,8}){1,2}$/),
  fc.tuple(fc.stringMatching(/^[a-z]{1,8}\.[a-z]{2,4}$/), fc.integer({ min: 1, max: 65535 })).map(([h, p]) => `${h}:${p}`),
  fc.integer({ min: 1, max: 65535 }).map((p) => `127.0.0.1:${p}`),
  fc.constant('[::1]:5000'),
);
const tag = fc.stringMatching(/^\w[\w.-]{0,20}$/);
const digest = fc.oneof(
  fc.stringMatching(/^[0-9a-f]{64}$/).map((h) => `sha256:${h}`),
  fc.stringMatching(/^[0-9a-f]{128}$/).map((h) => `sha512:${h}`),
);
const reference = fc.record({
  domain,
  path: fc.array(component, { minLength: 1, maxLength: 3 }).map((c) => c.join('/')),
  tag: fc.option(tag, { nil: undefined }),
  digest: fc.option(digest, { nil: undefined }),
});
const format = (r: { domain: string; path: string; tag?: string | undefined; digest?: string | undefined }) =>
  `${r.domain}/${r.path}${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest !== undefined ? `@${r.digest}` : ''}`;

describe('property: image references', () => {
  it('references from the grammar round-trip: parse∘format keeps every field, format∘parse the text', async () => {
    await checkProperty(
      'image reference round trip',
      [reference],
      (r) => {
        const text = format(r);
        const parsed = parseReference(text);
        assert.deepEqual({ domain: parsed.domain, path: parsed.path, tag: parsed.tag, digest: parsed.digest }, { ...r });
        assert.equal(parsed.toString(), text);
        assert.equal(parseImageReference(text).toString(), text);
      },
      { numRuns: 2000 },
    );
  });

  it('any string is parsed or refused with a DctError; normalising is idempotent', async () => {
    const almost = fc.tuple(reference, fc.nat(), fc.string({ unit: 'binary', maxLength: 3 })).map(([r, at, junk]) => {
      const t = format(r);
      const i = at % (t.length + 1);
      return t.slice(0, i) + junk + t.slice(i);
    });
    const input = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.string({ unit: fc.constantFrom(...'aZ0:/@._-'.split('')), maxLength: 80 }),
      almost,
      fc.string({ maxLength: 300 }),
    );
    await checkProperty(
      'image reference arbitrary text',
      [input],
      (s) => {
        typedOrValue(() => parseReference(s));
        typedOrValue(() => parseAnyReference(s));
        const normal = typedOrValue(() => parseImageReference(s));
        if (normal) {
          const text = normal.toString();
          assert.equal(parseImageReference(text).toString(), text);
          assert.equal(parseReference(text).toString(), text);
          assert.equal(parseImageReference(normal.familiarString()).toString(), text);
        }
      },
      { numRuns: 4000 },
    );
  });

  it('host and address helpers never throw', async () => {
    const input = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.string({ unit: fc.constantFrom(...'[]:.0129af'.split('')), maxLength: 50 }),
      fc.ipV4(),
      fc.ipV6().map((a) => `[${a}]:1`),
    );
    await checkProperty(
      'splitHostPort / parseIPv4 / parseIPv6 / isLoopbackHost total',
      [input],
      (s) => {
        splitHostPort(s);
        parseIPv4(s);
        parseIPv6(s);
        isLoopbackHost(s);
      },
      { numRuns: 3000 },
    );
  });
});
