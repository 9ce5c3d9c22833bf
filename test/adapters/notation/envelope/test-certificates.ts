/**
 * Code-signing keys and certificates made by the real openssl for the envelope tests: self-signed
 * leaves of each key type notation signs with, and a root → intermediate → leaf chain.
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestSigner {
  key: KeyObject;
  chain: X509Certificate[];
}

const LEAF_EXT = [
  '-addext',
  'basicConstraints=critical,CA:FALSE',
  '-addext',
  'keyUsage=critical,digitalSignature',
  '-addext',
  'extendedKeyUsage=codeSigning',
];

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export function withTempDir<T>(body: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'dct-notation-envelope-'));
  try {
    return body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `-newkey` argument lists: `rsa:2048`, `ec` with a curve. */
export function newKeyArgs(kind: string): string[] {
  if (kind.startsWith('rsa:')) return ['-newkey', kind];
  return ['-newkey', 'ec', '-pkeyopt', `ec_paramgen_curve:${kind}`];
}

/** A self-signed code-signing leaf (`rsa:2048`, `P-256`, …), valid `days` from now (or from `startDate`). */
export function selfSignedSigner(
  kind: string,
  subject = '/C=US/ST=WA/L=Seattle/O=Notary/CN=dct-test',
  days = 365,
  extensions: readonly string[] = LEAF_EXT,
): TestSigner {
  return withTempDir((dir) => {
    const keyFile = join(dir, 'k.pem');
    const certFile = join(dir, 'c.pem');
    openssl([
      'req',
      '-x509',
      ...newKeyArgs(kind),
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      String(days),
      '-subj',
      subject,
      ...extensions,
    ]);
    return { key: createPrivateKey(readFileSync(keyFile)), chain: [new X509Certificate(readFileSync(certFile))] };
  });
}

/** root CA → intermediate CA → leaf, all RSA 2048 (or `kind`). */
export function threeLevelSigner(kind = 'rsa:2048'): TestSigner & { root: X509Certificate; intermediate: X509Certificate } {
  return withTempDir((dir) => {
    const f = (n: string) => join(dir, n);
    writeFileSync(
      f('ca.ext'),
      'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n',
    );
    writeFileSync(
      f('leaf.ext'),
      'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n',
    );
    openssl([
      'req',
      '-x509',
      ...newKeyArgs(kind),
      '-nodes',
      '-keyout',
      f('root.key'),
      '-out',
      f('root.pem'),
      '-days',
      '3650',
      '-subj',
      '/C=US/ST=WA/O=Notary/CN=dct test root',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    openssl([
      'req',
      ...newKeyArgs(kind),
      '-nodes',
      '-keyout',
      f('int.key'),
      '-out',
      f('int.csr'),
      '-subj',
      '/C=US/ST=WA/O=Notary/CN=dct test intermediate',
    ]);
    openssl([
      'x509',
      '-req',
      '-in',
      f('int.csr'),
      '-CA',
      f('root.pem'),
      '-CAkey',
      f('root.key'),
      '-CAcreateserial',
      '-out',
      f('int.pem'),
      '-days',
      '3650',
      '-extfile',
      f('ca.ext'),
    ]);
    openssl([
      'req',
      ...newKeyArgs(kind),
      '-nodes',
      '-keyout',
      f('leaf.key'),
      '-out',
      f('leaf.csr'),
      '-subj',
      '/C=US/ST=WA/L=Seattle/O=Notary/CN=dct test leaf',
    ]);
    openssl([
      'x509',
      '-req',
      '-in',
      f('leaf.csr'),
      '-CA',
      f('int.pem'),
      '-CAkey',
      f('int.key'),
      '-CAcreateserial',
      '-out',
      f('leaf.pem'),
      '-days',
      '365',
      '-extfile',
      f('leaf.ext'),
    ]);
    const cert = (n: string) => new X509Certificate(readFileSync(f(n)));
    const root = cert('root.pem');
    const intermediate = cert('int.pem');
    return { key: createPrivateKey(readFileSync(f('leaf.key'))), chain: [cert('leaf.pem'), intermediate, root], root, intermediate };
  });
}
