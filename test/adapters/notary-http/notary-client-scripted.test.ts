/**
 * NotaryClient against a scripted local server: notary's status mapping, the
 * URLs and request targets notary 0.7 sends, per-call size limits, error bodies
 * read in part, retries of GETs with back-off (never POSTs nor 4xx), and ping.
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { NotaryClient, NotaryHttpError } from '../../../src/adapters/notary-http/notary-client.js';
import { NotaryServerSource } from '../../../src/adapters/notary-http/notary-source.js';
import { errorBody, GUN, refusedWith, ScriptedServer, send, UNAUTHORIZED } from './notary-client-support.js';

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

  it('ping: any answer is reachable; a closed port or silence is not', { timeout: 30_000 }, async () => {
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
    // a server that never answers: only the ping's own timeout can end this (else the test's limit does)
    srv.handler = () => {};
    const silent = await new NotaryClient({ baseUrl: srv.url, pingTimeoutMs: 100 }).ping();
    assert.deepEqual(silent.reachable ? 'reachable' : silent.code, 'TIMEOUT');
  });
});
