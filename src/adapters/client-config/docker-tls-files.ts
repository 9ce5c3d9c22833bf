/**
 * `$DOCKER_CONFIG/tls/<host[:port]>/` (and the daemon's `certs.d` folders): extra CA
 * certificates (`*.crt`) and client certificates (`*.cert` + `*.key`), as docker's
 * `loadTLSConfig` reads them.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DctError } from '../../core/errors.js';
import { pemSpans } from '../../core/pem-spans.js';
import type { TlsSettings } from '../http/registry-auth.js';

export interface ClientCertificate {
  certFile: string;
  keyFile: string;
  /** PEM */
  cert: string;
  key: string;
}

export interface TlsFiles {
  dir: string;
  /** the CA certificates of every `*.crt` file, one PEM each (blocks that do not parse are skipped, as Go does) */
  ca: string[];
  caFiles: string[];
  /** `*.cert` files with their `*.key`, in file name order */
  clientCertificates: ClientCertificate[];
}

/**
 * What docker's `loadTLSConfig` reads from `<dockerConfigDir>/tls/<hostPort>/` (the
 * trust server's URL host, e.g. `notary.example.com:4443`). A missing folder gives
 * nothing; a `.cert` without its `.key` (or the reverse), or a pair that does not load,
 * is an INVALID_TLS_FILES error with docker's wording.
 */
export async function tlsFilesForHost(dockerConfigDirectory: string, hostPort: string): Promise<TlsFiles> {
  if (hostPort === '' || hostPort === '.' || hostPort === '..' || /[/\\\0]/.test(hostPort)) {
    throw new DctError('INVALID_ARGUMENT', `${JSON.stringify(hostPort)} is not a host[:port]`);
  }
  return tlsFilesInDir(join(dockerConfigDirectory, 'tls', hostPort));
}

/** `loadTLSConfig` on any folder (e.g. the daemon's `/etc/docker/certs.d/<host:port>/`). */
export async function tlsFilesInDir(dir: string): Promise<TlsFiles> {
  const out: TlsFiles = { dir, ca: [], caFiles: [], clientCertificates: [] };
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw new DctError('INVALID_TLS_FILES', `cannot read the TLS folder ${dir}: ${(err as Error).message}`, { cause: err });
  }
  const has = (n: string) => names.includes(n);
  const read = async (name: string) => {
    try {
      return await readFile(join(dir, name), 'utf8');
    } catch (err) {
      throw new DctError('INVALID_TLS_FILES', `cannot read ${join(dir, name)}: ${(err as Error).message}`, { cause: err });
    }
  };
  for (const name of names) {
    if (name.endsWith('.crt')) {
      const pems = certificateBlocks(await read(name));
      out.caFiles.push(join(dir, name));
      out.ca.push(...pems);
    } else if (name.endsWith('.cert')) {
      const keyName = `${name.slice(0, -'.cert'.length)}.key`;
      if (!has(keyName)) {
        throw new DctError(
          'INVALID_TLS_FILES',
          `missing key ${keyName} for client certificate ${name}. CA certificates must use the extension .crt (in ${dir})`,
        );
      }
      const cert = await read(name);
      const key = await read(keyName);
      checkKeyPair(cert, key, join(dir, name), join(dir, keyName));
      out.clientCertificates.push({ certFile: join(dir, name), keyFile: join(dir, keyName), cert, key });
    } else if (name.endsWith('.key')) {
      const certName = `${name.slice(0, -'.key'.length)}.cert`;
      if (!has(certName)) throw new DctError('INVALID_TLS_FILES', `missing client certificate ${certName} for key ${name} (in ${dir})`);
    }
  }
  return out;
}

/** The CERTIFICATE blocks of a `*.crt` file, BEGIN to END marker, in order (exported for tests). */
export function certificateBlockTexts(text: string): string[] {
  return pemSpans(text, CERTIFICATE_BEGIN).map((s) => text.slice(s.start, s.end));
}

const CERTIFICATE_BEGIN = /-----BEGIN (CERTIFICATE)-----/y;

function certificateBlocks(text: string): string[] {
  const out: string[] = [];
  for (const block of certificateBlockTexts(text)) {
    try {
      new X509Certificate(block);
      out.push(`${block}\n`);
    } catch {
      // AppendCertsFromPEM skips what does not parse
    }
  }
  return out;
}

function checkKeyPair(certPem: string, keyPem: string, certFile: string, keyFile: string): void {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (err) {
    throw new DctError('INVALID_TLS_FILES', `${certFile} is not a PEM certificate: ${(err as Error).message}`, { cause: err });
  }
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch (err) {
    throw new DctError('INVALID_TLS_FILES', `${keyFile} is not a PEM private key: ${(err as Error).message}`, { cause: err });
  }
  if (!cert.checkPrivateKey(key))
    throw new DctError('INVALID_TLS_FILES', `tls: private key ${keyFile} does not match public key of ${certFile}`);
}

/** Node TLS settings from the files docker would use (system roots + extra CAs, the first client certificate). */
export function tlsSettingsFrom(files: TlsFiles, opts: { rejectUnauthorized?: boolean } = {}): TlsSettings {
  const first = files.clientCertificates[0];
  return {
    ...(files.ca.length > 0 ? { extraCa: files.ca } : {}),
    ...(first ? { cert: first.cert, key: first.key } : {}),
    ...(opts.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
  };
}
