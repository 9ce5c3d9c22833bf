import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalize } from '../../../src/core/canonical-json.js';
import { isDctError } from '../../../src/core/errors.js';
import { parseMetadata, parseTargets } from '../../../src/core/tuf/metadata.js';
import { TargetFiles } from '../../../src/core/tuf/target-files.js';

const sha = (c: string) => Buffer.alloc(32, c).toString('base64');

describe('TargetFiles', () => {
  const json = {
    a: { hashes: { sha256: sha('a') }, length: 1 },
    b: { custom: { x: 1 }, hashes: { sha256: sha('b'), sha512: Buffer.alloc(64, 'b').toString('base64') }, length: 2 },
    c: { hashes: { sha256: sha('p') }, length: 3 },
  };
  const parsed = () => JSON.parse(JSON.stringify(json)) as Record<string, unknown>;

  it('hashHex reads one digest of raw and decoded entries alike, and nothing for removed ones', () => {
    const files = TargetFiles.fromJSON(parsed(), 'targets');
    assert.equal(files.hashHex('a', 'sha256'), Buffer.alloc(32, 'a').toString('hex'));
    assert.equal(files.hashHex('a', 'sha512'), undefined);
    assert.equal(files.hashHex('a', '__proto__'), undefined);
    files.get('b'); // decoded now
    assert.equal(files.hashHex('b', 'sha512'), Buffer.alloc(64, 'b').toString('hex'));
    files.delete('c');
    assert.equal(files.hashHex('c', 'sha256'), undefined);
    assert.equal(files.hashHex('missing', 'sha256'), undefined);
  });

  it('summaries: the same lists from the parse-time index and after changes (set, delete, a non-plain entry)', () => {
    const expectFrom = (files: TargetFiles) => {
      const names = [...files.names()];
      return {
        names,
        digests: names.map((n) => files.get(n)?.hashes['sha256']?.toString('base64') ?? ''),
        lengths: names.map((n) => files.get(n)?.length),
      };
    };
    const fresh = TargetFiles.fromJSON(parsed(), 'targets');
    assert.deepEqual(fresh.summaries(), expectFrom(TargetFiles.fromJSON(parsed(), 'targets')));
    assert.deepEqual(fresh.summaries(), { names: ['a', 'b', 'c'], digests: [sha('a'), sha('b'), sha('p')], lengths: [1, 2, 3] });
    assert.deepEqual(fresh.summaries('b'), { names: ['b'], digests: [sha('b')], lengths: [2] });
    assert.deepEqual(fresh.summaries('missing'), { names: [], digests: [], lengths: [] });
    const changed = TargetFiles.fromJSON(parsed(), 'targets');
    changed.delete('a');
    changed.set('d', { length: 9, hashes: { sha256: Buffer.alloc(32, 'd') } });
    assert.deepEqual(changed.summaries(), expectFrom(changed));
    assert.deepEqual(changed.summaries('d'), { names: ['d'], digests: [Buffer.alloc(32, 'd').toString('base64')], lengths: [9] });
    // an entry that is not plain (no sha256, a sha512 only) is decoded at parse time: the slow lists agree too
    const mixed = TargetFiles.fromJSON(
      { ...parsed(), e: { hashes: { sha512: Buffer.alloc(64, 'e').toString('base64') }, length: 5, extra: true } },
      'targets',
    );
    assert.deepEqual(mixed.summaries(), expectFrom(mixed));
    assert.equal(mixed.summaries().digests[mixed.summaries().names.indexOf('e')], '');
  });

  it('serialises an untouched map exactly as parsed', () => {
    const files = TargetFiles.fromJSON(parsed(), 'targets');
    assert.equal(canonicalize(files.toJSON()), canonicalize(parsed()));
    assert.equal(files.size, 3);
  });

  it('decodes entries on read, including a name like __proto__', () => {
    const files = TargetFiles.fromJSON(JSON.parse('{"__proto__":{"hashes":{"sha256":"' + sha('p') + '"},"length":3}}'), 'targets');
    assert.equal(files.get('__proto__')?.length, 3);
    assert.deepEqual(files.get('__proto__')?.hashes['sha256'], Buffer.alloc(32, 'p'));
    assert.equal(files.get('toString'), undefined);
    assert.equal(files.has('constructor'), false);
  });

  it('set, delete, names and size see changes without touching the parsed JSON', () => {
    const raw = parsed();
    const files = TargetFiles.fromJSON(raw, 'targets');
    files.delete('a');
    files.set('d', { length: 9, hashes: { sha256: Buffer.alloc(32, 'c') } });
    assert.deepEqual([...files.names()].sort(), ['b', 'c', 'd']);
    assert.equal(files.size, 3);
    assert.equal(files.get('a'), undefined);
    assert.ok(Object.hasOwn(raw, 'a'), 'the parsed value is left alone (it may be what signatures are checked over)');
    files.set('a', { length: 5, hashes: {} });
    assert.equal(files.get('a')?.length, 5);
  });

  it('normalises what Go normalises: non-canonical base64 and "custom": null', () => {
    const files = TargetFiles.fromJSON({ x: { hashes: { sha256: 'QR==' }, length: 1, custom: null } }, 'targets');
    assert.deepEqual(files.toJSON(), { x: { hashes: { sha256: 'QQ==' }, length: 1 } });
  });

  it('refuses malformed entries at parse time, with the same errors as a full decode', () => {
    for (const [entry, code] of [
      [{ hashes: {}, length: -1 }, 'INVALID_METADATA'],
      [{ hashes: { sha256: '***' }, length: 1 }, 'MALFORMED_ENCODING'],
      [{ hashes: { sha256: 5 }, length: 1 }, 'INVALID_METADATA'],
      [{ hashes: [], length: 1 }, 'INVALID_METADATA'],
      [{ length: 1 }, 'INVALID_METADATA'],
      [{ hashes: {}, length: 1.5 }, 'INVALID_METADATA'],
      ['x', 'INVALID_METADATA'],
    ] as const) {
      assert.throws(
        () => TargetFiles.fromJSON({ t: entry }, 'targets'),
        (err) => isDctError(err, code),
        JSON.stringify(entry),
      );
    }
  });

  it('refuses a bad digest deep in a 10,000-target file when the file is parsed, wherever the bad character is', () => {
    const sha512 = Buffer.alloc(64, 7).toString('base64'); // 88 characters, '=='
    const file = (bad: (digest: string) => string) => {
      const targets: Record<string, unknown> = {};
      for (let i = 0; i < 10_000; i++) {
        targets[`tag-${String(i).padStart(5, '0')}`] = {
          hashes: { sha256: sha('x'), sha512: i === 9876 ? bad(sha512) : sha512 },
          length: i,
        };
      }
      const signed = { _type: 'Targets', delegations: { keys: {}, roles: [] }, expires: '2030-01-01T00:00:00Z', targets, version: 1 };
      return Buffer.from(JSON.stringify({ signed, signatures: [] }));
    };
    assert.equal(
      parseTargets(
        file((d) => d),
        'targets',
      ).signed.targets.size,
      10_000,
    );
    const at = (d: string, i: number, c: string) => d.slice(0, i) + c + d.slice(i + 1);
    for (const [what, bad] of [
      ['a character outside the alphabet, in a full group', (d: string) => at(d, 41, '-')],
      ['a character outside the alphabet, in the last group', (d: string) => at(d, 85, '_')],
      ["a code unit above 0xff whose low byte is in the alphabet ('\u0141')", (d: string) => at(d, 10, '\u0141')],
      ["the same in the last group ('\u0141')", (d: string) => at(d, 84, '\u0141')],
      ['padding inside', (d: string) => at(d, 4, '=')],
      ['a missing character', (d: string) => d.slice(1)],
    ] as const) {
      assert.throws(
        () => parseMetadata(file(bad), 'targets'),
        (err) => isDctError(err, 'MALFORMED_ENCODING') && /tag-09876/.test((err as Error).message),
        what,
      );
    }
  });
});
