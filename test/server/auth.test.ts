/**
 * Docker registry token auth on `dct server`: the htpasswd user file, access
 * rules, the built-in token issuer, JWT verification, the per-route scopes and
 * the challenge, the authorization hook in front of the cached read path, the
 * loopback rule, and the real notary and docker CLIs against an auth-enabled
 * server.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHmac, generateKeyPairSync, randomBytes, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { pino } from 'pino';
import { der } from '../../src/core/der.js';
import { createCertificate, extension, OID } from '../../src/core/keys/certificate.js';
import { AccessRules, globMatch, parseAccessRules } from '../../src/server/auth/access-rules.js';
import { BearerAuth, parseTrustBundle, routeAccess, TokenVerifier, type VerifiedToken } from '../../src/server/auth/bearer-auth.js';
import { Htpasswd, HtpasswdFile, parseHtpasswd } from '../../src/server/auth/htpasswd.js';
import { base64url, decodeJwt, libtrustKeyId, signJwt } from '../../src/server/auth/jwt.js';
import { createServerAuth } from '../../src/server/auth/server-auth.js';
import { loadOrCreateTokenKey, parseScopes, TokenIssuer } from '../../src/server/auth/token-issuer.js';
import { loadConfig, type ServerConfig } from '../../src/server/config.js';
import { createTrustHttpServer } from '../../src/server/http-server.js';
import { ResponseCache } from '../../src/server/response-cache.js';
import { metadataCaching, metadataResponse } from '../../src/server/responses.js';
import { matchRoute } from '../../src/server/routes.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { cacheKey } from '../../src/server/trust-api.js';
import { interopSkip, missingTool } from '../support/interop.js';
import { ensureReferenceTools } from '../support/reference-stack.js';
import { MemoryKeyService, MemoryTufStore } from '../support/memory-stores.js';

const quiet = pino({ level: 'silent' });
/** bcrypt as `htpasswd -B` writes it ($2y$), cost 4 to keep tests fast */
const bcryptLine = (user: string, password: string, cost = 4) => `${user}:${bcrypt.hashSync(password, cost).replace(/^\$2b\$/, '$2y$')}`;
const b64 = (text: string) => Buffer.from(text).toString('base64');
const payloadOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString('utf8')) as Record<string, unknown>;

function ecKey(curve = 'prime256v1'): { privateKey: KeyObject; publicKey: KeyObject; kid: string } {
  const pair = generateKeyPairSync('ec', { namedCurve: curve });
  return { ...pair, kid: libtrustKeyId(pair.publicKey) };
}

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function call(url: string, opts: { method?: string; headers?: Record<string, string>; ca?: string; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      u,
      { method: opts.method ?? 'GET', headers: opts.headers ?? {}, ...(opts.ca ? { ca: readFileSync(opts.ca) } : {}), agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('htpasswd', () => {
  it('reads bcrypt entries ($2y$, $2a$, $2b$), skips blank lines and comments, verifies passwords', async () => {
    const y = bcryptLine('yves', 'pw-y');
    const a = bcryptLine('anna', 'pw-a').replace('$2y$', '$2a$');
    const b = bcryptLine('bert', 'pw-b').replace('$2y$', '$2b$');
    const table = Htpasswd.fromText(`# users\n${y}\n\n${a}\r\n${b}\n`);
    assert.equal(table.size, 3);
    assert.equal(await table.verify('yves', 'pw-y'), true);
    assert.equal(await table.verify('anna', 'pw-a'), true);
    assert.equal(await table.verify('bert', 'pw-b'), true);
    assert.equal(await table.verify('yves', 'pw-a'), false);
    assert.equal(await table.verify('yves', ''), false);
    assert.equal(await table.verify('nobody', 'pw-y'), false);
    // remembered successes do not outlive a wrong password
    assert.equal(await table.verify('yves', 'pw-y'), true);
    assert.equal(await table.verify('yves', 'pw-y '), false);
  });

  it('refuses other formats, naming the line and the user', () => {
    const good = bcryptLine('ok', 'pw');
    const cases: Array<[string, RegExp]> = [
      [
        'alice:$apr1$Vd2Tl0Xy$Y6pXq4rYqjYcE8PMNkJRa/',
        /line 2: user "alice" has an Apache MD5 \(\$apr1\$\) hash; only bcrypt entries \(\$2y\$, \$2a\$, \$2b\$\)/,
      ],
      ['alice:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=', /line 2: user "alice" has a \{SHA\} hash/],
      ['alice:plaintext', /line 2: user "alice" has not a bcrypt hash/],
      ['alice:$6$salt$abcdef', /line 2: user "alice" has a \$6\$ hash/],
      ['no-colon-here', /line 2: expected "user:bcrypt-hash"/],
      [`${good.replace('ok:', 'dup:')}\n${good.replace('ok:', 'dup:')}`, /line 3: user "dup" appears twice/],
    ];
    for (const [line, message] of cases) {
      assert.throws(
        () => parseHtpasswd(`${good}\n${line}\n`, 'users.htpasswd'),
        (err: Error & { code?: string }) => {
          assert.equal(err.code, 'INVALID_CONFIG');
          assert.match(err.message, /^users\.htpasswd /);
          assert.match(err.message, message);
          return true;
        },
      );
    }
  });

  it('takes as long for an unknown user as for a wrong password (a bcrypt comparison either way)', async () => {
    const table = Htpasswd.fromText(`${bcryptLine('known', 'pw', 8)}\n${bcryptLine('other', 'pw', 8)}`);
    const time = async (user: string) => {
      const runs: number[] = [];
      for (let i = 0; i < 3; i++) {
        const t = process.hrtime.bigint();
        await table.verify(user, 'wrong');
        runs.push(Number(process.hrtime.bigint() - t));
      }
      return runs.sort((x, y) => x - y)[1] as number;
    };
    const known = await time('known');
    const unknown = await time('unknown');
    assert.ok(unknown > known * 0.4 && unknown < known * 2.5, `unknown user ${unknown} ns vs wrong password ${known} ns`);
  });

  it('an htpasswd file is re-read when it changes; a broken version keeps the previous users', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dct-htpasswd-'));
    try {
      const file = join(dir, 'users');
      writeFileSync(file, bcryptLine('first', 'pw1') + '\n');
      const errors: string[] = [];
      const users = await HtpasswdFile.open(file, { checkEveryMs: 0, onReloadError: (e) => errors.push(e.message) });
      assert.equal(await users.verify('first', 'pw1'), true);
      assert.equal(await users.verify('second', 'pw2'), false);
      writeFileSync(file, `${bcryptLine('first', 'pw1')}\n${bcryptLine('second', 'pw2')}\n`);
      assert.equal(await users.verify('second', 'pw2'), true);
      writeFileSync(file, `${bcryptLine('first', 'pw1')}\nthird:$apr1$x$y\n`);
      assert.equal(await users.verify('second', 'pw2'), true);
      assert.equal(errors.length, 1);
      assert.match(errors[0] as string, /line 2: user "third"/);
      await assert.rejects(HtpasswdFile.open(join(dir, 'missing')), /cannot read the htpasswd file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('access rules', () => {
  it('globs: * matches any characters including /, ${user} the user name', () => {
    assert.equal(globMatch('*', 'docker.io/library/alpine'), true);
    assert.equal(globMatch('docker.io/library/*', 'docker.io/library/alpine'), true);
    assert.equal(globMatch('docker.io/library/*', 'docker.io/library/a/b'), true);
    assert.equal(globMatch('docker.io/library/*', 'docker.io/other/alpine'), false);
    assert.equal(globMatch('docker.io/library/*', 'docker.io/library'), false);
    assert.equal(globMatch('127.0.0.1:5000/*/app', '127.0.0.1:5000/team/app'), true);
    assert.equal(globMatch('127.0.0.1:5000/*/app', '127.0.0.1:5000/team/app2'), false);
    assert.equal(globMatch('a*b*c', 'abc'), true);
    assert.equal(globMatch('a*b*c', 'acb'), false);
    assert.equal(globMatch('exact/name', 'exact/name'), true);
    assert.equal(globMatch('exact/name', 'exact/name2'), false);
    assert.equal(globMatch('r.io/${user}/*', 'r.io/ann/x', 'ann'), true);
    assert.equal(globMatch('r.io/${user}/*', 'r.io/bob/x', 'ann'), false);
    assert.equal(globMatch('r.io/${user}/*', 'r.io/ann/x'), false);
    // a user name is literal text, not a glob
    assert.equal(globMatch('r.io/${user}/x', 'r.io/anything/x', '*'), false);
  });

  it('granted(user, gun, requested): the requested actions the rules hold, in request order', () => {
    const rules = new AccessRules(
      parseAccessRules([
        { user: 'ci', repositories: 'r.io/team/*', actions: ['push', 'pull'] },
        { user: 'admin', repositories: '*', actions: ['*'] },
        { user: '*', repositories: 'r.io/public/*', actions: ['pull'] },
        { user: '*', repositories: 'r.io/home/${user}/*', actions: ['*'] },
      ]),
    );
    assert.deepEqual(rules.granted('ci', 'r.io/team/app', ['pull', 'push']), ['pull', 'push']);
    assert.deepEqual(rules.granted('ci', 'r.io/team/app', ['push', 'pull', 'push']), ['push', 'pull']);
    assert.deepEqual(rules.granted('ci', 'r.io/team/app', ['*']), []);
    assert.deepEqual(rules.granted('ci', 'r.io/other/app', ['pull']), []);
    assert.deepEqual(rules.granted('ci', 'r.io/public/x', ['pull', 'push']), ['pull']);
    assert.deepEqual(rules.granted('admin', 'anything', ['pull', 'push', '*', 'delete']), ['pull', 'push', '*', 'delete']);
    assert.deepEqual(rules.granted('eve', 'r.io/home/eve/app', ['*']), ['*']);
    assert.deepEqual(rules.granted('eve', 'r.io/home/ci/app', ['pull']), []);
    assert.deepEqual(rules.granted(undefined, 'r.io/public/x', ['pull']), [], 'rules never match anonymous clients');
    assert.equal(rules.catalogGranted('admin'), true);
    assert.equal(rules.catalogGranted('ci'), false);
    assert.equal(rules.catalogGranted(undefined), false);
  });

  it('anonymous pull when enabled; default rules give every user everything', () => {
    const anon = new AccessRules(undefined, { anonymousPull: true });
    assert.deepEqual(anon.granted(undefined, 'x/y', ['pull', 'push']), ['pull']);
    assert.deepEqual(anon.granted('someone', 'x/y', ['pull', 'push', '*']), ['pull', 'push', '*']);
    assert.deepEqual(new AccessRules().granted(undefined, 'x/y', ['pull']), []);
  });

  it('refuses malformed rules with their position', () => {
    assert.throws(() => parseAccessRules({}), /must be a list/);
    assert.throws(() => parseAccessRules([{ user: 'a', repositories: '*', actions: ['pull', 'delete'] }]), /authRules\[0\]\.actions/);
    assert.throws(
      () =>
        parseAccessRules([
          { user: 'a', repositories: '*', actions: ['pull'] },
          { user: '', repositories: '*', actions: ['pull'] },
        ]),
      /authRules\[1\]\.user/,
    );
    assert.throws(() => parseAccessRules([{ user: 'a', repositories: '', actions: ['pull'] }]), /authRules\[0\]\.repositories/);
    assert.throws(() => parseAccessRules([{ user: 'a', repositories: '*', actions: ['pull'], extra: 1 }]), /unknown field "extra"/);
  });
});

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

describe('JWT verification', () => {
  const key = ecKey();
  const now = Date.UTC(2026, 10, 23, 12, 0, 0);
  const nowS = now / 1000;
  const verifier = new TokenVerifier({ issuer: 'dct', service: 'trust', keys: [key.publicKey], now: () => now });
  const claims = (over: Record<string, unknown> = {}) => ({
    iss: 'dct',
    sub: 'u',
    aud: 'trust',
    exp: nowS + 300,
    nbf: nowS,
    iat: nowS,
    jti: 'j',
    access: [{ type: 'repository', name: 'g', actions: ['pull'] }],
    ...over,
  });
  const good = (over?: Record<string, unknown>) => signJwt(claims(over), key.privateKey, key.kid);
  const refused = (token: string, pattern: RegExp) =>
    assert.throws(
      () => verifier.verify(token),
      (err: Error) => pattern.test(err.message),
    );

  it('accepts a good token, also without kid and with aud as a list', () => {
    assert.equal(verifier.verify(good()).subject, 'u');
    const [, body, sig] = good().split('.');
    const noKid = base64url(JSON.stringify({ typ: 'JWT', alg: 'ES256' }));
    const input = `${noKid}.${body}`;
    const s = cryptoSign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
    assert.equal(verifier.verify(`${input}.${base64url(s)}`).subject, 'u');
    assert.ok(sig);
    assert.equal(verifier.verify(good({ aud: ['other', 'trust'] })).subject, 'u');
  });

  it('refuses a tampered signature or tampered claims', () => {
    const token = good();
    const [h, c, s] = token.split('.') as [string, string, string];
    const flipped = Buffer.from(s, 'base64url');
    flipped[10] = (flipped[10] as number) ^ 1;
    refused(`${h}.${c}.${base64url(flipped)}`, /bad signature/);
    const more = base64url(JSON.stringify(claims({ access: [{ type: 'repository', name: 'g', actions: ['*'] }] })));
    refused(`${h}.${more}.${s}`, /bad signature/);
    refused(`${h}.${c}.`, /no signature/);
    // a DER signature instead of r‖s
    const derSig = cryptoSign('sha256', Buffer.from(`${h}.${c}`), { key: key.privateKey, dsaEncoding: 'der' });
    refused(`${h}.${c}.${base64url(derSig)}`, /bad signature/);
  });

  it('refuses a token signed by another key, even one naming our kid', () => {
    const other = ecKey();
    refused(signJwt(claims(), other.privateKey, key.kid), /bad signature/);
    refused(signJwt(claims(), other.privateKey, other.kid), /bad signature/);
  });

  it('refuses the wrong aud or iss', () => {
    refused(good({ aud: 'registry' }), /another audience/);
    refused(good({ aud: ['registry'] }), /another audience/);
    refused(good({ aud: undefined }), /another audience/);
    refused(good({ iss: 'evil' }), /untrusted issuer/);
  });

  it('checks exp and nbf with 60 s of leeway', () => {
    assert.ok(verifier.verify(good({ exp: nowS - 59 })));
    refused(good({ exp: nowS - 61 }), /expired/);
    assert.ok(verifier.verify(good({ nbf: nowS + 59 })));
    refused(good({ nbf: nowS + 61 }), /not valid yet/);
    refused(good({ exp: undefined }), /exp and nbf must be numbers/);
    refused(good({ exp: '9999999999' }), /exp and nbf must be numbers/);
  });

  it('refuses alg none, HS256 keyed with the public key (algorithm confusion), and algorithms that do not fit the key', () => {
    const body = base64url(JSON.stringify(claims()));
    const head = (h: object) => base64url(JSON.stringify(h));
    refused(`${head({ typ: 'JWT', alg: 'none' })}.${body}.`, /algorithm "none" is not accepted/);
    refused(`${head({ typ: 'JWT', alg: 'none', kid: key.kid })}.${body}.${base64url('x')}`, /algorithm "none"/);
    for (const secret of [key.publicKey.export({ format: 'pem', type: 'spki' }), key.publicKey.export({ format: 'der', type: 'spki' })]) {
      const input = `${head({ typ: 'JWT', alg: 'HS256', kid: key.kid })}.${body}`;
      refused(`${input}.${base64url(createHmac('sha256', secret).update(input).digest())}`, /algorithm "HS256" is not accepted/);
    }
    // an EC key's signature presented as ES384 or RS256
    const [, c, s] = good().split('.') as [string, string, string];
    refused(`${head({ typ: 'JWT', alg: 'ES384', kid: key.kid })}.${c}.${s}`, /bad signature/);
    refused(`${head({ typ: 'JWT', alg: 'RS256', kid: key.kid })}.${c}.${s}`, /bad signature/);
    refused(`${head({ typ: 'JWT', alg: 'ES256', crit: ['exp'] })}.${c}.${s}`, /critical/);
  });

  it('refuses malformed tokens', () => {
    for (const t of ['', 'a.b', 'a.b.c.d', '!!.??.##', `${base64url('[]')}.${base64url('{}')}.`, `${base64url('{')}.${base64url('{}')}.`]) {
      assert.throws(() => verifier.verify(t));
    }
    refused(good({ access: 'everything' }), /access must be a list/);
    refused(good({ access: [{ type: 'repository', name: 'g', actions: 'pull' }] }), /malformed access/);
  });

  it('accepts an external issuer: RS256 with a bundle public key, ES256 with an x5c chain to a bundle certificate', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ca = ecKey();
    const leaf = ecKey();
    const t0 = new Date(now - 3600_000);
    const t1 = new Date(now + 3600_000);
    const caPem = createCertificate({
      commonName: 'external CA',
      publicKey: ca.publicKey,
      signingKey: ca.privateKey,
      notBefore: t0,
      notAfter: t1,
      serial: randomBytes(16),
      extensions: [
        extension(OID.keyUsage, true, Buffer.from([0x03, 0x02, 0x01, 0x06])),
        extension(OID.basicConstraints, true, der.sequence(der.boolean(true))),
      ],
    });
    const leafPem = createCertificate({
      commonName: 'external issuer',
      issuerCommonName: 'external CA',
      publicKey: leaf.publicKey,
      signingKey: ca.privateKey,
      notBefore: t0,
      notAfter: t1,
      serial: randomBytes(16),
      extensions: [
        extension(OID.keyUsage, true, Buffer.from([0x03, 0x02, 0x07, 0x80])),
        extension(OID.basicConstraints, true, der.sequence()),
      ],
    });
    const bundle = parseTrustBundle(`${rsa.publicKey.export({ format: 'pem', type: 'spki' }) as string}${caPem}`);
    assert.equal(bundle.keys.length, 2);
    assert.equal(bundle.roots.length, 1);
    const external = new TokenVerifier({ issuer: 'dct', service: 'trust', keys: bundle.keys, roots: bundle.roots, now: () => now });
    const rsToken = signJwt(claims(), rsa.privateKey, 'some-other-kid');
    assert.equal(decodeJwt(rsToken)?.header['alg'], 'RS256');
    assert.equal(external.verify(rsToken).subject, 'u');
    const x5c = [Buffer.from(leafPem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64').toString('base64')];
    const input = `${base64url(JSON.stringify({ typ: 'JWT', alg: 'ES256', x5c }))}.${base64url(JSON.stringify(claims()))}`;
    const sig = cryptoSign('sha256', Buffer.from(input), { key: leaf.privateKey, dsaEncoding: 'ieee-p1363' });
    assert.equal(external.verify(`${input}.${base64url(sig)}`).subject, 'u');
    // the same chain is refused by a verifier that does not trust the CA
    assert.throws(() => verifier.verify(`${input}.${base64url(sig)}`), /bad signature or untrusted signing key/);
    // a self-made chain (leaf signed by its own key) is refused
    const selfPem = createCertificate({
      commonName: 'x',
      publicKey: leaf.publicKey,
      signingKey: leaf.privateKey,
      notBefore: t0,
      notAfter: t1,
      serial: randomBytes(16),
      extensions: [],
    });
    const selfInput = `${base64url(JSON.stringify({ typ: 'JWT', alg: 'ES256', x5c: [selfPem.replace(/-----[A-Z ]+-----|\s/g, '')] }))}.${base64url(JSON.stringify(claims()))}`;
    const selfSig = cryptoSign('sha256', Buffer.from(selfInput), { key: leaf.privateKey, dsaEncoding: 'ieee-p1363' });
    assert.throws(() => external.verify(`${selfInput}.${base64url(selfSig)}`), /untrusted signing key/);
    assert.throws(() => parseTrustBundle('nothing here'), /no CERTIFICATE or PUBLIC KEY block/);
  });
});

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

describe('server settings and the loopback rule', () => {
  const work = mkdtempSync(join(tmpdir(), 'dct-auth-config-'));
  const htpasswd = join(work, 'users');
  writeFileSync(htpasswd, bcryptLine('u', 'p') + '\n');
  after(() => rmSync(work, { recursive: true, force: true }));
  const flags = (more: Partial<ServerConfig> = {}): Partial<ServerConfig> => ({
    storage: 'sqlite::memory:',
    dataDir: join(work, 'data'),
    logLevel: 'silent',
    ...more,
  });

  it('defaults, environment (DCT_AUTH_*), config file rules', () => {
    const plain = loadConfig({ env: {}, flags: flags() });
    assert.equal(plain.authHtpasswd, undefined);
    assert.equal(plain.authService, 'dct');
    assert.equal(plain.authIssuer, 'dct');
    assert.equal(plain.authAnonymousPull, false);
    assert.equal(plain.authTokenTtlSeconds, 300);
    const fromEnv = loadConfig({
      env: {
        DCT_AUTH_HTPASSWD: htpasswd,
        DCT_AUTH_REALM: 'https://trust.example.com/auth/token',
        DCT_AUTH_SERVICE: 'trust',
        DCT_AUTH_ISSUER: 'issuer',
        DCT_AUTH_ANONYMOUS_PULL: '1',
        DCT_AUTH_TOKEN_TTL_SECONDS: '600',
        DCT_AUTH_RULES: '[{"user":"u","repositories":"*","actions":["pull"]}]',
      },
      flags: flags(),
    });
    assert.equal(fromEnv.authHtpasswd, htpasswd);
    assert.equal(fromEnv.authRealm, 'https://trust.example.com/auth/token');
    assert.equal(fromEnv.authService, 'trust');
    assert.equal(fromEnv.authIssuer, 'issuer');
    assert.equal(fromEnv.authAnonymousPull, true);
    assert.equal(fromEnv.authTokenTtlSeconds, 600);
    assert.deepEqual(fromEnv.authRules, [{ user: 'u', repositories: '*', actions: ['pull'] }]);
    const file = join(work, 'config.json');
    writeFileSync(
      file,
      JSON.stringify({
        authHtpasswd: htpasswd,
        authRules: [{ user: '*', repositories: 'r.io/*', actions: ['push', 'pull'] }],
        authTokenTtlSeconds: 120,
      }),
    );
    const fromFile = loadConfig({ file, env: {}, flags: flags({ authService: 'flagged' }) });
    assert.deepEqual(fromFile.authRules, [{ user: '*', repositories: 'r.io/*', actions: ['push', 'pull'] }]);
    assert.equal(fromFile.authTokenTtlSeconds, 120);
    assert.equal(fromFile.authService, 'flagged');
  });

  it('refuses contradictory or malformed auth settings', () => {
    const bad = (more: Partial<ServerConfig>, env: Record<string, string>, pattern: RegExp) =>
      assert.throws(() => loadConfig({ env, flags: flags(more) }), pattern);
    bad({ authHtpasswd: htpasswd, insecureNoAuth: true }, {}, /--insecure-no-auth contradicts/);
    bad({ authAnonymousPull: true }, {}, /needs --auth-htpasswd/);
    bad({}, { DCT_AUTH_RULES: '[]' }, /need --auth-htpasswd/);
    bad({ authHtpasswd: htpasswd }, { DCT_AUTH_RULES: '{not json' }, /DCT_AUTH_RULES must hold JSON/);
    bad({ authHtpasswd: htpasswd }, { DCT_AUTH_RULES: '[{"user":"u"}]' }, /authRules\[0\]\.repositories/);
    bad({ authHtpasswd: htpasswd, authRealm: 'ftp://x' }, {}, /--auth-realm must be an http\(s\) URL/);
    bad({ authHtpasswd: htpasswd, authService: 'a b' }, {}, /--auth-service/);
    bad({ authHtpasswd: htpasswd }, { DCT_AUTH_TOKEN_TTL_SECONDS: '5' }, /authTokenTtlSeconds/);
    bad({ authRootCertBundle: htpasswd }, {}, /--auth-realm must name its token endpoint/);
  });

  it('without auth: refuses a non-loopback address unless --insecure-no-auth; with auth it starts there', async () => {
    await assert.rejects(
      startServer(loadConfig({ env: {}, flags: flags({ listen: '0.0.0.0:0', plainHttp: true }) }), {}, quiet),
      (err: Error & { code?: string }) => err.code === 'AUTH_REQUIRED' && /--auth-htpasswd/.test(err.message),
    );
    const open = await startServer(
      loadConfig({ env: {}, flags: flags({ listen: '0.0.0.0:0', plainHttp: true, insecureNoAuth: true }) }),
      { DCT_SERVER_KEY_PASSPHRASE: 'k' },
      quiet,
    );
    await open.close();
    const authed = await startServer(
      loadConfig({ env: {}, flags: flags({ listen: '0.0.0.0:0', plainHttp: true, authHtpasswd: htpasswd }) }),
      { DCT_SERVER_KEY_PASSPHRASE: 'k' },
      quiet,
    );
    try {
      const port = new URL(authed.url).port;
      const ping = await call(`http://127.0.0.1:${port}/v2/`);
      assert.equal(ping.status, 401);
      assert.equal(
        ping.headers['www-authenticate'],
        `Bearer realm="http://127.0.0.1:${port}/auth/token",service="dct",scope="registry:catalog:*"`,
      );
      assert.equal(authed.auth?.service, 'dct');
    } finally {
      await authed.close();
    }
    // loopback without auth: everything open, as before
    const local = await startServer(
      loadConfig({ env: {}, flags: flags({ listen: '127.0.0.1:0', plainHttp: true }) }),
      { DCT_SERVER_KEY_PASSPHRASE: 'k' },
      quiet,
    );
    try {
      assert.equal((await call(`${local.url}/v2/`)).status, 200);
      assert.equal(local.auth, undefined);
    } finally {
      await local.close();
    }
  });

  it('createServerAuth refuses a broken htpasswd file at start, naming the line', async () => {
    const broken = join(work, 'broken');
    writeFileSync(broken, `${bcryptLine('ok', 'p')}\nold:$apr1$abc$def\n`);
    await assert.rejects(
      createServerAuth(loadConfig({ env: {}, flags: flags({ authHtpasswd: broken }) }), { secure: false, log: quiet }),
      /broken line 2: user "old" has an Apache MD5/,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The real notary and docker CLIs against an auth-enabled dct server

const unavailable = await ensureReferenceTools();
const dockerMissing = missingTool('docker');

interface Run {
  code: number;
  out: string;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { env, cwd, timeout: 60_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 99) : 0, out: `${stdout}${stderr}` });
    });
    child.stdin?.end();
  });
}

describe('real notary and docker CLIs against an auth-enabled dct server', { skip: interopSkip(unavailable) }, () => {
  const work = mkdtempSync(join(tmpdir(), 'dct-auth-e2e-'));
  const registry = '127.0.0.1:5999';
  const gun = `${registry}/e2e/app-${process.pid}`;
  let server: RunningServer;
  const passphrases = {
    NOTARY_ROOT_PASSPHRASE: 'rootpass123',
    NOTARY_TARGETS_PASSPHRASE: 'targetspass123',
    NOTARY_SNAPSHOT_PASSPHRASE: 'snapshotpass123',
  };

  before(async () => {
    writeFileSync(
      join(work, 'users'),
      [bcryptLine('writer', 'writer-pw'), bcryptLine('reader', 'reader-pw'), bcryptLine('admin', 'admin-pw')].join('\n') + '\n',
    );
    writeFileSync(
      join(work, 'config.json'),
      JSON.stringify({
        authRules: [
          { user: 'writer', repositories: `${registry}/e2e/*`, actions: ['push', 'pull'] },
          { user: 'reader', repositories: '*', actions: ['pull'] },
          { user: 'admin', repositories: '*', actions: ['*'] },
        ],
      }),
    );
    mkdirSync(join(work, 'files'));
    writeFileSync(join(work, 'files', 'hello.txt'), 'hello\n');
    const config = loadConfig({
      file: join(work, 'config.json'),
      env: {},
      flags: {
        listen: '127.0.0.1:0',
        storage: `sqlite:${join(work, 'dct.db')}`,
        dataDir: join(work, 'data'),
        logLevel: 'warn',
        authHtpasswd: join(work, 'users'),
      },
    });
    server = await startServer(config, { DCT_SERVER_KEY_PASSPHRASE: 'test-server-keys' }, pino({ level: 'warn' }));
  });
  after(async () => {
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  /** runs notary as `user` (NOTARY_AUTH) with its own trust dir per `as` name */
  const notary = (as: string, credentials: string | undefined, ...args: string[]) =>
    run(
      'notary',
      ['-s', server.url, '--tlscacert', server.caFile as string, '-d', join(work, `trust-${as}`), ...args],
      { PATH: process.env['PATH'], HOME: work, ...passphrases, ...(credentials ? { NOTARY_AUTH: b64(credentials) } : {}) },
      work,
    );

  it('a user with push: notary init -p, add -p, list', { timeout: 120_000 }, async () => {
    const init = await notary('writer', 'writer:writer-pw', 'init', '-p', gun);
    assert.equal(init.code, 0, init.out);
    assert.match(init.out, new RegExp(`Successfully published changes for repository ${gun.replace(/[.]/g, '\\.')}`));
    const add = await notary('writer', 'writer:writer-pw', 'add', '-p', gun, 'v1', 'files/hello.txt');
    assert.equal(add.code, 0, add.out);
    assert.match(
      add.out,
      /Addition of target "v1" to repository .* staged for next publish\.\nAuto-publishing changes to .*\nSuccessfully published changes/,
    );
    const list = await notary('writer', 'writer:writer-pw', 'list', gun);
    assert.equal(list.code, 0, list.out);
    assert.match(list.out, /^v1\s+5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03\s+6\s+targets$/m);
  });

  it("a read-only user can list, but publish fails with notary's unauthorized message", { timeout: 120_000 }, async () => {
    const list = await notary('reader', 'reader:reader-pw', 'list', gun);
    assert.equal(list.code, 0, list.out);
    assert.match(list.out, /^v1\s+5891b5b5/m);
    // holding the signing keys (the writer's trust dir) does not help a read-only account
    const add = await notary('writer', 'reader:reader-pw', 'add', gun, 'v2', 'files/hello.txt');
    assert.equal(add.code, 0, add.out);
    const publish = await notary('writer', 'reader:reader-pw', 'publish', gun);
    assert.equal(publish.code, 1, publish.out);
    assert.match(publish.out, /\* fatal: you are not authorized to perform this operation: server returned 401\./);
    assert.equal((await notary('writer', undefined, 'reset', gun, '--all')).code, 0);
    // the writer may push but not delete (scope *); the admin may
    const del = await notary('writer', 'writer:writer-pw', 'delete', gun, '--remote');
    assert.equal(del.code, 1, del.out);
    assert.match(del.out, /you are not authorized to perform this operation: server returned 401/);
  });

  it('wrong password or no credentials (no anonymous pull): nothing readable', { timeout: 60_000 }, async () => {
    const wrong = await notary('wrong', 'reader:not-the-password', 'list', gun);
    assert.equal(wrong.code, 1, wrong.out);
    assert.match(wrong.out, /\* fatal: unauthorized/);
    const anonymous = await notary('anonymous', undefined, 'list', gun);
    assert.equal(anonymous.code, 1, anonymous.out);
  });

  it('the cached read path still requires a token', { timeout: 60_000 }, async () => {
    const tokenFor = async (credentials: string, scope: string) => {
      const r = await call(`${server.url}/auth/token?service=dct&scope=${encodeURIComponent(scope)}`, {
        ca: server.caFile as string,
        headers: { Authorization: `Basic ${b64(credentials)}` },
      });
      assert.equal(r.status, 200, r.body);
      return (JSON.parse(r.body) as { token: string }).token;
    };
    const root = `${server.url}/v2/${gun}/_trust/tuf/root.json`;
    const pull = await tokenFor('reader:reader-pw', `repository:${gun}:pull`);
    const first = await call(root, { ca: server.caFile as string, headers: { Authorization: `Bearer ${pull}` } });
    const second = await call(root, { ca: server.caFile as string, headers: { Authorization: `Bearer ${pull}` } });
    assert.equal(first.status, 200);
    assert.equal(second.body, first.body);
    const none = await call(root, { ca: server.caFile as string });
    assert.equal(none.status, 401);
    assert.equal(none.headers['www-authenticate'], `Bearer realm="${server.url}/auth/token",service="dct",scope="repository:${gun}:pull"`);
    const elsewhere = await tokenFor('writer:writer-pw', `repository:${registry}/other/x:pull`);
    const wrongRepo = await call(root, { ca: server.caFile as string, headers: { Authorization: `Bearer ${elsewhere}` } });
    assert.equal(wrongRepo.status, 401);
    assert.match(String(wrongRepo.headers['www-authenticate']), /error="insufficient_scope"$/);
  });

  it(
    "docker trust inspect with the credentials of the GUN's registry in $DOCKER_CONFIG/config.json",
    { timeout: 120_000, skip: interopSkip(dockerMissing) },
    async () => {
      const inspect = async (name: string, auths: Record<string, { auth: string }>) => {
        const config = join(work, `docker-${name}`);
        mkdirSync(config, { recursive: true });
        writeFileSync(join(config, 'config.json'), JSON.stringify({ auths }));
        return run(
          'docker',
          ['trust', 'inspect', gun],
          { PATH: process.env['PATH'], HOME: work, DOCKER_CONFIG: config, DOCKER_CONTENT_TRUST_SERVER: server.url },
          work,
        );
      };
      const ok = await inspect('reader', { [registry]: { auth: b64('reader:reader-pw') } });
      assert.equal(ok.code, 0, ok.out);
      const shown = JSON.parse(ok.out) as Array<{
        Name: string;
        SignedTags: Array<{ SignedTag: string; Digest: string; Signers: string[] }>;
      }>;
      assert.equal(shown[0]?.Name, gun);
      assert.deepEqual(shown[0]?.SignedTags, [
        { SignedTag: 'v1', Digest: '5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03', Signers: ['Repo Admin'] },
      ]);
      // credentials stored for the trust server's address instead of the registry's are not used by docker
      const serverHost = new URL(server.url).host;
      const misplaced = await inspect('misplaced', { [serverHost]: { auth: b64('reader:reader-pw') } });
      assert.equal(misplaced.code, 1, misplaced.out);
      assert.match(misplaced.out, new RegExp(`no signatures or cannot access ${gun.replace(/[.]/g, '\\.')}`));
      const wrong = await inspect('wrong', { [registry]: { auth: b64('reader:nope') } });
      assert.equal(wrong.code, 1, wrong.out);
    },
  );

  it('an admin (scope *) rotates the snapshot key to the server and deletes the repository', { timeout: 120_000 }, async () => {
    const rotate = await notary('writer', 'admin:admin-pw', 'key', 'rotate', gun, 'snapshot', '-r');
    assert.equal(rotate.code, 0, rotate.out);
    assert.match(rotate.out, /Successfully rotated snapshot key for repository/);
    const del = await notary('writer', 'admin:admin-pw', 'delete', gun, '--remote');
    assert.equal(del.code, 0, del.out);
    assert.match(del.out, /Successfully deleted local and remote trust data for repository/);
  });
});
