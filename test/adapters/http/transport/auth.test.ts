import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { RegistryAuth } from '../../../../src/adapters/http/registry-auth.js';
import { authenticate } from '../../../../src/adapters/http/transport/auth.js';
import { userAgent } from '../../../../src/adapters/http/transport/user-agent.js';
import { wrap } from '../../../../src/adapters/http/transport/round-tripper.js';
import { response, scripted } from './fake.js';

describe('authenticate', () => {
  let tokenServer: http.Server;
  let realm = '';
  const asked: string[] = [];
  before(async () => {
    tokenServer = http.createServer((req, res) => {
      const scope = new URL(req.url ?? '/', 'http://x').searchParams.getAll('scope').join(' ');
      asked.push(scope);
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ token: `token-for-${scope}-${asked.length}`, expires_in: 300 }));
    });
    await new Promise<void>((r) => tokenServer.listen(0, '127.0.0.1', r));
    realm = `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/token`;
  });
  after(() => tokenServer.close());

  const challenge = () => response(401, { 'WWW-Authenticate': `Bearer realm="${realm}",service="reg"` });
  const url = new URL('http://registry.test/v2/a/manifests/1');

  it('answers a 401 once with a token for the scopes, then sends it up front, cached per scope', async () => {
    asked.length = 0;
    const bottom = scripted((req) => (req.headers?.['Authorization'] ? response(200) : challenge()));
    const rt = authenticate({ auth: new RegistryAuth() })(bottom);
    assert.equal((await rt({ method: 'GET', url, scopes: ['repository:a:pull'] })).status, 200);
    assert.equal(bottom.sent.length, 2);
    assert.equal(bottom.sent[0]?.headers?.['Authorization'], undefined);
    assert.equal(bottom.sent[1]?.headers?.['Authorization'], 'Bearer token-for-repository:a:pull-1');
    // the origin has asked before: the token goes with the first request, from the cache
    assert.equal((await rt({ method: 'GET', url, scopes: ['repository:a:pull'] })).status, 200);
    assert.equal(bottom.sent.length, 3);
    assert.equal(bottom.sent[2]?.headers?.['Authorization'], 'Bearer token-for-repository:a:pull-1');
    assert.deepEqual(asked, ['repository:a:pull']);
    // another scope, another token
    await rt({ method: 'GET', url, scopes: ['repository:b:pull,push'] });
    assert.equal(bottom.sent[3]?.headers?.['Authorization'], 'Bearer token-for-repository:b:pull,push-2');
    assert.deepEqual(asked, ['repository:a:pull', 'repository:b:pull,push']);
  });

  it('a second 401 goes up; requests without scopes or to another origin go bare', async () => {
    asked.length = 0;
    const bottom = scripted(challenge());
    const rt = authenticate({ auth: new RegistryAuth(), origin: 'http://registry.test' })(bottom);
    assert.equal((await rt({ method: 'GET', url, scopes: ['repository:a:pull'] })).status, 401);
    assert.equal(bottom.sent.length, 2);
    assert.equal(asked.length, 1);
    await rt({ method: 'GET', url });
    assert.equal(bottom.sent[2]?.headers?.['Authorization'], undefined);
    await rt({ method: 'GET', url: new URL('http://cdn.test/blob'), scopes: ['repository:a:pull'] });
    assert.equal(bottom.sent[3]?.headers?.['Authorization'], undefined);
    assert.equal(bottom.sent.length, 4);
  });

  it('user agent: first among the headers, the caller’s own wins', async () => {
    const bottom = scripted(response(200));
    const rt = wrap(bottom, userAgent('dct/1'));
    await rt({ method: 'GET', url, headers: { Accept: 'x' } });
    assert.deepEqual(Object.entries(bottom.sent[0]?.headers ?? {}), [
      ['User-Agent', 'dct/1'],
      ['Accept', 'x'],
    ]);
    await rt({ method: 'GET', url, headers: { 'user-agent': 'mine' } });
    assert.deepEqual(bottom.sent[1]?.headers, { 'user-agent': 'mine' });
  });
});
