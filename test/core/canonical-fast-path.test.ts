/**
 * The canonical-text check (`canonicalValueEnd`, `canonicalSignedText`): it may
 * only ever accept text that `canonicalize(JSON.parse(text))` reproduces
 * exactly, because a verifier uses accepted text in place of the re-derivation.
 * Also: the one-pass base64 decoder of file metadata against the generic one.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { canonicalBytes, canonicalize } from '../../src/core/canonical-json.js';
import { parseMetadata } from '../../src/core/tuf/metadata.js';
import { canonicalSignedText, canonicalValueEnd } from '../../src/core/canonical-text.js';
import { decodeBase64, decodeStdBase64, hexOfBase64All, isCanonicalBase64 } from '../../src/core/encoding.js';
import { fixturePath, listFiles, notaryCases } from '../support/fixtures.js';

/** The property every acceptance must satisfy. */
function acceptedOnlyIfCanonical(text: string): boolean {
  const accepted = canonicalValueEnd(text) === text.length;
  if (accepted) {
    let parsed: unknown;
    assert.doesNotThrow(() => (parsed = JSON.parse(text)), `accepted invalid JSON: ${JSON.stringify(text)}`);
    assert.equal(canonicalize(parsed), text, `accepted non-canonical text: ${JSON.stringify(text)}`);
  }
  return accepted;
}

function accepts(text: string): void {
  assert.equal(acceptedOnlyIfCanonical(text), true, `should accept ${JSON.stringify(text)}`);
}

function rejects(text: string): void {
  assert.equal(acceptedOnlyIfCanonical(text), false, `should reject ${JSON.stringify(text)}`);
}

/** Deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('canonicalValueEnd: accepts canonical text', () => {
  it('scalars, containers and nesting', () => {
    for (const t of [
      '0',
      '-1',
      '7',
      '123456789012345',
      '-123456789012345',
      'true',
      'false',
      'null',
      '""',
      '"a"',
      '[]',
      '{}',
      '[[]]',
      '[{}]',
      '{"a":[]}',
      '[1,2,3]',
      '[null,true,false,"x",{"a":{"b":[0]}}]',
      '{"A":true,"_t":false,"a":{"y":null,"z":[3,2,1]},"b":1}',
    ]) {
      accepts(t);
    }
  });

  it('strings: only \\" and \\\\ are escaped; everything else is raw', () => {
    accepts('"q\\"b\\\\s/"');
    accepts('"a<b>c&d"');
    accepts('"caf\u00e9 \u65e5\u672c \ud83d\ude00"');
    accepts('"x\u2028y\u2029z"');
    accepts('"\u007f\u0080\uffff"');
    accepts('"\ud800"'); // a lone surrogate (only reachable from a JS string) stays as it is
  });

  it('member names in code point (UTF-8 byte) order, not UTF-16 order', () => {
    accepts('{"a":3,"\uffff":2,"\ud83d\ude00":1}');
    rejects('{"a":3,"\ud83d\ude00":1,"\uffff":2}'); // the order Array.prototype.sort() would give
    accepts('{"\ue000":1,"\ud800\udc00":2}');
    rejects('{"\ud800\udc00":2,"\ue000":1}');
  });

  it('member names are compared decoded, not as escaped text', () => {
    // decoded: `a"` (0x22) < `a#` (0x23), although the escaped text `a\"` sorts after `a#`
    accepts('{"a\\"":1,"a#":2}');
    rejects('{"a#":2,"a\\"":1}');
    // `a\` (0x5c) > `a[` (0x5b)
    accepts('{"a[":1,"a\\\\":2}');
    rejects('{"a\\\\":2,"a[":1}');
    // a prefix sorts first
    accepts('{"":0,"a":1,"ab":2,"b":3}');
    rejects('{"ab":2,"a":1}');
  });

  it('integer-like names sort as strings', () => {
    accepts('{"1.0":"c","10":"a","9":"b"}');
    rejects('{"9":"b","10":"a"}');
  });

  it('returns the end of the value, and reads only the value', () => {
    const text = '{"signed":{"a":1},"signatures":[]}';
    assert.equal(canonicalValueEnd(text, 10), text.indexOf(',"signatures"'));
    assert.equal(canonicalValueEnd('[1] ', 0), 3);
    assert.equal(canonicalValueEnd('x[1]', 1), 4);
  });
});

describe('canonicalValueEnd: rejects everything else', () => {
  it('whitespace anywhere', () => {
    for (const t of [' {}', '{ }', '{"a": 1}', '{"a" :1}', '{"a":1 }', '[1, 2]', '[ 1]', '[1\n]', '{\t"a":1}', '{"a":1\r}']) rejects(t);
  });

  it('unsorted and duplicate names', () => {
    rejects('{"b":1,"a":2}');
    rejects('{"a":1,"a":2}');
    rejects('{"a":1,"b":{"d":1,"c":2}}');
    rejects('{"_type":"Targets","expires":"x","delegations":{}}');
  });

  it('escapes that JSON.parse decodes and canonicalize would not write', () => {
    for (const t of [
      '"\\u0041"',
      '"\\/"',
      '"a\\/b"',
      '"\\u003c"',
      '"\\u003e"',
      '"\\u0026"',
      '"\\u2028"',
      '"\\n"',
      '"\\t"',
      '"\\r"',
      '"\\b"',
      '"\\f"',
      '"\\ud83d\\ude00"',
      '"\\u0022"',
      '"\\u005c"',
      '{"\\u0061":1}',
      '{"a\\/":1}',
    ]) {
      rejects(t);
    }
  });

  it('raw control characters', () => {
    for (const t of ['"a\nb"', '"\u0000"', '"\u001f"', '{"a\tb":1}', '["x","\u0001"]']) rejects(t);
  });

  it('raw control characters are looked for in the value only, not before or after it', () => {
    assert.equal(canonicalValueEnd('{"a":"x"}\n"\u0000"', 0), 9);
    assert.equal(canonicalValueEnd('"\u0001",{"a":"x"}\u0002', 4), 13);
    assert.equal(canonicalValueEnd('"\u0001",{"a":"\u0002"}', 4), -1);
  });

  it('numbers that are not written as canonicalize writes them', () => {
    for (const t of [
      '1.0',
      '1.5',
      '0.0',
      '1e3',
      '1E3',
      '1e-3',
      '10e0',
      '-0',
      '-0.0',
      '00',
      '01',
      '-01',
      '+1',
      '.5',
      '1.',
      '9007199254740993',
      '9007199254740992',
      '1234567890123456',
      '12345678901234567890',
      '-1234567890123456',
      '[1.0]',
      '{"length":1e3}',
      '{"n":-0}',
    ]) {
      rejects(t);
    }
  });

  it('malformed or truncated JSON, never throwing', () => {
    for (const t of [
      '',
      '{',
      '[',
      '"',
      '"abc',
      '{"a"}',
      '{"a":}',
      '{"a":1,}',
      '[1,]',
      '[,1]',
      '{,}',
      '{"a"1}',
      '{"a":1"b":2}',
      '[1 2]',
      'tru',
      'nul',
      'falsey',
      '[truex]',
      '{a:1}',
      "{'a':1}",
      '"\\',
      '"\\x"',
      '}',
      ']',
      '-',
      'NaN',
      'Infinity',
      '[1]]',
      '{"a":[}',
      '{"a":1]',
    ]) {
      assert.doesNotThrow(() => canonicalValueEnd(t));
      rejects(t);
    }
  });

  it('leaves values nested deeper than 512 levels to canonicalize', () => {
    const deep = (n: number) => '['.repeat(n) + '0' + ']'.repeat(n);
    accepts(deep(512));
    rejects(deep(513));
    const deepObj = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
    accepts(deepObj(512));
    rejects(deepObj(513));
    assert.equal(canonicalValueEnd(deep(200_000)), -1);
  });
});

describe('canonicalValueEnd: differential check against canonicalize', () => {
  const rnd = prng(0x5eed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const stringPool = [
    '',
    'a',
    'b',
    'A',
    '_type',
    'sha256',
    'sha512',
    'length',
    'hashes',
    'tag-00001',
    'q"b',
    'back\\slash',
    'a<b>&c',
    'caf\u00e9',
    '\uffff',
    '\ue000',
    '\ud83d\ude00',
    '\ud800',
    'x\u2028y',
    '/',
    '1',
    '10',
    '9',
    '1.0',
    '\u007f',
  ];
  const numberPool = [0, -0, 1, -1, 42, 2 ** 31, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 123456789012345, 1e15, 1e21, -(2 ** 40)];
  const value = (depth: number): unknown => {
    const r = rnd();
    if (depth > 3 || r < 0.35) return pick<unknown>([...stringPool, ...numberPool, true, false, null]);
    if (r < 0.55) return Array.from({ length: Math.floor(rnd() * 4) }, () => value(depth + 1));
    const obj: Record<string, unknown> = {};
    for (let k = Math.floor(rnd() * 5); k > 0; k--) obj[pick(stringPool)] = value(depth + 1);
    return obj;
  };
  /** Other texts of the same value: non-canonical on purpose most of the time. */
  const variants = (v: unknown): string[] => {
    const canonical = canonicalize(v);
    const out = [canonical, JSON.stringify(v), JSON.stringify(v, null, 1)];
    out.push(canonical.replace(/</g, '\\u003c'));
    out.push(canonical.replace(/\//g, '\\/'));
    out.push(canonical.replace(/a/g, '\\u0061'));
    out.push(canonical.replace(/([0-9]),/, '$1.0,'));
    out.push(canonical.replace(/:([1-9][0-9]*)/, ':$1e0'));
    // swap the first two members of the first object with two or more
    const m = /\{("(?:[^"\\]|\\.)*":(?:[^,{}[\]]+)),("(?:[^"\\]|\\.)*":(?:[^,{}[\]]+))/.exec(canonical);
    if (m) out.push(canonical.replace(m[0], `{${m[2]},${m[1]}`));
    // duplicate the first member
    const d = /\{("(?:[^"\\]|\\.)*":(?:[^,{}[\]]+))/.exec(canonical);
    if (d) out.push(canonical.replace(d[0], `{${d[1]},${d[1]}`));
    return out;
  };

  it('accepts the canonical text of every value canonicalize writes with small integers', () => {
    let acceptedCount = 0;
    for (let n = 0; n < 3000; n++) {
      const v = value(0);
      const text = canonicalize(v);
      if (acceptedOnlyIfCanonical(text)) acceptedCount++;
      // a rejection of canonicalize's own output is only allowed for the documented reasons
      else assert.match(text, /\d{16}/, `rejected canonical text ${JSON.stringify(text)}`);
    }
    assert.ok(acceptedCount > 2000, `accepted only ${acceptedCount}`);
  });

  it('never accepts a text whose canonical form differs (30,000 random texts)', () => {
    let rejected = 0;
    for (let n = 0; n < 3000; n++) {
      for (const text of variants(value(0))) {
        // invalid JSON made by the textual mutations must be rejected too
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        const accepted = acceptedOnlyIfCanonical(text);
        if (!valid) assert.equal(accepted, false);
        if (!accepted) rejected++;
      }
    }
    assert.ok(rejected > 5000, `the mutations should produce many non-canonical texts, got ${rejected}`);
  });
});

describe('canonicalSignedText', () => {
  const env = (signed: string, rest = ',"signatures":[]}') => `{"signed":${signed}${rest}`;

  it('returns the signed text of a canonical envelope', () => {
    assert.equal(canonicalSignedText(env('{"a":1}')), '{"a":1}');
    assert.equal(canonicalSignedText(env('{"a":1}', ',"signatures":[{"keyid":"k","method":"ecdsa","sig":"AA=="}]}')), '{"a":1}');
    // signatures may be written freely, and whitespace may follow the envelope
    assert.equal(canonicalSignedText(env('{"a":1}', ',"signatures":[ { "sig" : "x\\"]}" } ] }\n')), '{"a":1}');
    assert.equal(canonicalSignedText(env('{"a":1}', ',"signatures":null}')), '{"a":1}');
  });

  it('refuses any other envelope shape', () => {
    for (const text of [
      '{"signatures":[],"signed":{"a":1}}',
      '{ "signed":{"a":1},"signatures":[]}',
      '{"signed" :{"a":1},"signatures":[]}',
      '{"signed": {"a":1},"signatures":[]}',
      '{"signed":{"a":1} ,"signatures":[]}',
      '{"signed":{"a":1},"signatures" :[]}',
      // a duplicate: JSON.parse keeps the *last* signed value
      '{"signed":{"a":1},"signatures":[],"signed":{"a":2}}',
      '{"signed":{"a":1},"signed":{"a":2},"signatures":[]}',
      '{"signed":{"a":1},"signatures":[],"x":1}',
      '{"signed":{"a":1}}',
      '{"signed":{"a":1},"signatures":[]}x',
      '{"signed":{"b":1,"a":2},"signatures":[]}',
      '{"signed":{"s":"a\\u003cb"},"signatures":[]}',
      '{"signed":{"n":1.0},"signatures":[]}',
      '\ufeff{"signed":{"a":1},"signatures":[]}',
    ]) {
      assert.equal(canonicalSignedText(text), undefined, text);
    }
  });

  it('agrees with canonicalize on every fixture file it accepts', () => {
    let accepted = 0;
    let files = 0;
    for (const name of notaryCases()) {
      const dir = fixturePath('notary-0.7', name, 'server');
      for (const path of listFiles(dir)) {
        const text = readFileSync(join(dir, path)).toString('utf8');
        if (!text.startsWith('{"signed":')) continue;
        files++;
        const fast = canonicalSignedText(text);
        const canonical = canonicalize((JSON.parse(text) as { signed: unknown }).signed);
        if (fast !== undefined) {
          accepted++;
          assert.equal(fast, canonical, path);
        } else {
          // only files whose signed text differs from its canonical form fall back
          assert.notEqual(text.slice(10, 10 + canonical.length), canonical, `${name}/${path} was refused`);
        }
      }
    }
    assert.ok(files >= 50 && accepted >= files - 10, `accepted ${accepted} of ${files}`);
  });

  it('Metadata.signedBytes: the canonical bytes, as a view of the file when its signed text is ASCII, re-encoded otherwise', () => {
    const check = (bytes: Buffer, role: string) => {
      const md = parseMetadata(bytes, role);
      const expected = canonicalBytes((JSON.parse(bytes.toString('utf8')) as { signed: unknown }).signed);
      assert.ok(md.signedBytes().equals(expected));
      return md.signedBytes();
    };
    const file = readFileSync(fixturePath('notary-0.7', 'html-escaping', 'server', 'root.json'));
    const view = check(file, 'root');
    assert.equal(view.buffer, file.buffer, 'ASCII: no copy');
    // non-ASCII signed text (a target name), and invalid UTF-8 (decoded as U+FFFD, as Go does): never the raw bytes
    const doc = (name: string) =>
      Buffer.from(
        `{"signed":{"_type":"Targets","delegations":{"keys":{},"roles":[]},"expires":"2030-01-01T00:00:00Z","targets":{"${name}":{"hashes":{"sha256":"${Buffer.alloc(32).toString('base64')}"},"length":1}},"version":1},"signatures":[]}`,
      );
    check(doc('caf\u00e9'), 'targets');
    const at = doc('x').indexOf('"x"') + 2;
    const invalid = Buffer.concat([doc('x').subarray(0, at), Buffer.from([0xff]), doc('x').subarray(at)]);
    assert.ok(invalid.includes(Buffer.from([0xff])));
    const signed = check(invalid, 'targets');
    assert.ok(!signed.includes(Buffer.from([0xff])) && signed.includes(Buffer.from('\ufffd')));
  });

  it('refuses the HTML-escaped file of the html-escaping fixture (its canonical bytes differ from its text)', () => {
    const text = readFileSync(fixturePath('notary-0.7', 'html-escaping', 'server', 'targets.json'), 'utf8');
    assert.ok(text.includes('\\u003c'));
    assert.equal(canonicalSignedText(text), undefined);
  });
});

describe('decodeStdBase64 against Go-strict base64 (pattern + native decoder)', () => {
  const STRICT = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
  const reference = (s: string): Buffer | undefined => (STRICT.test(s) ? Buffer.from(s, 'base64') : undefined);

  it('decodeBase64 refuses what it refuses, with a stable code', () => {
    assert.throws(() => decodeBase64('AA=A', 'x'), /x is not valid base64/);
  });

  it('agrees on tricky inputs', () => {
    for (const s of [
      '',
      'AA==',
      'AAA=',
      'AAAA',
      'QQ==',
      'QR==',
      'QUI=',
      'QUJ=',
      '====',
      'A===',
      'AA=A',
      'A=AA',
      '=AAA',
      'AA',
      'AAA',
      'AAAAA',
      'AA==AAAA',
      'AAAA====',
      'AB+/',
      'AB-_',
      'AA ==',
      ' AAA',
      'AAA\n',
      'ÀAAA',
      '\u0100AAA',
      'AA\u0000=',
      'n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=',
    ]) {
      assert.deepEqual(decodeStdBase64(s), reference(s), JSON.stringify(s));
    }
  });

  it('agrees on 20,000 random strings', () => {
    const rnd = prng(42);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    for (let n = 0; n < 20_000; n++) {
      const bytes = Buffer.from(Array.from({ length: Math.floor(rnd() * 130) }, () => Math.floor(rnd() * 256)));
      let s = bytes.toString('base64');
      const r = rnd();
      if (r < 0.2 && s.length > 0) {
        const at = Math.floor(rnd() * s.length);
        s = s.slice(0, at) + pickChar(rnd, alphabet + '=-_ .\u00e9') + s.slice(at + 1);
      } else if (r < 0.3) {
        s = s.replace(/=+$/, '');
      } else if (r < 0.4 && s.endsWith('=')) {
        // non-zero unused bits in the last group: accepted, and dropped
        const at = s.indexOf('=') - 1;
        s = s.slice(0, at) + pickChar(rnd, alphabet) + s.slice(at + 1);
      }
      assert.deepEqual(decodeStdBase64(s), reference(s), JSON.stringify(s));
      const ref = reference(s);
      assert.equal(isCanonicalBase64(s), ref !== undefined && ref.toString('base64') === s, JSON.stringify(s));
    }
  });
});

function pickChar(rnd: () => number, chars: string): string {
  return chars[Math.floor(rnd() * chars.length)] as string;
}

describe('hexOfBase64All', () => {
  it('converts 32-byte digests in one pass and every other base64 value one by one', () => {
    const values = [
      Buffer.alloc(32, 1).toString('base64'),
      '',
      Buffer.alloc(64, 2).toString('base64'),
      Buffer.alloc(31, 3).toString('base64'),
      Buffer.from('ff'.repeat(32), 'hex').toString('base64'),
    ];
    assert.deepEqual(
      hexOfBase64All(values),
      values.map((v) => Buffer.from(v, 'base64').toString('hex')),
    );
    assert.deepEqual(hexOfBase64All([]), []);
  });
});
