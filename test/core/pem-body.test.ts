/** splitPemBody: the header section of a PEM body as notary reads it. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitPemBody } from '../../src/core/pem-body.js';

describe('splitPemBody', () => {
  it('reads `Name: value` lines up to the blank line, names and values trimmed, CRLF or LF', () => {
    assert.deepEqual(splitPemBody('Proc-Type: 4,ENCRYPTED\r\n DEK-Info :  AES \r\n\r\nQUJD\r\nRA==\r\n'), {
      headers: { 'Proc-Type': '4,ENCRYPTED', 'DEK-Info': 'AES' },
      dataLines: ['QUJD', 'RA==', ''],
    });
    // no blank line: every line is a header, no base64
    assert.deepEqual(splitPemBody('a: 1\nb: 2:3'), { headers: { a: '1', b: '2:3' }, dataLines: [] });
    // a body without `:` has no header section; a blank first line ends an empty one
    assert.deepEqual(splitPemBody('QUJD\n\nRA=='), { headers: {}, dataLines: ['QUJD', '', 'RA=='] });
    assert.deepEqual(splitPemBody('\nk: v\n'), { headers: {}, dataLines: ['k: v', ''] });
  });

  it('a line neither blank nor `Name: value` in the header section: no headers, every line base64', () => {
    const body = 'role: root\nQUJD\n\nRA==\n';
    assert.deepEqual(splitPemBody(body), { headers: {}, dataLines: ['role: root', 'QUJD', '', 'RA==', ''] });
  });
});
