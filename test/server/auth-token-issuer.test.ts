/**
 * The built-in token issuer of `dct server` (docker's token service): tokens
 * for good passwords with the docker/distribution claims, the same 401 for bad
 * passwords and unknown users, scopes narrowed to what the rules grant,
 * anonymous access, refused requests, the OAuth2 password grant, scope parsing
 * and the signing key kept in the data folder.
 */
import assert from 'node:assert/strict';
import { type KeyObject } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AccessRules, parseAccessRules } from '../../src/server/auth/access-rules.js';
import { parseTrustBundle, TokenVerifier } from '../../src/server/auth/bearer-auth.js';
import { Htpasswd } from '../../src/server/auth/htpasswd.js';
import { decodeJwt, libtrustKeyId } from '../../src/server/auth/jwt.js';
import { loadOrCreateTokenKey, parseScopes, TokenIssuer } from '../../src/server/auth/token-issuer.js';
import { b64, bcryptLine, ecKey, payloadOf } from './auth-support.js';

describe('token issuer', () => {
  const key = ecKey();
  const users = Htpasswd.fromText([bcryptLine('writer', 'wpw'), bcryptLine('reader', 'rpw'), bcryptLine('admin', 'apw')].join('\n'));
  const rules = new AccessRules(
    parseAccessRules([
      { user: 'writer', repositories: 'r.io/team/*', actions: ['push', 'pull'] },
      { user: 'reader', repositories: '*', actions: ['pull'] },
      { user: 'admin', repositories: '*', actions: ['*'] },
    ]),
    { anonymousPull: false },
  );
  const now = Date.UTC(2026, 10, 23, 12, 0, 0);
  const issuer = new TokenIssuer({ issuer: 'dct-test', service: 'trust', ttlSeconds: 300, users, rules, key, now: () => now });
  const verifier = new TokenVerifier({ issuer: 'dct-test', service: 'trust', keys: [key.publicKey], now: () => now });
  const ask = (query: string, authorization?: string) => issuer.handle({ method: 'GET', query: new URLSearchParams(query), authorization });

  it('good password: docker token JSON and a JWT with the docker/distribution claims', async () => {
    const { response, grant } = await ask(
      'service=trust&scope=repository:r.io/team/app:pull,push&account=writer&client_id=docker&offline_token=true',
      `Basic ${b64('writer:wpw')}`,
    );
    assert.equal(response.status, 200);
    assert.equal(response.headers['Content-Type'], 'application/json; charset=utf-8');
    assert.equal(response.headers['Cache-Control'], 'no-store');
    const json = JSON.parse(response.body.toString('utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(json), ['token', 'access_token', 'expires_in', 'issued_at']);
    assert.equal(json['token'], json['access_token']);
    assert.equal(json['expires_in'], 300);
    assert.equal(json['issued_at'], '2026-11-23T12:00:00Z');
    const token = json['token'] as string;
    const jwt = decodeJwt(token);
    assert.ok(jwt);
    assert.deepEqual(jwt.header, { typ: 'JWT', alg: 'ES256', kid: key.kid });
    assert.equal(jwt.signature.length, 64, 'ECDSA P-256 signature as raw r‖s');
    const claims = payloadOf(token);
    assert.deepEqual(Object.keys(claims), ['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', 'access']);
    assert.equal(claims['iss'], 'dct-test');
    assert.equal(claims['sub'], 'writer');
    assert.equal(claims['aud'], 'trust');
    assert.equal(claims['iat'], now / 1000);
    assert.equal(claims['nbf'], now / 1000);
    assert.equal(claims['exp'], now / 1000 + 300);
    assert.match(claims['jti'] as string, /^[A-Za-z0-9_-]{22}$/);
    assert.deepEqual(claims['access'], [{ type: 'repository', name: 'r.io/team/app', actions: ['pull', 'push'] }]);
    assert.equal(grant?.user, 'writer');
    const verified = verifier.verify(token);
    assert.equal(verified.subject, 'writer');
    assert.deepEqual([...(verified.access.get('repository\u0000r.io/team/app') ?? [])], ['pull', 'push']);
  });

  it('bad password and unknown user: the same 401 with a Basic challenge', async () => {
    for (const auth of [`Basic ${b64('writer:nope')}`, `Basic ${b64('ghost:wpw')}`, `Basic ${b64(':wpw')}`, 'Basic !!!', 'Bearer abc']) {
      const { response, refused } = await ask('service=trust&scope=repository:r.io/team/app:pull', auth);
      assert.equal(response.status, 401, auth);
      assert.equal(response.headers['WWW-Authenticate'], 'Basic realm="trust"');
      assert.equal(response.body.toString('utf8'), '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}\n');
      assert.ok(refused);
    }
  });

  it('narrows the requested scopes to what the rules grant', async () => {
    const token = async (user: string, pw: string, ...scopes: string[]) => {
      const q = new URLSearchParams({ service: 'trust' });
      for (const s of scopes) q.append('scope', s);
      const { response } = await ask(q.toString(), `Basic ${b64(`${user}:${pw}`)}`);
      assert.equal(response.status, 200);
      return payloadOf((JSON.parse(response.body.toString('utf8')) as { token: string }).token)['access'];
    };
    assert.deepEqual(await token('reader', 'rpw', 'repository:r.io/team/app:push,pull'), [
      { type: 'repository', name: 'r.io/team/app', actions: ['pull'] },
    ]);
    assert.deepEqual(await token('writer', 'wpw', 'repository:r.io/team/app:*'), []);
    assert.deepEqual(await token('writer', 'wpw', 'repository:r.io/elsewhere/app:pull,push'), []);
    assert.deepEqual(await token('admin', 'apw', 'repository:r.io/x:*'), [{ type: 'repository', name: 'r.io/x', actions: ['*'] }]);
    // several scopes, in one parameter (space-separated) or several; host:port names; catalog for admins only
    assert.deepEqual(
      await token(
        'writer',
        'wpw',
        'repository:r.io/team/a:pull repository:127.0.0.1:5000/b:pull',
        'repository:r.io/team/c:push',
        'registry:catalog:*',
      ),
      [
        { type: 'repository', name: 'r.io/team/a', actions: ['pull'] },
        { type: 'repository', name: 'r.io/team/c', actions: ['push'] },
      ],
    );
    assert.deepEqual(await token('admin', 'apw', 'registry:catalog:*', 'repository(plugin):p/q:pull'), [
      { type: 'registry', name: 'catalog', actions: ['*'] },
      { type: 'repository', name: 'p/q', actions: ['pull'] },
    ]);
  });

  it('anonymous requests get what anonymous access grants', async () => {
    const { response, grant } = await ask('service=trust&scope=repository:r.io/team/app:pull');
    assert.equal(response.status, 200);
    assert.equal(grant?.user, undefined);
    const claims = payloadOf((JSON.parse(response.body.toString('utf8')) as { token: string }).token);
    assert.equal(claims['sub'], '');
    assert.deepEqual(claims['access'], []);
    const open = new TokenIssuer({
      issuer: 'dct-test',
      service: 'trust',
      ttlSeconds: 300,
      users,
      rules: new AccessRules([], { anonymousPull: true }),
      key,
      now: () => now,
    });
    const r = await open.handle({ method: 'GET', query: new URLSearchParams('service=trust&scope=repository:r.io/team/app:push,pull') });
    assert.deepEqual(payloadOf((JSON.parse(r.response.body.toString('utf8')) as { token: string }).token)['access'], [
      { type: 'repository', name: 'r.io/team/app', actions: ['pull'] },
    ]);
  });

  it('refuses another service, an account that is not the user, malformed scopes', async () => {
    const auth = `Basic ${b64('writer:wpw')}`;
    const bad = async (query: string, pattern: RegExp) => {
      const { response, refused } = await ask(query, auth);
      assert.equal(response.status, 400, query);
      assert.match(response.body.toString('utf8'), /"code":"INVALID_PARAMETERS"/);
      assert.match(refused ?? '', pattern);
    };
    await bad('service=other&scope=repository:r.io/team/app:pull', /unknown service/);
    await bad('service=trust&account=reader&scope=repository:r.io/team/app:pull', /account/);
    await bad('service=trust&scope=repository:pull', /invalid scope/);
    await bad('service=trust&scope=nocolons', /invalid scope/);
  });

  it('OAuth2 password grant (POST form) answers the same token', async () => {
    const body = Buffer.from(
      new URLSearchParams({
        grant_type: 'password',
        username: 'writer',
        password: 'wpw',
        service: 'trust',
        scope: 'repository:r.io/team/app:pull',
        client_id: 'docker',
      }).toString(),
    );
    const r = await issuer.handle({ method: 'POST', query: new URLSearchParams(), contentType: 'application/x-www-form-urlencoded', body });
    assert.equal(r.response.status, 200);
    const json = JSON.parse(r.response.body.toString('utf8')) as { access_token: string };
    assert.deepEqual(payloadOf(json.access_token)['access'], [{ type: 'repository', name: 'r.io/team/app', actions: ['pull'] }]);
    const refresh = await issuer.handle({
      method: 'POST',
      query: new URLSearchParams(),
      contentType: 'application/x-www-form-urlencoded',
      body: Buffer.from('grant_type=refresh_token&refresh_token=x'),
    });
    assert.equal(refresh.response.status, 400);
    const wrong = await issuer.handle({
      method: 'POST',
      query: new URLSearchParams(),
      contentType: 'application/x-www-form-urlencoded',
      body: Buffer.from('grant_type=password&username=writer&password=x'),
    });
    assert.equal(wrong.response.status, 401);
  });

  it('parseScopes keeps colons of host:port names', () => {
    assert.deepEqual(parseScopes(['repository:127.0.0.1:5000/a/b:pull,push']), [
      { type: 'repository', name: '127.0.0.1:5000/a/b', actions: ['pull', 'push'] },
    ]);
  });

  it('the signing key is made once in the data folder (0600 PEM) with a certificate, then reused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dct-token-key-'));
    try {
      const first = await loadOrCreateTokenKey(dir);
      assert.equal(first.created, true);
      assert.equal(statSync(first.keyFile).mode & 0o777, 0o600);
      assert.match(readFileSync(first.keyFile, 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
      const bundle = parseTrustBundle(readFileSync(first.certFile, 'utf8'));
      assert.equal(libtrustKeyId(bundle.keys[0] as KeyObject), first.kid);
      chmodSync(first.keyFile, 0o644);
      const again = await loadOrCreateTokenKey(dir);
      assert.equal(again.created, false);
      assert.equal(again.kid, first.kid);
      assert.equal(statSync(first.keyFile).mode & 0o777, 0o600, 'permissions restored');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
