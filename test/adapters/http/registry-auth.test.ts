import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  exchange,
  notaryAuthCredentials,
  parseWwwAuthenticate,
  RegistryAuth,
  repositoryScope,
  type CredentialRequest,
  type RegistryCredentials,
} from '../../../src/adapters/http/registry-auth.js';
import { ensureSelfSignedTls } from '../../../src/adapters/tls/self-signed.js';
import { isDctError } from '../../../src/core/errors.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('parseWwwAuthenticate', () => {
  it('reads Bearer challenges with quoted values holding commas and colons', () => {
    assert.deepEqual(
      parseWwwAuthenticate('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"'),
      [
        {
          scheme: 'bearer',
          params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' },
        },
      ],
    );
  });

  it('lower-cases schemes and names, unquotes escapes, takes tokens as values, allows spaces', () => {
    assert.deepEqual(parseWwwAuthenticate('BEARER Realm = "a\\"b\\\\c" , Service=svc ,error="insufficient_scope"'), [
      { scheme: 'bearer', params: { realm: 'a"b\\c', service: 'svc', error: 'insufficient_scope' } },
    ]);
    assert.deepEqual(parseWwwAuthenticate('Basic realm=dct'), [{ scheme: 'basic', params: { realm: 'dct' } }]);
    assert.deepEqual(parseWwwAuthenticate('Basic'), [{ scheme: 'basic', params: {} }]);
  });

  it('reads several challenges, on one line or on several', () => {
    assert.deepEqual(parseWwwAuthenticate('Basic realm="r1", Bearer realm="r2",service="s"'), [
      { scheme: 'basic', params: { realm: 'r1' } },
      { scheme: 'bearer', params: { realm: 'r2', service: 's' } },
    ]);
    assert.deepEqual(parseWwwAuthenticate(['Negotiate abc==', 'Bearer realm="r"']), [
      { scheme: 'negotiate', params: {} },
      { scheme: 'bearer', params: { realm: 'r' } },
    ]);
    assert.deepEqual(
      parseWwwAuthenticate('Negotiate abc==, Basic realm="r"').map((c) => c.scheme),
      ['negotiate', 'basic'],
    );
  });

  it('stops at malformed input, keeping what came before', () => {
    assert.deepEqual(parseWwwAuthenticate('Bearer realm="r",service="unterminated'), [{ scheme: 'bearer', params: { realm: 'r' } }]);
    assert.deepEqual(parseWwwAuthenticate('Bearer realm="r" junk'), [{ scheme: 'bearer', params: { realm: 'r' } }]);
    assert.deepEqual(parseWwwAuthenticate(''), []);
    assert.deepEqual(parseWwwAuthenticate('   ,  '), []);
    assert.deepEqual(parseWwwAuthenticate('"quoted"'), []);
    assert.deepEqual(parseWwwAuthenticate(undefined), []);
  });
});

describe('credentials helpers', () => {
  it('NOTARY_AUTH is base64(user:password), the password trimmed as notary does', () => {
    assert.deepEqual(notaryAuthCredentials(b64('alice:pa:ss ')), { username: 'alice', password: 'pa:ss' });
    const refused = (v: string, pattern: RegExp) =>
      assert.throws(
        () => notaryAuthCredentials(v),
        (err: unknown) => isDctError(err, 'INVALID_NOTARY_AUTH') && pattern.test(err.message),
      );
    refused('not base64!', /Could not base64-decode/);
    refused(b64(':pw'), /zero-length username/);
    refused(b64('nocolon'), /format must be <username>:<password>/);
  });

  it('repositoryScope', () => {
    assert.equal(repositoryScope('docker.io/library/alpine', ['pull']), 'repository:docker.io/library/alpine:pull');
    assert.equal(repositoryScope('r/x', 'push,pull'), 'repository:r/x:push,pull');
  });
});

// ---- against a local token server -------------------------------------------------------------------

interface SeenRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  authorization?: string;
  userAgent?: string;
  contentType?: string;
  body: string;
}

type Handler = (req: SeenRequest, res: http.ServerResponse) => void;

class TokenServer {
  seen: SeenRequest[] = [];
  handler: Handler = () => {};
  server!: http.Server | https.Server;
  url = '';

  async start(tls?: { cert: Buffer; key: Buffer }): Promise<this> {
    const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const u = new URL(req.url ?? '/', 'http://x');
        const seen: SeenRequest = {
          method: req.method ?? '',
          path: u.pathname,
          query: u.searchParams,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        if (req.headers.authorization) seen.authorization = req.headers.authorization;
        if (req.headers['user-agent']) seen.userAgent = req.headers['user-agent'];
        if (req.headers['content-type']) seen.contentType = req.headers['content-type'];
        this.seen.push(seen);
        this.handler(seen, res);
      });
    };
    this.server = tls ? https.createServer({ cert: tls.cert, key: tls.key }, listener) : http.createServer(listener);
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const port = (this.server.address() as AddressInfo).port;
    this.url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
    return this;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const json = (res: http.ServerResponse, status: number, body: unknown) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
};

/** issues `tok-<n>` to alice:alice-pw and to anonymous callers; refuses other Basic credentials */
function standardTokens(server: TokenServer): Handler {
  let n = 0;
  return (req, res) => {
    if (req.method === 'POST') {
      const form = new URLSearchParams(req.body);
      if (form.get('refresh_token') !== 'good-refresh' && form.get('refresh_token') !== 'rotated-refresh')
        return json(res, 401, { error: 'invalid_grant', error_description: `bad refresh token ${form.get('refresh_token')}` });
      n++;
      return json(res, 200, { access_token: `post-${n}`, expires_in: 300, refresh_token: 'rotated-refresh' });
    }
    if (req.authorization && req.authorization !== `Basic ${b64('alice:alice-pw')}`) {
      return json(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: `wrong password for ${req.authorization}` }] });
    }
    n++;
    void server;
    return json(res, 200, n % 2 === 0 ? { token: `tok-${n}`, expires_in: 300 } : { access_token: `tok-${n}`, expires_in: 300 });
  };
}

describe('RegistryAuth', () => {
  let tokens: TokenServer;
  let clock = 1_000_000;
  const now = () => clock;
  const target = new URL('https://registry.example:5000/v2/a/b/manifests/x');
  const challenge = (realm: string, extra = '') => `Bearer realm="${realm}",service="registry.example"${extra}`;

  before(async () => {
    tokens = await new TokenServer().start();
  });
  after(() => tokens.close());
  beforeEach(() => {
    tokens.seen = [];
    tokens.handler = standardTokens(tokens);
    clock = 1_000_000;
  });

  it('fetches a token with Basic credentials: GET realm?account&scope…&service as docker sends it', async () => {
    const asked: CredentialRequest[] = [];
    const auth = new RegistryAuth({
      credentials: (r) => {
        asked.push(r);
        return { username: 'alice', password: 'alice-pw' };
      },
      userAgent: 'dct-test',
      now,
    });
    const header = await auth.authorizeAfter401(target, challenge(`${tokens.url}/token?x=1`), ['repository:a/b:pull', 'repository:c:pull']);
    assert.match(header ?? '', /^Bearer tok-\d+$/);
    assert.equal(tokens.seen.length, 1);
    const seen = tokens.seen[0] as SeenRequest;
    assert.equal(seen.method, 'GET');
    assert.equal(seen.path, '/token');
    assert.equal(seen.authorization, `Basic ${b64('alice:alice-pw')}`);
    assert.equal(seen.userAgent, 'dct-test');
    assert.deepEqual(
      [...seen.query.entries()],
      [
        ['account', 'alice'],
        ['scope', 'repository:a/b:pull'],
        ['scope', 'repository:c:pull'],
        ['service', 'registry.example'],
        ['x', '1'],
      ],
    );
    assert.deepEqual(asked, [
      { host: 'registry.example:5000', scheme: 'bearer', realm: `${tokens.url}/token?x=1`, service: 'registry.example' },
    ]);
  });

  it('anonymous without credentials; the challenge scope is used when none is asked; offline tokens add client_id', async () => {
    const auth = new RegistryAuth({ now, offlineToken: true, clientId: 'dct' });
    const header = await auth.authorizeAfter401(target, challenge(`${tokens.url}/token`, ',scope="repository:a/b:pull"'), []);
    assert.match(header ?? '', /^Bearer tok-/);
    const seen = tokens.seen[0] as SeenRequest;
    assert.equal(seen.authorization, undefined);
    assert.deepEqual(
      [...seen.query.entries()],
      [
        ['client_id', 'dct'],
        ['offline_token', 'true'],
        ['scope', 'repository:a/b:pull'],
        ['service', 'registry.example'],
      ],
    );
  });

  it('caches tokens per scope until expires_in (at least 60 s), remembers challenges, asks for credentials once', async () => {
    let credentialCalls = 0;
    const auth = new RegistryAuth({ credentials: () => (credentialCalls++, { username: 'alice', password: 'alice-pw' }), now });
    assert.equal(await auth.authorizationFor(target, ['repository:a/b:pull']), undefined, 'no challenge seen yet');
    auth.noteChallenges(new URL('https://registry.example:5000/v2/'), challenge(`${tokens.url}/token`));
    const first = await auth.authorizationFor(target, ['repository:a/b:pull']);
    assert.equal(await auth.authorizationFor(target, ['repository:a/b:pull']), first);
    assert.equal(tokens.seen.length, 1);
    const other = await auth.authorizationFor(target, ['repository:a/b:push,pull']);
    assert.notEqual(other, first);
    assert.equal(tokens.seen.length, 2);
    // another origin has no challenge
    assert.equal(await auth.authorizationFor(new URL('https://other.example/v2/'), ['repository:a/b:pull']), undefined);
    clock += 296_000;
    assert.notEqual(await auth.authorizationFor(target, ['repository:a/b:pull']), first, 'refetched near expiry');
    assert.equal(tokens.seen.length, 3);
    assert.equal(credentialCalls, 1);

    tokens.handler = (_req, res) => json(res, 200, { token: 'short', expires_in: 10 });
    const short = new RegistryAuth({ now });
    await short.authorizeAfter401(target, challenge(`${tokens.url}/token`), ['s']);
    clock += 50_000;
    await short.authorizationFor(target, ['s']);
    assert.equal(tokens.seen.length, 4, 'a 10 s token still counts for 60 s');
    clock += 10_000;
    await short.authorizationFor(target, ['s']);
    assert.equal(tokens.seen.length, 5);
  });

  it('a token the server refused is dropped and a new one fetched', async () => {
    const auth = new RegistryAuth({ now });
    const first = await auth.authorizeAfter401(target, challenge(`${tokens.url}/token`), ['s']);
    const second = await auth.authorizeAfter401(target, challenge(`${tokens.url}/token`, ',error="invalid_token"'), ['s'], {
      rejected: first as string,
    });
    assert.notEqual(second, first);
    assert.equal(tokens.seen.length, 2);
  });

  it('parallel requests share one token request', async () => {
    const auth = new RegistryAuth({ now });
    auth.noteChallenges(target, challenge(`${tokens.url}/token`));
    const all = await Promise.all([1, 2, 3, 4].map(() => auth.authorizationFor(target, ['s'])));
    assert.equal(new Set(all).size, 1);
    assert.equal(tokens.seen.length, 1);
  });

  it('wrong credentials: AUTH_FAILED naming the user, the realm and what to do, never the password', async () => {
    const auth = new RegistryAuth({ credentials: () => ({ username: 'alice', password: 'wrong-secret' }), now });
    await assert.rejects(auth.authorizeAfter401(target, challenge(`${tokens.url}/token`), ['s']), (err: unknown) => {
      assert.ok(isDctError(err, 'AUTH_FAILED'), String(err));
      assert.match(
        err.message,
        /the token server http:\/\/127\.0\.0\.1:\d+\/token refused the credentials of user "alice" for registry\.example:5000 \(HTTP 401: wrong password for Basic \*\*\*\): log in with `docker login registry\.example:5000`/,
      );
      assert.doesNotMatch(err.message, /wrong-secret|d3Jvbmctc2VjcmV0/);
      return true;
    });
    const hinted = new RegistryAuth({
      credentials: () => ({ username: 'alice', password: 'wrong-secret' }),
      loginHint: () => 'set NOTARY_AUTH',
      now,
    });
    await assert.rejects(hinted.authorizeAfter401(target, challenge(`${tokens.url}/token`), ['s']), /: set NOTARY_AUTH$/);
  });

  it('identity tokens: POST grant_type=refresh_token with client_id docker; a rotated refresh token is kept', async () => {
    const auth = new RegistryAuth({ credentials: () => ({ identityToken: 'good-refresh' }), now });
    const header = await auth.authorizeAfter401(target, challenge(`${tokens.url}/token`), ['repository:a/b:pull', 'repository:c:push']);
    assert.equal(header, 'Bearer post-1');
    const seen = tokens.seen[0] as SeenRequest;
    assert.equal(seen.method, 'POST');
    assert.equal(seen.contentType, 'application/x-www-form-urlencoded');
    assert.equal(seen.authorization, undefined);
    assert.equal(
      seen.body,
      'client_id=docker&grant_type=refresh_token&refresh_token=good-refresh&scope=repository%3Aa%2Fb%3Apull+repository%3Ac%3Apush&service=registry.example',
    );
    await auth.authorizationFor(target, ['other']);
    assert.equal(new URLSearchParams((tokens.seen[1] as SeenRequest).body).get('refresh_token'), 'rotated-refresh');

    const bad = new RegistryAuth({ credentials: () => ({ identityToken: 'expired-refresh' }), now });
    await assert.rejects(bad.authorizeAfter401(target, challenge(`${tokens.url}/token`), ['s']), (err: unknown) => {
      assert.ok(isDctError(err, 'AUTH_FAILED'));
      assert.match(err.message, /refused the identity token .*bad refresh token \*\*\*/);
      assert.doesNotMatch(err.message, /expired-refresh/);
      return true;
    });
  });

  it('bad token responses: not JSON, no token, too large (declared or streamed), server errors', async () => {
    const auth = () => new RegistryAuth({ now, maxTokenResponseBytes: 1000 });
    const refused = async (handler: Handler, code: string, pattern: RegExp) => {
      tokens.handler = handler;
      await assert.rejects(
        auth().authorizeAfter401(target, challenge(`${tokens.url}/token`), ['s']),
        (err: unknown) => isDctError(err, code) && pattern.test(err.message),
      );
    };
    await refused((_q, res) => res.end('<html>'), 'AUTH_INVALID_RESPONSE', /not JSON/);
    await refused((_q, res) => json(res, 200, { expires_in: 60 }), 'AUTH_INVALID_RESPONSE', /did not include a token/);
    await refused((_q, res) => json(res, 200, { token: '' }), 'AUTH_INVALID_RESPONSE', /did not include a token/);
    await refused((_q, res) => json(res, 200, { token: 'x'.repeat(2000) }), 'AUTH_INVALID_RESPONSE', /larger than 1000 bytes/);
    await refused(
      (_q, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('{"token":"');
        res.write('y'.repeat(1500));
        res.end('"}');
      },
      'AUTH_INVALID_RESPONSE',
      /larger than 1000 bytes/,
    );
    await refused(
      (_q, res) => json(res, 500, { errors: [{ code: 'UNKNOWN', message: 'database down' }] }),
      'AUTH_SERVER_ERROR',
      /answered HTTP 500: database down/,
    );
    await refused((_q, res) => json(res, 403, {}), 'AUTH_FAILED', /refused anonymous access .*HTTP 403/);
  });

  // the test's own limit only detects a hang: the token server never answers, so without the time limit this waits for ever
  it('timeouts and unreachable token servers are AUTH_SERVER_UNREACHABLE', { timeout: 30_000 }, async () => {
    tokens.handler = () => {}; // never answers
    const slow = new RegistryAuth({ now, timeoutMs: 150 });
    await assert.rejects(
      slow.authorizeAfter401(target, challenge(`${tokens.url}/token`), ['s']),
      (err: unknown) => isDctError(err, 'AUTH_SERVER_UNREACHABLE') && /within 150 ms/.test(err.message),
    );
    assert.equal(tokens.seen.length, 1, 'asked once, not again after the time limit');
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await assert.rejects(
      new RegistryAuth({ now }).authorizeAfter401(target, challenge(`http://127.0.0.1:${port}/token`), ['s']),
      (err: unknown) => isDctError(err, 'AUTH_SERVER_UNREACHABLE'),
    );
  });

  it('bad challenges: no realm, a realm that is no URL, an unsupported scheme', async () => {
    const auth = new RegistryAuth({ now });
    await assert.rejects(
      auth.authorizeAfter401(target, 'Bearer service="s"', ['s']),
      (err: unknown) => isDctError(err, 'AUTH_CHALLENGE_INVALID') && /no realm specified/.test(err.message),
    );
    await assert.rejects(
      auth.authorizeAfter401(target, 'Bearer realm="/relative"', ['s']),
      (err: unknown) => isDctError(err, 'AUTH_CHALLENGE_INVALID') && /invalid token realm/.test(err.message),
    );
    await assert.rejects(auth.authorizeAfter401(target, 'Bearer realm="ftp://x/"', ['s']), (err: unknown) =>
      isDctError(err, 'AUTH_CHALLENGE_INVALID'),
    );
    assert.equal(await auth.authorizeAfter401(target, 'Negotiate abc', ['s']), undefined);
    assert.equal(await auth.authorizeAfter401(target, undefined, ['s']), undefined);
    assert.equal(tokens.seen.length, 0);
  });

  it('Basic challenges are answered directly; no credentials (or only an identity token) is AUTH_REQUIRED', async () => {
    let creds: RegistryCredentials | undefined = { username: 'bob', password: 'bob-pw' };
    const auth = new RegistryAuth({ credentials: () => creds, now });
    assert.equal(await auth.authorizeAfter401(target, 'Basic realm="registry"', []), `Basic ${b64('bob:bob-pw')}`);
    assert.equal(await auth.authorizationFor(new URL('https://registry.example:5000/v2/other'), []), `Basic ${b64('bob:bob-pw')}`);
    creds = undefined;
    await assert.rejects(
      new RegistryAuth({ credentials: () => creds }).authorizeAfter401(target, 'Basic realm="r"', []),
      (err: unknown) => isDctError(err, 'AUTH_REQUIRED') && /registry\.example:5000 requires authentication/.test(err.message),
    );
    creds = { identityToken: 'it' };
    await assert.rejects(
      new RegistryAuth({ credentials: () => creds }).authorizeAfter401(target, 'Basic realm="r"', []),
      (err: unknown) => isDctError(err, 'AUTH_REQUIRED') && /only an identity token/.test(err.message),
    );
    // Bearer is preferred when both are offered
    const both = new RegistryAuth({ credentials: () => ({ username: 'alice', password: 'alice-pw' }), now });
    assert.match((await both.authorizeAfter401(target, ['Basic realm="r"', challenge(`${tokens.url}/token`)], ['s'])) ?? '', /^Bearer /);
  });

  it('credentials never go to a plain-http realm on another, non-loopback host', async () => {
    const auth = new RegistryAuth({ credentials: () => ({ username: 'alice', password: 'alice-pw' }), now });
    await assert.rejects(
      auth.authorizeAfter401(target, challenge('http://auth.example.com/token'), ['s']),
      (err: unknown) => isDctError(err, 'INSECURE_AUTH_REALM') && !err.message.includes('alice-pw'),
    );
    // allowed when the caller says so (no network here: the host does not resolve, so it fails later, differently)
    const allowed = new RegistryAuth({
      credentials: () => ({ username: 'alice', password: 'alice-pw' }),
      allowPlainHttpRealm: () => true,
      timeoutMs: 2000,
      now,
    });
    await assert.rejects(allowed.authorizeAfter401(target, challenge('http://auth.invalid/token'), ['s']), (err: unknown) =>
      isDctError(err, 'AUTH_SERVER_UNREACHABLE'),
    );
  });

  it('https realms: TLS settings from the tls option, or those of the challenged request on the same host', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dct-auth-tls-'));
    const tlsFiles = await ensureSelfSignedTls(dir, ['127.0.0.1']);
    const ca = readFileSync(tlsFiles.caFile);
    const secure = await new TokenServer().start({ cert: tlsFiles.cert, key: tlsFiles.key });
    secure.handler = standardTokens(secure);
    try {
      const realm = `${secure.url}/token`;
      await assert.rejects(
        new RegistryAuth({ now }).authorizeAfter401(target, challenge(realm), ['s']),
        (err: unknown) => isDctError(err, 'AUTH_SERVER_UNREACHABLE') && /certificate/.test(err.message),
      );
      assert.match(
        (await new RegistryAuth({ now, tls: () => ({ ca }) }).authorizeAfter401(target, challenge(realm), ['s'])) ?? '',
        /^Bearer /,
      );
      const sameHost = new URL(`${secure.url}/v2/a/manifests/x`);
      assert.match(
        (await new RegistryAuth({ now }).authorizeAfter401(sameHost, challenge(realm), ['s'], { tls: { ca } })) ?? '',
        /^Bearer /,
      );
      assert.match(
        (await new RegistryAuth({ now })
          .authorizeAfter401(target, challenge(realm), ['s'], { tls: { rejectUnauthorized: false } })
          .catch((e: Error) => e.message)) ?? '',
        /certificate/,
        'request TLS settings are not used for another host',
      );
    } finally {
      await secure.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('exchange', () => {
  it('refuses unsupported schemes and reports the method and URL without the query', async () => {
    await assert.rejects(exchange(new URL('ftp://x/'), { timeoutMs: 100, maxBytes: 10 }), (err: unknown) =>
      isDctError(err, 'INVALID_REQUEST'),
    );
    await assert.rejects(
      exchange(new URL('http://127.0.0.1:1/p?account=alice'), { timeoutMs: 1000, maxBytes: 10 }),
      (err: unknown) =>
        isDctError(err, 'NETWORK_ERROR') && /GET http:\/\/127\.0\.0\.1:1\/p:/.test(err.message) && !err.message.includes('alice'),
    );
  });
});
