/**
 * The port through which notation's configuration use cases reach its configuration directory
 * (`signingkeys.json`, `localkeys/`, `truststore/x509/…`, `trustpolicy.oci.json`). The CLI wires
 * the file-system adapter (`src/adapters/notation/config/`).
 */
import type { X509Certificate } from 'node:crypto';
import type { SigningKeys } from '../../../core/notation/signing-keys.js';

export interface StoredCertificate {
  type: string;
  store: string;
  file: string;
  path: string;
}

export interface PolicyFile {
  file: 'trustpolicy.oci.json' | 'trustpolicy.json';
  path: string;
  bytes: Buffer;
}

export interface NotationConfigStore {
  readonly configDir: string;

  /** the OCI trust policy's bytes (else the old file's); undefined when neither exists */
  readPolicyFile(): Promise<PolicyFile | undefined>;
  /** a trust policy notation would load exists */
  trustPolicyExists(): Promise<boolean>;
  /** writes `trustpolicy.oci.json`; returns its path */
  writeTrustPolicy(bytes: Uint8Array): Promise<string>;
  /** deletes the old `trustpolicy.json`; false when there was none */
  removeOldTrustPolicy(): Promise<boolean>;

  loadSigningKeys(): Promise<SigningKeys>;
  saveSigningKeys(config: SigningKeys): Promise<void>;
  /** writes `localkeys/<name>.key` and `.crt`, refusing to overwrite */
  writeLocalKeyPair(name: string, keyPem: string, certPem: string): Promise<{ keyPath: string; certPath: string }>;
  /** where `cert generate-test NAME` writes its key and certificate */
  localKeyPaths(name: string): { keyPath: string; certPath: string };
  /** deletes a file; false when there was none */
  removeFile(path: string): Promise<boolean>;
  /** the key matches the first certificate of the certificate file */
  checkKeyPair(keyPath: string, certPath: string): Promise<void>;

  /** the certificates in a file to add */
  readCertificateFile(path: string): Promise<X509Certificate[]>;
  /** copies a certificate file into a named store; returns the stored path */
  addCertificate(type: string, store: string, file: string): Promise<string>;
  listCertificates(filter: { type?: string; store?: string }): Promise<StoredCertificate[]>;
  readStoredCertificate(type: string, store: string, file: string): Promise<X509Certificate[]>;
  storedPath(type: string, store: string, file?: string): string;
  /** deletes one file (and the store when left empty); returns a warning, if any */
  deleteCertificate(type: string, store: string, file: string): Promise<string | undefined>;
  /** deletes a named store; returns its path */
  deleteStore(type: string, store: string): Promise<string>;
}
