/**
 * `dct server` against malformed multipart bodies: missing or wrong content
 * types and boundaries, truncated bodies, missing CRLFs, broken part headers,
 * parts without a filename, 2000 parts, a huge filename, chunked bodies — each
 * answered with notary's 4xx envelope (MALFORMED_UPLOAD, NO_FILENAME, …) and
 * nothing stored changed. First, the repositories the corpus is sent to load
 * through the client trust rules.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadRepository } from '../../src/app/load-repository.js';
import { NotaryServerSource } from '../../src/adapters/notary-http/notary-source.js';
import {
  CLIENT,
  client,
  MANAGED,
  managed,
  multipart,
  now,
  post,
  rawMultipart,
  refused,
  send,
  T,
  update,
  useBadInputServer,
} from './bad-input-world.js';

describe('dct server: bad input gets notary 4xx answers and changes nothing', () => {
  useBadInputServer();

  it('the repositories are published and load through the client trust rules', async () => {
    const m = await loadRepository(new NotaryServerSource(client, MANAGED), { gun: MANAGED, now: now() });
    assert.deepEqual(
      m.trusted
        .listTargets()
        .map((t) => t.name)
        .sort(),
      ['a', 'rel-1'],
    );
    const c = await loadRepository(new NotaryServerSource(client, CLIENT), { gun: CLIENT, now: now() });
    assert.deepEqual(
      c.trusted.listTargets().map((t) => t.name),
      ['b'],
    );
  });

  describe('malformed multipart', () => {
    const part = (filename: string, data: string) =>
      `--b0undary\r\nContent-Disposition: form-data; name="files"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n${data}\r\n`;
    const targets = () => managed.published.get('targets@2')!.toString('utf8');

    it('no Content-Type, a non-multipart type, multipart/mixed → MALFORMED_UPLOAD', async () => {
      const body = Buffer.from(part('targets', targets()) + '--b0undary--\r\n');
      await refused('no Content-Type', () => send('POST', T(MANAGED), { body }), 400, 'MALFORMED_UPLOAD');
      await refused(
        'text/plain',
        () => send('POST', T(MANAGED), { body, headers: { 'Content-Type': 'text/plain' } }),
        400,
        'MALFORMED_UPLOAD',
      );
      await refused(
        'multipart/mixed',
        () => send('POST', T(MANAGED), { body, headers: { 'Content-Type': 'multipart/mixed; boundary=b0undary' } }),
        400,
        'MALFORMED_UPLOAD',
      );
    });

    it('no boundary, an empty or 71-character boundary → MALFORMED_UPLOAD', async () => {
      const body = Buffer.from(part('targets', targets()) + '--b0undary--\r\n');
      for (const type of [
        'multipart/form-data',
        'multipart/form-data; boundary=',
        'multipart/form-data; boundary=""',
        `multipart/form-data; boundary=${'x'.repeat(71)}`,
      ]) {
        await refused(type, () => send('POST', T(MANAGED), { body, headers: { 'Content-Type': type } }), 400, 'MALFORMED_UPLOAD');
      }
    });

    it('a body that does not use the declared boundary → MALFORMED_UPLOAD', () =>
      refused(
        'broken boundary',
        () => post(MANAGED, rawMultipart(part('targets', targets()) + '--b0undary--\r\n', 'other')),
        400,
        'MALFORMED_UPLOAD',
      ));

    it('an empty body → MALFORMED_UPLOAD (notary-server drops the connection)', () =>
      refused('empty body', () => post(MANAGED, rawMultipart('')), 400, 'MALFORMED_UPLOAD'));

    it('no parts (only the close delimiter) is an update: where the server cannot sign the snapshot → ErrBadHierarchy', async () => {
      // what notary's CLI sends for a publish with nothing staged (test/server/empty-update.test.ts: the managed case)
      // a first "boundary" with text after it is preamble to Go's reader (as notary-server answers)
      const preambleOnly = `--b0undaryContent-Disposition: form-data; name="files"; filename="targets"\r\n\r\n${targets()}\r\n--b0undary--\r\n`;
      for (const body of ['--b0undary--\r\n', '\r\n--b0undary--\r\n', preambleOnly]) {
        await refused(
          `no parts ${JSON.stringify(body)}`,
          () => post(CLIENT, rawMultipart(body)),
          400,
          'INVALID_UPDATE',
          update('ErrBadHierarchy', /server does not hold current snapshot key/),
        );
      }
    });

    it('truncated bodies (no close delimiter, cut in the headers, cut in the data) → MALFORMED_UPLOAD', async () => {
      const whole = part('targets', targets()) + '--b0undary--\r\n';
      for (const cut of [whole.length - 16, whole.indexOf('\r\n\r\n') - 5, whole.indexOf('{"signed"') + 100, 12]) {
        await refused(`cut at ${cut}`, () => post(MANAGED, rawMultipart(whole.slice(0, cut))), 400, 'MALFORMED_UPLOAD');
      }
    });

    it('missing CRLFs (after the boundary, between headers and data, LF-only lines) → MALFORMED_UPLOAD', async () => {
      const t = targets();
      const bodies = [
        `--b0undary\r\nContent-Disposition: form-data; name="files"; filename="targets"\r\n${t}\r\n--b0undary--\r\n`,
        `--b0undary\nContent-Disposition: form-data; name="files"; filename="targets"\n\n${t}\n--b0undary--\n`,
        `--b0undary\r\nContent-Disposition: form-data; name="files"; filename="targets"\r\n\r\n${t}--b0undary--\r\n`,
      ];
      for (const [i, body] of bodies.entries())
        await refused(`missing CRLF #${i}`, () => post(MANAGED, rawMultipart(body)), 400, 'MALFORMED_UPLOAD');
    });

    it('a header line that is not "Name: value" → MALFORMED_UPLOAD', () =>
      refused(
        'bad header line',
        () => post(MANAGED, rawMultipart(`--b0undary\r\nthis is not a header\r\n\r\n${targets()}\r\n--b0undary--\r\n`)),
        400,
        'MALFORMED_UPLOAD',
      ));

    it('a part without headers, without Content-Disposition, without filename, with a repeated filename → NO_FILENAME', async () => {
      const t = targets();
      const bodies = [
        `--b0undary\r\n\r\n${t}\r\n--b0undary--\r\n`,
        `--b0undary\r\nContent-Type: application/octet-stream\r\n\r\n${t}\r\n--b0undary--\r\n`,
        `--b0undary\r\nContent-Disposition: form-data; name="files"\r\n\r\n${t}\r\n--b0undary--\r\n`,
        // Go's mime.ParseMediaType refuses a repeated parameter: no filename at all, never "the first" or "the last"
        `--b0undary\r\nContent-Disposition: form-data; name="files"; filename="root"; filename="targets"\r\n\r\n${t}\r\n--b0undary--\r\n`,
        // a valid part first does not help: every part needs a role
        part('targets', t) + `--b0undary\r\n\r\n${t}\r\n--b0undary--\r\n`,
      ];
      for (const [i, body] of bodies.entries())
        await refused(`no filename #${i}`, () => post(MANAGED, rawMultipart(body)), 400, 'NO_FILENAME');
    });

    it('every part counts whatever its form name (as notary): name="other" filename="foo" → INVALID_ROLE', () =>
      refused(
        'other form field',
        () => post(MANAGED, multipart([{ filename: 'foo', bytes: targets(), field: 'other' }])),
        400,
        'INVALID_ROLE',
        'foo',
      ));

    it('2000 parts → MALFORMED_UPLOAD (at most 1000)', () => {
      const parts = Array.from({ length: 2000 }, () => ({ filename: 'timestamp', bytes: '{}' }));
      return refused('2000 parts', () => post(MANAGED, multipart(parts)), 400, 'MALFORMED_UPLOAD');
    });

    it('a huge filename → INVALID_ROLE with the name as detail', () => {
      const name = `targets/${'a'.repeat(100_000)}`;
      return refused('huge filename', () => post(MANAGED, multipart([{ filename: name, bytes: targets() }])), 400, 'INVALID_ROLE', name);
    });

    it('a well-formed body sent chunked is read as well (and refused for its content)', () =>
      refused(
        'chunked',
        () => send('POST', T(MANAGED), { ...multipart([{ filename: 'targets', bytes: targets() }]), chunked: true }),
        400,
        'VERSION',
        {},
      ));
  });
});
