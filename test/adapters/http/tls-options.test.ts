import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tlsConnectOptions } from '../../../src/adapters/http/tls-options.js';
import type { TlsSettings } from '../../../src/adapters/http/registry-auth.js';
import { ensureSelfSignedTls } from '../../../src/adapters/tls/self-signed.js';

describe('tlsConnectOptions', () => {
  let dir: string;
  let server: https.Server;
  let url: string;
  let ca: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dct-tls-options-'));
    const tls = await ensureSelfSignedTls(dir, ['127.0.0.1']);
    ca = readFileSync(tls.caFile, 'utf8');
    server = https.createServer({ cert: tls.cert, key: tls.key }, (_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (tls: TlsSettings | undefined) =>
    new Promise<string>((resolve, reject) => {
      https
        .get(url, { agent: false, ...tlsConnectOptions(tls) }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve(body));
        })
        .on('error', reject);
    });

  it('extraCa: the server signed by the added CA is trusted, through one reused context', async () => {
    const settings: TlsSettings = { extraCa: [ca] };
    const first = tlsConnectOptions(settings);
    assert.ok(first.secureContext, 'a prepared context, not a `ca` list that would replace the system roots');
    assert.equal(first.ca, undefined);
    assert.equal(tlsConnectOptions(settings).secureContext, first.secureContext);
    assert.equal(await get(settings), 'ok');
  });

  it('without the CA the same server is refused (the system roots alone do not trust it)', async () => {
    await assert.rejects(get(undefined), /self-signed|unable to verify|certificate/i);
    await assert.rejects(get({ extraCa: [] }), /self-signed|unable to verify|certificate/i);
  });

  it('`ca` replaces the roots and wins over extraCa; rejectUnauthorized and client identity pass through', async () => {
    const opts = tlsConnectOptions({ ca, extraCa: ['ignored'], cert: 'C', key: 'K', rejectUnauthorized: false });
    assert.deepEqual(opts, { minVersion: 'TLSv1.2', ca, cert: 'C', key: 'K', rejectUnauthorized: false });
    assert.equal(await get({ ca }), 'ok');
  });
});
