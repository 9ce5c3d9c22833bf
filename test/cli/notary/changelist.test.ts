/**
 * The changelist format notary 0.7 writes (vectors below are change files the real
 * `notary` wrote for the commands named) is what dct reads and writes, byte for byte.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { decodeChangeFile, encodeChangeFile, FileChangelist } from '../../../src/adapters/changelist/file-changelist.js';
import {
  addTargetChanges,
  delegationChange,
  removeTargetChanges,
  rootRoleChange,
  witnessChange,
} from '../../../src/app/client/notary-change.js';
import {
  decodeDelegationJson,
  decodeFileMetaJson,
  decodeRootRoleJson,
  goCompactJson,
} from '../../../src/app/client/change-content-json.js';
import { fileMetaOf } from '../../../src/core/tuf/file-meta.js';

/** written by `notary add g/x v1 h.txt --custom custom.json` (h.txt = "hello\n", custom.json = `{"a":"<b>"}\n`) */
const ADD_WITH_CUSTOM =
  '{"action":"create","role":"targets","type":"target","path":"v1","data":"eyJsZW5ndGgiOjYsImhhc2hlcyI6eyJzaGEyNTYiOiJXSkcxdFNMVjN3aHREL0N4RVB2WjBodTAvSEZqcnpUUWdvYWk2RWIydmdNPSIsInNoYTUxMiI6IjU4SXJtVXhaMmM4clNPVkpzZUpHWm1OZ1JaTU5QYWZCckxLWjBjTzMrVEg1U3E1Qjdkb3NLeUI2TnVFUGk4dU5SU0krVkllUFd6RnVmT08ydkFHV0tRPT0ifSwiY3VzdG9tIjp7ImEiOiJcdTAwM2NiXHUwMDNlIn19"}';
/** `notary addhash g/x v2 10 --sha256 aaaa… -r targets/a -r targets/b` (first of two) */
const ADDHASH =
  '{"action":"create","role":"targets/a","type":"target","path":"v2","data":"eyJsZW5ndGgiOjEwLCJoYXNoZXMiOnsic2hhMjU2IjoicXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxcXFxbz0ifX0="}';
const REMOVE = '{"action":"delete","role":"targets","type":"target","path":"v1","data":null}';
/** `notary delegation add g/x targets/rel rel.crt --paths "a/,b"` (the second change) */
const ADD_PATHS = '{"action":"create","role":"targets/rel","type":"delegation","path":"","data":"eyJhZGRfcGF0aHMiOlsiYS8iLCJiIl19"}';
const REMOVE_PATHS = '{"action":"update","role":"targets/rel","type":"delegation","path":"","data":"eyJyZW1vdmVfcGF0aHMiOlsiYS8iXX0="}';
const CLEAR_PATHS = '{"action":"update","role":"targets/rel","type":"delegation","path":"","data":"eyJjbGVhcl9wYXRocyI6dHJ1ZX0="}';
const PURGE = '{"action":"update","role":"targets/*","type":"delegation","path":"","data":"eyJyZW1vdmVfa2V5cyI6WyJhYmNkIl19"}';
const WITNESS = '{"action":"update","role":"targets","type":"witness","path":"","data":null}';
/** `notary delegation add g/x targets/rel rel.crt …` (the first change: the key of a CN=releases certificate) */
const ADD_KEY =
  '{"action":"create","role":"targets/rel","type":"delegation","path":"","data":"eyJ0aHJlc2hvbGQiOjEsImFkZF9rZXlzIjpbeyJrZXl0eXBlIjoiZWNkc2EteDUwOSIsImtleXZhbCI6eyJwdWJsaWMiOiJMUzB0TFMxQ1JVZEpUaUJEUlZKVVNVWkpRMEZVUlMwdExTMHRDazFKU1VKbVJFTkRRVk5IWjBGM1NVSkJaMGxWVUVabmVrMW1NMU15V1RWWVdERkRaR015T0hVelNscGlRbTQ0ZDBObldVbExiMXBKZW1vd1JVRjNTWGNLUlhwRlVrMUJPRWRCTVZWRlFYZDNTV050Vm5OYVYwWjZXbGhOZDBob1kwNU5hbGw0VFZSSmVrMVVVVEZOZWtGNVYyaGpUazFxV1hoTmFrbDZUVlJSTVFwTmVrRjVWMnBCVkUxU1JYZEVkMWxFVmxGUlJFUkJhSGxhVjNoc1dWaE9iR042UWxwTlFrMUhRbmx4UjFOTk5EbEJaMFZIUTBOeFIxTk5ORGxCZDBWSUNrRXdTVUZDUzFndlREaEZOMWQ2TDJKYU1HeGtVRWxJV1dWYUwzaFViVGxRZWtFd1ZIZDFVVk01Tm1kcmNFOXFVV1V2VmxSNVRUaFpVRE5FV201UlVVVUthRVZQUVVSMU0zRnRhMUpRZFdsUFYyVjZSMnBsVUZWT1RVUmxhbFY2UWxKTlFqQkhRVEZWWkVSblVWZENRbEpPU3l0MWRteG1kSEI1Y2xKTGRIUkZkZ3B0UkVKaGRUWlBUM05FUVdaQ1owNVdTRk5OUlVkRVFWZG5RbEpPU3l0MWRteG1kSEI1Y2xKTGRIUkZkbTFFUW1GMU5rOVBjMFJCVUVKblRsWklVazFDQ2tGbU9FVkNWRUZFUVZGSUwwMUJiMGREUTNGSFUwMDBPVUpCVFVOQk1HdEJUVVZaUTBsUlEzSjBSRXhPWjNsbVFrMTZTWEpHUlVrMGQwMXNVV1ZyUWxFS2NGQnlWMkZDTms1NFpFZDBiVEZzYm1WblNXaEJUbWRHYkdSTlJFeFBjSEU0YkRkc1JrUlhWMWhHVlRobU4waHJUbUp6VkhrMVZIZGpLMDh2Tmt3NVZ3b3RMUzB0TFVWT1JDQkRSVkpVU1VaSlEwRlVSUzB0TFMwdENnPT0iLCJwcml2YXRlIjpudWxsfX1dfQ=="}';

describe('notary change files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dct-changelist-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('dct writes the bytes notary writes for targets, removals, delegations and witnesses', () => {
    const hello = Buffer.from('hello\n');
    const [add] = addTargetChanges('v1', { ...fileMetaOf(hello), custom: { a: '<b>' } }, [], Buffer.from('{"a":"<b>"}\n'));
    assert.equal(encodeChangeFile(add!), ADD_WITH_CUSTOM);
    const hashOnly = addTargetChanges('v2', { length: 10, hashes: { sha256: Buffer.alloc(32, 0xaa) } }, ['targets/a', 'targets/b']);
    assert.equal(encodeChangeFile(hashOnly[0]!), ADDHASH);
    assert.equal(encodeChangeFile(hashOnly[1]!), ADDHASH.replace('targets/a', 'targets/b'));
    assert.equal(encodeChangeFile(removeTargetChanges('v1', [])[0]!), REMOVE);
    assert.equal(encodeChangeFile(delegationChange('create', 'targets/rel', { addPaths: ['a/', 'b'] })), ADD_PATHS);
    assert.equal(encodeChangeFile(delegationChange('update', 'targets/rel', { removePaths: ['a/'] })), REMOVE_PATHS);
    assert.equal(encodeChangeFile(delegationChange('update', 'targets/rel', { clearPaths: true })), CLEAR_PATHS);
    assert.equal(encodeChangeFile(delegationChange('update', 'targets/*', { removeKeys: ['abcd'] })), PURGE);
    assert.equal(encodeChangeFile(witnessChange('targets')), WITNESS);
    // a delegation key read from notary's file is written back identically; its canonical ID is the one notary printed
    const td = decodeDelegationJson(decodeChangeFile(ADD_KEY).content);
    assert.equal(td.threshold, 1);
    assert.equal(td.addKeys?.[0]?.keyType, 'ecdsa-x509');
    assert.equal(td.addKeys?.[0]?.canonicalId, '023d118300ae1681cd1211be04b225f778e76cd7c8013c98c2f17956b5405919');
    assert.equal(encodeChangeFile(delegationChange('create', 'targets/rel', { threshold: 1, addKeys: td.addKeys })), ADD_KEY);
  });

  it("dct reads notary's change files", () => {
    const add = decodeChangeFile(ADD_WITH_CUSTOM);
    assert.deepEqual([add.action, add.scope, add.type, add.path], ['create', 'targets', 'target', 'v1']);
    const meta = decodeFileMetaJson(add.content);
    assert.equal(meta.length, 6);
    assert.equal(meta.hashes['sha256']?.toString('hex'), createHash('sha256').update('hello\n').digest('hex'));
    assert.equal(meta.hashes['sha512']?.toString('hex'), createHash('sha512').update('hello\n').digest('hex'));
    assert.deepEqual(meta.custom, { a: '<b>' });
    assert.equal(decodeChangeFile(REMOVE).content, null);
    assert.deepEqual(decodeDelegationJson(decodeChangeFile(PURGE).content), { removeKeys: ['abcd'] });
    assert.deepEqual(decodeDelegationJson(decodeChangeFile(CLEAR_PATHS).content), { clearPaths: true });
    // Go's decoder matches member names in any case and ignores unknown ones
    const odd = decodeChangeFile('{"Action":"delete","ROLE":"targets","type":"target","path":"x","data":null,"extra":1}');
    assert.deepEqual([odd.action, odd.scope, odd.path], ['delete', 'targets', 'x']);
    assert.throws(() => decodeChangeFile('{"action":"create","data":"not base64!"}'));
    assert.throws(() => decodeChangeFile('[]'));
  });

  it('root key changes round-trip ({"keys":[…],"role":…})', () => {
    const td = decodeDelegationJson(decodeChangeFile(ADD_KEY).content);
    const change = rootRoleChange('targets', td.addKeys!);
    assert.deepEqual([change.action, change.scope, change.type, change.path], ['create', 'root', 'role', 'targets']);
    assert.match(
      change.content!.toString(),
      /^\{"keys":\[\{"keytype":"ecdsa-x509","keyval":\{"public":"[^"]+","private":null\}\}\],"role":"targets"\}$/,
    );
    const back = decodeRootRoleJson(decodeChangeFile(encodeChangeFile(change)).content);
    assert.equal(back.role, 'targets');
    assert.equal(back.keys[0]?.id, td.addKeys![0]!.id);
  });

  it('custom data is kept as notary keeps a json.RawMessage: compacted, HTML-escaped, member order and numbers as written', () => {
    assert.equal(
      goCompactJson('{ "b" : 1.50,\n "a" : ["<&>", "\\u00e9 \\"q\\""] }\n'),
      '{"b":1.50,"a":["\\u003c\\u0026\\u003e","\\u00e9 \\"q\\""]}',
    );
    assert.equal(goCompactJson('"line\u2028sep"'), '"line\\u2028sep"');
    assert.throws(() => goCompactJson('{"a":'));
  });

  it('FileChangelist: oldest first, reset by index, clear, unreadable files skipped as notary does', async () => {
    const skipped: string[] = [];
    const cl = new FileChangelist(join(dir, 'cl'), { onSkip: (file, why) => skipped.push(`${file}: ${why}`) });
    assert.deepEqual(await cl.list(), []);
    for (const name of ['a', 'b', 'c']) await cl.add(removeTargetChanges(name, [])[0]!);
    assert.deepEqual(
      (await cl.list()).map((c) => c.path),
      ['a', 'b', 'c'],
    );
    // a change file notary wrote earlier (smaller timestamp) comes first
    writeFileSync(join(dir, 'cl', '00000000000000000001_00000000-0000-0000-0000-000000000000.change'), WITNESS);
    writeFileSync(join(dir, 'cl', '00000000000000000002_00000000-0000-0000-0000-000000000000.change'), 'garbage');
    const listed = await cl.list();
    assert.deepEqual(
      listed.map((c) => c.type),
      ['witness', 'target', 'target', 'target'],
    );
    assert.equal(skipped.length, 1);
    assert.match(skipped[0]!, /^00000000000000000002_/);
    await cl.remove([0, 1, 3, 99]);
    assert.deepEqual(
      (await cl.list()).map((c) => c.path),
      ['a', 'c'],
    );
    await cl.clear();
    assert.deepEqual(readdirSync(join(dir, 'cl')), []);
  });
});
