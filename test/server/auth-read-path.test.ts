/**
 * The authorization hook of `dct server` in front of the cached read path: a
 * cached answer still needs a token covering pull, health and metrics stay
 * open, and a refused upload is answered without reading its body.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { BearerAuth, TokenVerifier } from '../../src/server/auth/bearer-auth.js';
import { signJwt } from '../../src/server/auth/jwt.js';
import { createTrustHttpServer } from '../../src/server/http-server.js';
import { ResponseCache } from '../../src/server/response-cache.js';
import { metadataCaching, metadataResponse } from '../../src/server/responses.js';
import { matchRoute } from '../../src/server/routes.js';
import { cacheKey } from '../../src/server/trust-api.js';
import { MemoryKeyService, MemoryTufStore } from '../support/memory-stores.js';
import { call, ecKey, quiet } from './auth-support.js';

describe('the authorization hook in front of the cached read path', () => {
  const key = ecKey();
  const gun = 'r.io/cached/app';
  const cache = new ResponseCache();
  let url: string;
  let close: () => Promise<void>;
  const token = (access: Array<{ type: string; name: string; actions: string[] }>) => {
    const t = Math.floor(Date.now() / 1000);
    return signJwt({ iss: 'dct', sub: 'u', aud: 'dct', exp: t + 300, nbf: t, iat: t, jti: 'j', access }, key.privateKey, key.kid);
  };

  before(async () => {
    const verifier = new TokenVerifier({ issuer: 'dct', service: 'dct', keys: [key.publicKey] });
    const bearer = new BearerAuth({ verifier, service: 'dct', secure: false });
    const { server } = createTrustHttpServer(
      {
        store: new MemoryTufStore(),
        keys: new MemoryKeyService(),
        now: () => new Date(),
        cache,
        gunPrefixes: [],
        limits: { maxRoleBytes: 1 << 20, maxParts: 100 },
      },
      { maxBodyBytes: 1 << 20, writeRate: { perSecond: 100, burst: 100 }, requestTimeoutMs: 10_000, auth: { bearer } },
      quiet,
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    bearer.setOrigin(url);
    close = () => new Promise((resolve) => server.close(() => resolve()));
    // an answer only the cache knows (the store is empty)
    const entry = cacheKey(matchRoute('GET', `/v2/${gun}/_trust/tuf/root.json`)) as string;
    cache.set(entry, gun, metadataResponse(Buffer.from('CACHED ROOT'), new Date(), metadataCaching().current));
  });
  after(async () => close?.());

  it('a cached answer still needs a token covering pull on its repository', async () => {
    const path = `${url}/v2/${gun}/_trust/tuf/root.json`;
    const none = await call(path);
    assert.equal(none.status, 401);
    assert.equal(none.headers['www-authenticate'], `Bearer realm="${url}/auth/token",service="dct",scope="repository:${gun}:pull"`);
    assert.doesNotMatch(none.body, /CACHED/);
    const other = await call(path, {
      headers: { Authorization: `Bearer ${token([{ type: 'repository', name: 'r.io/other', actions: ['*'] }])}` },
    });
    assert.equal(other.status, 401);
    assert.match(String(other.headers['www-authenticate']), /error="insufficient_scope"/);
    const forged = token([{ type: 'repository', name: gun, actions: ['pull'] }]).replace(/.{4}$/, 'AAAA');
    assert.equal((await call(path, { headers: { Authorization: `Bearer ${forged}` } })).status, 401);
    const ok = await call(path, { headers: { Authorization: `Bearer ${token([{ type: 'repository', name: gun, actions: ['pull'] }])}` } });
    assert.equal(ok.status, 200);
    assert.equal(ok.body, 'CACHED ROOT');
  });

  it('health and metrics stay open; /v2/ answers the challenge; without an issuer /auth/token is a route miss', async () => {
    assert.equal((await call(`${url}/_notary_server/health`)).status, 200);
    const metrics = await call(`${url}/metrics`);
    assert.equal(metrics.status, 200);
    // the read cache's gauges: the one entry set above
    assert.match(metrics.body, /^dct_read_cache_entries 1$/m);
    assert.match(metrics.body, /^dct_read_cache_bytes [1-9]\d*$/m);
    // requests by route and status: totals that go on growing from one scrape to the next
    const counted = async (route: string, status: number) => {
      const text = (await call(`${url}/metrics`)).body;
      return Number(new RegExp(`^dct_http_requests_total\\{route="${route}",status="${status}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    };
    const healthy = await counted('health', 200);
    assert.ok(healthy >= 1, 'the health check above is counted');
    await call(`${url}/_notary_server/health`);
    await call(`${url}/_notary_server/health`);
    assert.equal(await counted('health', 200), healthy + 2);
    // (a scrape is counted once answered: the next one shows it)
    const scrapes = await counted('metrics', 200);
    assert.equal(await counted('metrics', 200), scrapes + 1);
    const ping = await call(`${url}/v2/`);
    assert.equal(ping.status, 401);
    assert.equal(ping.headers['www-authenticate'], `Bearer realm="${url}/auth/token",service="dct",scope="registry:catalog:*"`);
    assert.equal((await call(`${url}/v2/`, { headers: { Authorization: `Bearer ${token([])}` } })).status, 200);
    assert.equal((await call(`${url}/auth/token`)).status, 401);
    assert.equal((await call(`${url}/auth/token`, { headers: { Authorization: `Bearer ${token([])}` } })).status, 404);
  });

  it('a refused upload is answered without reading the body', async () => {
    const r = await call(`${url}/v2/${gun}/_trust/tuf/`, {
      method: 'POST',
      headers: { 'Content-Type': 'multipart/form-data; boundary=x' },
      body: 'x'.repeat(100_000),
    });
    assert.equal(r.status, 401);
    assert.match(String(r.headers['www-authenticate']), /scope="repository:r\.io\/cached\/app:push,pull"/);
  });
});
