/**
 * notation's X.509 trust store (`truststore/x509/<type>/<name>/`): the certificates of a named
 * store, loaded with notation's checks and messages (notation-go's `GetCertificates`): the store
 * must be a real directory holding only regular files (directories and symlinks are refused),
 * every file must hold PEM or DER certificates, each a CA or a self-signed signing certificate,
 * and in a `tsa` store a self-issued root CA; an empty store is an error.
 */
import type { X509Certificate } from 'node:crypto';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DctError, isDctError } from '../../../core/errors.js';
import type { TrustPolicyStatement } from '../../../core/notation/trust-policy-document.js';
import { statementTrustStores } from '../../../core/notation/trust-policy.js';
import { isTrustStoreType, isValidFileName } from '../../../core/notation/trust-policy-validation.js';
import { parseCertificateFile, rootCertificateProblem, trustedCertificatesProblem } from '../../../core/notation/trusted-certificates.js';
import type { TrustAnchors } from '../../../core/notation/verification-types.js';
import { goFsError, isNotFound, readBounded } from './config-file.js';
import { trustStorePath } from './config-dir.js';

/** The most certificate files dct reads from one named store. */
export const MAX_STORE_FILES = 1000;

/** The certificates of the stores the statement names, by store type. */
export async function loadTrustAnchors(configDir: string, statement: TrustPolicyStatement): Promise<TrustAnchors> {
  const anchors: TrustAnchors = { ca: [], signingAuthority: [], tsa: [] };
  const seen = new Set<string>();
  for (const { type, name } of statementTrustStores(statement)) {
    if (seen.has(`${type}:${name}`)) continue;
    seen.add(`${type}:${name}`);
    const certs = await loadTrustStore(configDir, type, name);
    if (type === 'ca' || type === 'signingAuthority' || type === 'tsa') anchors[type].push(...certs);
  }
  return anchors;
}

/** The certificates of one named store. */
export async function loadTrustStore(configDir: string, type: string, name: string): Promise<X509Certificate[]> {
  if (!isTrustStoreType(type)) throw new DctError('NOTATION_STORE_TYPE_INVALID', `unsupported trust store type: ${type}`);
  if (!isValidFileName(name)) {
    throw new DctError('NOTATION_NAME_INVALID', `trust store name needs to follow [a-zA-Z0-9_.-]+ format, ${name} is invalid`);
  }
  const path = trustStorePath(configDir, type, name);
  let isDir: boolean;
  try {
    const st = await lstat(path);
    isDir = st.isDirectory();
  } catch (err) {
    if (isNotFound(err))
      throw new DctError('NOTATION_TRUST_STORE_NOT_FOUND', `the trust store ${q(name)} of type ${q(type)} does not exist`);
    throw new DctError('NOTATION_TRUST_STORE_INVALID', `failed to access the trust store ${q(name)} of type ${q(type)}`, { cause: err });
  }
  if (!isDir) {
    throw new DctError(
      'NOTATION_TRUST_STORE_INVALID',
      `the trust store ${name} of type ${type} with path ${path} is not a regular directory (symlinks are not supported)`,
    );
  }
  const entries = (await readdir(path, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (entries.length > MAX_STORE_FILES) {
    throw new DctError(
      'NOTATION_TRUST_STORE_INVALID',
      `the trust store ${name} of type ${type} holds ${entries.length} files, more than the ${MAX_STORE_FILES} dct reads`,
    );
  }
  const certificates: X509Certificate[] = [];
  for (const entry of entries) {
    const file = entry.name;
    const where = `in trust store ${name} of type ${type}`;
    if (!entry.isFile()) {
      throw new DctError(
        'NOTATION_TRUSTED_CERTIFICATE_INVALID',
        `trusted certificate ${file} ${where} is not a regular file (directories or symlinks are not supported)`,
      );
    }
    let certs: X509Certificate[];
    try {
      certs = parseCertificateFile(await readBounded(join(path, file), 'certificate file'));
    } catch (err) {
      throw new DctError('NOTATION_TRUSTED_CERTIFICATE_INVALID', `failed to read the trusted certificate ${file} ${where}`, {
        cause: isDctError(err) ? err : new Error(goFsError(err, 'open', join(path, file))),
      });
    }
    const problem = trustedCertificatesProblem(certs);
    if (problem) {
      throw new DctError('NOTATION_TRUSTED_CERTIFICATE_INVALID', `failed to validate the trusted certificate ${file} ${where}`, {
        cause: new Error(problem),
      });
    }
    if (type === 'tsa') {
      for (const cert of certs) {
        const notRoot = rootCertificateProblem(cert);
        if (notRoot)
          throw new DctError('NOTATION_TRUSTED_CERTIFICATE_INVALID', `trusted certificate ${file} ${where} is invalid: ${notRoot}`);
      }
    }
    certificates.push(...certs);
  }
  if (certificates.length < 1) {
    throw new DctError('NOTATION_TRUST_STORE_NOT_FOUND', `no x509 certificates were found in trust store ${q(name)} of type ${q(type)}`);
  }
  return certificates;
}

function q(s: string): string {
  return JSON.stringify(s);
}
