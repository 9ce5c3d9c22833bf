import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tlsFilesForHost, tlsSettingsFrom } from '../../../src/adapters/client-config/docker-tls-files.js';
import { ensureSelfSignedTls } from '../../../src/adapters/tls/self-signed.js';
import { isDctError } from '../../../src/core/errors.js';
import { createCertificate, extension, OID } from '../../../src/core/keys/certificate.js';
import { der } from '../../../src/core/der.js';
import { useWorkDir } from './support.js';

const work = useWorkDir('dct-docker-tls-');

function clientPair(): { cert: string; key: string } {
  const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const now = Date.now();
  const cert = createCertificate({
    commonName: 'client',
    publicKey: pair.publicKey,
    signingKey: pair.privateKey,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + 3600_000),
    serial: randomBytes(8),
    extensions: [extension(OID.basicConstraints, true, der.sequence())],
  });
  return { cert, key: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string };
}

describe('tlsFilesForHost', () => {
  it('reads *.crt CAs (skipping blocks that do not parse) and *.cert/*.key pairs', async () => {
    const tls = await ensureSelfSignedTls(join(work.dir, 'ca1'), ['127.0.0.1']);
    const ca = (await import('node:fs')).readFileSync(tls.caFile, 'utf8');
    const dir = join(work.dir, 'dc1', 'tls', 'notary.example.com:4443');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'ca.crt'), `${ca}\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n`);
    writeFileSync(join(dir, 'readme.txt'), 'ignored');
    const pair = clientPair();
    writeFileSync(join(dir, 'client.cert'), pair.cert);
    writeFileSync(join(dir, 'client.key'), pair.key);
    const files = await tlsFilesForHost(join(work.dir, 'dc1'), 'notary.example.com:4443');
    assert.equal(files.dir, dir);
    assert.equal(files.ca.length, 1);
    assert.equal(files.ca[0]?.trim(), ca.trim());
    assert.deepEqual(files.caFiles, [join(dir, 'ca.crt')]);
    assert.equal(files.clientCertificates.length, 1);
    assert.equal(files.clientCertificates[0]?.cert, pair.cert);
    const settings = tlsSettingsFrom(files);
    // docker adds them to the system pool: extraCa, never `ca` (which would replace the roots)
    assert.deepEqual(settings.extraCa, files.ca);
    assert.equal(settings.ca, undefined);
    assert.equal(settings.key, pair.key);
    assert.equal(settings.rejectUnauthorized, undefined);
    assert.equal(tlsSettingsFrom(files, { rejectUnauthorized: false }).rejectUnauthorized, false);
  });

  it('a missing folder gives nothing; unmatched .cert/.key and bad pairs are INVALID_TLS_FILES', async () => {
    const none = await tlsFilesForHost(join(work.dir, 'nothing'), 'h:1');
    assert.deepEqual([none.ca, none.clientCertificates], [[], []]);
    assert.deepEqual(tlsSettingsFrom(none), {});
    const base = join(work.dir, 'dc2');
    const mk = (host: string, files: Record<string, string>) => {
      mkdirSync(join(base, 'tls', host), { recursive: true });
      for (const [n, t] of Object.entries(files)) writeFileSync(join(base, 'tls', host, n), t);
    };
    const a = clientPair();
    const b = clientPair();
    mk('nokey', { 'client.cert': a.cert });
    mk('nocert', { 'client.key': a.key });
    mk('mismatch', { 'client.cert': a.cert, 'client.key': b.key });
    mk('garbage', { 'client.cert': 'nope', 'client.key': a.key });
    const refused = (host: string, pattern: RegExp) =>
      assert.rejects(tlsFilesForHost(base, host), (err: unknown) => isDctError(err, 'INVALID_TLS_FILES') && pattern.test(err.message));
    await refused('nokey', /missing key client\.key for client certificate client\.cert\. CA certificates must use the extension \.crt/);
    await refused('nocert', /missing client certificate client\.cert for key client\.key/);
    await refused('mismatch', /does not match/);
    await refused('garbage', /not a PEM certificate/);
    await assert.rejects(tlsFilesForHost(base, '../etc'), (err: unknown) => isDctError(err, 'INVALID_ARGUMENT'));
  });
});

// ---- dct config --------------------------------------------------------------------------------
