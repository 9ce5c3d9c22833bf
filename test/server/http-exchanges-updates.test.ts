/**
 * The real notary-server's recorded updates (exchanges 18–28) replayed against
 * `dct server` (test/server/http-exchanges-world.ts): a PUT on the update
 * endpoint, malformed uploads (JSON body, non-JSON part, role "foo", no
 * filename), the current targets again (VERSION), targets with an old signature
 * or none (ErrBadTargets), a first "root" that skips versions (ErrBadRoot), and
 * a new timestamp key by POST. Refused requests leave the stored rows
 * unchanged.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMetadata } from '../../src/core/tuf/metadata.js';
import { clientTargets, curlForm, MANAGED, managed, replay, replayFor, request, useExchangeServer } from './http-exchanges-world.js';

describe('notary-server HTTP exchanges 01–34 replayed against dct server', () => {
  useExchangeServer();

  it('18 PUT on the update endpoint → 404 without detail', () =>
    replay('18-put-method.txt', 'same', {
      method: 'PUT',
      body: Buffer.from('x'),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    }));
  it('19 POST a JSON body → 400 MALFORMED_UPLOAD', () =>
    replay('19-post-not-multipart.txt', 'same', {
      method: 'POST',
      body: Buffer.from('{}'),
      headers: { 'Content-Type': 'application/json' },
    }));
  it('20 POST a part that is not JSON → 400 MALFORMED_JSON', () =>
    replay('20-post-malformed-json.txt', 'same', { method: 'POST', ...curlForm('targets', Buffer.from('not json')) }));
  it('21 POST filename=foo → 400 INVALID_ROLE detail "foo"', () =>
    replay('21-post-invalid-role.txt', 'same', { method: 'POST', ...curlForm('foo', managed.targets) }));

  it('22 POST a part without filename → 400 NO_FILENAME', () => {
    // curl -F files=<FILE: a form field, no filename parameter, no Content-Type
    const boundary = '------------------------d74496d66958873e';
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="files"\r\n\r\n`),
      managed.targets,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    return replay('22-post-no-filename.txt', 'same', {
      method: 'POST',
      body,
      headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` },
    });
  });

  it('23 POST the current targets again → 400 VERSION detail {}', () =>
    replay('23-post-same-version.txt', 'same', { method: 'POST', ...curlForm('targets', managed.targets) }));

  /** the lab's python edits: json.load, change, json.dump with compact separators */
  const edit = (bytes: Buffer, change: (doc: { signed: Record<string, unknown>; signatures: unknown[] }) => void): Buffer => {
    const doc = JSON.parse(bytes.toString('utf8')) as { signed: Record<string, unknown>; signatures: unknown[] };
    change(doc);
    return Buffer.from(JSON.stringify(doc));
  };

  it('24 POST targets v+1 with an extra target and the old signature → 400 INVALID_UPDATE ErrBadTargets', () => {
    const tampered = edit(managed.targets, (d) => {
      d.signed['version'] = (d.signed['version'] as number) + 1;
      (d.signed['targets'] as Record<string, unknown>)['evil'] = {
        hashes: { sha256: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' },
        length: 1,
      };
    });
    return replay('24-post-tampered-targets.txt', 'same', { method: 'POST', ...curlForm('targets', tampered) });
  });

  it('25 POST targets v+1 without signatures → 400 INVALID_UPDATE "tuf: data has no signatures"', () => {
    const unsigned = edit(managed.targets, (d) => {
      d.signed['version'] = (d.signed['version'] as number) + 1;
      d.signatures = [];
    });
    return replay('25-post-unsigned-targets.txt', 'same', { method: 'POST', ...curlForm('targets', unsigned) });
  });

  it('26 client-snapshot GUN: POST targets v+1 with the old signature → 400 ErrBadTargets', () => {
    const bumped = edit(clientTargets, (d) => {
      d.signed['version'] = (d.signed['version'] as number) + 1;
    });
    return replay('26-post-targets-badsig-client-gun.txt', 'same', { method: 'POST', ...curlForm('targets', bumped) });
  });

  it('27 POST only a "root" (targets v3) to a new GUN → 400 ErrBadRoot "Current 1, new 3"', () =>
    replay('27-post-root-new-gun-only.txt', 'same', { method: 'POST', ...curlForm('root', managed.targets) }));

  it('28 POST timestamp.key → 200, a new key; GET still answers the key the root lists', async () => {
    const rotated = await replayFor('28-post-rotate-ts-key.txt', 'key', { method: 'POST' });
    const current = await request('GET', `/v2/${MANAGED}/_trust/tuf/timestamp.key`);
    assert.notEqual(rotated.body.toString('utf8'), current.body.toString('utf8'));
    const listed = parseMetadata(managed.rootV2, 'root').signed.keys[managed.timestampKey]!;
    assert.ok(current.body.toString('utf8').includes(listed.toJSON().keyval.public));
  });
});
