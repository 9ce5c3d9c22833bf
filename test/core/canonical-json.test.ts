import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { canonicalBytes, canonicalize, compareCodePoints, goJsonString, htmlEscape } from '../../src/core/canonical-json.js';
import { isDctError } from '../../src/core/errors.js';
import { fixturePath } from '../support/fixtures.js';

interface Vector {
  name: string;
  input: string;
  canonicalHex?: string;
  canonicalError?: string;
  envelope?: string;
  envelopeError?: string;
}

/** Reads notary-go-vectors/canonical-json-vectors.txt (made by notary's own Go code). */
function loadVectors(): Vector[] {
  const text = readFileSync(fixturePath('notary-go-vectors', 'canonical-json-vectors.txt'), 'utf8');
  const vectors: Vector[] = [];
  for (const section of text.split(/^### /m).slice(1)) {
    const lines = section.split('\n');
    const v: Vector = { name: (lines[0] as string).trim(), input: '' };
    for (const line of lines) {
      if (line.startsWith('input (JSON text): ')) v.input = line.slice('input (JSON text): '.length);
      else if (line.startsWith('canonical (hex): ')) v.canonicalHex = line.slice('canonical (hex): '.length);
      else if (line.startsWith('canonical: ERROR ')) v.canonicalError = line.slice('canonical: ERROR '.length);
      else if (line.startsWith('envelope (json.Marshal of Signed): ')) {
        const rest = line.slice('envelope (json.Marshal of Signed): '.length);
        if (rest.startsWith('ERROR ')) v.envelopeError = rest.slice(6);
        else v.envelope = rest;
      }
    }
    vectors.push(v);
  }
  return vectors;
}

describe('canonical JSON (docker/go canonical/json)', () => {
  const vectors = loadVectors();

  it('reads every vector of the corpus', () => {
    assert.ok(vectors.length >= 13, `expected the full vector file, got ${vectors.length}`);
  });

  for (const v of vectors) {
    it(`vector ${v.name}`, () => {
      const parsed = JSON.parse(v.input) as unknown;
      if (v.canonicalError !== undefined) {
        assert.throws(
          () => canonicalize(parsed),
          (err) => isDctError(err, 'CANONICAL_JSON_UNSUPPORTED_VALUE'),
        );
        return;
      }
      const bytes = canonicalBytes(parsed);
      assert.equal(bytes.toString('hex'), v.canonicalHex);
      const envelope = () => `{"signed":${htmlEscape(bytes.toString('utf8'))},"signatures":[]}`;
      if (v.envelopeError !== undefined) {
        assert.throws(envelope, (err) => isDctError(err, 'CANONICAL_JSON_UNSUPPORTED_VALUE'));
      } else {
        assert.equal(envelope(), v.envelope);
      }
    });
  }

  it('sorts names by UTF-8 bytes, not UTF-16 units', () => {
    assert.ok(compareCodePoints('\uffff', '\ud83d\ude00') < 0);
    assert.ok(compareCodePoints('\ud83d\ude00', '\uffff') > 0);
    assert.equal(canonicalize({ '\ud83d\ude00': 1, '\uffff': 2, a: 3 }), '{"a":3,"\uffff":2,"\ud83d\ude00":1}');
  });

  it('sorts integer-like names as strings', () => {
    assert.equal(canonicalize({ 10: 'a', 9: 'b', '1.0': 'c' }), '{"1.0":"c","10":"a","9":"b"}');
  });

  it('refuses values JSON cannot carry', () => {
    for (const bad of [NaN, Infinity, 0.5, undefined, () => 1, 1n]) {
      assert.throws(
        () => canonicalize(bad),
        (err) => isDctError(err, 'CANONICAL_JSON_UNSUPPORTED_VALUE'),
      );
    }
  });

  it('writes strings as Go encoding/json does for envelopes', () => {
    assert.equal(goJsonString('a"b\\c<d>&\n\u0001\u2028'), '"a\\"b\\\\c\\u003cd\\u003e\\u0026\\n\\u0001\\u2028"');
    assert.equal(goJsonString('plain'), '"plain"');
  });
});
