/**
 * `dct server` against bad input below the API: bodies and roles over the size
 * limits (413 TOO_LARGE), protocol-level garbage answered by node's HTTP parser
 * as Go's net/http answers it for notary (a bare 4xx, connection closed), and
 * requests that stop sending (408 within the request timeout, with notary's
 * TIMEOUT envelope). Nothing stored changes and the server keeps serving.
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { EmbeddedKeyService } from '../../src/adapters/key-service/embedded-key-service.js';
import { SqliteStore } from '../../src/adapters/storage/sqlite-store.js';
import { createTrustHttpServer } from '../../src/server/http-server.js';
import { ResponseCache } from '../../src/server/response-cache.js';
import {
  dbFile,
  MANAGED,
  MAX_BODY,
  MAX_ROLE,
  MESSAGES,
  multipart,
  now,
  PASSPHRASE,
  post,
  refused,
  send,
  sendRaw,
  statusOf,
  storedRows,
  T,
  useBadInputServer,
} from './bad-input-world.js';

describe('dct server: bad input gets notary 4xx answers and changes nothing', () => {
  useBadInputServer();

  describe('sizes', () => {
    it('a body over the limit (declared, or chunked) → 413 TOO_LARGE', async () => {
      const big = multipart([{ filename: 'targets', bytes: 'x'.repeat(MAX_BODY + 1) }]);
      await refused('Content-Length over the limit', () => post(MANAGED, big), 413, 'TOO_LARGE', { limit: MAX_BODY });
      await refused('chunked over the limit', () => send('POST', T(MANAGED), { ...big, chunked: true }), 413, 'TOO_LARGE', {
        limit: MAX_BODY,
      });
    });

    it('a role over the per-role limit in a body under the limit → 413 TOO_LARGE naming the role', () =>
      refused(
        'role over the limit',
        () => post(MANAGED, multipart([{ filename: 'targets/releases', bytes: 'x'.repeat(MAX_ROLE + 1) }])),
        413,
        'TOO_LARGE',
        {
          role: 'targets/releases',
          limit: MAX_ROLE,
        },
      ));
  });

  describe('protocol-level garbage (answered by the HTTP parser, as Go does for notary)', () => {
    it('an unknown method token, a broken chunk size, a bad request line, an oversized header → 4xx, connection closed', async () => {
      const before = storedRows();
      const raw = [
        `FOO ${T(MANAGED)} HTTP/1.1\r\nHost: x\r\n\r\n`,
        `POST ${T(MANAGED)} HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n`,
        `GET /v2/ HTTP/9.9.9\r\nHost: x\r\n\r\n`,
        `GET ${T(MANAGED)}root.json HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`,
        `GET /v2/\u0000 HTTP/1.1\r\nHost: x\r\n\r\n`,
      ];
      for (const request of raw) {
        const res = await sendRaw(request);
        const status = statusOf(res.text);
        assert.ok(status >= 400 && status < 500, `${JSON.stringify(request.slice(0, 40))}: ${res.text.slice(0, 100)}`);
        assert.ok(res.closed, 'connection closed');
      }
      assert.deepEqual(storedRows(), before);
      // and the server keeps serving
      assert.equal((await send('GET', '/v2/')).status, 200);
    });
  });

  describe('requests that stop sending', () => {
    // node checks request timeouts every `connectionsCheckingInterval` (30 s by
    // default, and start-server does not lower it): this server is the same HTTP
    // edge (createTrustHttpServer) over the same stores, checked every 50 ms.
    let edge: http.Server;
    let edgeStore: SqliteStore;
    let port: number;

    before(async () => {
      edgeStore = await SqliteStore.open(dbFile);
      const keys = new EmbeddedKeyService({ store: edgeStore, passphrase: PASSPHRASE, now });
      ({ server: edge } = createTrustHttpServer(
        { store: edgeStore, keys, now, cache: new ResponseCache(), gunPrefixes: [], limits: { maxRoleBytes: MAX_ROLE, maxParts: 1000 } },
        { maxBodyBytes: MAX_BODY, writeRate: { perSecond: 100_000, burst: 100_000 }, requestTimeoutMs: 300 },
        pino({ level: 'silent' }),
      ));
      (edge as http.Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = 50;
      await new Promise<void>((resolve) => edge.listen(0, '127.0.0.1', resolve));
      port = (edge.address() as AddressInfo).port;
    });
    after(async () => {
      edge.closeAllConnections();
      await new Promise<void>((resolve) => edge.close(() => resolve()));
      await edgeStore.close();
    });

    const stalled = [
      [
        'a body that stops half way',
        `POST ${T(MANAGED)} HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b0undary\r\nContent-Length: 1000\r\n\r\n--b0undary\r\n`,
      ],
      [
        'a chunked body that stops',
        `POST ${T(MANAGED)} HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b0undary\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n--b0u\r\n`,
      ],
      ['headers that stop', `POST ${T(MANAGED)} HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-`],
    ] as const;

    for (const [name, request] of stalled) {
      it(`${name} → 408 at the request timeout, nothing stored, the server keeps serving`, async () => {
        const before = storedRows();
        // the wait is a hang detector: the 408 is the server's answer at its 300 ms request timeout, or none comes
        const res = await sendRaw(request, { port, waitMs: 30_000 });
        assert.equal(statusOf(res.text), 408, res.text);
        assert.ok(res.closed, 'connection closed');
        assert.deepEqual(storedRows(), before);
        assert.equal((await send('GET', '/v2/', { port })).status, 200);
      });
    }

    it("a body that stops half way → 408 with notary's envelope (TIMEOUT)", async () => {
      const res = await sendRaw(stalled[0][1], { port, waitMs: 5_000 });
      const body = res.text.slice(res.text.indexOf('\r\n\r\n') + 4);
      assert.equal(statusOf(res.text), 408);
      assert.equal(body, `{"errors":[{"code":"TIMEOUT","message":"${MESSAGES['TIMEOUT']}"}]}\n`);
    });
  });
});
