/**
 * PEM-like text for the property tests of the PEM readers: pieces that make blocks, near-blocks
 * and junk over a few types (empty, with spaces, lower case, with `-`), BEGIN markers with and
 * without their line end, CRLF, header lines, nested and missing ENDs.
 */
import fc from 'fast-check';

const TYPES = ['A', 'B C', 'CERTIFICATE', 'PUBLIC KEY', 'X-Y', 'a', '', 'A '];
const JUNK = [
  '-----BEGIN ',
  '-----END ',
  '-----',
  '---',
  '\n',
  '\r\n',
  '\r',
  'AAAA\n',
  'QUJD\n',
  'QQ==\n',
  'QUI=',
  'k: v\n',
  'x: ',
  ' ',
  '\t',
  '-',
  ':',
  '=',
  'A',
];

/** each text draws on one to three of the types, so that BEGIN and END markers meet often */
export const pemText = fc
  .subarray(TYPES, { minLength: 1, maxLength: 3 })
  .chain((types) =>
    fc
      .array(
        fc.oneof(
          { arbitrary: fc.constantFrom(...types).map((t) => `-----BEGIN ${t}-----\n`), weight: 2 },
          { arbitrary: fc.constantFrom(...types).map((t) => `-----BEGIN ${t}-----`), weight: 1 },
          { arbitrary: fc.constantFrom(...types).map((t) => `-----END ${t}-----`), weight: 2 },
          { arbitrary: fc.constantFrom(...JUNK), weight: 3 },
        ),
        { maxLength: 40 },
      )
      .map((parts) => parts.join('')),
  );
