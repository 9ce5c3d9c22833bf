/** ui/src/api-paths.ts: query strings and GUNs in the API's paths. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gunPath, query } from '../../ui/src/api-paths.js';

describe('query', () => {
  it('keeps the defined, non-empty values, escaped, in their order', () => {
    assert.equal(query({ q: 'acme/', sort: undefined, order: 'desc', cursor: '', limit: 50 }), '?q=acme%2F&order=desc&limit=50');
    assert.equal(query({ change_id: 0, records: -50 }), '?change_id=0&records=-50', 'zero is a value');
    assert.equal(query({ image: 'a b&c=d' }), '?image=a+b%26c%3Dd');
  });

  it('is empty without values', () => {
    assert.equal(query({}), '');
    assert.equal(query({ q: '', sort: undefined }), '');
  });
});

describe('gunPath', () => {
  it('escapes each segment and keeps the slashes', () => {
    assert.equal(gunPath('127.0.0.1:4443/acme/app'), '127.0.0.1%3A4443/acme/app');
    assert.equal(gunPath('reg/a b/c?d#e'), 'reg/a%20b/c%3Fd%23e');
  });
});
