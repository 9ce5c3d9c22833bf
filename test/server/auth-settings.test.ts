/**
 * `dct server`'s auth settings: defaults, DCT_AUTH_* environment and config
 * file rules, contradictory or malformed settings refused, the loopback rule
 * (no auth only on loopback unless --insecure-no-auth), and a broken htpasswd
 * file refused at start naming its line.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createServerAuth } from '../../src/server/auth/server-auth.js';
import { loadConfig, type ServerConfig } from '../../src/server/config.js';
import { startServer } from '../../src/server/start-server.js';
import { bcryptLine, call, quiet } from './auth-support.js';

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
