/**
 * NotaryClient with RegistryAuth against a scripted token-auth server: the
 * challenge answered once, then tokens asked up front for the scope each
 * operation needs and reused; a second 401, wrong credentials and a 401 without
 * a challenge; a ping that remembers the challenge.
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import { RegistryAuth, type RegistryCredentials } from '../../../src/adapters/http/registry-auth.js';
import { NotaryClient, NotaryHttpError } from '../../../src/adapters/notary-http/notary-client.js';
import { errorBody, GUN, refusedWith, ScriptedServer, type Seen, send, TUF, UNAUTHORIZED } from './notary-client-support.js';

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
