/**
 * PEM blocks in hostile text: reading them stays linear in the text's length however many
 * BEGIN lines lack their END (src/core/pem-end-lines.ts), and finds exactly the blocks the
 * earlier reader (a lazy regular expression, quadratic on such text) found.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodePemBlocks } from '../../src/core/encoding.js';
import { isDctError } from '../../src/core/errors.js';
import { PemEndLines } from '../../src/core/pem-end-lines.js';
import { checkProperty } from '../property/property-support.js';
import { runWithin, type GuardedResult } from '../support/hang-guard.js';

/**
 * Hang guard, not a timing assertion: linear reading takes well under a second for these texts
 * on a loaded machine; the quadratic reading took minutes (560 KB of BEGIN lines: 30 s).
 */
const HANG_GUARD_MS = 30_000;
/** 60,000 BEGIN lines without END: 1.7 MB */
const unterminated = (type = 'CERTIFICATE') => `-----BEGIN ${type}-----\n`.repeat(60_000);

/** The reader before pem-end-lines.ts, as the oracle of which blocks a text holds. */
function regexBlocks(text: string): Array<{ type: string; body: string }> {
  const re = /-----BEGIN ([^-\r\n]+)-----\r?\n([\s\S]*?)-----END \1-----/g;
  return [...text.matchAll(re)].map((m) => ({ type: m[1] as string, body: m[2] as string }));
}

/** PEM-like text from pieces that make blocks, near-blocks and junk, over a few types. */
const pemText = fc
  .array(
    fc.oneof(
      fc.constantFrom('A', 'B C', 'CERTIFICATE', 'X-Y').map((t) => `-----BEGIN ${t}-----\n`),
      fc.constantFrom('A', 'B C', 'CERTIFICATE', 'X-Y').map((t) => `-----END ${t}-----`),
      fc.constantFrom('-----BEGIN ', '-----END ', '-----', '---', '\n', '\r\n', 'AAAA\n', 'QUJD\n', 'k: v\n', ' ', '-'),
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(''));

describe('PEM END lines, found once', () => {
  it('find(type, from) is indexOf of the END marker, for every type a BEGIN line can name', async () => {
    await checkProperty(
      'PemEndLines.find equals indexOf',
      [pemText, fc.constantFrom('A', 'B C', 'CERTIFICATE', 'X-Y', 'X', 'Y', 'Q'), fc.nat({ max: 400 })],
      (text, type, from) => {
        assert.equal(new PemEndLines(text).find(type, from), text.indexOf(`-----END ${type}-----`, from));
      },
      { numRuns: 2000 },
    );
  });

  it('decodePemBlocks finds the blocks the lazy regular expression found, in order', async () => {
    await checkProperty(
      'decodePemBlocks equals the regex reader',
      [pemText],
      (text) => {
        const expected = regexBlocks(text);
        let blocks: ReturnType<typeof decodePemBlocks>;
        try {
          blocks = decodePemBlocks(text);
        } catch (err) {
          // a block whose body is not base64 is refused, as before: so there is a block
          assert.ok(isDctError(err, 'MALFORMED_ENCODING'), String(err));
          assert.ok(expected.length > 0);
          return;
        }
        assert.deepEqual(
          blocks.map((b) => b.type),
          expected.map((b) => b.type),
        );
        for (const [i, b] of blocks.entries()) {
          const body = (expected[i] as { body: string }).body.replace(/\s+/g, '');
          if (Object.keys(b.headers).length === 0) assert.equal(b.bytes.toString('base64'), Buffer.from(body, 'base64').toString('base64'));
        }
      },
      { numRuns: 2000 },
    );
  });
});

describe('attack: PEM text of BEGIN lines without END', () => {
  const calls = new URL('./pem-attack-calls.ts', import.meta.url);
  const threw = (r: GuardedResult) => ('threw' in r ? r.threw.code : undefined);

  it('decodePemBlocks reads 60,000 unterminated blocks in linear time and finds none', async () => {
    assert.deepEqual(await runWithin(HANG_GUARD_MS, calls, 'pemBlockCount', [unterminated()]), { returned: 0 });
    assert.deepEqual(await runWithin(HANG_GUARD_MS, calls, 'pemBlockCount', [unterminated('A').replaceAll('\n', '')]), { returned: 0 });
  });

  it('an x509 key in TUF metadata made of them is refused as INVALID_CERTIFICATE, not a stalled server or client', async () => {
    assert.equal(threw(await runWithin(HANG_GUARD_MS, calls, 'x509KeyCertificates', [unterminated()])), 'INVALID_CERTIFICATE');
  });

  it('a notation certificate file of them (no line end anywhere, or ENDs of another type) is refused', async () => {
    for (const text of [unterminated().replaceAll('\n', ' '), unterminated() + '-----END OTHER-----\n'.repeat(30_000)]) {
      assert.equal(threw(await runWithin(HANG_GUARD_MS, calls, 'certificateFileCount', [text])), 'NOTATION_CERTIFICATE_FILE_INVALID');
    }
  });
});
