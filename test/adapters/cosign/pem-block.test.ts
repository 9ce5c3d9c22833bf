/**
 * cosign's PEM reader (decodePem): what it writes it reads back whatever lies around the block, it
 * reads bytes and text alike, and it stays linear in the text's length however BEGIN lines, END
 * markers and header lines pile up (cosign certificates and keys come from registries). The
 * block Go reads for each kind of text: pem-go-decode.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodePem, encodePem } from '../../../src/adapters/cosign/pem-block.js';
import { pemText } from '../../core/pem-text-arbitrary.js';
import { checkProperty } from '../../property/property-support.js';
import { runWithin } from '../../support/hang-guard.js';

/** Hang guard, not a timing assertion: linear reading takes well under a second; a quadratic one, minutes. */
const HANG_GUARD_MS = 30_000;

/** lines before or after a block that hold no END marker */
const surrounding = fc
  .array(fc.constantFrom('junk', '', 'k: v', '-----BEGIN A-----', 'QUJD', '-----', ' \t'), { maxLength: 4 })
  .map((ls) => ls.map((l) => `${l}\n`).join(''));

describe('cosign PEM blocks', () => {
  it('reads back the block encodePem writes, with text around it', async () => {
    await checkProperty(
      'decodePem(encodePem(type, bytes)) is the block',
      [fc.stringMatching(/^[A-Z0-9 -]{0,12}$/), fc.uint8Array({ maxLength: 200 }), surrounding, surrounding],
      (type, bytes, before, after) => {
        assert.deepEqual(decodePem(before + encodePem(type, bytes) + after), { type, headers: {}, bytes: Buffer.from(bytes) });
      },
      { numRuns: 2000 },
    );
  });

  it('reads a text and its bytes alike, and never throws', async () => {
    await checkProperty(
      'decodePem(text) equals decodePem(bytes)',
      [pemText],
      (text) => {
        assert.deepEqual(decodePem(text), decodePem(Buffer.from(text, 'utf8')));
      },
      { numRuns: 5000 },
    );
  });

  it('reads piled-up BEGIN lines, END markers and header lines in linear time', async () => {
    const calls = new URL('./pem-attack-calls.ts', import.meta.url);
    const texts = [
      // each BEGIN line's body holds the BEGIN lines after it, which are not base64 (nor is the last one's)
      '-----BEGIN A-----\n'.repeat(60_000) + 'A\n-----END A-----\n',
      // BEGIN lines whose header sections run to the same line without `:`
      'x: -----BEGIN A-----\n'.repeat(60_000) + 'bad\n-----END A-----\n',
      // … or to the same blank line, then base64 that is not: 2 MB
      'x: -----BEGIN A-----\n'.repeat(60_000) + '\n' + 'AAAA'.repeat(100_000) + 'A\n-----END A-----\n',
      // many types, all their ENDs on one line after a long header section (and a long indent)
      Array.from({ length: 60_000 }, (_, i) => `x: -----BEGIN T${i}-----\n`).join('') +
        'bad\n' +
        ' '.repeat(600_000) +
        Array.from({ length: 60_000 }, (_, i) => `-----END T${i}-----`).join(''),
      // END markers without a BEGIN line, each after a long line
      ('A'.repeat(20) + '\n-----END A-----\n').repeat(60_000),
      // BEGIN lines without a line end, each before an END marker
      '-----BEGIN A\n-----END A-----\n'.repeat(60_000),
      // failing blocks one after another, each END line followed by a long run of spaces
      ('-----BEGIN A-----\n!!!!\n-----END A-----' + ' '.repeat(20) + '\n').repeat(60_000),
      // BEGIN lines all on one line before many END markers
      '-----BEGIN '.repeat(100_000) + '\n-----END A-----'.repeat(60_000),
      // header lines by the thousand past an END marker
      '-----BEGIN A-----\nk: v\n-----END A-----: x\n' + 'k: v\n'.repeat(100_000),
      // many blocks whose header sections run into their END lines
      '-----BEGIN A-----\nk: v\n-----END A-----\n'.repeat(60_000),
    ];
    for (const text of texts) {
      assert.deepEqual(await runWithin(HANG_GUARD_MS, calls, 'cosignPemType', [text]), { returned: null });
    }
    const last = [
      '-----BEGIN A-----\n'.repeat(60_000) + 'QUJD\n-----END A-----\n',
      '-----BEGIN A-----\nk: v\n-----END A-----\n'.repeat(60_000) + '-----BEGIN A-----\nQUJD\n-----END A-----\n',
      '\n-----END B-----'.repeat(60_000) + '\n-----BEGIN A-----\nQUJD\n-----END A-----\n',
    ];
    for (const text of last) {
      assert.deepEqual(await runWithin(HANG_GUARD_MS, calls, 'cosignPemType', [text]), { returned: 'A' });
    }
  });
});
