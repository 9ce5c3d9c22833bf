import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { DctError, isDctError } from '../../../../src/core/errors.js';
import { readErrorBody } from '../../../../src/adapters/http/transport/error-body.js';
import { exchange } from '../../../../src/adapters/http/transport/exchange.js';
import { reconnect } from '../../../../src/adapters/http/transport/reconnect.js';
import { isStaleConnection, readBody, send } from '../../../../src/adapters/http/transport/send.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

describe('send and the body readers', () => {
  let server: http.Server;
  let handler: Handler = (_q, res) => res.end();
  let base = '';
  before(async () => {
    server = http.createServer((req, res) => handler(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  const tooLarge = (size: number | undefined) => new DctError('RESPONSE_TOO_LARGE', `too large: ${size ?? 'received'}`);
  const get = (path: string) => send({ method: 'GET', url: new URL(path, base) });

  it('caps a body by its declared length and by what arrives', async () => {
    handler = (_q, res) => res.end('x'.repeat(100));
    await assert.rejects(readBody(await get('/declared'), 99, tooLarge), /too large: 100/);
    assert.equal((await readBody(await get('/fits'), 100, tooLarge)).length, 100);
    handler = (_q, res) => {
      res.write('x'.repeat(60));
      res.end('y'.repeat(60));
    };
    await assert.rejects(readBody(await get('/chunked'), 100, tooLarge), /too large: received/);
  });

  it('truncates where asked, and error bodies are cut, never refused', async () => {
    handler = (_q, res) => {
      res.write('x'.repeat(60));
      res.end('y'.repeat(60));
    };
    const cut = await readBody(await get('/cut'), 1000, tooLarge, { truncateAt: 70 });
    assert.equal(cut.toString(), 'x'.repeat(60) + 'y'.repeat(10));
    handler = (_q, res) => {
      res.statusCode = 500;
      res.end('e'.repeat(200_000));
    };
    const error = await readErrorBody(await get('/error'));
    assert.equal(error.length, 64 * 1024);
    handler = (_q, res) => res.end('z'.repeat(1000));
    await assert.rejects(readBody(await get('/declared-cut'), 100, tooLarge, { truncateAt: 101 }), /too large: 1000/);
  });

  it('exchange: a deadline over the whole exchange, and the cap in its error', async () => {
    handler = (_q, res) => {
      res.write('partial');
    };
    await assert.rejects(
      exchange(new URL('/slow?account=alice', base), { timeoutMs: 150, maxBytes: 1000 }),
      (err: unknown) =>
        isDctError(err, 'TIMEOUT') && /GET http:\/\/127\.0\.0\.1:\d+\/slow: no complete response within 150 ms/.test(err.message),
    );
    handler = (_q, res) => res.end('x'.repeat(50));
    await assert.rejects(
      exchange(new URL('/big', base), { timeoutMs: 1000, maxBytes: 10 }),
      (err: unknown) => isDctError(err, 'RESPONSE_TOO_LARGE') && /declares 50 bytes, more than the limit of 10/.test(err.message),
    );
    const ok = await exchange(new URL('/ok', base), { method: 'HEAD', timeoutMs: 1000, maxBytes: 10 });
    assert.equal(ok.status, 200);
  });

  it('head and idle timeouts are TIMEOUT; no timeouts unless asked', async () => {
    handler = () => undefined;
    await assert.rejects(send({ method: 'GET', url: new URL('/never', base), timeoutMs: 100 }), (err: unknown) =>
      isDctError(err, 'TIMEOUT'),
    );
    await assert.rejects(send({ method: 'GET', url: new URL('/never', base), idleTimeoutMs: 100 }), /no data for 100 ms/);
  });

  it('a request on a keep-alive connection the server closed is marked stale, and reconnect sends it once more', async () => {
    let n = 0;
    let drop = false;
    handler = (req, res) => {
      n++;
      if (drop) {
        // the request came on the reused connection: drop it without an answer
        drop = false;
        req.socket.destroy();
      } else res.end('ok');
    };
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      await readBody(await send({ method: 'GET', url: new URL('/1', base), agent }), 100, tooLarge);
      drop = true;
      let stale: unknown;
      await send({ method: 'GET', url: new URL('/2', base), agent }).catch((err: unknown) => (stale = err));
      assert.equal(isDctError(stale, 'NETWORK_ERROR'), true);
      assert.equal(isStaleConnection(stale), true);
      assert.equal(isStaleConnection(new DctError('NETWORK_ERROR', 'x')), false);
      await readBody(await send({ method: 'GET', url: new URL('/warm', base), agent }), 100, tooLarge);
      drop = true;
      n = 0;
      const res = await reconnect()(send)({ method: 'GET', url: new URL('/3', base), agent });
      assert.equal((await readBody(res, 100, tooLarge)).toString(), 'ok');
      assert.equal(n, 2);
    } finally {
      agent.destroy();
    }
  });
});
