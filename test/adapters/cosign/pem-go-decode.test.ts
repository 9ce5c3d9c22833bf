/**
 * cosign's PEM reader (decodePem) reads what Go's `encoding/pem` Decode reads (Go 1.25.3 and
 * later: the END-first search): each case is a text and the block Go returns for it (type,
 * headers, bytes) or none. The texts were worked through Go's rules by hand; `was` marks the cases
 * where the reader before this table differed from Go.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodePem } from '../../../src/adapters/cosign/pem-block.js';

type Expected = { type: string; headers?: Record<string, string>; bytes: string } | undefined;

interface GoCase {
  name: string;
  text: string | Buffer;
  /** bytes as a latin1 string */
  go: Expected;
  /** the earlier reader's answer differed from Go's */
  was?: 'differed';
}

const ABC = 'ABC';
const block = (body: string, type = 'A', end = `-----END ${type}-----\n`) => `-----BEGIN ${type}-----\n${body}${end}`;

const CASES: GoCase[] = [
  { name: 'a plain block', text: block('QUJD\n'), go: { type: 'A', bytes: ABC } },
  { name: 'CRLF line ends', text: '-----BEGIN A-----\r\nQUJD\r\n-----END A-----\r\n', go: { type: 'A', bytes: ABC } },
  { name: 'text before and after', text: `junk\n${block('QUJD\n')}more`, go: { type: 'A', bytes: ABC } },
  { name: 'an empty block', text: block(''), go: { type: 'A', bytes: '' } },
  { name: 'an empty type', text: block('QUJD\n', ''), go: { type: '', bytes: ABC } },
  // header section
  { name: 'headers, a blank line, base64', text: block('k: v\n\nQUJD\n'), go: { type: 'A', headers: { k: 'v' }, bytes: ABC } },
  {
    name: 'a header line without `:` ends the headers and is the first base64 line',
    text: block('k: v\nQUJD\n'),
    go: { type: 'A', headers: { k: 'v' }, bytes: ABC },
    was: 'differed',
  },
  {
    name: 'the headers read so far stay; what follows the line without `:` is base64 (here not)',
    text: block('k: v\nQUJD\nj: w\n'),
    go: undefined,
  },
  { name: 'a line of spaces ends the headers', text: block('k: v\n  \nQUJD\n'), go: { type: 'A', headers: { k: 'v' }, bytes: ABC } },
  {
    name: 'names and values trimmed, a value may hold `:`',
    text: block(' k \t:  v: w  \n\nQUJD\n'),
    go: { type: 'A', headers: { k: 'v: w' }, bytes: ABC },
  },
  {
    name: 'headers straight before the END line: no block',
    text: block('k: v\n'),
    go: undefined,
    was: 'differed',
  },
  { name: 'headers, a blank line, the END line: no bytes', text: block('k: v\n\n'), go: { type: 'A', headers: { k: 'v' }, bytes: '' } },
  { name: 'the text ends in the header section', text: '-----BEGIN A-----\nk: v', go: undefined },
  {
    name: 'a header named `__proto__` is a header like any other, a later name wins',
    text: block('__proto__: x\nk: 1\nk: 2\n\nQUJD\n'),
    go: { type: 'A', headers: { ['__proto__']: 'x', k: '2' }, bytes: ABC },
    was: 'differed',
  },
  {
    name: 'U+0085 around a value is trimmed (Go trims Unicode white space)',
    text: block('k: \u0085v\u0085\n\nQUJD\n'),
    go: { type: 'A', headers: { k: 'v' }, bytes: ABC },
    was: 'differed',
  },
  {
    name: 'a lone byte 0xA0 (not UTF-8) is not white space to Go',
    text: Buffer.from(block('k: v\xa0\n\nQUJD\n'), 'latin1'),
    go: { type: 'A', headers: { k: 'v\xa0' }, bytes: ABC },
    was: 'differed',
  },
  {
    name: 'an END line with `:` read as a header: Go gives up, the good block after it unread',
    text: `-----BEGIN A-----\nk: v\n-----END A-----: x\n${block('QUJD\n', 'B')}`,
    go: undefined,
    was: 'differed',
  },
  // base64
  { name: 'spaces and tabs inside base64 lines', text: block('QU JD\tRA==\n'), go: { type: 'A', bytes: 'ABCD' }, was: 'differed' },
  { name: 'a `\\r` inside a base64 line', text: block('QU\rJD\n'), go: { type: 'A', bytes: ABC }, was: 'differed' },
  { name: 'padding split over lines', text: block('QQ=\n=\n'), go: { type: 'A', bytes: 'A' } },
  { name: 'non-zero bits left in the last character', text: block('QR==\n'), go: { type: 'A', bytes: 'A' } },
  { name: 'a length not in fours', text: block('QUJ\n'), go: undefined },
  { name: 'data after padding', text: block('QQ==QUJD\n'), go: undefined },
  { name: 'three `=`', text: block('QUJD\nQ===\n'), go: undefined },
  { name: 'a vertical tab in base64', text: block('QUJD\v\n'), go: undefined, was: 'differed' },
  // BEGIN line
  {
    name: 'a BEGIN line not at a line start',
    text: `x${block('QUJD\n')}`,
    go: undefined,
    was: 'differed',
  },
  {
    name: 'spaces and tabs after the BEGIN line',
    text: '-----BEGIN A----- \t\nQUJD\n-----END A-----\n',
    go: { type: 'A', bytes: ABC },
    was: 'differed',
  },
  { name: 'a type holding dashes', text: block('QUJD\n', 'A-B'), go: { type: 'A-B', bytes: ABC }, was: 'differed' },
  { name: 'a BEGIN line not ending in five dashes', text: '-----BEGIN A----\nQUJD\n-----END A----\n', go: undefined },
  {
    name: 'a BEGIN line without END: the last BEGIN before the first END is read',
    text: `-----BEGIN A-----\nQUJD\n${block('QUI=\n', 'B')}`,
    go: { type: 'B', bytes: 'AB' },
    was: 'differed',
  },
  {
    name: 'two BEGIN lines of a type: the later one',
    text: `-----BEGIN A-----\nQUJD\n${block('QUI=\n')}`,
    go: { type: 'A', bytes: 'AB' },
  },
  {
    name: 'a BEGIN just after a failed END marker needs no line start',
    text: `\n-----END ${block('QUJD\n')}`,
    go: { type: 'A', bytes: ABC },
  },
  {
    name: 'a failed block, then a good one',
    text: `${block('!!!!\n')}${block('QUI=\n', 'B')}`,
    go: { type: 'B', bytes: 'AB' },
  },
  // END line
  {
    name: 'the first END marker is of another type: no block',
    text: block('QUJD\n', 'A', '-----END B-----\n-----END A-----\n'),
    go: undefined,
  },
  { name: 'an END of a longer type', text: block('QUJD\n', 'A', '-----END AB-----\n'), go: undefined },
  { name: 'an END marker not at a line start', text: block('QUJD', 'A', '-----END A-----\n'), go: undefined, was: 'differed' },
  { name: 'text after the END line on its line', text: block('QUJD\n', 'A', '-----END A-----x\n'), go: undefined, was: 'differed' },
  {
    name: 'spaces, tabs and CRLF after the END line',
    text: block('QUJD\n', 'A', '-----END A----- \t\r\n'),
    go: { type: 'A', bytes: ABC },
  },
  { name: 'no line end after the END line', text: block('QUJD\n', 'A', '-----END A-----'), go: { type: 'A', bytes: ABC } },
  {
    name: 'a `\\r` ending the text after the END line',
    text: block('QUJD\n', 'A', '-----END A-----\r'),
    go: undefined,
    was: 'differed',
  },
  { name: 'a `\\r` then a space before the line end', text: block('QUJD\n', 'A', '-----END A-----\r \n'), go: undefined, was: 'differed' },
  { name: 'no END line', text: '-----BEGIN A-----\nQUJD\n', go: undefined },
];

function expected(go: Expected) {
  return go && { type: go.type, headers: go.headers ?? {}, bytes: Buffer.from(go.bytes, 'latin1') };
}

describe("cosign PEM reader: Go's pem.Decode cases", () => {
  for (const c of CASES) {
    it(`${c.name}${c.was ? ' (the earlier reader differed)' : ''}`, () => {
      assert.deepEqual(decodePem(c.text), expected(c.go));
      if (typeof c.text === 'string' && /^[\x00-\x7f]*$/.test(c.text)) assert.deepEqual(decodePem(Buffer.from(c.text)), expected(c.go));
    });
  }
});
