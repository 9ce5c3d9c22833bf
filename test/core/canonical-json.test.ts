import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  canonicalBytes,
  canonicalize,
  compareCodePoints,
  goJsonString,
  htmlEscape,
  jsonNestingExceeds,
  MAX_CANONICAL_DEPTH,
} from '../../src/core/canonical-json.js';
import { isDctError } from '../../src/core/errors.js';
import { parseMetadata } from '../../src/core/tuf/metadata.js';
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

describe('attack: JSON nested a million levels deep', () => {
  const nested = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

  it('canonicalize refuses it with MALFORMED_JSON, not a stack overflow', () => {
    assert.throws(
      () => canonicalize(JSON.parse(nested(1_000_000))),
      (e: unknown) => isDctError(e, 'MALFORMED_JSON'),
    );
    assert.equal(canonicalize(JSON.parse(nested(MAX_CANONICAL_DEPTH))), nested(MAX_CANONICAL_DEPTH));
  });

  it("a target's custom field in metadata from a server: verifying its signed bytes is a MALFORMED_JSON refusal", () => {
    const body = `{"signed":{"_type":"Targets","expires":"2030-01-01T00:00:00Z","targets":{"v1":{"custom":${nested(100_000)},"hashes":{"sha256":"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="},"length":1}},"version":1},"signatures":[]}`;
    const md = parseMetadata(Buffer.from(body), 'targets');
    assert.throws(
      () => md.signedBytes(),
      (e: unknown) => isDctError(e, 'MALFORMED_JSON'),
    );
  });

  it('jsonNestingExceeds counts brackets outside strings only (as Go counts its 10,000 levels)', () => {
    assert.equal(jsonNestingExceeds(nested(10_000), 10_000), false);
    assert.equal(jsonNestingExceeds(nested(10_001), 10_000), true);
    const inString = JSON.stringify({ a: '['.repeat(30_000) + '\\"[' });
    assert.equal(jsonNestingExceeds(inString, 10_000), false);
    assert.equal(jsonNestingExceeds(`[${JSON.stringify('"[\\')},${nested(10_000)}]`, 10_000), true);
  });
});
