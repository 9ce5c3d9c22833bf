/**
 * The scopes each `dct server` route needs (spec §5.1) and the challenge it
 * answers without them: header and body exactly, the grants a token must hold
 * per route, and verified tokens remembered by their text, never past exp.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BearerAuth, routeAccess, TokenVerifier, type VerifiedToken } from '../../src/server/auth/bearer-auth.js';
import { signJwt } from '../../src/server/auth/jwt.js';
import { matchRoute } from '../../src/server/routes.js';
import { b64, ecKey } from './auth-support.js';

describe('route scopes and the challenge', () => {
  const key = ecKey();
  const now = Date.now();
  const verifier = new TokenVerifier({ issuer: 'dct', service: 'dct', keys: [key.publicKey] });
  const token = (access: Array<{ type: string; name: string; actions: string[] }>, over: Record<string, unknown> = {}) =>
    signJwt(
      {
        iss: 'dct',
        sub: 'u',
        aud: 'dct',
        exp: Math.floor(now / 1000) + 300,
        nbf: Math.floor(now / 1000),
        iat: Math.floor(now / 1000),
        jti: 'j',
        access,
        ...over,
      },
      key.privateKey,
      key.kid,
    );
  const gun = '127.0.0.1:5000/team/app';
  const base = `/v2/${gun}/_trust`;

  it('§5.1 scopes per route; health and metrics open', () => {
    const scope = (method: string, path: string) => {
      const needs = routeAccess(matchRoute(method, path));
      return needs === undefined
        ? 'open'
        : `${needs.access.map((a) => `${a.type}:${a.name}:${a.action}`).join(' ')}${needs.anyToken ? ' (any token)' : ''}`;
    };
    assert.equal(scope('GET', '/_notary_server/health'), 'open');
    assert.equal(scope('GET', '/metrics'), 'open');
    assert.equal(scope('GET', '/v2/'), 'registry:catalog:* (any token)');
    assert.equal(scope('HEAD', '/v2/'), 'registry:catalog:* (any token)');
    assert.equal(scope('GET', '/nothing'), 'registry:catalog:* (any token)');
    assert.equal(scope('GET', `${base}/tuf/root.json`), `repository:${gun}:pull`);
    assert.equal(scope('GET', `${base}/tuf/2.targets.json`), `repository:${gun}:pull`);
    assert.equal(scope('GET', `${base}/tuf/snapshot.${'a'.repeat(64)}.json`), `repository:${gun}:pull`);
    assert.equal(scope('GET', `${base}/changefeed`), `repository:${gun}:pull`);
    assert.equal(scope('POST', `${base}/tuf/`), `repository:${gun}:push repository:${gun}:pull`);
    assert.equal(scope('GET', `${base}/tuf/timestamp.key`), `repository:${gun}:push repository:${gun}:pull`);
    assert.equal(scope('POST', `${base}/tuf/snapshot.key`), `repository:${gun}:*`);
    assert.equal(scope('DELETE', `${base}/tuf/`), `repository:${gun}:*`);
    assert.equal(scope('GET', '/v2/_trust/changefeed'), 'registry:catalog:*');
  });

  it('challenge header and body, exactly', () => {
    const auth = new BearerAuth({ verifier, service: 'dct', secure: true });
    const req = { host: '127.0.0.1:4443' };
    const missing = auth.check(matchRoute('POST', `${base}/tuf/`), req);
    assert.ok(missing);
    assert.equal(missing.status, 401);
    assert.equal(
      missing.headers['WWW-Authenticate'],
      `Bearer realm="https://127.0.0.1:4443/auth/token",service="dct",scope="repository:${gun}:push,pull"`,
    );
    assert.equal(missing.headers['Content-Type'], 'application/json; charset=utf-8');
    assert.equal(
      missing.body.toString('utf8'),
      `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":[{"Type":"repository","Class":"","Name":"${gun}","Action":"push"},{"Type":"repository","Class":"","Name":"${gun}","Action":"pull"}]}]}\n`,
    );
    const invalid = auth.check(matchRoute('GET', `${base}/tuf/root.json`), {
      ...req,
      authorization: `Bearer ${token([{ type: 'repository', name: gun, actions: ['pull'] }], { aud: 'x' })}`,
    });
    assert.equal(
      invalid?.headers['WWW-Authenticate'],
      `Bearer realm="https://127.0.0.1:4443/auth/token",service="dct",scope="repository:${gun}:pull",error="invalid_token"`,
    );
    const garbage = auth.check(matchRoute('GET', `${base}/tuf/root.json`), { ...req, authorization: 'Bearer not-a-jwt' });
    assert.match(String(garbage?.headers['WWW-Authenticate']), /,error="invalid_token"$/);
    const narrow = auth.check(matchRoute('DELETE', `${base}/tuf/`), {
      ...req,
      authorization: `Bearer ${token([{ type: 'repository', name: gun, actions: ['pull', 'push'] }])}`,
    });
    assert.equal(
      narrow?.headers['WWW-Authenticate'],
      `Bearer realm="https://127.0.0.1:4443/auth/token",service="dct",scope="repository:${gun}:*",error="insufficient_scope"`,
    );
    assert.equal(
      narrow?.body.toString('utf8'),
      `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":[{"Type":"repository","Class":"","Name":"${gun}","Action":"*"}]}]}\n`,
    );
    const catalog = auth.check(matchRoute('GET', '/v2/'), req);
    assert.equal(
      catalog?.headers['WWW-Authenticate'],
      'Bearer realm="https://127.0.0.1:4443/auth/token",service="dct",scope="registry:catalog:*"',
    );
    assert.equal(
      catalog?.body.toString('utf8'),
      '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":[{"Type":"registry","Class":"","Name":"catalog","Action":"*"}]}]}\n',
    );
    // a configured realm wins; behind a proxy the forwarded scheme is used; a strange Host falls back to the listening address
    assert.match(
      String(
        new BearerAuth({ verifier, service: 'dct', secure: true, realm: 'https://auth.example.com/token' }).check(
          matchRoute('GET', '/v2/'),
          req,
        )?.headers['WWW-Authenticate'],
      ),
      /^Bearer realm="https:\/\/auth\.example\.com\/token"/,
    );
    const plain = new BearerAuth({ verifier, service: 'dct', secure: false });
    assert.match(
      String(plain.check(matchRoute('GET', '/v2/'), { host: 'trust.example.com', forwardedProto: 'https' })?.headers['WWW-Authenticate']),
      /^Bearer realm="https:\/\/trust\.example\.com\/auth\/token"/,
    );
    plain.setOrigin('http://127.0.0.1:9');
    assert.match(
      String(plain.check(matchRoute('GET', '/v2/'), { host: 'a"b' })?.headers['WWW-Authenticate']),
      /^Bearer realm="http:\/\/127\.0\.0\.1:9\/auth\/token"/,
    );
  });

  it('grants: pull for reads, push+pull for updates and key GETs, * for deletion and rotation, catalog for the global feed', () => {
    const auth = new BearerAuth({ verifier, service: 'dct', secure: true });
    const ok = (method: string, path: string, access: Array<{ type: string; name: string; actions: string[] }>) =>
      auth.check(matchRoute(method, path), { authorization: `Bearer ${token(access)}` }) === undefined;
    const pull = [{ type: 'repository', name: gun, actions: ['pull'] }];
    const pushPull = [{ type: 'repository', name: gun, actions: ['push', 'pull'] }];
    const all = [{ type: 'repository', name: gun, actions: ['*'] }];
    assert.equal(ok('GET', `${base}/tuf/root.json`, pull), true);
    assert.equal(ok('GET', `/v2/${gun}2/_trust/tuf/root.json`, pull), false, 'another repository');
    assert.equal(ok('POST', `${base}/tuf/`, pull), false);
    assert.equal(ok('POST', `${base}/tuf/`, [{ type: 'repository', name: gun, actions: ['push'] }]), false);
    assert.equal(ok('POST', `${base}/tuf/`, pushPull), true);
    assert.equal(ok('GET', `${base}/tuf/snapshot.key`, pushPull), true);
    assert.equal(ok('POST', `${base}/tuf/snapshot.key`, pushPull), false);
    assert.equal(ok('POST', `${base}/tuf/snapshot.key`, all), true);
    assert.equal(ok('DELETE', `${base}/tuf/`, all), true);
    assert.equal(ok('POST', `${base}/tuf/`, all), true, '* holds every action');
    assert.equal(ok('GET', '/v2/_trust/changefeed', all), false);
    assert.equal(ok('GET', '/v2/_trust/changefeed', [{ type: 'registry', name: 'catalog', actions: ['*'] }]), true);
    assert.equal(ok('GET', '/v2/', []), true, 'any valid token opens /v2/');
    assert.equal(auth.check(matchRoute('GET', '/_notary_server/health'), {}), undefined);
    assert.equal(auth.check(matchRoute('GET', '/metrics'), {}), undefined);
    assert.ok(auth.check(matchRoute('GET', `${base}/tuf/root.json`), { authorization: `Basic ${b64('a:b')}` }), 'Basic is not a token');
  });

  it('verified tokens are remembered by their text, never past exp', () => {
    let clock = now;
    let verifications = 0;
    const counting = new TokenVerifier({ issuer: 'dct', service: 'dct', keys: [key.publicKey], now: () => clock });
    const verify = counting.verify.bind(counting);
    counting.verify = (raw: string): VerifiedToken => {
      verifications++;
      return verify(raw);
    };
    const auth = new BearerAuth({ verifier: counting, service: 'dct', secure: true, cacheMs: 30_000, now: () => clock });
    const route = matchRoute('GET', `${base}/tuf/root.json`);
    const t = token([{ type: 'repository', name: gun, actions: ['pull'] }], { exp: Math.floor(now / 1000) + 45 });
    for (let i = 0; i < 5; i++) assert.equal(auth.check(route, { authorization: `Bearer ${t}` }), undefined);
    assert.equal(verifications, 1);
    clock = now + 31_000;
    assert.equal(auth.check(route, { authorization: `Bearer ${t}` }), undefined);
    assert.equal(verifications, 2);
    clock = now + 46_000 + 61_000;
    assert.match(String(auth.check(route, { authorization: `Bearer ${t}` })?.headers['WWW-Authenticate']), /error="invalid_token"/);
  });
});
