/**
 * notation's `cert add | ls | show | delete`: the certificates of its trust store, with
 * notation's checks of the store type and name before anything is touched.
 */
import type { X509Certificate } from 'node:crypto';
import { DctError, isDctError } from '../../../core/errors.js';
import { isTrustStoreType, isValidFileName } from '../../../core/notation/trust-policy-validation.js';
import type { NotationConfigStore, StoredCertificate } from './notation-config-store.js';

/** notation's checks of `--type` and `--store`. */
export function checkStoreArguments(type: string, store: string): void {
  if (type === '') throw new DctError('NOTATION_STORE_TYPE_INVALID', 'store type cannot be empty');
  if (!isTrustStoreType(type)) throw new DctError('NOTATION_STORE_TYPE_INVALID', `unsupported store type: ${type}`);
  if (!isValidFileName(store)) throw new DctError('NOTATION_NAME_INVALID', 'named store name needs to follow [a-zA-Z0-9_.-]+ format');
}

export interface AddCertificatesResult {
  added: string[];
  failed: Array<{ path: string; error: Error }>;
}

/** Adds each file to the named store; every file is tried, failures are collected. */
export async function addCertificates(
  config: NotationConfigStore,
  type: string,
  store: string,
  paths: readonly string[],
): Promise<AddCertificatesResult> {
  checkStoreArguments(type, store);
  const result: AddCertificatesResult = { added: [], failed: [] };
  for (const path of paths) {
    try {
      await config.addCertificate(type, store, path);
      result.added.push(path);
    } catch (err) {
      if (!isDctError(err) && !(err instanceof Error)) throw err;
      result.failed.push({ path, error: err });
    }
  }
  return result;
}

/** The stored certificate files, filtered by type and/or store name. */
export async function listCertificates(
  config: NotationConfigStore,
  filter: { type?: string; store?: string },
): Promise<StoredCertificate[]> {
  return config.listCertificates(filter);
}

/** The certificates of one stored file. */
export async function showCertificate(config: NotationConfigStore, type: string, store: string, file: string): Promise<X509Certificate[]> {
  checkStoreArguments(type, store);
  if (file === '') throw new DctError('NOTATION_CERTIFICATE_NOT_FOUND', 'certificate fileName cannot be empty');
  checkFileName(file);
  let certs: X509Certificate[];
  try {
    certs = await config.readStoredCertificate(type, store, file);
  } catch (err) {
    if (!isDctError(err)) throw err;
    throw new DctError(err.code, `failed to show details of certificate ${file}, with error: ${err.message}`, { cause: err });
  }
  if (certs.length === 0) {
    throw new DctError(
      'NOTATION_CERTIFICATE_FILE_INVALID',
      `failed to show details of certificate ${file}, with error: no valid certificate found in the file`,
    );
  }
  return certs;
}

export type DeleteOutcome = { kind: 'cancelled' } | { kind: 'deleted'; path: string; warning?: string };

/**
 * Deletes one certificate file (`file`) or the whole named store (`file` undefined), after
 * `confirm` agrees (it is not asked when the caller passed `--yes`).
 */
export async function deleteCertificates(
  config: NotationConfigStore,
  request: { type: string; store: string; file?: string },
  confirm: (prompt: string) => Promise<boolean>,
): Promise<DeleteOutcome> {
  const { type, store, file } = request;
  if (!isValidFileName(store)) throw new DctError('NOTATION_NAME_INVALID', 'named store name needs to follow [a-zA-Z0-9_.-]+ format');
  if (type === '') throw new DctError('NOTATION_STORE_TYPE_INVALID', 'store type cannot be empty');
  if (!isTrustStoreType(type)) throw new DctError('NOTATION_STORE_TYPE_INVALID', `unsupported store type: ${type}`);
  if (file === undefined) {
    if (!(await confirm(`Are you sure you want to delete all certificates in ${q(store)} of type ${q(type)}?`)))
      return { kind: 'cancelled' };
    try {
      return { kind: 'deleted', path: await config.deleteStore(type, store) };
    } catch (err) {
      if (!isDctError(err)) throw err;
      throw new DctError(err.code, `failed to delete the named trust store: ${err.message}`, { cause: err });
    }
  }
  if (file === '')
    throw new DctError('NOTATION_CERTIFICATE_NOT_FOUND', 'to delete a specific certificate, certificate fileName cannot be empty');
  if (!(await confirm(`Are you sure you want to delete ${q(file)} in ${q(store)} of type ${q(type)}?`))) return { kind: 'cancelled' };
  try {
    const warning = await config.deleteCertificate(type, store, file);
    return { kind: 'deleted', path: config.storedPath(type, store, file), ...(warning ? { warning } : {}) };
  } catch (err) {
    if (!isDctError(err)) throw err;
    throw new DctError(err.code, `failed to delete the certificate file: ${err.message}`, { cause: err });
  }
}

/** A stored certificate is named by its file name alone: no path may lead out of the store (dct is stricter than notation here). */
function checkFileName(file: string): void {
  if (file === '.' || file === '..' || /[\\/]/.test(file)) {
    throw new DctError('NOTATION_NAME_INVALID', `certificate file name ${q(file)} must be a file name in the named store, not a path`);
  }
}

function q(s: string): string {
  return JSON.stringify(s);
}
