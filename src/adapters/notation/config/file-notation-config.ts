/** notation's configuration directory on the file system, as the configuration use cases' port. */
import { loadTrustPolicy, readPolicyFile, removeOldTrustPolicy, trustPolicyExists, writeTrustPolicy } from './trust-policy-file.js';
import { loadSigningKeys, readKeyPair, saveSigningKeys, writeLocalKeyPair } from './signing-keys-file.js';
import {
  addCertificateFile,
  deleteStoredCertificate,
  deleteTrustStore,
  listTrustStoreCertificates,
  readCertificateFile,
  readStoredCertificate,
  storedPath,
} from './trust-store-files.js';
import type { SigningKeys } from '../../../core/notation/signing-keys.js';
import { localKeyPaths } from './config-dir.js';
import { isNotFound } from './config-file.js';
import { rm } from 'node:fs/promises';

export class FileNotationConfig {
  constructor(readonly configDir: string) {}

  readPolicyFile() {
    return readPolicyFile(this.configDir);
  }
  trustPolicyExists() {
    return trustPolicyExists(this.configDir);
  }
  writeTrustPolicy(bytes: Uint8Array) {
    return writeTrustPolicy(this.configDir, bytes);
  }
  removeOldTrustPolicy() {
    return removeOldTrustPolicy(this.configDir);
  }
  loadTrustPolicy() {
    return loadTrustPolicy(this.configDir);
  }
  loadSigningKeys() {
    return loadSigningKeys(this.configDir);
  }
  saveSigningKeys(config: SigningKeys) {
    return saveSigningKeys(this.configDir, config);
  }
  writeLocalKeyPair(name: string, keyPem: string, certPem: string) {
    return writeLocalKeyPair(this.configDir, name, keyPem, certPem);
  }
  localKeyPaths(name: string) {
    return localKeyPaths(this.configDir, name);
  }
  async removeFile(path: string): Promise<boolean> {
    try {
      await rm(path);
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }
  async checkKeyPair(keyPath: string, certPath: string): Promise<void> {
    await readKeyPair(keyPath, certPath);
  }
  readCertificateFile(path: string) {
    return readCertificateFile(path);
  }
  addCertificate(type: string, store: string, file: string) {
    return addCertificateFile(this.configDir, type, store, file);
  }
  listCertificates(filter: { type?: string; store?: string }) {
    return listTrustStoreCertificates(this.configDir, filter);
  }
  readStoredCertificate(type: string, store: string, file: string) {
    return readStoredCertificate(this.configDir, type, store, file);
  }
  storedPath(type: string, store: string, file?: string) {
    return storedPath(this.configDir, type, store, file);
  }
  deleteCertificate(type: string, store: string, file: string) {
    return deleteStoredCertificate(this.configDir, type, store, file);
  }
  deleteStore(type: string, store: string) {
    return deleteTrustStore(this.configDir, type, store);
  }
}
