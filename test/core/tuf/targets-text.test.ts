/**
 * The one-pass reader of canonical targets files (`readCanonicalTargets`, used by
 * `parseMetadata`): it reads the files notary writes, and for every other input —
 * non-canonical bytes, duplicate names, escapes, odd numbers, bad digests, broken
 * envelopes — it steps aside, so that the file is refused or read exactly as the
 * general path (`JSON.parse` + `Targets.fromJSON` + canonical re-derivation) does.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { canonicalize } from '../../../src/core/canonical-json.js';
import { isDctError } from '../../../src/core/errors.js';
import { parseMetadata, parseTargets } from '../../../src/core/tuf/metadata.js';
import { readCanonicalTargets } from '../../../src/core/tuf/targets-text.js';
import { verifyThreshold } from '../../../src/core/tuf/verify.js';
import { fixturePath, listFiles, notaryCases, roleOfServedPath } from '../../support/fixtures.js';
import { newKey, signerOf } from '../../support/repo-simulator.js';
import { bothOutcomes, describeModel, parseGeneral } from './parse-outcome.js';

const b64 = (n: number, fill: number) => Buffer.alloc(n, fill).toString('base64');
const SHA256 = b64(32, 1);
const SHA512 = b64(64, 2);
const HEAD = '{"_type":"Targets","delegations":{"keys":{},"roles":[]},"expires":"2030-01-01T00:00:00Z","targets":';
const TAIL = ',"version":3}';

/** A targets file: `{"signed":<HEAD><targetsText><TAIL>,"signatures":[]}`. */
const file = (targetsText: string, signatures = '[]', after = '') =>
  `{"signed":${HEAD}${targetsText}${TAIL},"signatures":${signatures}}${after}`;
const entry = (digest = SHA256, length = '5') => `{"hashes":{"sha256":"${digest}"},"length":${length}}`;
const map = (...members: [string, string][]) => `{${members.map(([n, e]) => `${n}:${e}`).join(',')}}`;

/** The one-pass reader takes `text`, and `parseMetadata` gives exactly what the general path gives. */
function fastAndSame(text: string, role = 'targets'): void {
  assert.ok(readCanonicalTargets(text), `the one-pass reader should read ${JSON.stringify(text.slice(0, 300))}`);
  const { fast, general } = bothOutcomes(Buffer.from(text, 'utf8'), role);
  assert.deepEqual(fast, general);
  assert.ok('model' in fast, `should parse: ${JSON.stringify(fast)}`);
}

/** The one-pass reader steps aside, and `parseMetadata` gives exactly what the general path gives. */
function generalAndSame(text: string, role = 'targets'): ReturnType<typeof bothOutcomes>['general'] {
  assert.equal(readCanonicalTargets(text), undefined, `the one-pass reader should step aside for ${JSON.stringify(text.slice(0, 300))}`);
  const { fast, general } = bothOutcomes(Buffer.from(text, 'utf8'), role);
  assert.deepEqual(fast, general);
  return general;
}

const refusedWith = (text: string, code: string) => {
  const got = generalAndSame(text);
  assert.ok('error' in got && got.error.startsWith(`${code}:`), `expected ${code}, got ${JSON.stringify(got).slice(0, 300)}`);
};

describe('readCanonicalTargets: reads canonical targets files', () => {
  it('plain entries: sha256 and sha512, custom data, members Go drops, names with escapes and non-ASCII', () => {
    fastAndSame(file('{}'));
    fastAndSame(file(map(['"a"', entry()])));
    fastAndSame(
      file(
        map(
          ['"\\"quoted\\""', entry()],
          ['"\\\\back"', entry(SHA256, '0')],
          ['"__proto__"', `{"hashes":{"sha256":"${SHA256}","sha512":"${SHA512}"},"length":123456789012345}`],
          ['"a"', `{"custom":{"b":[1,true,null,"x"],"z":{}},"hashes":{"sha256":"${SHA256}"},"length":1}`],
          ['"b"', `{"extra":"dropped","hashes":{"sha256":"${SHA256}"},"length":2,"zzz":[]}`],
          ['"c"', `{"hashes":{},"length":3}`],
          ['"d"', `{"hashes":{"md5":"${b64(16, 3)}","sha512":"${SHA512}"},"length":4}`],
          ['"e"', `{"hashes":{"sha256":""},"length":4}`],
          ['"tag-1.0"', entry()],
          ['"é"', entry()],
          ['"\uffff"', entry()],
          ['"😀"', entry()],
        ),
      ),
    );
  });

  it('whitespace after the envelope, "signatures": null, and real signatures', () => {
    fastAndSame(file(map(['"a"', entry()]), '[]', ' \n\t\r'));
    fastAndSame(file(map(['"a"', entry()]), 'null'));
    fastAndSame(file(map(['"a"', entry()]), '[ {"keyid":"k","method":"ecdsa","sig":"AAAA"} ]'));
  });

  it("reads the fixture corpus' canonical targets files, with the same model as the general path", () => {
    let read = 0;
    for (const c of notaryCases()) {
      const dir = fixturePath('notary-0.7', c, 'server');
      for (const p of listFiles(dir).filter((f) => f.endsWith('.json'))) {
        const role = roleOfServedPath(p);
        if (role !== 'targets' && !role.startsWith('targets/')) continue;
        const bytes = readFileSync(join(dir, p));
        const { fast, general } = bothOutcomes(bytes, role);
        assert.deepEqual(fast, general, p);
        if (readCanonicalTargets(bytes.toString('utf8'))) read++;
      }
    }
    assert.ok(read >= 10, `read ${read} fixture files in one pass`);
  });

  it('a 2,000-target file: read in one pass, the same model, the signed bytes a view of the file', () => {
    const targets: Record<string, unknown> = {};
    for (let i = 0; i < 2000; i++) targets[`tag-${String(i).padStart(5, '0')}`] = { hashes: { sha256: SHA256, sha512: SHA512 }, length: i };
    const signed = { _type: 'Targets', delegations: { keys: {}, roles: [] }, expires: '2030-01-01T00:00:00Z', targets, version: 1 };
    const bytes = Buffer.from(`{"signed":${canonicalize(signed)},"signatures":[]}`);
    assert.ok(readCanonicalTargets(bytes.toString()));
    assert.deepEqual(describeModel(parseMetadata(bytes, 'targets')), describeModel(parseGeneral(bytes, 'targets')));
    const md = parseMetadata(bytes, 'targets');
    assert.equal(md.signedBytes().buffer, bytes.buffer, 'a view of the file, not a copy');
    assert.equal(md.signedBytes().toString(), canonicalize(signed));
  });
});

describe('readCanonicalTargets: steps aside for everything else, which is refused or read as before', () => {
  it('non-canonical bytes: whitespace, member order, the envelope order, a byte-order mark', () => {
    for (const text of [
      file(map(['"a"', entry()])).replace('"length":5', '"length": 5'),
      file(map(['"a"', entry()])).replace('"targets":{', '"targets": {'),
      file(map(['"a"', `{"length":5,"hashes":{"sha256":"${SHA256}"}}`])),
      file(map(['"b"', entry()], ['"a"', entry()])),
      file(map(['"a"', `{"hashes":{"sha512":"${SHA512}","sha256":"${SHA256}"},"length":5}`])),
      `{"signed":${HEAD}{}${TAIL.replace(',', ', ')},"signatures":[]}`,
      `{"signed":{"version":3,"_type":"Targets","delegations":{"keys":{},"roles":[]},"expires":"2030-01-01T00:00:00Z","targets":{}},"signatures":[]}`,
      `{"signatures":[],"signed":${HEAD}{}${TAIL}}`,
      `\ufeff${file('{}')}`,
      ` ${file('{}')}`,
      file('{}').replace('{"signed":', '{ "signed":'),
    ]) {
      const general = generalAndSame(text);
      if (!text.startsWith('\ufeff')) assert.ok('model' in general, `still read (re-derived canonical bytes): ${text.slice(0, 120)}`);
    }
  });

  it('duplicate names (JSON.parse keeps the last one): targets, entry members, hashes, top-level members, envelope members', () => {
    for (const text of [
      file(map(['"a"', entry(SHA256, '1')], ['"a"', entry(SHA256, '2')])),
      file(map(['"a"', `{"hashes":{"sha256":"${SHA256}"},"length":1,"length":2}`])),
      file(map(['"a"', `{"hashes":{"sha256":"${SHA256}","sha256":"${b64(32, 9)}"},"length":1}`])),
      `{"signed":${HEAD}{}${TAIL.replace('}', ',"version":4}')},"signatures":[]}`,
      `{"signed":${HEAD}${map(['"a"', entry()])},"targets":{}${TAIL},"signatures":[]}`,
      `{"signed":${HEAD}{}${TAIL},"signatures":[],"signatures":[]}`,
      `{"signed":${HEAD}{}${TAIL},"signatures":[],"signed":${HEAD}${map(['"a"', entry()])}${TAIL}}`,
    ]) {
      generalAndSame(text);
    }
    const dup = generalAndSame(file(map(['"a"', entry(SHA256, '1')], ['"a"', entry(SHA256, '2')])));
    assert.ok('model' in dup && (dup.model['summaries'] as { lengths: number[] }).lengths[0] === 2);
  });

  it('escapes JSON.parse decodes and canonical JSON does not write: \\u, \\/, \\n, HTML escapes', () => {
    for (const text of [
      file(map(['"\\u0061"', entry()])),
      file(map(['"a\\/b"', entry()])),
      file(map(['"a\\nb"', entry()])),
      file(map(['"\\u003cb\\u003e"', entry()])),
      file(map(['"\\ud83d\\ude00"', entry()])),
      file(map(['"a"', entry(SHA256.replace('A', '\\u0041'))])),
      file(map(['"a"', entry(b64(32, 255).replace(/\//g, '\\/'))])),
      file(map(['"a"', `{"h\\u0061shes":{"sha256":"${SHA256}"},"length":5}`])),
      file(map(['"a"', `{"hashes":{"sha\\u0032\\u0035\\u0036":"${SHA256}"},"length":5}`])),
      file(map(['"a"', `{"custom":"\\u0000","hashes":{},"length":5}`])),
    ]) {
      generalAndSame(text);
    }
  });

  it('raw control characters anywhere are refused as malformed JSON, as before', () => {
    refusedWith(file(map(['"a\u0001"', entry()])), 'MALFORMED_JSON');
    refusedWith(file(map(['"a\n"', entry()])), 'MALFORMED_JSON');
    refusedWith(file(map(['"a"', `{"hashes":{"sha\t256":"${SHA256}"},"length":5}`])), 'MALFORMED_JSON');
    refusedWith(file(map(['"a"', `{"custom":"\u001f","hashes":{},"length":5}`])), 'MALFORMED_JSON');
    refusedWith(`{"signed":${HEAD}{}${TAIL.replace('}', ',"x":"\u0000"}')},"signatures":[]}`, 'MALFORMED_JSON');
  });

  it('numbers that are not non-negative canonical integers of at most 15 digits: huge, negative, fractions, exponents', () => {
    for (const length of [
      '-1',
      '-0',
      '00',
      '01',
      '1.0',
      '1e3',
      '1E3',
      '1.5',
      '1234567890123456',
      '9007199254740993',
      '12345678901234567890',
      '1' + '0'.repeat(400),
      '1e400',
      '-',
      '+1',
      '0x10',
      'NaN',
      'Infinity',
      '"5"',
      'true',
      'null',
      '[5]',
    ]) {
      generalAndSame(file(map(['"a"', entry(SHA256, length)])));
    }
    refusedWith(file(map(['"a"', entry(SHA256, '-1')])), 'INVALID_METADATA');
    refusedWith(file(map(['"a"', entry(SHA256, '1.5')])), 'INVALID_METADATA');
    refusedWith(file(map(['"a"', entry(SHA256, '12345678901234567890')])), 'INVALID_METADATA');
    refusedWith(file(map(['"a"', entry(SHA256, '1e400')])), 'INVALID_METADATA');
    // a 16-digit safe integer is valid: read by the general path (its canonical bytes re-derived)
    assert.ok('model' in generalAndSame(file(map(['"a"', entry(SHA256, '9007199254740991')]))));
  });

  it('digests that are not canonical standard base64: refused as malformed, or normalised as Go normalises them', () => {
    for (const digest of [
      'QR==',
      'QUJ=',
      'QQ',
      'QQ=',
      'A===',
      '====',
      '=',
      SHA256.slice(1),
      SHA256.replace('A', '-'),
      SHA256.replace('A', '_'),
      SHA256.replace('A', '\u0141'),
      SHA256.replace('A', '\u0100'),
      SHA256.replace('A', ' '),
      SHA256.replace('A', '='),
      SHA256 + '=',
      SHA256.replace('=', ''),
      SHA512.replace('==', '=A'),
    ]) {
      generalAndSame(file(map(['"a"', entry(digest)])));
    }
    refusedWith(file(map(['"a"', entry(SHA256.replace('A', '-'))])), 'MALFORMED_ENCODING');
    refusedWith(file(map(['"a"', entry('QQ')])), 'MALFORMED_ENCODING');
    const normalised = generalAndSame(file(map(['"a"', entry('QR==')])));
    assert.ok('model' in normalised && String(normalised.model['json']).includes('"QQ=="'));
  });

  it('entries the general path decodes or refuses: "custom": null, missing or mistyped members', () => {
    for (const e of [
      `{"custom":null,"hashes":{"sha256":"${SHA256}"},"length":5}`,
      `{"hashes":{"sha256":"${SHA256}"}}`,
      `{"length":5}`,
      '{}',
      '[]',
      '"x"',
      'null',
      '5',
      `{"hashes":[],"length":5}`,
      `{"hashes":"${SHA256}","length":5}`,
      `{"hashes":{"sha256":5},"length":5}`,
      `{"hashes":{"sha256":null},"length":5}`,
      `{"hashes":null,"length":5}`,
    ]) {
      generalAndSame(file(map(['"a"', e])));
    }
  });

  it('names that are array indices (Object.keys lists them first): the order JSON.parse gives is kept', () => {
    for (const names of [['"0"'], ['"10"', '"9"'], ['"007"', '"a"'], ['"1"', '"2024"', '"a"'], ['"4294967295"']]) {
      generalAndSame(file(map(...names.map((n): [string, string] => [n, entry()]))));
    }
    const got = generalAndSame(file(map(['"10"', entry()], ['"9"', entry()], ['"a"', entry()])));
    assert.ok('model' in got);
    assert.deepEqual(got.model['names'], ['9', '10', 'a']);
  });

  it('a targets member that is missing or not an object; an empty signed object', () => {
    for (const text of [
      `{"signed":${HEAD.replace(',"targets":', '')}${TAIL},"signatures":[]}`,
      file('[]'),
      file('null'),
      file('"x"'),
      file('{"a":1}'),
      `{"signed":{},"signatures":[]}`,
    ]) {
      generalAndSame(text);
    }
  });

  it('broken envelopes: trailing bytes, missing or broken signatures, truncation', () => {
    const good = file(map(['"a"', entry()]));
    for (const text of [
      good + 'x',
      good + '}',
      good.replace(',"signatures":[]}', '}'),
      good.replace(',"signatures":[]}', ',"signatures":}'),
      good.replace(',"signatures":[]}', ',"signatures":[}'),
      good.replace(',"signatures":[]}', ',"signatures":[]'),
      good.replace(',"signatures":[]}', ',"signatures":[]]}'),
      good.replace(',"signatures":[]}', ',"signatures":[],"x":1}'),
    ]) {
      generalAndSame(text);
    }
    // JSON, but signatures the envelope check refuses: read, then refused by the same check as before
    for (const signatures of ['{"keyid":"k"}', '[{"keyid":"k","method":"ecdsa","sig":"!"}]', '[5]', '"x"']) {
      const { fast, general } = bothOutcomes(Buffer.from(file(map(['"a"', entry()]), signatures)), 'targets');
      assert.deepEqual(fast, general);
      assert.ok('error' in fast, signatures);
    }
    for (let cut = 0; cut < good.length; cut++) generalAndSame(good.slice(0, cut));
  });

  it('every single-character change of a small file: read or refused exactly as by the general path', () => {
    const good = file(
      map(['"a\\"b"', `{"custom":{"x":[1]},"hashes":{"sha256":"${SHA256}","sha512":"${SHA512}"},"length":42}`], ['"c"', entry(b64(32, 7))]),
    );
    let fast = 0;
    for (let at = 0; at < good.length; at++) {
      for (const c of ['"', '\\', ' ', '0', '9', '-', 'a', 'A', '=', '{', '}', '[', ',', ':', '\u0000', 'é', '😀']) {
        const text = good.slice(0, at) + c + good.slice(at + 1);
        const { fast: f, general } = bothOutcomes(Buffer.from(text, 'utf8'), 'targets');
        assert.deepEqual(f, general, JSON.stringify(text));
        if (readCanonicalTargets(text)) fast++;
      }
    }
    assert.ok(fast > 50, `some changes are still canonical files (${fast})`);
  });

  it('role names the general path refuses are refused the same way', () => {
    const text = file(map(['"a"', entry()]));
    for (const role of ['targets/../root', 'Targets', 'targets/', 'bogus']) {
      const { fast, general } = bothOutcomes(Buffer.from(text), role);
      assert.deepEqual(fast, general);
      assert.ok('error' in fast);
    }
  });
});

describe('readCanonicalTargets: signatures are checked over the canonical signed text', () => {
  const key = newKey();
  const keys = { keys: { [key.publicKey.id]: key.publicKey }, keyids: [key.publicKey.id], threshold: 1 };
  const signedFile = async (targetsText: string) => {
    const signed = `${HEAD}${targetsText}${TAIL}`;
    const sig = await signerOf(key).sign(Buffer.from(canonicalize(JSON.parse(signed))));
    return (edit: (s: string) => string = (s) => s) =>
      Buffer.from(
        `{"signed":${edit(signed)},"signatures":[{"keyid":"${sig.keyid}","method":"${sig.method}","sig":"${sig.sig.toString('base64')}"}]}`,
      );
  };

  it('a signed file verifies; any change to a target is refused, with or without the literal shortcut', async () => {
    const make = await signedFile(map(['"a"', entry()], ['"b"', entry(b64(32, 5), '7')]));
    const check = (bytes: Buffer, literal: boolean) => verifyThreshold(parseTargets(bytes, 'targets'), keys, 'targets', { literal });
    assert.ok(readCanonicalTargets(make().toString()));
    assert.equal(check(make(), false).size, 1);
    assert.equal(check(make(), true).size, 1);
    for (const edit of [
      (s: string) => s.replace('"length":7', '"length":8'),
      (s: string) => s.replace(b64(32, 5), b64(32, 6)),
      (s: string) => s.replace('"b":', '"c":'),
      (s: string) => s.replace(`,"b":${entry(b64(32, 5), '7')}`, ''),
    ]) {
      const bytes = make(edit);
      assert.ok(readCanonicalTargets(bytes.toString()), 'still canonical: read in one pass');
      for (const literal of [false, true]) {
        assert.throws(
          () => check(bytes, literal),
          (err) => isDctError(err, 'THRESHOLD_NOT_MET'),
        );
      }
    }
  });

  it('non-canonical text whose canonical form was signed verifies as before (general path), and both paths agree', async () => {
    const make = await signedFile(map(['"a"', entry()]));
    for (const edit of [(s: string) => s.replace('"length":5', '"length": 5'), (s: string) => s.replace('"a"', '"\\u0061"')]) {
      const bytes = make(edit);
      assert.equal(readCanonicalTargets(bytes.toString()), undefined);
      const { fast, general } = bothOutcomes(bytes, 'targets', keys);
      assert.deepEqual(fast, general);
      assert.ok('model' in fast && Array.isArray(fast.model['verifyStrict']), JSON.stringify(fast).slice(0, 200));
    }
  });
});
