/**
 * Who a request's client is, for the per-client limits: the socket address, or,
 * behind trusted proxies, the right-most X-Forwarded-For hop that is not one.
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { isDctError } from '../../src/core/errors.js';
import { ClientAddresses } from '../../src/server/client-address.js';
import { loadConfig } from '../../src/server/config.js';
import { startServer } from '../../src/server/start-server.js';

describe('ClientAddresses', () => {
  it('without trusted proxies: the socket address, whatever X-Forwarded-For says', () => {
    const c = new ClientAddresses([]);
    assert.equal(c.of('192.0.2.7', '198.51.100.1'), '192.0.2.7');
    assert.equal(c.of('::ffff:192.0.2.7', undefined), '192.0.2.7');
    assert.equal(c.of(undefined, undefined), '?');
  });

  it('a trusted peer: the right-most hop that is not a trusted proxy', () => {
    const c = new ClientAddresses(['10.0.0.0/8', '2001:db8::1']);
    assert.equal(c.of('10.1.2.3', '198.51.100.1'), '198.51.100.1');
    assert.equal(c.of('::ffff:10.1.2.3', '203.0.113.9, 198.51.100.1, 10.9.9.9'), '198.51.100.1', 'a chain of trusted proxies is walked');
    assert.equal(c.of('2001:db8::1', ['203.0.113.9', '198.51.100.2']), '198.51.100.2', 'several headers form one list');
    assert.equal(c.of('10.1.2.3', '10.2.2.2, 10.3.3.3'), '10.2.2.2', 'only trusted hops: the left-most');
    assert.equal(c.of('10.1.2.3', undefined), '10.1.2.3', 'no header: the proxy itself');
  });

  it('an untrusted peer cannot choose its bucket; a malformed hop stops the walk', () => {
    const c = new ClientAddresses(['10.0.0.0/8']);
    assert.equal(c.of('198.51.100.1', '10.0.0.1'), '198.51.100.1');
    assert.equal(c.of('10.1.2.3', '198.51.100.1, not-an-ip'), '10.1.2.3');
    assert.equal(c.of('10.1.2.3', 'spoofed, 198.51.100.1'), '198.51.100.1', 'anything left of the first untrusted hop is ignored');
  });

  it('refuses entries that are not addresses or ranges', () => {
    for (const bad of ['proxy.example', '10.0.0.0/33', '10.0.0.0/8/1', '::1/129', '']) {
      assert.throws(
        () => new ClientAddresses([bad]),
        (err: unknown) => isDctError(err, 'INVALID_CONFIG'),
        bad,
      );
    }
    assert.throws(
      () => loadConfig({ env: { DCT_TRUSTED_PROXIES: '10.0.0.1, nope' }, flags: {} }),
      (err: unknown) => isDctError(err, 'INVALID_CONFIG'),
    );
    assert.deepEqual(loadConfig({ env: { DCT_TRUSTED_PROXIES: '10.0.0.1, 192.168.0.0/16' }, flags: {} }).trustedProxies, [
      '10.0.0.1',
      '192.168.0.0/16',
    ]);
  });
});

describe('write limits per client behind a trusted proxy (dct server)', () => {
  const work = mkdtempSync(join(tmpdir(), 'dct-client-address-'));
  after(() => rmSync(work, { recursive: true, force: true }));

  /** Deletions from each client behind the proxy, in order; the burst is 2. */
  async function statuses(
    trustedProxies: string[],
    clients = ['198.51.100.1', '198.51.100.1', '198.51.100.1', '198.51.100.2', '198.51.100.2'],
  ): Promise<number[]> {
    const config = loadConfig({
      env: {},
      flags: {
        listen: '127.0.0.1:0',
        storage: 'sqlite::memory:',
        dataDir: join(work, trustedProxies.length > 0 ? 'a' : 'b'),
        plainHttp: true,
        logLevel: 'silent',
        writesPerSecond: 1,
        writeBurst: 2,
        trustedProxies,
        insecureNoAuth: true,
      },
    });
    const server = await startServer(config, { DCT_SERVER_KEY_PASSPHRASE: 'client-address-test' }, pino({ level: 'silent' }));
    try {
      const del = (client: string) =>
        new Promise<number>((resolve, reject) => {
          const req = http.request(
            `${server.url}/v2/example.com/app/_trust/tuf/`,
            { method: 'DELETE', headers: { 'X-Forwarded-For': client } },
            (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode ?? 0));
            },
          );
          req.on('error', reject);
          req.end();
        });
      const out: number[] = [];
      for (const client of clients) out.push(await del(client));
      return out;
    } finally {
      await server.close();
    }
  }

  it('each forwarded client has its own bucket when the proxy is trusted; one shared bucket when it is not', async () => {
    assert.deepEqual(await statuses(['127.0.0.1']), [200, 200, 429, 200, 200]);
    assert.deepEqual(await statuses([]), [200, 200, 429, 429, 429]);
  });

  it('IPv6 clients count per /64: other addresses of the same /64 share the bucket, another /64 has its own', async () => {
    const clients = ['2001:db8:1:2::a', '2001:db8:1:2:ffff::b', '2001:DB8:1:2:0:1:2:3', '2001:db8:1:3::a', '2001:db8:1:3::b'];
    assert.deepEqual(await statuses(['127.0.0.1'], clients), [200, 200, 429, 200, 200]);
  });
});
