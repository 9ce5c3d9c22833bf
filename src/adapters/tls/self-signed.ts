/**
 * `--tls-self-signed`: a local CA and a server certificate made once in the data
 * folder and reused; clients trust the CA (notary `--tlscacert`, docker
 * `~/.docker/tls/<host:port>/ca.crt`, node `NODE_EXTRA_CA_CERTS`).
 */
import { createHash, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { der } from '../../core/der.js';
import { createCertificate, extension, OID } from '../../core/keys/certificate.js';

export interface SelfSignedTls {
  caFile: string;
  certFile: string;
  keyFile: string;
  cert: Buffer;
  key: Buffer;
  /** true when this call made the files */
  created: boolean;
}

const DAY = 24 * 3600 * 1000;

/** Loads `<dir>/tls/{ca.crt,server.crt,server.key}`, creating them for `hosts` when absent. */
export async function ensureSelfSignedTls(dataDir: string, hosts: readonly string[], now = new Date()): Promise<SelfSignedTls> {
  const dir = join(dataDir, 'tls');
  const caFile = join(dir, 'ca.crt');
  const certFile = join(dir, 'server.crt');
  const keyFile = join(dir, 'server.key');
  let created = false;
  if (!existsSync(caFile) || !existsSync(certFile) || !existsSync(keyFile)) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const { caPem, certPem, keyPem } = makeCertificates(hosts, now);
    await writeAtomic(caFile, caPem, 0o644);
    await writeAtomic(certFile, certPem + caPem, 0o644);
    await writeAtomic(keyFile, keyPem, 0o600);
    created = true;
  }
  return { caFile, certFile, keyFile, cert: await readFile(certFile), key: await readFile(keyFile), created };
}

function makeCertificates(hosts: readonly string[], now: Date): { caPem: string; certPem: string; keyPem: string } {
  const ca = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const server = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const caName = 'dct local CA';
  const caKeyId = keyIdentifier(ca.publicKey);
  const notBefore = new Date(now.getTime() - 3600 * 1000);
  const caPem = createCertificate({
    commonName: caName,
    publicKey: ca.publicKey,
    signingKey: ca.privateKey,
    notBefore,
    notAfter: new Date(now.getTime() + 3650 * DAY),
    serial: randomBytes(16),
    extensions: [
      extension(OID.keyUsage, true, Buffer.from([0x03, 0x02, 0x01, 0x06])), // keyCertSign | cRLSign
      extension(OID.basicConstraints, true, der.sequence(der.boolean(true))),
      extension(OID.subjectKeyIdentifier, false, der.octetString(caKeyId)),
    ],
  });
  const names = hosts.map((h) => {
    const ip = isIP(h);
    if (ip === 4) return Buffer.concat([Buffer.from([0x87, 4]), Buffer.from(h.split('.').map(Number))]);
    if (ip === 6) return Buffer.concat([Buffer.from([0x87, 16]), ipv6Bytes(h)]);
    const dns = Buffer.from(h, 'ascii');
    return Buffer.concat([Buffer.from([0x82, dns.length]), dns]);
  });
  const certPem = createCertificate({
    commonName: hosts[0] ?? 'localhost',
    issuerCommonName: caName,
    publicKey: server.publicKey,
    signingKey: ca.privateKey,
    notBefore,
    notAfter: new Date(now.getTime() + 730 * DAY),
    serial: randomBytes(16),
    extensions: [
      extension(OID.keyUsage, true, Buffer.from([0x03, 0x02, 0x07, 0x80])), // digitalSignature
      extension(OID.extKeyUsage, false, der.sequence(der.oid(OID.serverAuth))),
      extension(OID.basicConstraints, true, der.sequence()),
      extension(OID.subjectAltName, false, der.sequence(...names)),
      extension(OID.authorityKeyIdentifier, false, der.sequence(Buffer.concat([Buffer.from([0x80, caKeyId.length]), caKeyId]))),
    ],
  });
  const keyPem = server.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  return { caPem, certPem, keyPem };
}

/** RFC 5280 method 1: SHA-1 of the subjectPublicKey bits. */
function keyIdentifier(publicKey: KeyObject): Buffer {
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  // for P-256 the BIT STRING is the last 66 bytes: 03 42 00 <65-byte point>
  return createHash('sha1')
    .update(spki.subarray(spki.length - 65))
    .digest();
}

function ipv6Bytes(addr: string): Buffer {
  const [head = '', tail = ''] = addr.split('::');
  const parse = (s: string) => (s ? s.split(':').map((x) => parseInt(x, 16)) : []);
  const h = parse(head);
  const t = parse(tail);
  const groups = addr.includes('::') ? [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t] : h;
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

async function writeAtomic(path: string, content: string, mode: number): Promise<void> {
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, content, { mode });
  await chmod(tmp, mode);
  await rename(tmp, path);
}
