/**
 * NotaryClient against a scripted local server (status mapping, size limits, retries,
 * ping, TLS and mutual TLS, token auth round trips) and against `dct server` with
 * token auth (real tokens, real access rules, a real publish and verified read).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { pino } from 'pino';
import { RegistryAuth, type RegistryCredentials } from '../../../src/adapters/http/registry-auth.js';
import { NotaryClient, NotaryHttpError } from '../../../src/adapters/notary-http/notary-client.js';
import { NotaryServerSource } from '../../../src/adapters/notary-http/notary-source.js';
import { ensureSelfSignedTls } from '../../../src/adapters/tls/self-signed.js';
import { createRepository } from '../../../src/app/create-repository.js';
import { loadRepository } from '../../../src/app/load-repository.js';
import { der } from '../../../src/core/der.js';
import { isDctError } from '../../../src/core/errors.js';
import { createCertificate, extension, OID } from '../../../src/core/keys/certificate.js';
import { loadConfig } from '../../../src/server/config.js';
import { startServer, type RunningServer } from '../../../src/server/start-server.js';

const GUN = 'registry.example.com/team/app';
const TUF = `/v2/${GUN}/_trust/tuf/`;
const UNAUTHORIZED = 'you are not authorized to perform this operation: server returned 401.';

interface Seen {
  method: string;
  path: string;
  /** the request target as sent */
  raw: string;
  authorization?: string;
  query: URLSearchParams;
}
type Handler = (req: http.IncomingMessage & { seen: Seen }, res: http.ServerResponse) => void;

/** A scripted HTTP(S) server: `handler` answers, `seen` records (token requests included). */
class ScriptedServer {
  seen: Seen[] = [];
  handler: Handler = (_q, res) => res.end();
  server!: http.Server;
  url = '';

  async start(tls?: https.ServerOptions): Promise<this> {
    const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
      const u = new URL(req.url ?? '/', 'http://x');
      const seen: Seen = { method: req.method ?? '', path: decodeURIComponent(u.pathname), raw: req.url ?? '', query: u.searchParams };
      if (req.headers.authorization) seen.authorization = req.headers.authorization;
      this.seen.push(seen);
      req.resume();
      req.on('end', () => this.handler(Object.assign(req, { seen }), res));
    };
    this.server = tls ? https.createServer(tls, listener) : http.createServer(listener);
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `${tls ? 'https' : 'http'}://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function send(res: http.ServerResponse, status: number, body: string | Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

const errorBody = (code: string, message: string, detail?: unknown) =>
  JSON.stringify({ errors: [{ code, message, ...(detail !== undefined ? { detail } : {}) }] });

function refusedWith(code: string, pattern?: RegExp): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(isDctError(err, code), `expected ${code}, got ${String(err)}`);
    if (pattern) assert.match(err.message, pattern);
    return true;
  };
}

describe('NotaryClient against a scripted server', () => {
  let srv: ScriptedServer;
  let client: NotaryClient;

  before(async () => {
    srv = await new ScriptedServer().start();
  });
  after(() => srv.close());
  beforeEach(() => {
    srv.seen = [];
    client?.close();
    client = new NotaryClient({ baseUrl: srv.url, timeoutMs: 2000 });
  });

  it("maps statuses as notary's httpstore: 404, 400 (with validation detail), 401, others", async () => {
    srv.handler = (req, res) => {
      if (req.seen.path.endsWith('root.json'))
        return send(res, 404, errorBody('METADATA_NOT_FOUND', 'You have requested metadata that does not exist.'));
      if (req.method === 'POST')
        return send(
          res,
          400,
          errorBody('INVALID_UPDATE', 'Update sent by the client is invalid.', { Name: 'ErrBadTargets', Error: { Msg: 'bad sig' } }),
        );
      if (req.seen.path.endsWith('targets.json')) return send(res, 401, errorBody('UNAUTHORIZED', 'authentication required'));
      return send(res, 503, 'busy');
    };
    await assert.rejects(client.getMetadata(GUN, 'root'), refusedWith('METADATA_NOT_FOUND', /does not exist/));
    await assert.rejects(client.publish(GUN, [{ role: 'targets', bytes: Buffer.from('{}') }]), (err: unknown) => {
      assert.ok(err instanceof NotaryHttpError && err.code === 'INVALID_UPDATE');
      assert.equal(err.details.validation?.name, 'ErrBadTargets');
      assert.match(err.message, /The targets metadata is invalid: bad sig$/);
      return true;
    });
    await assert.rejects(client.getMetadata(GUN, 'targets'), (err: unknown) => {
      assert.ok(err instanceof NotaryHttpError && err.code === 'UNAUTHORIZED' && err.status === 401);
      assert.ok(err.message.endsWith(UNAUTHORIZED), err.message);
      assert.equal(err.serverCode, 'UNAUTHORIZED');
      return true;
    });
    await assert.rejects(
      client.getMetadata(GUN, 'snapshot'),
      refusedWith('SERVER_UNAVAILABLE', /unable to reach trust server at this time: 503/),
    );
  });

  it('builds notary\'s URLs: current, by checksum, by version, keys; ":" and "@" stay unescaped', async () => {
    srv.handler = (req, res) =>
      req.seen.path.endsWith('.key')
        ? send(res, 200, JSON.stringify({ keytype: 'ed25519', keyval: { public: Buffer.alloc(32, 1).toString('base64'), private: null } }))
        : send(res, 200, 'x');
    const gun = '127.0.0.1:5000/a@b/c';
    await client.getMetadata(gun, 'targets/releases');
    await client.getMetadata(gun, 'snapshot', { sha256: 'AB'.repeat(32) });
    await client.getMetadata(gun, 'root', { version: 3 });
    const key = await client.getKey(gun, 'timestamp');
    assert.equal(key.keyType, 'ed25519');
    assert.deepEqual(
      srv.seen.map((s) => `${s.method} ${s.path}`),
      [
        'GET /v2/127.0.0.1:5000/a@b/c/_trust/tuf/targets/releases.json',
        `GET /v2/127.0.0.1:5000/a@b/c/_trust/tuf/snapshot.${'ab'.repeat(32)}.json`,
        'GET /v2/127.0.0.1:5000/a@b/c/_trust/tuf/3.root.json',
        'GET /v2/127.0.0.1:5000/a@b/c/_trust/tuf/timestamp.key',
      ],
    );
    await assert.rejects(client.getMetadata(gun, 'root', { sha256: 'xyz' }), refusedWith('INVALID_REQUEST'));
    await assert.rejects(client.getMetadata('', 'root'), refusedWith('INVALID_REQUEST'));
    await assert.rejects(client.getMetadata(gun, '../root'), refusedWith('INVALID_REQUEST'));
  });

  it('sends the request targets notary 0.7 sends: "/" in roles and GUNs as is, Go\'s path escaping for the rest', async () => {
    srv.handler = (req, res) =>
      req.seen.path.endsWith('.key')
        ? send(res, 200, JSON.stringify({ keytype: 'ed25519', keyval: { public: Buffer.alloc(32, 1).toString('base64'), private: null } }))
        : send(res, 200, 'x');
    // `notary list GUN` against a recording server (notary 0.7, go1.19): its first GET of each GUN
    const recorded: Array<[string, string]> = [
      ['127.0.0.1:5000/a@b/c', '/v2/127.0.0.1:5000/a@b/c/_trust/tuf/root.json'],
      ["h/a!b'c(d)e[g]", "/v2/h/a!b'c(d)e[g]/_trust/tuf/root.json"],
      ['h/a$&+,;=b', '/v2/h/a$&+,;=b/_trust/tuf/root.json'],
      ['h/a~b', '/v2/h/a~b/_trust/tuf/root.json'],
      ['h/a!b\u00e9', '/v2/h/a%21b%C3%A9/_trust/tuf/root.json'],
      ['h/\u00e9', '/v2/h/%C3%A9/_trust/tuf/root.json'],
      ['h/a^b|c\\d', '/v2/h/a%5Eb%7Cc%5Cd/_trust/tuf/root.json'],
      ['h/a"b<c>', '/v2/h/a%22b%3Cc%3E/_trust/tuf/root.json'],
    ];
    for (const [gun] of recorded) await client.getMetadata(gun, 'root');
    assert.deepEqual(
      srv.seen.map((s) => s.raw),
      recorded.map(([, raw]) => raw),
    );

    // every endpoint for a delegation role (notary and docker: `targets/releases.json`, never `%2F`)
    srv.seen = [];
    const gun = '127.0.0.1:5000/org/app';
    const sha = 'ab'.repeat(32);
    await client.getMetadata(gun, 'targets/releases');
    await client.getMetadata(gun, 'targets/releases', { sha256: sha });
    await client.getMetadata(gun, 'targets/a/b', { version: 2 });
    await client.getKey(gun, 'snapshot');
    await client.rotateKey(gun, 'timestamp');
    await client.publish(gun, [{ role: 'targets/releases', bytes: Buffer.from('{}') }]);
    await client.deleteRepository(gun);
    const tuf = '/v2/127.0.0.1:5000/org/app/_trust/tuf/';
    assert.deepEqual(
      srv.seen.map((s) => `${s.method} ${s.raw}`),
      [
        `GET ${tuf}targets/releases.json`,
        `GET ${tuf}targets/releases.${sha}.json`,
        `GET ${tuf}2.targets/a/b.json`,
        `GET ${tuf}snapshot.key`,
        `POST ${tuf}timestamp.key`,
        `POST ${tuf}`,
        `DELETE ${tuf}`,
      ],
    );
  });

  it('per-call maxBytes: a larger declared length is "a bad response", a longer stream is cut after maxBytes + 1 bytes', async () => {
    let streamed = 0;
    srv.handler = (req, res) => {
      if (req.seen.path.endsWith('root.json')) return send(res, 200, 'r'.repeat(101));
      if (req.seen.path.endsWith('snapshot.json')) return send(res, 200, 's'.repeat(100));
      // targets: chunked, endless (stops when the client hangs up)
      res.writeHead(200);
      const pump = (): void => {
        while (res.write(Buffer.alloc(16 * 1024, 0x74))) {
          streamed += 16 * 1024;
          if (streamed > 64 * 1024 * 1024) {
            res.end();
            return;
          }
        }
        res.once('drain', pump);
      };
      res.on('error', () => {});
      pump();
    };
    await assert.rejects(
      client.getMetadata(GUN, 'root', undefined, { maxBytes: 100 }),
      refusedWith('RESPONSE_TOO_LARGE', /trust server returned a bad response\./),
    );
    assert.equal((await client.getMetadata(GUN, 'snapshot', undefined, { maxBytes: 100 })).length, 100);
    const cut = await client.getMetadata(GUN, 'targets', undefined, { maxBytes: 1000 });
    assert.equal(cut.length, 1001);
    assert.ok(streamed < 32 * 1024 * 1024, 'the client stopped reading');
    // the client's own cap still applies when the caller allows more
    const small = new NotaryClient({ baseUrl: srv.url, maxMetadataBytes: 50 });
    await assert.rejects(small.getMetadata(GUN, 'snapshot', undefined, { maxBytes: 1000 }), refusedWith('RESPONSE_TOO_LARGE'));
    small.close();
    // as a MetadataSource
    const source = new NotaryServerSource(client, GUN);
    assert.equal((await source.read('snapshot', 100))?.length, 100);
    assert.equal((await source.read('targets', 10))?.length, 11);
    await assert.rejects(source.read('root', 100), refusedWith('RESPONSE_TOO_LARGE'));
    await assert.rejects(client.getMetadata(GUN, 'root', undefined, { maxBytes: -1 }), refusedWith('INVALID_REQUEST'));
  });

  it('error bodies are read only in part and never turn into "too large"', async () => {
    srv.handler = (_q, res) => send(res, 404, 'e'.repeat(200 * 1024));
    await assert.rejects(client.getMetadata(GUN, 'root'), refusedWith('METADATA_NOT_FOUND'));
  });

  it('retries GETs after 5xx and network errors with back-off, never POSTs nor 4xx', async () => {
    let n = 0;
    srv.handler = (req, res) => {
      n++;
      if (req.seen.path.endsWith('root.json')) return n <= 2 ? send(res, 503, 'busy') : send(res, 200, 'root');
      if (req.seen.path.endsWith('snapshot.json')) return n <= 1 ? req.socket.destroy() : send(res, 200, 'snap');
      if (req.seen.path.endsWith('targets.json')) return send(res, 404, '');
      return send(res, 500, 'down');
    };
    const retrying = new NotaryClient({ baseUrl: srv.url, retries: 2, retryDelayMs: 10 });
    const started = Date.now();
    assert.equal((await retrying.getMetadata(GUN, 'root')).toString(), 'root');
    assert.ok(Date.now() - started >= 30, 'backed off 10 + 20 ms');
    assert.equal(n, 3);
    n = 0;
    assert.equal((await retrying.getMetadata(GUN, 'snapshot')).toString(), 'snap');
    assert.equal(n, 2);
    n = 0;
    await assert.rejects(retrying.getMetadata(GUN, 'targets'), refusedWith('METADATA_NOT_FOUND'));
    assert.equal(n, 1);
    n = 0;
    await assert.rejects(retrying.publish(GUN, [{ role: 'targets', bytes: Buffer.from('{}') }]), refusedWith('SERVER_UNAVAILABLE'));
    assert.equal(n, 1);
    retrying.close();
    n = 0;
    const once = new NotaryClient({ baseUrl: srv.url, retries: 1, retryDelayMs: 1 });
    await assert.rejects(
      once.getMetadata(GUN, 'root'),
      refusedWith('SERVER_UNAVAILABLE', /: unable to reach trust server at this time: 503$/),
    );
    assert.equal(n, 2);
    once.close();
    // default: no retry
    n = 0;
    await assert.rejects(client.getMetadata(GUN, 'root'), refusedWith('SERVER_UNAVAILABLE'));
    assert.equal(n, 1);
  });

  it('ping: any answer is reachable; a closed port or silence is not', async () => {
    srv.handler = (req, res) =>
      req.seen.path === '/v2/' ? send(res, 401, '', { 'WWW-Authenticate': 'Bearer realm="x"' }) : send(res, 200, '');
    assert.deepEqual(await client.ping(), { reachable: true, status: 401 });
    assert.equal(srv.seen[0]?.path, '/v2/');
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const down = await new NotaryClient({ baseUrl: `http://127.0.0.1:${port}` }).ping();
    assert.equal(down.reachable, false);
    assert.equal(!down.reachable && down.code, 'NETWORK_ERROR');
    srv.handler = () => {};
    const started = Date.now();
    const silent = await new NotaryClient({ baseUrl: srv.url, pingTimeoutMs: 100 }).ping();
    assert.deepEqual(silent.reachable ? 'reachable' : silent.code, 'TIMEOUT');
    assert.ok(Date.now() - started < 2000);
  });
});

// ---- token auth round trips --------------------------------------------------------------------------

describe('NotaryClient with RegistryAuth against a scripted token-auth server', () => {
  let srv: ScriptedServer;
  /** tokens handed out: token → scope */
  let issued: Map<string, string>;
  const challenge = () => `Bearer realm="${srv.url}/auth",service="notary",scope="ignored"`;

  before(async () => {
    srv = await new ScriptedServer().start();
  });
  after(() => srv.close());
  beforeEach(() => {
    srv.seen = [];
    issued = new Map();
    srv.handler = (req, res) => {
      if (req.seen.path === '/auth') {
        if (req.seen.authorization !== `Basic ${Buffer.from('alice:pw').toString('base64')}`)
          return send(res, 401, errorBody('UNAUTHORIZED', 'bad credentials'));
        const token = `t${issued.size + 1}`;
        issued.set(token, req.seen.query.getAll('scope').join(' '));
        return send(res, 200, JSON.stringify({ token, expires_in: 300 }));
      }
      const token = req.seen.authorization?.replace(/^Bearer /, '');
      const path = req.seen.path;
      const needs =
        req.method === 'DELETE' || (req.method === 'POST' && path.endsWith('.key'))
          ? '*'
          : req.method === 'POST' || path.endsWith('.key')
            ? 'push'
            : 'pull';
      const granted = token === undefined ? undefined : issued.get(token)?.replace(`repository:${GUN}:`, '').split(',');
      if (!granted || !(granted.includes(needs) || granted.includes('*'))) {
        return send(res, 401, errorBody('UNAUTHORIZED', 'authentication required'), { 'WWW-Authenticate': challenge() });
      }
      if (req.seen.path.endsWith('.key'))
        return send(
          res,
          200,
          JSON.stringify({ keytype: 'ed25519', keyval: { public: Buffer.alloc(32, 2).toString('base64'), private: null } }),
        );
      return send(res, 200, req.method === 'GET' ? 'data' : '');
    };
  });

  const authed = (credentials: RegistryCredentials | undefined) =>
    new NotaryClient({ baseUrl: srv.url, auth: new RegistryAuth({ credentials: () => credentials }) });

  it('answers the challenge once, then asks up front for the scope each operation needs, reusing tokens', async () => {
    const client = authed({ username: 'alice', password: 'pw' });
    assert.equal((await client.getMetadata(GUN, 'root')).toString(), 'data');
    assert.equal((await client.getMetadata(GUN, 'targets')).toString(), 'data');
    await client.publish(GUN, [{ role: 'targets', bytes: Buffer.from('{}') }]);
    await client.getKey(GUN, 'snapshot');
    await client.rotateKey(GUN, 'timestamp');
    await client.deleteRepository(GUN);
    assert.deepEqual([...issued.values()], [`repository:${GUN}:pull`, `repository:${GUN}:push,pull`, `repository:${GUN}:*`]);
    assert.deepEqual(
      srv.seen.map((s) => `${s.method} ${s.path.replace(TUF, '…/')} ${s.authorization ?? '-'}`),
      [
        'GET …/root.json -',
        'GET /auth Basic YWxpY2U6cHc=',
        'GET …/root.json Bearer t1',
        'GET …/targets.json Bearer t1',
        'GET /auth Basic YWxpY2U6cHc=',
        'POST …/ Bearer t2',
        'GET …/snapshot.key Bearer t2',
        'GET /auth Basic YWxpY2U6cHc=',
        'POST …/timestamp.key Bearer t3',
        'DELETE …/ Bearer t3',
      ],
    );
    client.close();
  });

  it("a second 401 is UNAUTHORIZED with notary's message", async () => {
    srv.handler = (req, res) => {
      if (req.seen.path === '/auth') return send(res, 200, JSON.stringify({ token: 'useless' }));
      return send(res, 401, errorBody('UNAUTHORIZED', 'authentication required'), { 'WWW-Authenticate': challenge() });
    };
    const client = authed({ username: 'alice', password: 'pw' });
    await assert.rejects(client.getMetadata(GUN, 'root'), (err: unknown) => {
      assert.ok(err instanceof NotaryHttpError && err.code === 'UNAUTHORIZED');
      assert.ok(err.message.endsWith(UNAUTHORIZED));
      return true;
    });
    assert.equal(srv.seen.filter((s) => s.path !== '/auth').length, 2);
    client.close();
  });

  it('wrong credentials are AUTH_FAILED; a 401 without a challenge is UNAUTHORIZED at once', async () => {
    const wrong = authed({ username: 'alice', password: 'nope' });
    await assert.rejects(wrong.getMetadata(GUN, 'root'), refusedWith('AUTH_FAILED', /refused the credentials of user "alice"/));
    wrong.close();
    srv.seen = [];
    srv.handler = (_q, res) => send(res, 401, '');
    const client = authed({ username: 'alice', password: 'pw' });
    await assert.rejects(client.getMetadata(GUN, 'root'), refusedWith('UNAUTHORIZED'));
    assert.equal(srv.seen.length, 1);
    client.close();
  });

  it('a ping remembers the challenge, so the first request already carries a token', async () => {
    srv.handler = ((orig) => (req: http.IncomingMessage & { seen: Seen }, res: http.ServerResponse) =>
      req.seen.path === '/v2/' ? send(res, 401, '', { 'WWW-Authenticate': challenge() }) : orig(req, res))(srv.handler);
    const client = authed({ username: 'alice', password: 'pw' });
    assert.deepEqual(await client.ping(), { reachable: true, status: 401 });
    await client.getMetadata(GUN, 'root');
    assert.deepEqual(
      srv.seen.map((s) => s.path.replace(TUF, '…/')),
      ['/v2/', '/auth', '…/root.json'],
    );
    client.close();
  });
});

// ---- TLS -------------------------------------------------------------------------------------------------

describe('NotaryClient TLS options', () => {
  let work: string;
  let ca: Buffer;
  let tls: { cert: Buffer; key: Buffer };
  let clientCa: { cert: string; key: KeyObject };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'dct-notary-tls-'));
    const made = await ensureSelfSignedTls(work, ['127.0.0.1']);
    ca = readFileSync(made.caFile);
    tls = { cert: made.cert, key: made.key };
    const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    clientCa = {
      key: pair.privateKey,
      cert: createCertificate({
        commonName: 'client CA',
        publicKey: pair.publicKey,
        signingKey: pair.privateKey,
        notBefore: new Date(Date.now() - 3600_000),
        notAfter: new Date(Date.now() + 3600_000),
        serial: randomBytes(8),
        extensions: [
          extension(OID.basicConstraints, true, der.sequence(der.boolean(true))),
          extension(OID.keyUsage, true, Buffer.from([0x03, 0x02, 0x01, 0x06])),
        ],
      }),
    };
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it("trusts a given CA; rejectUnauthorized false skips verification (docker's loopback rule)", async () => {
    const srv = await new ScriptedServer().start({ ...tls });
    srv.handler = (_q, res) => send(res, 200, 'ok');
    try {
      await assert.rejects(new NotaryClient({ baseUrl: srv.url }).getMetadata(GUN, 'root'), refusedWith('NETWORK_ERROR', /certificate/));
      assert.equal((await new NotaryClient({ baseUrl: srv.url, ca }).getMetadata(GUN, 'root')).toString(), 'ok');
      assert.equal((await new NotaryClient({ baseUrl: srv.url, rejectUnauthorized: false }).getMetadata(GUN, 'root')).toString(), 'ok');
    } finally {
      await srv.close();
    }
  });

  it('presents a client certificate to servers that require one', async () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const cert = createCertificate({
      commonName: 'dct client',
      issuerCommonName: 'client CA',
      publicKey: pair.publicKey,
      signingKey: clientCa.key,
      notBefore: new Date(Date.now() - 3600_000),
      notAfter: new Date(Date.now() + 3600_000),
      serial: randomBytes(8),
      extensions: [
        extension(OID.basicConstraints, true, der.sequence()),
        extension(OID.extKeyUsage, false, der.sequence(der.oid('1.3.6.1.5.5.7.3.2') /* clientAuth */)),
      ],
    });
    const key = pair.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    const srv = await new ScriptedServer().start({ ...tls, ca: clientCa.cert, requestCert: true, rejectUnauthorized: true });
    srv.handler = (req, res) =>
      send(res, 200, String((req.socket as import('node:tls').TLSSocket).getPeerCertificate().subject?.CN ?? 'none'));
    try {
      await assert.rejects(new NotaryClient({ baseUrl: srv.url, ca }).getMetadata(GUN, 'root'), refusedWith('NETWORK_ERROR'));
      const withCert = new NotaryClient({ baseUrl: srv.url, ca, cert, key });
      assert.equal((await withCert.getMetadata(GUN, 'root')).toString(), 'dct client');
      withCert.close();
    } finally {
      await srv.close();
    }
  });
});

// ---- against dct server with token auth --------------------------------------------------------------------

describe('NotaryClient + RegistryAuth against dct server --auth-htpasswd', () => {
  let work: string;
  let server: RunningServer;
  let gun: string;
  const bcryptLine = (user: string, password: string) => `${user}:${bcrypt.hashSync(password, 4).replace(/^\$2b\$/, '$2y$')}`;
  const clients: NotaryClient[] = [];
  const as = (credentials: RegistryCredentials | undefined) => {
    const c = new NotaryClient({
      baseUrl: server.url,
      caFile: server.caFile,
      auth: new RegistryAuth({ credentials: () => credentials }),
    });
    clients.push(c);
    return c;
  };
  const writer = { username: 'writer', password: 'writer-pw' };
  const reader = { username: 'reader', password: 'reader-pw' };
  const admin = { username: 'admin', password: 'admin-pw' };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'dct-notary-auth-'));
    writeFileSync(
      join(work, 'users'),
      [bcryptLine('writer', 'writer-pw'), bcryptLine('reader', 'reader-pw'), bcryptLine('admin', 'admin-pw')].join('\n') + '\n',
    );
    writeFileSync(
      join(work, 'config.json'),
      JSON.stringify({
        authRules: [
          { user: 'writer', repositories: 'registry.example.com/e2e/*', actions: ['push', 'pull'] },
          { user: 'reader', repositories: '*', actions: ['pull'] },
          { user: 'admin', repositories: '*', actions: ['*'] },
        ],
      }),
    );
    const config = loadConfig({
      file: join(work, 'config.json'),
      env: {},
      flags: {
        listen: '127.0.0.1:0',
        storage: 'sqlite::memory:',
        dataDir: join(work, 'data'),
        logLevel: 'silent',
        authHtpasswd: join(work, 'users'),
      },
    });
    server = await startServer(config, { DCT_SERVER_KEY_PASSPHRASE: 'test-server-keys' }, pino({ level: 'silent' }));
    gun = 'registry.example.com/e2e/app';
  });
  after(async () => {
    for (const c of clients) c.close();
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('a writer publishes, a reader verifies through NotaryServerSource, others are refused', async () => {
    const w = as(writer);
    assert.deepEqual(await w.ping(), { reachable: true, status: 401 });
    await assert.rejects(w.getMetadata(gun, 'root'), refusedWith('METADATA_NOT_FOUND'));
    const now = new Date();
    const newKey = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    const timestampKey = await w.getKey(gun, 'timestamp');
    const repo = await createRepository({ gun, now, rootKey: newKey(), targetsKey: newKey(), snapshotKey: newKey(), timestampKey });
    await w.publish(gun, repo.files);

    const r = as(reader);
    assert.ok((await r.getMetadata(gun, 'root')).equals(repo.bytes.root));
    const { trusted } = await loadRepository(new NotaryServerSource(r, gun), { gun, now });
    assert.ok(trusted);
    // the reader may not write, anonymous may not read, the writer may not delete
    await assert.rejects(r.publish(gun, repo.files), refusedWith('UNAUTHORIZED'));
    await assert.rejects(as(undefined).getMetadata(gun, 'root'), refusedWith('UNAUTHORIZED'));
    await assert.rejects(as({ username: 'reader', password: 'wrong' }).getMetadata(gun, 'root'), refusedWith('AUTH_FAILED', /reader/));
    await assert.rejects(w.deleteRepository(gun), refusedWith('UNAUTHORIZED'));
    // the admin may
    await as(admin).deleteRepository(gun);
    await assert.rejects(r.getMetadata(gun, 'root'), refusedWith('METADATA_NOT_FOUND'));
  });
});
