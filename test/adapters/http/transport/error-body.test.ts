import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeErrorBody, errorBodyMessage, jsonObject } from '../../../../src/adapters/http/transport/error-body.js';

describe('error bodies', () => {
  it('decodes the distribution API’s errors[]', () => {
    const body = Buffer.from(
      JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown', detail: { Tag: 'v1' } }, { code: 'DENIED' }] }),
    );
    assert.deepEqual(decodeErrorBody(body), [
      { code: 'MANIFEST_UNKNOWN', message: 'manifest unknown', detail: { Tag: 'v1' } },
      { code: 'DENIED' },
    ]);
    assert.deepEqual(decodeErrorBody(body, 1), [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown', detail: { Tag: 'v1' } }]);
    assert.equal(errorBodyMessage(body), 'manifest unknown');
  });

  it('decodes the Notary API’s errors[] with its validation detail', () => {
    const body =
      '{"errors":[{"code":"INVALID_UPDATE","message":"update submitted with invalid metadata",' +
      '"detail":{"Name":"ErrBadTargets","Error":{"Msg":"bad signature"}}}]}';
    assert.deepEqual(decodeErrorBody(body), [
      {
        code: 'INVALID_UPDATE',
        message: 'update submitted with invalid metadata',
        detail: { Name: 'ErrBadTargets', Error: { Msg: 'bad signature' } },
      },
    ]);
  });

  it('OAuth errors, odd entries and what is not an error body', () => {
    assert.equal(errorBodyMessage('{"error":"invalid_grant","error_description":"bad password"}'), 'bad password');
    assert.equal(errorBodyMessage('{"error":"invalid_grant"}'), 'invalid_grant');
    assert.deepEqual(decodeErrorBody('{"errors":["x",null,{"code":7,"message":"m"}]}'), [{ message: 'm' }]);
    for (const junk of ['', 'not json', '[]', '{"errors":{}}', 'null']) {
      assert.deepEqual(decodeErrorBody(junk), [], junk);
      assert.equal(errorBodyMessage(junk), undefined, junk);
    }
    assert.equal(jsonObject('[1]'), undefined);
    assert.deepEqual(jsonObject(Buffer.from('{"a":1}')), { a: 1 });
  });
});
