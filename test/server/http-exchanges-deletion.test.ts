/**
 * The real notary-server's recorded deletions and path refusals (exchanges
 * 29–34) replayed against `dct server` (test/server/http-exchanges-world.ts):
 * DELETE of a GUN and of an unknown GUN, GET after DELETE, bad paths and a GUN
 * with `*`, and plain HTTP to the TLS port — Go's TLS server answers `HTTP/1.0
 * 400`, node's closes the broken handshake; either way the client gets no data,
 * so the test accepts "the connection fails" or a 4xx.
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { describe, it } from 'node:test';
import { CLIENT, db, readExchange, replay, server, storedRows, useExchangeServer } from './http-exchanges-world.js';

describe('notary-server HTTP exchanges 01–34 replayed against dct server', () => {
  useExchangeServer();

  it('29 DELETE a GUN → 200, empty body', async () => {
    await replay('29-delete-gun.txt', 'empty', { method: 'DELETE' });
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM tuf_files WHERE gun = ?').get(CLIENT) as { n: number }).n, 0);
  });

  it('30 DELETE an unknown GUN → 200, empty body, nothing changes', async () => {
    const before = storedRows();
    await replay('30-delete-unknown-gun.txt', 'empty', { method: 'DELETE' });
    assert.deepEqual(storedRows(), before);
  });

  it('31 GET root.json after DELETE → 404 detail {}', () => replay('31-get-after-delete.txt', 'same'));
  it('32 GET /v2/foo → 404 without detail', () => replay('32-get-bad-path.txt', 'same'));
  it('33 GET a GUN with * → 404 without detail', () => replay('33-get-gun-with-star.txt', 'same'));

  it('34 plain HTTP to the TLS port → the connection fails or gets a 4xx (never data)', async () => {
    const ex = readExchange('34-plain-http-to-tls-port.txt');
    assert.equal(ex.status, 400);
    const before = storedRows();
    const port = new URL(server.url).port;
    const outcome = await new Promise<{ status?: number; error?: string }>((resolve) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/v2/', method: 'GET', agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
        res.on('error', (err) => resolve({ error: err.message }));
      });
      req.setTimeout(5_000, () => req.destroy(new Error('no answer within 5 s')));
      req.on('error', (err) => resolve({ error: err.message }));
      req.end();
    });
    if (outcome.status !== undefined) assert.ok(outcome.status >= 400 && outcome.status < 500, `status ${outcome.status}`);
    else assert.doesNotMatch(outcome.error ?? '', /no answer within/, 'the server must not leave the connection hanging');
    assert.deepEqual(storedRows(), before);
  });
});
