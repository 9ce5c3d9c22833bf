/**
 * Hardening of `dct server` against a hostile network and hostile web pages:
 * password checks on worker threads with a bounded queue, the per-client
 * limit on failed logins (IPv6 per /64), the pull gate's demand for access
 * rules, and the checks that keep browsers and foreign host names from writing
 * to a server without authentication.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { pino } from 'pino';
import { isDctError } from '../../src/core/errors.js';
import { PasswordCheckPool } from '../../src/server/auth/password-check-pool.js';
import { loadConfig, type ServerConfig } from '../../src/server/config.js';
import { clientBucket } from '../../src/server/rate-limiter.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';

const quiet = pino({ level: 'silent' });
const PASSPHRASE = { DCT_SERVER_KEY_PASSPHRASE: 'hardening-test' };
/** bcrypt of "right-password" at cost 14 (bcryptjs.hashSync): about a second of CPU per comparison */
const SLOW_HASH = '$2b$14$g/FVzSn.aVM7VW8T0001FOLLdeWZpnIC7ohecBYxot/33lD4E0RKe';
const b64 = (text: string) => Buffer.from(text).toString('base64');

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function call(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const work = mkdtempSync(join(tmpdir(), 'dct-hardening-'));
after(() => rmSync(work, { recursive: true, force: true }));
let dirs = 0;
const flags = (more: Partial<ServerConfig> = {}): Partial<ServerConfig> => ({
  listen: '127.0.0.1:0',
  storage: 'sqlite::memory:',
  dataDir: join(work, `data-${dirs++}`),
  plainHttp: true,
  logLevel: 'silent',
  ...more,
});
const start = (more: Partial<ServerConfig> = {}, file?: string) =>
  startServer(loadConfig({ ...(file ? { file } : {}), env: {}, flags: flags(more) }), PASSPHRASE, quiet);

function htpasswdFile(lines: string[]): string {
  const file = join(work, `users-${dirs++}`);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** The value of a gauge in a /metrics text, undefined when absent. */
async function gauge(server: RunningServer, name: string): Promise<number | undefined> {
  const text = (await call(`${server.url}/metrics`)).body;
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

describe('password checks on worker threads', () => {
  it('a pool compares on its threads; beyond its queue it refuses at once with 503 UNAVAILABLE and Retry-After', async () => {
    const pool = new PasswordCheckPool({ threads: 1, maxQueued: 2 });
    try {
      const quick = bcrypt.hashSync('pw', 4);
      assert.equal(await pool.compare('pw', quick), true);
      assert.equal(await pool.compare('wrong', quick), false);
      assert.equal(await pool.compare('pw', 'not a hash'), false);
      // submitted together: one runs, two wait, the fourth is refused before anything answers
      const settled = [1, 2, 3, 4].map((i) =>
        pool.compare(`guess-${i}`, SLOW_HASH).then(
          (ok) => ok,
          (err: unknown) => err,
        ),
      );
      assert.deepEqual(pool.stats(), { running: 1, queued: 2 });
      const refused = await settled[3];
      assert.ok(isDctError(refused, 'UNAVAILABLE'), String(refused));
      assert.equal((refused as { status?: number }).status, 503);
      assert.deepEqual((refused as { headers?: Record<string, string> }).headers, { 'Retry-After': '1' });
      // closing refuses what waits and stops the thread
      await pool.close();
      for (const r of await Promise.all(settled.slice(0, 3))) assert.ok(isDctError(r, 'UNAVAILABLE'), String(r));
    } finally {
      await pool.close();
    }
  });

  it(
    'the server answers health and metrics while logins wait for the password threads; logins beyond the queue get 503',
    { timeout: 120_000 },
    async () => {
      const users = htpasswdFile([`slow:${SLOW_HASH}`]);
      const server = await start({ authHtpasswd: users, loginThreads: 1, loginQueue: 3, loginBurst: 100 });
      const answers: Reply[] = [];
      let logins: Array<Promise<Reply | undefined>> = [];
      try {
        logins = [1, 2, 3, 4, 5, 6].map((i) =>
          call(`${server.url}/auth/token?service=dct&scope=repository:x/y:pull`, {
            headers: { Authorization: `Basic ${b64(`slow:guess-${i}`)}` },
          }).then(
            (r) => (answers.push(r), r),
            () => undefined,
          ),
        );
        // until the pool reports one login running and three waiting (a wait, not a timed assertion)
        let seen = '';
        for (let i = 0; i < 600; i++) {
          seen = `${await gauge(server, 'dct_auth_password_checks_running')}/${await gauge(server, 'dct_auth_password_checks_queued')}`;
          if (seen === '1/3') break;
          await new Promise((r) => setTimeout(r, 25));
        }
        assert.equal(seen, '1/3', 'running/queued password checks');
        const health = await call(`${server.url}/_notary_server/health`);
        assert.equal(health.status, 200);
        // logins still wait after health answered
        assert.ok(((await gauge(server, 'dct_auth_password_checks_queued')) ?? 0) > 0);
        const busy = answers.filter((a) => a.status === 503);
        assert.equal(busy.length, 2, JSON.stringify(answers.map((a) => a.status)));
        for (const a of busy) {
          assert.equal(a.headers['retry-after'], '1');
          assert.equal((JSON.parse(a.body) as { errors: Array<{ code: string }> }).errors[0]?.code, 'UNAVAILABLE');
        }
      } finally {
        // closing refuses the waiting logins instead of waiting for their comparisons
        await server.close();
      }
      assert.equal((await Promise.all(logins)).length, 6);
    },
  );
});

describe('failed logins are limited per client', () => {
  it(
    'after the burst of failed logins a client gets 429 with Retry-After, even with the right password; successes do not count; IPv6 counts per /64',
    { timeout: 60_000 },
    async () => {
      const users = htpasswdFile([`u:${bcrypt.hashSync('right', 4)}`]);
      // a trusted proxy names the clients, so one test can be several of them
      const server = await start({ authHtpasswd: users, loginBurst: 3, loginsPerSecond: 0.01, trustedProxies: ['127.0.0.1'] });
      try {
        const login = (client: string, password: string) =>
          call(`${server.url}/auth/token?service=dct`, {
            headers: { Authorization: `Basic ${b64(`u:${password}`)}`, 'X-Forwarded-For': client },
          });
        const statuses = async (client: string, passwords: string[]) => {
          const out: number[] = [];
          for (const p of passwords) out.push((await login(client, p)).status);
          return out;
        };
        assert.deepEqual(
          await statuses('198.51.100.7', ['right', 'right', 'right', 'right', 'right', 'right']),
          [200, 200, 200, 200, 200, 200],
        );
        assert.deepEqual(await statuses('198.51.100.7', ['bad1', 'bad2', 'bad3', 'bad4', 'right']), [401, 401, 401, 429, 429]);
        const limited = await login('198.51.100.7', 'bad5');
        assert.equal(limited.status, 429);
        assert.ok(Number(limited.headers['retry-after']) >= 1, String(limited.headers['retry-after']));
        assert.equal((JSON.parse(limited.body) as { errors: Array<{ code: string }> }).errors[0]?.code, 'TOO_MANY_REQUESTS');
        // another IPv4 client has its own bucket
        assert.deepEqual(await statuses('198.51.100.8', ['bad', 'right']), [401, 200]);
        // IPv6: the whole /64 shares one bucket
        assert.deepEqual(await statuses('2001:db8:aa:bb::1', ['bad1', 'bad2', 'bad3']), [401, 401, 401]);
        assert.deepEqual(await statuses('2001:db8:aa:bb:1234:5678:9abc:def0', ['bad', 'right']), [429, 429]);
        assert.deepEqual(await statuses('2001:db8:aa:bc::1', ['bad', 'right']), [401, 200]);
      } finally {
        await server.close();
      }
    },
  );

  it('clientBucket: IPv4 addresses as they are, IPv6 addresses as their /64', () => {
    assert.equal(clientBucket('198.51.100.7'), '198.51.100.7');
    assert.equal(clientBucket('2001:db8:1:2::a'), '2001:db8:1:2::/64');
    assert.equal(clientBucket('2001:0DB8:0001:0002:ffff:1:2:3'), '2001:db8:1:2::/64');
    assert.equal(clientBucket('2001:db8::1'), '2001:db8::/64');
    assert.equal(clientBucket('::1'), '::/64');
  });

  it('settings: --logins-per-second, loginBurst, loginThreads, loginQueue (file, DCT_* environment), range checks', () => {
    const c = loadConfig({ env: { DCT_LOGIN_BURST: '7', DCT_LOGIN_THREADS: '2', DCT_LOGIN_QUEUE: '9' }, flags: { loginsPerSecond: 0.5 } });
    assert.deepEqual([c.loginsPerSecond, c.loginBurst, c.loginThreads, c.loginQueue], [0.5, 7, 2, 9]);
    assert.equal(loadConfig({ env: { DCT_LOGINS_PER_SECOND: '3' }, flags: {} }).loginsPerSecond, 3);
    assert.throws(() => loadConfig({ env: {}, flags: { loginsPerSecond: 0 } }), /--logins-per-second must be a positive number/);
    assert.throws(() => loadConfig({ env: { DCT_LOGIN_THREADS: '0' }, flags: {} }), /loginThreads must be a whole number/);
  });
});

describe('the pull gate and the built-in issuer without rules', () => {
  const users = htpasswdFile([`u:${bcrypt.hashSync('p', 4)}`]);
  const pullGate = [{ repositories: 'r.io/prod/*', signers: [], allowDigests: false }];

  it('refuses to start: without authRules every user could push, and pushers pass the gate', () => {
    assert.throws(
      () => loadConfig({ env: {}, flags: flags({ authHtpasswd: users, pullGate }) }),
      (err: unknown) =>
        isDctError(err, 'INVALID_CONFIG') && /a pull gate with --auth-htpasswd needs authRules/.test((err as Error).message),
    );
    assert.throws(
      () => loadConfig({ env: { DCT_PULL_GATE: JSON.stringify(pullGate) }, flags: flags({ authHtpasswd: users }) }),
      /needs authRules/,
    );
  });

  it('starts with rules, or without a gate', () => {
    const rules = [{ user: '*', repositories: '*', actions: ['pull' as const] }];
    assert.equal(loadConfig({ env: {}, flags: flags({ authHtpasswd: users, pullGate, authRules: rules }) }).pullGate.length, 1);
    assert.equal(loadConfig({ env: {}, flags: flags({ authHtpasswd: users }) }).authRules, undefined);
  });
});

describe('without authentication: who may write', () => {
  const gunPath = '/v2/example.com/app/_trust/tuf/';

  it('refuses writes addressed to a foreign host name (DNS rebinding) or sent by a cross-site page, with a 403 that says why', async () => {
    const server = await start();
    try {
      const port = new URL(server.url).port;
      const del = (headers: Record<string, string>) => call(`${server.url}${gunPath}`, { method: 'DELETE', headers });
      const detail = (r: Reply) => (JSON.parse(r.body) as { errors: Array<{ code: string; detail: string }> }).errors[0];

      const rebound = await del({ Host: `attacker.example:${port}` });
      assert.equal(rebound.status, 403);
      assert.equal(detail(rebound)?.code, 'DENIED');
      assert.match(detail(rebound)?.detail ?? '', /^Host "attacker\.example:\d+" is not a name of this server: .*--allowed-host/);

      const browserCases: Array<Record<string, string>> = [
        { Origin: 'https://attacker.example' },
        { Origin: 'null' },
        { 'Sec-Fetch-Site': 'cross-site' },
        { 'Sec-Fetch-Site': 'same-site' },
        { Origin: `http://localhost:${port}` }, // another origin than the Host the request names
      ];
      for (const headers of browserCases) {
        const r = await del(headers);
        assert.equal(r.status, 403, JSON.stringify(headers));
        assert.match(
          detail(r)?.detail ?? '',
          /this server has no authentication, so it takes writes only from local clients that are not web pages/,
        );
      }
      // a proxy on this machine passing writes on
      const proxied: Array<Record<string, string>> = [
        { 'X-Forwarded-For': '203.0.113.9' },
        { Forwarded: 'for=203.0.113.9' },
        { 'X-Real-IP': '203.0.113.9' },
      ];
      for (const headers of proxied) {
        const r = await del(headers);
        assert.equal(r.status, 403, JSON.stringify(headers));
        assert.match(detail(r)?.detail ?? '', /^a write passed on by a proxy .* needs authentication: configure --auth-htpasswd/);
      }
      // a multipart form post needs no CORS preflight: refused too
      const form = await call(`${server.url}${gunPath}`, {
        method: 'POST',
        headers: { Origin: 'https://attacker.example', 'Content-Type': 'multipart/form-data; boundary=x', 'Sec-Fetch-Site': 'cross-site' },
        body: '--x--\r\n',
      });
      assert.equal(form.status, 403);
      // the registry's writes too
      const upload = await call(`${server.url}/v2/app/blobs/uploads/`, { method: 'POST', headers: { Origin: 'https://attacker.example' } });
      assert.equal(upload.status, 403);
      assert.equal(upload.headers['docker-distribution-api-version'], 'registry/2.0');
      // a cross-site GET of a server key may create it: refused as well
      assert.equal(
        (await call(`${server.url}/v2/example.com/app/_trust/tuf/timestamp.key`, { headers: { 'Sec-Fetch-Site': 'cross-site' } })).status,
        403,
      );

      // CLIs (no Origin, no Sec-Fetch-*) with loopback names, and same-origin pages, go on
      for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST.:${port}`])
        assert.equal((await del({ Host: host })).status, 200, host);
      assert.equal((await del({ Origin: server.url, 'Sec-Fetch-Site': 'same-origin' })).status, 200);
      assert.equal((await call(`${server.url}/v2/app/blobs/uploads/`, { method: 'POST' })).status, 202);
      // reads are not refused
      assert.equal(
        (await call(`${server.url}/_notary_server/health`, { headers: { Host: 'attacker.example', Origin: 'https://attacker.example' } }))
          .status,
        200,
      );
    } finally {
      await server.close();
    }
  });

  it('accepts the names it is configured with (--allowed-host, registryName)', async () => {
    const server = await start({ allowedHosts: ['dct.internal'], registryName: 'registry.example.com:5000' });
    try {
      const port = new URL(server.url).port;
      for (const host of [`dct.internal:${port}`, 'registry.example.com:5000']) {
        assert.equal((await call(`${server.url}${gunPath}`, { method: 'DELETE', headers: { Host: host } })).status, 200, host);
      }
      assert.equal((await call(`${server.url}${gunPath}`, { method: 'DELETE', headers: { Host: `other.internal:${port}` } })).status, 403);
      assert.deepEqual(loadConfig({ env: { DCT_ALLOWED_HOSTS: 'a.example, b.example' }, flags: {} }).allowedHosts, [
        'a.example',
        'b.example',
      ]);
      assert.throws(() => loadConfig({ env: {}, flags: { allowedHosts: ['not a host'] } }), /allowedHosts must be a list of host names/);
    } finally {
      await server.close();
    }
  });

  it('with token auth the checks do not apply (tokens are not sent by browsers on their own)', async () => {
    const server = await start({ authHtpasswd: htpasswdFile([`u:${bcrypt.hashSync('p', 4)}`]) });
    try {
      const r = await call(`${server.url}${gunPath}`, {
        method: 'DELETE',
        headers: { Host: 'attacker.example', Origin: 'https://attacker.example' },
      });
      assert.equal(r.status, 401);
    } finally {
      await server.close();
    }
  });

  it('refuses to start behind a trusted proxy without authentication, naming the fix', async () => {
    await assert.rejects(start({ trustedProxies: ['127.0.0.1'] }), (err: unknown) => {
      assert.ok(isDctError(err, 'AUTH_REQUIRED'));
      assert.match(
        (err as Error).message,
        /behind a trusted proxy \(--trusted-proxy\) without authentication: .*--auth-htpasswd FILE.*--insecure-no-auth/,
      );
      return true;
    });
    // --insecure-no-auth: writes through the proxy are accepted (the proxy's Host names the server)
    const insecure = await start({ trustedProxies: ['127.0.0.1'], insecureNoAuth: true });
    try {
      const r = await call(`${insecure.url}/v2/example.com/app/_trust/tuf/`, {
        method: 'DELETE',
        headers: { 'X-Forwarded-For': '203.0.113.9' },
      });
      assert.equal(r.status, 200);
    } finally {
      await insecure.close();
    }
  });
});
