/**
 * NotaryClient TLS options: a given CA trusted, verification skipped with
 * rejectUnauthorized false (docker's loopback rule), and a client certificate
 * presented to servers that require one (mutual TLS).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NotaryClient } from '../../../src/adapters/notary-http/notary-client.js';
import { ensureSelfSignedTls } from '../../../src/adapters/tls/self-signed.js';
import { der } from '../../../src/core/der.js';
import { createCertificate, extension, OID } from '../../../src/core/keys/certificate.js';
import { GUN, refusedWith, ScriptedServer, send } from './notary-client-support.js';

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
