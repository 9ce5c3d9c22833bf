/** A delegation whose last key docker removed is written by Go as `"keyids":null`: it parses, and re-serialises byte for byte. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMetadata } from '../../../src/core/tuf/metadata.js';
import type { Targets } from '../../../src/core/tuf/targets.js';

const signed =
  '{"_type":"Targets","delegations":{"keys":{},"roles":[{"keyids":null,"name":"targets/releases","paths":[""],"threshold":1}]},' +
  '"expires":"2029-11-22T11:06:33.920088924Z","targets":{},"version":4}';
const file = Buffer.from(`{"signed":${signed},"signatures":[]}`);

describe('"keyids": null in a delegation', () => {
  it('parses as a role without keys', () => {
    const md = parseMetadata(file, 'targets');
    const role = (md.signed as Targets).delegation('targets/releases');
    assert.deepEqual(role?.keyids, []);
    assert.equal(role?.threshold, 1);
  });

  it('re-serialises as null while empty, as an array once keys are added', () => {
    const md = parseMetadata(file, 'targets');
    assert.equal(md.serialize().toString(), file.toString());
    const t = md.signed as Targets;
    t.delegation('targets/releases')!.keyids.push('ab'.repeat(32));
    assert.match(JSON.stringify(t.toJSON()), /"keyids":\["abab/);
  });
});
