import assert from 'node:assert/strict';
import * as https from 'node:https';
import { describe, it } from 'node:test';
import { isDctError } from '../../../../src/core/errors.js';
import { followRedirects } from '../../../../src/adapters/http/transport/redirect.js';
import { response, scripted } from './fake.js';

const url = new URL('https://registry.test/v2/a/blobs/sha256:1');
const headers = { Authorization: 'Bearer secret', Accept: '*/*' };

describe('followRedirects', () => {
  it('follows to another origin without Authorization, keeping the other headers', async () => {
    const bottom = scripted(response(307, { Location: 'https://cdn.test/b?sig=1' }), response(200));
    const res = await followRedirects()(bottom)({ method: 'GET', url, headers });
    assert.equal(res.status, 200);
    assert.equal(bottom.sent[1]?.url.href, 'https://cdn.test/b?sig=1');
    assert.deepEqual(bottom.sent[1]?.headers, { Accept: '*/*' });
  });

  it('keeps Authorization on the same origin, and gets it back when a later hop returns there', async () => {
    const bottom = scripted(
      response(302, { Location: '/v2/a/blobs/other' }),
      response(302, { Location: 'https://cdn.test/x' }),
      response(302, { Location: 'https://registry.test/v2/again' }),
      response(200),
    );
    await followRedirects()(bottom)({ method: 'GET', url, headers });
    assert.deepEqual(
      bottom.sent.map((r) => [r.url.href, r.headers?.['Authorization']]),
      [
        [url.href, 'Bearer secret'],
        ['https://registry.test/v2/a/blobs/other', 'Bearer secret'],
        ['https://cdn.test/x', undefined],
        ['https://registry.test/v2/again', 'Bearer secret'],
      ],
    );
  });

  it('crossOrigin adjusts the request for the other origin', async () => {
    const bottom = scripted(response(301, { Location: 'https://cdn.test/b' }), response(200));
    await followRedirects({ crossOrigin: (req) => ({ ...req, tls: { rejectUnauthorized: true } }) })(bottom)({
      method: 'GET',
      url,
      headers,
    });
    assert.deepEqual(bottom.sent[1]?.tls, { rejectUnauthorized: true });
  });

  it('refuses https → http, other schemes and too many hops; leaves other methods alone', async () => {
    await assert.rejects(
      followRedirects()(scripted(response(302, { Location: 'http://cdn.test/b' })))({ method: 'GET', url }),
      (err: unknown) => isDctError(err, 'INSECURE_REDIRECT'),
    );
    const allowed = scripted(response(302, { Location: 'http://cdn.test/b' }), response(200));
    const agent = new https.Agent();
    assert.equal((await followRedirects({ allowPlainHttp: (h) => h === 'cdn.test' })(allowed)({ method: 'GET', url, agent })).status, 200);
    assert.equal(allowed.sent[0]?.agent, agent);
    assert.equal(allowed.sent[1]?.agent, undefined, 'an https agent cannot carry an http request');
    await assert.rejects(
      followRedirects()(scripted(response(302, { Location: 'ftp://cdn.test/b' })))({ method: 'GET', url }),
      (err: unknown) => isDctError(err, 'REGISTRY_BAD_RESPONSE') && /ftp:/.test(err.message),
    );
    const loop = scripted(response(302, { Location: '/again' }));
    await assert.rejects(followRedirects({ max: 3 })(loop)({ method: 'GET', url }), /more than 3 redirects/);
    assert.equal(loop.sent.length, 4);
    const put = scripted(response(307, { Location: '/elsewhere' }));
    assert.equal((await followRedirects()(put)({ method: 'PUT', url })).status, 307);
    assert.equal(put.sent.length, 1);
  });
});
