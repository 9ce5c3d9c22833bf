/**
 * RemoteKeyService on the transport family, against a scripted HTTPS server: the
 * signer's errors keep their codes (stale keep-alive connection retried once,
 * silence, a refused certificate, answers too large or not JSON).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RemoteKeyService } from '../../../src/adapters/key-service/remote-key-service.js';
import { ensureSelfSignedTls, type SelfSignedTls } from '../../../src/adapters/tls/self-signed.js';
import { isDctError } from '../../../src/core/errors.js';

const KEY_ID = 'a'.repeat(64);

describe('RemoteKeyService over the transport', () => {
  let dir = '';
  let tls: SelfSignedTls;
  let ca: Buffer;
  let server: https.Server;
  let url = '';
  let handler: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void = (_q, res) => res.end();
  const clients: RemoteKeyService[] = [];
  const client = (opts: { timeoutMs?: number; maxResponseBytes?: number; ca?: Buffer } = {}) => {
    const c = new RemoteKeyService({
      url,
      tls: { cert: tls.cert, key: tls.key, ca: opts.ca ?? ca },
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.maxResponseBytes !== undefined ? { maxResponseBytes: opts.maxResponseBytes } : {}),
    });
    clients.push(c);
    return c;
  };
  const rejectsWith = (p: Promise<unknown>, code: string, message?: RegExp) =>
    assert.rejects(p, (err: unknown) => isDctError(err, code) && (message === undefined || message.test(err.message)));

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dct-remote-ks-'));
    tls = await ensureSelfSignedTls(dir, ['127.0.0.1']);
    ca = readFileSync(tls.caFile);
    server = https.createServer({ cert: tls.cert, key: tls.key, keepAliveTimeout: 60_000 }, (req, res) => handler(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    for (const c of clients) c.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes the signer’s error codes through; 404 is an unknown key', async () => {
    handler = (_q, res) => {
      res.statusCode = 404;
      res.end('{"code":"KEY_NOT_FOUND","message":"no such key"}');
    };
    assert.equal(await client().getKey(KEY_ID), undefined);
    handler = (_q, res) => {
      res.statusCode = 400;
      res.end('{"code":"WRONG_PASSPHRASE","message":"the passphrase is wrong"}');
    };
    await rejectsWith(client().createKey('example.com/a', 'timestamp'), 'WRONG_PASSPHRASE', /^signer: the passphrase is wrong$/);
    handler = (_q, res) => res.end('not json');
    await rejectsWith(client().getKey(KEY_ID), 'SIGNER_PROTOCOL_ERROR', /without a JSON object/);
  });

  it('a request on a keep-alive connection the signer dropped is sent once more', async () => {
    let n = 0;
    let drop = false;
    handler = (req, res) => {
      n++;
      if (drop) {
        drop = false;
        req.socket.destroy();
      } else {
        res.statusCode = 404;
        res.end('{}');
      }
    };
    const c = client();
    assert.equal(await c.getKey(KEY_ID), undefined);
    drop = true;
    n = 0;
    assert.equal(await c.getKey('b'.repeat(64)), undefined);
    assert.equal(n, 2);
  });

  it('silence, a certificate from elsewhere and answers too large have their codes', async () => {
    handler = () => undefined;
    await rejectsWith(client({ timeoutMs: 150 }).getKey(KEY_ID), 'SIGNER_UNAVAILABLE', /did not answer within 150 ms/);
    handler = (_q, res) => res.end(JSON.stringify({ padding: 'x'.repeat(2000) }));
    await rejectsWith(client({ maxResponseBytes: 1000 }).getKey(KEY_ID), 'SIGNER_PROTOCOL_ERROR', /exceeds 1000 bytes/);
    const other = await ensureSelfSignedTls(join(dir, 'other'), ['127.0.0.1']);
    await rejectsWith(client({ ca: readFileSync(other.caFile) }).getKey(KEY_ID), 'SIGNER_TLS_FAILED');
  });
});
