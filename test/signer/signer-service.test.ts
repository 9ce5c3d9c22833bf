/**
 * `dct signer` over real mutual TLS: a throwaway CA, server and client
 * certificates made with the openssl CLI, the service on an ephemeral port, and
 * RemoteKeyService as the client.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EmbeddedKeyService } from '../../src/adapters/key-service/embedded-key-service.js';
import { RemoteKeyService } from '../../src/adapters/key-service/remote-key-service.js';
import { isDctError } from '../../src/core/errors.js';
import { verifySignature } from '../../src/core/keys/signature.js';
import type { KeyService, PrivateKeyStore, StoredPrivateKey } from '../../src/core/ports.js';
import { startSignerService, type RunningSignerService } from '../../src/signer/signer-service.js';
import { interopSkip, missingTool } from '../support/interop.js';

const OPENSSL_MISSING = missingTool('openssl'); // it makes the test certificates

class InMemoryPrivateKeyStore implements PrivateKeyStore {
  readonly rows = new Map<string, StoredPrivateKey>();
  markUsedCount = 0;
  async putKey(key: StoredPrivateKey) {
    this.rows.set(key.keyId, { ...key });
  }
  async getKey(keyId: string) {
    const row = this.rows.get(keyId);
    return row && { ...row };
  }
  async findUnusedKey(gun: string, role: string, algorithm: string) {
    const row = [...this.rows.values()].find((r) => r.gun === gun && r.role === role && r.algorithm === algorithm && !r.lastUsed);
    return row && { ...row };
  }
  async markUsed(keyId: string, when: Date) {
    this.markUsedCount++;
    const row = this.rows.get(keyId);
    if (row) row.lastUsed = when;
  }
  async deleteKey(keyId: string) {
    this.rows.delete(keyId);
  }
}

interface Pem {
  cert: Buffer;
  key: Buffer;
}

const OPENSSL_CONFIG = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
[server]
basicConstraints = CA:FALSE
subjectAltName = IP:127.0.0.1
extendedKeyUsage = serverAuth
[client]
basicConstraints = CA:FALSE
extendedKeyUsage = clientAuth
[client_san]
basicConstraints = CA:FALSE
extendedKeyUsage = clientAuth
subjectAltName = DNS:Trust-A.example.com, URI:spiffe://example.com/trust-a
`;

/** CA, server and client certificates (P-256) from the openssl CLI. */
function makePki(dir: string): { ca: Pem; server: Pem; client: Pem; secondClient: Pem; otherCa: Pem; otherClient: Pem } {
  const cnf = join(dir, 'openssl.cnf');
  writeFileSync(cnf, OPENSSL_CONFIG);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  const read = (name: string): Pem => ({ cert: readFileSync(join(dir, `${name}.crt`)), key: readFileSync(join(dir, `${name}.key`)) });
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const makeCa = (name: string) => {
    openssl(
      'req',
      '-x509',
      '-new',
      ...ec,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-config',
      cnf,
      '-extensions',
      'ca',
    );
    return read(name);
  };
  let serial = 1;
  const makeLeaf = (name: string, ca: string, profile: 'server' | 'client' | 'client_san') => {
    openssl('req', '-new', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`, '-config', cnf);
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.crt`,
      '-CAkey',
      `${ca}.key`,
      '-set_serial',
      String(serial++),
      '-days',
      '2',
      '-out',
      `${name}.crt`,
      '-extfile',
      cnf,
      '-extensions',
      profile,
    );
    return read(name);
  };
  const ca = makeCa('ca');
  const otherCa = makeCa('other-ca');
  return {
    ca,
    server: makeLeaf('server', 'ca', 'server'),
    client: makeLeaf('client', 'ca', 'client'),
    secondClient: makeLeaf('second-client', 'ca', 'client_san'),
    otherCa,
    otherClient: makeLeaf('other-client', 'other-ca', 'client'),
  };
}

async function rejectsWith(promise: Promise<unknown>, codes: string[]): Promise<void> {
  let caught: unknown;
  await promise.catch((err: unknown) => (caught = err));
  assert.ok(
    codes.some((c) => isDctError(caught, c)),
    `expected ${codes.join('|')}, got ${String(caught)}`,
  );
}

/** One HTTPS request outside RemoteKeyService, for what it never sends. */
function rawRequest(
  url: string,
  opts: { method?: string; path: string; body?: string | Buffer; contentType?: string; tls: { ca: Buffer; cert?: Buffer; key?: Buffer } },
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (opts.body !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
    const req = request(new URL(opts.path, url), { method: opts.method ?? 'GET', headers, agent: false, ...opts.tls }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const PASSPHRASE = 'signer passphrase';
const GUN = 'registry.example.com/team/app';
const SCRYPT = { N: 1024, r: 8, p: 1 };

describe('dct signer over mutual TLS', { skip: interopSkip(OPENSSL_MISSING) }, () => {
  let dir: string;
  let pki: ReturnType<typeof makePki>;
  let store: InMemoryPrivateKeyStore;
  let service: RunningSignerService;
  let client: RemoteKeyService;
  const extra: Array<{ close(): unknown }> = [];

  const startWith = async (keyService: KeyService) => {
    const started = await startSignerService({ host: '127.0.0.1', port: 0, tls: { ...pki.server, ca: pki.ca.cert }, keyService });
    extra.push(started);
    return started;
  };
  const clientFor = (url: string, tls: { cert: Buffer; key: Buffer; ca: Buffer } = { ...pki.client, ca: pki.ca.cert }) => {
    const remote = new RemoteKeyService({ url, tls, timeoutMs: 5000 });
    extra.push(remote);
    return remote;
  };
  const embedded = (passphrase = PASSPHRASE) => new EmbeddedKeyService({ store, passphrase, now: () => new Date(), scrypt: SCRYPT });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dct-signer-test-'));
    pki = makePki(dir);
    store = new InMemoryPrivateKeyStore();
    service = await startWith(embedded());
    client = clientFor(service.url);
  });

  after(async () => {
    for (const thing of extra.reverse()) await thing.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers /health to a client with a certificate', async () => {
    const reply = await rawRequest(service.url, { path: '/health', tls: { ...pki.client, ca: pki.ca.cert } });
    assert.deepEqual(reply, { status: 200, body: { status: 'ok' } });
  });

  it('creates, describes and signs with ECDSA and Ed25519 keys; signatures verify', async () => {
    for (const [algorithm, method] of [
      ['ecdsa', 'ecdsa'],
      ['ed25519', 'eddsa'],
    ] as const) {
      const key = await client.createKey(GUN, 'timestamp', algorithm);
      assert.equal(key.keyType, algorithm);
      const held = await client.getKey(key.id);
      assert.equal(held?.publicKey.id, key.id);
      assert.equal(held?.gun, GUN);
      assert.equal(held?.role, 'timestamp');
      const signer = await client.signer(key.id);
      assert.ok(signer);
      const message = Buffer.from(`{"signed":{"_type":"Timestamp","alg":"${algorithm}"}}`);
      const signature = await signer.sign(message);
      assert.equal(signature.keyid, key.id);
      assert.equal(signature.method, method);
      assert.ok(verifySignature(key, signature.method, signature.sig, message));
    }
  });

  it('defaults to ECDSA and reuses the pending key until it signs', async () => {
    const first = await client.createKey(GUN, 'snapshot');
    assert.equal(first.keyType, 'ecdsa');
    assert.equal((await client.createKey(GUN, 'snapshot')).id, first.id);
    await (await client.signer(first.id))!.sign(Buffer.from('snapshot'));
    assert.notEqual((await client.createKey(GUN, 'snapshot')).id, first.id);
  });

  it('returns undefined for unknown keys and passes request errors through with their codes', async () => {
    assert.equal(await client.getKey('f'.repeat(64)), undefined);
    assert.equal(await client.signer('f'.repeat(64)), undefined);
    await rejectsWith(client.createKey(GUN, 'timestamp', 'rsa'), ['UNSUPPORTED_KEY_TYPE']);
    await rejectsWith(client.createKey('', 'timestamp'), ['INVALID_ARGUMENT']);
  });

  it('answers malformed requests with JSON errors and 4xx statuses', async () => {
    const tls = { ...pki.client, ca: pki.ca.cert };
    const keyId = (await client.createKey(GUN, 'timestamp')).id;
    const cases: Array<[Parameters<typeof rawRequest>[1], number, string]> = [
      [{ path: '/v1/nothing', tls }, 404, 'NOT_FOUND'],
      [{ path: '/health', method: 'POST', tls }, 405, 'METHOD_NOT_ALLOWED'],
      [{ path: '/v1/keys', method: 'POST', body: '{"gun":', tls }, 400, 'INVALID_REQUEST'],
      [{ path: '/v1/keys', method: 'POST', body: JSON.stringify({ gun: GUN, role: 'root' }), tls }, 400, 'INVALID_REQUEST'],
      [{ path: '/v1/keys', method: 'POST', body: '{}', contentType: 'text/plain', tls }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
      [
        { path: '/v1/keys', method: 'POST', body: JSON.stringify({ gun: 'x'.repeat(20_000), role: 'timestamp' }), tls },
        413,
        'BODY_TOO_LARGE',
      ],
      [{ path: `/v1/keys/${keyId}/sign`, method: 'POST', body: '{"data":"not base64!"}', tls }, 400, 'MALFORMED_ENCODING'],
      [{ path: `/v1/keys/${'0'.repeat(64)}/sign`, method: 'POST', body: '{"data":""}', tls }, 404, 'KEY_NOT_FOUND'],
    ];
    for (const [req, status, code] of cases) {
      const reply = await rawRequest(service.url, req);
      assert.equal(reply.status, status, `${req.method ?? 'GET'} ${req.path}`);
      assert.equal(reply.body['code'], code);
      assert.equal(typeof reply.body['message'], 'string');
    }
  });

  it('refuses clients without a certificate or with one from another CA', async () => {
    await assert.rejects(rawRequest(service.url, { path: '/health', tls: { ca: pki.ca.cert } }));
    const stranger = clientFor(service.url, { ...pki.otherClient, ca: pki.ca.cert });
    await rejectsWith(stranger.createKey(GUN, 'timestamp'), ['SIGNER_TLS_FAILED', 'SIGNER_UNAVAILABLE']);
    await assert.rejects(rawRequest(service.url, { path: '/health', tls: { ...pki.otherClient, ca: pki.ca.cert } }));
  });

  it('refuses a signer whose certificate is not from the pinned CA', async () => {
    const pinnedElsewhere = clientFor(service.url, { ...pki.client, ca: pki.otherCa.cert });
    await rejectsWith(pinnedElsewhere.getKey('a'.repeat(64)), ['SIGNER_TLS_FAILED']);
  });

  it('with an allowlist, serves only the listed certificates of its CA (by SHA-256 fingerprint or SAN) and reports the others', async () => {
    const fingerprint = (pem: Buffer) => `sha256:${new X509Certificate(pem).fingerprint256.replace(/:/g, '').toLowerCase()}`;
    const first = { ...pki.client, ca: pki.ca.cert };
    const second = { ...pki.secondClient, ca: pki.ca.cert };
    const refusals: string[] = [];
    const start = async (allowedClients: string[]) => {
      const started = await startSignerService({
        host: '127.0.0.1',
        port: 0,
        tls: { ...pki.server, ca: pki.ca.cert },
        keyService: embedded(),
        allowedClients,
        onRefusedClient: (m) => refusals.push(m),
      });
      extra.push(started);
      return started;
    };
    const byFingerprint = await start([fingerprint(pki.client.cert)]);
    assert.deepEqual(await rawRequest(byFingerprint.url, { path: '/health', tls: first }), { status: 200, body: { status: 'ok' } });
    const refused = await rawRequest(byFingerprint.url, { path: '/health', tls: second });
    assert.equal(refused.status, 403);
    assert.equal(refused.body['code'], 'CLIENT_NOT_ALLOWED');
    await rejectsWith(clientFor(byFingerprint.url, second).createKey(GUN, 'timestamp'), ['CLIENT_NOT_ALLOWED']);
    assert.equal(refusals.length, 2);
    assert.match(
      refusals[0] as string,
      /^refused client 127\.0\.0\.1: certificate not on the allowlist \(subject "CN=second-client", SANs DNS:trust-a\.example\.com URI:spiffe:\/\/example\.com\/trust-a, sha256:[0-9a-f]{64}\)$/,
    );
    assert.ok((refusals[0] as string).endsWith(`${fingerprint(pki.secondClient.cert)})`));
    // by SAN (DNS names match case-insensitively), and the openssl colon spelling of a fingerprint
    const colons = new X509Certificate(pki.client.cert).fingerprint256;
    for (const list of [['DNS:trust-a.EXAMPLE.com'], ['URI:spiffe://example.com/trust-a']]) {
      const bySan = await start(list);
      assert.equal((await rawRequest(bySan.url, { path: '/health', tls: second })).status, 200, list[0]);
      assert.equal((await rawRequest(bySan.url, { path: '/health', tls: first })).status, 403, list[0]);
    }
    const both = await start([colons, 'DNS:trust-a.example.com']);
    assert.equal((await rawRequest(both.url, { path: '/health', tls: first })).status, 200);
    assert.equal((await rawRequest(both.url, { path: '/health', tls: second })).status, 200);
    // a malformed entry is refused at start
    await rejectsWith(start(['sha256:abcd']), ['INVALID_ARGUMENT']);
    await rejectsWith(start(['CN=trust-a']), ['INVALID_ARGUMENT']);
  });

  it('fails with SIGNER_UNAVAILABLE when nothing listens', async () => {
    const stopped = await startWith(embedded());
    await stopped.close();
    await rejectsWith(clientFor(stopped.url).getKey('a'.repeat(64)), ['SIGNER_UNAVAILABLE']);
  });

  it('reports a wrong passphrase after a restart', async () => {
    const key = await client.createKey(`${GUN}/restart`, 'timestamp');
    const restarted = await startWith(embedded('not the passphrase'));
    const remote = clientFor(restarted.url);
    assert.equal((await remote.getKey(key.id))?.publicKey.id, key.id);
    await rejectsWith((await remote.signer(key.id))!.sign(Buffer.from('message')), ['WRONG_PASSPHRASE']);
  });

  it('reports a tampered stored key', async () => {
    const key = await client.createKey(`${GUN}/tampered`, 'timestamp');
    const row = store.rows.get(key.id)!;
    const parts = row.encryptedPrivateKey.split('$');
    const tag = Buffer.from(parts[8]!, 'base64url');
    tag[0] = tag[0]! ^ 0xff;
    parts[8] = tag.toString('base64url');
    row.encryptedPrivateKey = parts.join('$');
    const remote = clientFor((await startWith(embedded())).url);
    await rejectsWith((await remote.signer(key.id))!.sign(Buffer.from('message')), ['KEY_DECRYPTION_FAILED']);
  });

  it('serves concurrent signatures; the key is marked used once', async () => {
    const key = await client.createKey(`${GUN}/busy`, 'timestamp');
    const signer = (await client.signer(key.id))!;
    const before = store.markUsedCount;
    const messages = Array.from({ length: 40 }, (_, i) => Buffer.from(`timestamp version ${i}`));
    const signatures = await Promise.all(messages.map((m) => signer.sign(m)));
    signatures.forEach((s, i) => assert.ok(verifySignature(key, s.method, s.sig, messages[i]!)));
    assert.equal(store.markUsedCount - before, 1);
  });

  it('the client refuses signatures that do not verify', async () => {
    const honest = embedded();
    const lying: KeyService = {
      createKey: (gun, role, algorithm) => honest.createKey(gun, role, algorithm),
      getKey: (keyId) => honest.getKey(keyId),
      signer: async (keyId) => {
        const real = await honest.signer(keyId);
        return real && { publicKey: real.publicKey, sign: async (m) => ({ ...(await real.sign(m)), sig: Buffer.alloc(64, 7) }) };
      },
    };
    const remote = clientFor((await startWith(lying)).url);
    const key = await remote.createKey(`${GUN}/lies`, 'timestamp');
    await rejectsWith((await remote.signer(key.id))!.sign(Buffer.from('message')), ['SIGNER_BAD_SIGNATURE']);
  });
});
