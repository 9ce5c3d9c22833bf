/**
 * cosign's PEM reader (decodePem): the block the earlier reader took, and linear in the text's
 * length however the BEGIN lines nest (the earlier reader read every body afresh, and a failed
 * body's next BEGIN line may lie inside it: quadratic).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodePem, type PemBlock } from '../../../src/adapters/cosign/pem-block.js';
import { PemBodyLines } from '../../../src/adapters/cosign/pem-body-lines.js';
import { pemText } from '../../core/pem-text-arbitrary.js';
import { checkProperty } from '../../property/property-support.js';
import { runWithin } from '../../support/hang-guard.js';

/** Hang guard, not a timing assertion: linear reading takes well under a second; the earlier reader, minutes. */
const HANG_GUARD_MS = 30_000;

/** The reader before pem-body-lines.ts (each BEGIN line's body read afresh), as the oracle. */
function earlierDecodePem(text: string): PemBlock | undefined {
  const begin = /-----BEGIN ([^\r\n-]*)-----\r?\n/g;
  for (let m = begin.exec(text); m; m = begin.exec(text)) {
    const type = m[1] as string;
    const end = text.indexOf(`-----END ${type}-----`, m.index + m[0].length);
    if (end < 0) return undefined;
    const block = bodyBlock(type, text.slice(m.index + m[0].length, end));
    if (block) return block;
  }
  return undefined;
}

/**
 * The block a body makes, put another way than pem-block.ts puts it: the lines up to the first
 * blank one are the headers when there is a `:`.
 */
function bodyBlock(type: string, body: string): PemBlock | undefined {
  const lines = body.split(/\r?\n/).map((l) => l.trim());
  const blank = lines.indexOf('');
  const headerLines = !body.includes(':') ? [] : blank < 0 ? lines : lines.slice(0, blank);
  if (headerLines.some((l) => !l.includes(':'))) return undefined;
  const data = !body.includes(':') ? lines : blank < 0 ? [] : lines.slice(blank + 1);
  const b64 = data.join('');
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(b64)) return undefined;
  const headers = Object.fromEntries(headerLines.map((l) => [l.slice(0, l.indexOf(':')).trim(), l.slice(l.indexOf(':') + 1).trim()]));
  return { type, headers, bytes: Buffer.from(b64, 'base64') };
}

const BODY_LINES = [
  'k: v',
  'k:',
  '',
  ' ',
  'bad',
  'a b',
  'AAAA',
  'AA',
  'AA==',
  'A=',
  '=',
  '==',
  'A===',
  'QQ',
  'QUJD',
  'x: -----BEGIN A-----',
];

/** a BEGIN line, lines that may or may not make a body, an END marker (mid-line or not) */
const candidateBlock = fc
  .tuple(fc.array(fc.constantFrom(...BODY_LINES), { maxLength: 6 }), fc.constantFrom('\n', '\r\n'), fc.constantFrom('', '\n', 'QQ'))
  .map(([lines, eol, last]) => `-----BEGIN A-----${eol}${lines.map((l) => l + eol).join('')}${last}-----END A-----`);

/** PEM-like text with more of what decides a body: blank lines, headers, padding, spaces */
const bodyText = fc
  .array(fc.oneof(pemText, candidateBlock, fc.constantFrom(...BODY_LINES.map((l) => `${l}\n`))), { maxLength: 8 })
  .map((parts) => parts.join(''));

describe('cosign PEM blocks', () => {
  it('decodePem takes the block the earlier reader took', async () => {
    await checkProperty(
      'decodePem equals the earlier reader',
      [bodyText],
      (text) => {
        assert.deepEqual(decodePem(text), earlierDecodePem(text));
        assert.deepEqual(decodePem(Buffer.from(text, 'latin1')), earlierDecodePem(text));
      },
      { numRuns: 5000 },
    );
  });

  it('PemBodyLines judges every body as the earlier reader did', async () => {
    await checkProperty(
      'PemBodyLines.isBlock equals the earlier body reader',
      [bodyText],
      (text) => {
        const bodies = new PemBodyLines(text);
        for (const m of text.matchAll(/-----BEGIN ([^\r\n-]*)-----\r?\n/g)) {
          const start = m.index + m[0].length;
          const end = text.indexOf(`-----END ${m[1]}-----`, start);
          if (end >= 0) assert.equal(bodies.isBlock(start, end), bodyBlock(m[1] as string, text.slice(start, end)) !== undefined);
        }
      },
      { numRuns: 5000 },
    );
  });

  it('reads nested BEGIN lines whose bodies are not blocks in linear time', async () => {
    const calls = new URL('./pem-attack-calls.ts', import.meta.url);
    const texts = [
      // each body holds the BEGIN lines after it, which are not base64 (nor is the last one's)
      '-----BEGIN A-----\n'.repeat(60_000) + 'A\n-----END A-----\n',
      // each body's header section runs to the same line without `:`
      'x: -----BEGIN A-----\n'.repeat(60_000) + 'bad\n-----END A-----\n',
      // … or to the same blank line, then base64 that is not: 2 MB
      'x: -----BEGIN A-----\n'.repeat(60_000) + '\n' + 'AAAA'.repeat(100_000) + 'A\n-----END A-----\n',
      // many types, all their ENDs on one line after a long header section (and a long indent)
      Array.from({ length: 60_000 }, (_, i) => `x: -----BEGIN T${i}-----\n`).join('') +
        'bad\n' +
        ' '.repeat(600_000) +
        Array.from({ length: 60_000 }, (_, i) => `-----END T${i}-----`).join(''),
    ];
    for (const text of texts) {
      assert.deepEqual(await runWithin(HANG_GUARD_MS, calls, 'cosignPemType', [text]), { returned: null });
    }
    const last = '-----BEGIN A-----\n'.repeat(60_000) + 'QUJD\n-----END A-----\n';
    assert.deepEqual(await runWithin(HANG_GUARD_MS, calls, 'cosignPemType', [last]), { returned: 'A' });
  });
});
