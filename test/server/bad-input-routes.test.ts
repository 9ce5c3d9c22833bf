/**
 * `dct server` against requests that address nothing: path tricks in the GUN
 * (dot segments, escapes, control characters, bad UTF-8, overlong names) on
 * every route, unrouted methods (404 METADATA_NOT_FOUND, HEAD without a body)
 * and bad changefeed parameters (400 INVALID_PARAMETERS with Go's strconv
 * messages). Nothing stored changes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertError, MANAGED, managed, multipart, refused, send, storedRows, T, useBadInputServer } from './bad-input-world.js';

describe('dct server: bad input gets notary 4xx answers and changes nothing', () => {
  useBadInputServer();

  describe('path tricks in the GUN', () => {
    const form = () => multipart([{ filename: 'targets', bytes: managed.published.get('targets@2')! }]);
    const tricks: Array<[string, string]> = [
      ['..', 'example.com/bad/../bad/managed'],
      ['.', 'example.com/bad/./managed'],
      ['//', 'example.com/bad//managed'],
      ['leading /', '/example.com/bad/managed'],
      ['trailing /', 'example.com/bad/managed/'],
      ['%2e%2e', 'example.com/bad/%2e%2e/bad/managed'],
      ['%2E%2E', 'example.com/bad/%2E%2E/bad/managed'],
      ['only ..', '..'],
      ['*', 'example.com/bad/*'],
      ['%2a', 'example.com/bad/man%2aaged'],
      ['very long', `example.com/${'a'.repeat(300)}`],
      ['NUL', 'example.com/bad/managed%00'],
      ['newline', 'example.com/bad/man%0Aaged'],
      ['tab', 'example.com/bad/man%09aged'],
      ['DEL', 'example.com/bad/man%7Faged'],
      ['bad escape', 'example.com/bad/man%zzaged'],
      ['truncated UTF-8', 'example.com/bad/%E0%A4'],
      ['lone surrogate', 'example.com/bad/%ED%A0%80'],
    ];
    for (const [name, gun] of tricks) {
      it(`${name}: every route → 404 METADATA_NOT_FOUND without detail`, async () => {
        await refused(`GET root.json ${name}`, () => send('GET', `/v2/${gun}/_trust/tuf/root.json`), 404, 'METADATA_NOT_FOUND');
        await refused(`GET 1.root.json ${name}`, () => send('GET', `/v2/${gun}/_trust/tuf/1.root.json`), 404, 'METADATA_NOT_FOUND');
        await refused(`GET timestamp.key ${name}`, () => send('GET', `/v2/${gun}/_trust/tuf/timestamp.key`), 404, 'METADATA_NOT_FOUND');
        await refused(`POST snapshot.key ${name}`, () => send('POST', `/v2/${gun}/_trust/tuf/snapshot.key`), 404, 'METADATA_NOT_FOUND');
        await refused(`POST update ${name}`, () => send('POST', `/v2/${gun}/_trust/tuf/`, form()), 404, 'METADATA_NOT_FOUND');
        await refused(`DELETE ${name}`, () => send('DELETE', `/v2/${gun}/_trust/tuf/`), 404, 'METADATA_NOT_FOUND');
        await refused(`changefeed ${name}`, () => send('GET', `/v2/${gun}/_trust/changefeed?records=10`), 404, 'METADATA_NOT_FOUND');
      });
    }

    it('a unicode GUN is a name like any other: nothing stored → 404 detail {}; junk → 400', async () => {
      const gun = 'example.com/b%C3%A4d/%E2%9C%93';
      await refused('GET root.json', () => send('GET', `/v2/${gun}/_trust/tuf/root.json`), 404, 'METADATA_NOT_FOUND', {});
      await refused(
        'POST junk',
        () => send('POST', `/v2/${gun}/_trust/tuf/`, multipart([{ filename: 'targets', bytes: 'junk' }])),
        400,
        'MALFORMED_JSON',
      );
    });

    it('a 255-character GUN is still served (the limit is inclusive)', async () => {
      const gun = `example.com/${'a'.repeat(255 - 'example.com/'.length)}`;
      const res = await send('GET', `/v2/${gun}/_trust/tuf/root.json`);
      assertError(res, 404, 'METADATA_NOT_FOUND', {}, '255 characters');
    });

    it('a version beyond 32 bits in the URL → 404 detail {} (no database error)', async () => {
      await refused(
        'huge version',
        () => send('GET', `/v2/${MANAGED}/_trust/tuf/99999999999999999999999.root.json`),
        404,
        'METADATA_NOT_FOUND',
        {},
      );
      await refused('2^31', () => send('GET', `/v2/${MANAGED}/_trust/tuf/2147483648.root.json`), 404, 'METADATA_NOT_FOUND', {});
    });
  });

  describe('methods', () => {
    const cases: Array<[string, string]> = [
      ['PUT', T(MANAGED)],
      ['PATCH', T(MANAGED)],
      ['OPTIONS', T(MANAGED)],
      ['GET', T(MANAGED)],
      ['PUT', `${T(MANAGED)}root.json`],
      ['POST', `${T(MANAGED)}root.json`],
      ['DELETE', `${T(MANAGED)}root.json`],
      ['PATCH', `${T(MANAGED)}timestamp.key`],
      ['DELETE', `${T(MANAGED)}snapshot.key`],
      ['POST', `${T(MANAGED)}targets.key`],
      ['POST', '/v2/'],
      ['DELETE', '/v2/_trust/changefeed?records=1'],
      ['PROPFIND', T(MANAGED)],
    ];
    for (const [method, path] of cases) {
      it(`${method} ${path} → 404 METADATA_NOT_FOUND without detail`, () =>
        refused(
          `${method} ${path}`,
          () => send(method, path, { body: Buffer.from('{}'), headers: { 'Content-Type': 'application/json' } }),
          404,
          'METADATA_NOT_FOUND',
        ));
    }

    it('HEAD → 404 with no body', async () => {
      for (const path of [`${T(MANAGED)}timestamp.json`, `${T(MANAGED)}root.json`, '/v2/', '/_notary_server/health']) {
        const before = storedRows();
        const res = await send('HEAD', path);
        assert.equal(res.status, 404, `HEAD ${path}`);
        assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
        assert.equal(res.body.length, 0);
        assert.deepEqual(storedRows(), before);
      }
    });
  });

  describe('changefeed parameters', () => {
    const bad: Array<[string, string]> = [
      ['', 'invalid records parameter: strconv.ParseInt: parsing "": invalid syntax'],
      ['records=', 'invalid records parameter: strconv.ParseInt: parsing "": invalid syntax'],
      ['records=abc', 'invalid records parameter: strconv.ParseInt: parsing "abc": invalid syntax'],
      ['records=1.5', 'invalid records parameter: strconv.ParseInt: parsing "1.5": invalid syntax'],
      ['records=0x10', 'invalid records parameter: strconv.ParseInt: parsing "0x10": invalid syntax'],
      ['records=1e3', 'invalid records parameter: strconv.ParseInt: parsing "1e3": invalid syntax'],
      ['records=%205', 'invalid records parameter: strconv.ParseInt: parsing " 5": invalid syntax'],
      ['records=99999999999', 'invalid records parameter: strconv.ParseInt: parsing "99999999999": value out of range'],
      ['records=-2147483649', 'invalid records parameter: strconv.ParseInt: parsing "-2147483649": value out of range'],
      ['records=10&change_id=abc', 'did not recognize parameters: change ID expected to be integer, provided ID was: abc'],
      ['records=10&change_id=1.5', 'did not recognize parameters: change ID expected to be integer, provided ID was: 1.5'],
      ['records=10&change_id=99999999999', 'did not recognize parameters: change ID expected to be integer, provided ID was: 99999999999'],
    ];
    for (const [query, detail] of bad) {
      it(`?${query} → 400 INVALID_PARAMETERS`, async () => {
        await refused(`global ?${query}`, () => send('GET', `/v2/_trust/changefeed?${query}`), 400, 'INVALID_PARAMETERS', detail);
        await refused(
          `per GUN ?${query}`,
          () => send('GET', `/v2/${MANAGED}/_trust/changefeed?${query}`),
          400,
          'INVALID_PARAMETERS',
          detail,
        );
      });
    }

    it('good parameters still work: records=0 (100), negative records and change_id page backwards', async () => {
      for (const query of ['records=0', 'records=-1', 'records=2&change_id=-1', 'records=%2B3', 'records=5&change_id=']) {
        const res = await send('GET', `/v2/_trust/changefeed?${query}`);
        assert.equal(res.status, 200, `?${query}: ${res.body.toString('utf8')}`);
        const doc = JSON.parse(res.body.toString('utf8')) as { count: number };
        assert.ok(doc.count >= 1, `?${query}`);
      }
    });
  });
});
