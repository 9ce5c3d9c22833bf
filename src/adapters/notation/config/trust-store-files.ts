/**
 * The trust store as notation's `cert` commands change and list it: adding a certificate file
 * (copied, 0600, into `truststore/x509/<type>/<name>/`), listing the certificate files (stores of
 * a type, a named store, or all), reading one file, deleting one file (and its store when it
 * becomes empty) or a whole store.
 */
import type { X509Certificate } from 'node:crypto';
import { copyFile, chmod, lstat, mkdir, readdir, rm, rmdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { DctError, isDctError } from '../../../core/errors.js';
import { TRUST_STORE_TYPES } from '../../../core/notation/trust-policy-validation.js';
import { parseCertificateFile } from '../../../core/notation/trusted-certificates.js';
import { goFsError, isNotFound, readBounded } from './config-file.js';
import { trustStorePath } from './config-dir.js';

export interface StoredCertificate {
  type: string;
  store: string;
  file: string;
  path: string;
}

/** The certificates of a file to add, PEM or DER (notation reads it before copying). */
export async function readCertificateFile(path: string): Promise<X509Certificate[]> {
  let bytes: Buffer;
  try {
    bytes = await readBounded(path, 'certificate file');
  } catch (err) {
    if (isDctError(err)) throw err;
    throw new DctError('NOTATION_CERTIFICATE_FILE_INVALID', goFsError(err, 'open', path));
  }
  return parseCertificateFile(bytes);
}

/** Copies a certificate file into a named store (notation's AddCert after its checks); returns the stored path. */
export async function addCertificateFile(configDir: string, type: string, store: string, file: string): Promise<string> {
  const source = resolve(file);
  const certs = await readCertificateFile(source);
  if (certs.length === 0) throw new DctError('NOTATION_CERTIFICATE_FILE_INVALID', 'no valid certificate found in the file');
  const dir = trustStorePath(configDir, type, store);
  const target = join(dir, basename(source));
  try {
    await stat(target);
    throw new DctError('NOTATION_CERTIFICATE_EXISTS', 'certificate already exists in the Trust Store');
  } catch (err) {
    if (isDctError(err)) throw err;
    if (!isNotFound(err)) throw err;
  }
  const st = await stat(source);
  if (!st.isFile()) throw new DctError('NOTATION_CERTIFICATE_FILE_INVALID', `${source} is not a regular file`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await copyFile(source, target);
  await chmod(target, 0o600);
  return target;
}

/**
 * The certificate files under `root`, walked as notation's ListCerts walks (lexical order, into
 * directories at most `depth` levels below `root`, regular files only, files without a
 * certificate left out). A file that does not parse fails the listing.
 */
async function listCertificateFiles(root: string, depth: number): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, level: number): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (isNotFound(err) && level === 0) return;
      throw err;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (level + 1 <= depth) await walk(path, level + 1);
      } else if (entry.isFile()) {
        let certs: X509Certificate[];
        try {
          certs = parseCertificateFile(await readBounded(path, 'certificate file'));
        } catch (err) {
          if (isDctError(err)) throw err;
          throw new DctError('NOTATION_CERTIFICATE_FILE_INVALID', goFsError(err, 'open', path));
        }
        if (certs.length > 0) out.push(path);
      }
    }
  };
  try {
    const st = await lstat(root);
    if (!st.isDirectory()) return [];
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
  await walk(root, 0);
  return out;
}

function describe(path: string): StoredCertificate {
  const parts = path.split(/[\\/]/);
  const file = parts[parts.length - 1] as string;
  const store = parts[parts.length - 2] as string;
  const type = parts[parts.length - 3] as string;
  return { type, store, file, path };
}

/**
 * The certificate files of the trust store, filtered as `cert ls` filters: by type, by store
 * name, both, or neither. An unknown type lists nothing. Failures carry notation's wording.
 */
export async function listTrustStoreCertificates(
  configDir: string,
  filter: { type?: string; store?: string },
): Promise<StoredCertificate[]> {
  const { type, store } = filter;
  const run = async (paths: Array<[string, number]>, failure: string): Promise<StoredCertificate[]> => {
    const out: string[] = [];
    try {
      for (const [root, depth] of paths) out.push(...(await listCertificateFiles(root, depth)));
    } catch (err) {
      throw new DctError('NOTATION_CERTIFICATE_FILE_INVALID', `${failure}, with error: ${(err as Error).message}`, { cause: err });
    }
    return out.map(describe);
  };
  if (!type && !store) {
    return run(
      TRUST_STORE_TYPES.map((t) => [trustStorePath(configDir, t), 1]),
      'failed to list all certificates stored in the trust store',
    );
  }
  if (type && !(TRUST_STORE_TYPES as readonly string[]).includes(type)) return [];
  if (type && store) {
    return run(
      [[trustStorePath(configDir, type, store), 0]],
      `failed to list all certificates stored in the named store ${store} of type ${type}`,
    );
  }
  if (type) return run([[trustStorePath(configDir, type), 1]], `failed to list all certificates stored of type ${type}`);
  return run(
    TRUST_STORE_TYPES.map((t) => [trustStorePath(configDir, t, store as string), 0]),
    `failed to list all certificates stored in the named store ${store as string}`,
  );
}

/** The certificates of one stored file (`cert show`). */
export async function readStoredCertificate(configDir: string, type: string, store: string, file: string): Promise<X509Certificate[]> {
  const path = trustStorePath(configDir, type, store, file);
  try {
    return parseCertificateFile(await readBounded(path, 'certificate file'));
  } catch (err) {
    if (isDctError(err)) throw err;
    throw new DctError(
      isNotFound(err) ? 'NOTATION_CERTIFICATE_NOT_FOUND' : 'NOTATION_CERTIFICATE_FILE_INVALID',
      goFsError(err, 'open', path),
    );
  }
}

/** The path a stored certificate file or store has. */
export function storedPath(configDir: string, type: string, store: string, file?: string): string {
  return file === undefined ? trustStorePath(configDir, type, store) : trustStorePath(configDir, type, store, file);
}

/**
 * Deletes one certificate file; removes the store directory when that leaves it empty. Returns
 * a warning when the store could not be checked or removed.
 */
export async function deleteStoredCertificate(configDir: string, type: string, store: string, file: string): Promise<string | undefined> {
  const path = trustStorePath(configDir, type, store, file);
  try {
    await stat(path);
  } catch (err) {
    throw new DctError(isNotFound(err) ? 'NOTATION_CERTIFICATE_NOT_FOUND' : 'NOTATION_TRUST_STORE_INVALID', goFsError(err, 'stat', path));
  }
  await rm(path);
  const storeDir = trustStorePath(configDir, type, store);
  try {
    if ((await readdir(storeDir)).length === 0) await rmdir(storeDir);
  } catch (err) {
    return `Warning: failed to remove the empty trust store directory ${storeDir}: ${(err as Error).message}`;
  }
  return undefined;
}

/** Deletes a whole named store; returns its path. */
export async function deleteTrustStore(configDir: string, type: string, store: string): Promise<string> {
  const path = trustStorePath(configDir, type, store);
  try {
    await stat(path);
  } catch (err) {
    throw new DctError(isNotFound(err) ? 'NOTATION_TRUST_STORE_NOT_FOUND' : 'NOTATION_TRUST_STORE_INVALID', goFsError(err, 'stat', path));
  }
  await rm(path, { recursive: true, force: true });
  return path;
}
