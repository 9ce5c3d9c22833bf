/** ui/src/short-digest.ts */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shortDigest } from '../../ui/src/short-digest.js';

describe('shortDigest', () => {
  const hex = '05440fec03a9f4977662461ef6fa5440f450ab81deafa0c7cf58ec7912050efd';
  it('shows the first 12 hex digits of a long digest, without its algorithm', () => {
    assert.equal(shortDigest(`sha256:${hex}`), '05440fec03a9…');
    assert.equal(shortDigest(hex), '05440fec03a9…');
  });
  it('shows a short one whole', () => {
    assert.equal(shortDigest('sha256:0123456789abcdef'), '0123456789abcdef');
    assert.equal(shortDigest('abc'), 'abc');
  });
});
