/**
 * The ports the key use cases reach the client's private keys through (docker's
 * and notary's `<trust dir>/private/`): the key files, and the passphrases that
 * lock them. The front end that runs a use case supplies both (dct's own key store
 * and passphrase sources live in src/adapters).
 */
import type { KeyObject } from 'node:crypto';

/** A stored key file, as listed (nothing decrypted). */
export interface KeyFileInfo {
  /** the canonical key ID (the file name docker and notary use) */
  keyId: string;
  role: string;
  gun?: string;
  /** where the file is (export names keys by their path below `privateDir`) */
  path: string;
}

export interface NewKeyFile {
  privateKey: KeyObject;
  role: string;
  gun?: string;
  /** '' stores the key unencrypted, as notary does */
  passphrase: string;
}

export interface KeyFiles {
  /** the folder holding the key files (notary shows it as the keys' location) */
  readonly privateDir: string;
  list(): Promise<KeyFileInfo[]>;
  info(keyId: string): Promise<KeyFileInfo | undefined>;
  /** decrypts a key; fails with WRONG_PASSPHRASE for a wrong or missing passphrase */
  load(keyId: string, passphrase: string | undefined): Promise<{ privateKey: KeyObject }>;
  /** stores a key as `<canonical id>.key`, encrypted with its passphrase; returns the key ID */
  save(key: NewKeyFile): Promise<string>;
  /** deletes every file holding the key; false when there was none */
  remove(keyId: string): Promise<boolean>;
  /** a stored key file's text, as it is */
  readText(key: KeyFileInfo): Promise<string>;
  /** stores PEM text as it is, as `<name>.key` (notary's import keeps encrypted blocks and their headers) */
  writeText(name: string, text: string): Promise<void>;
}

/** Which key a passphrase is for (named in prompts and in the environment variable asked). */
export interface KeyRef {
  role: string;
  keyId: string;
  gun?: string;
}

export interface KeyPassphrases {
  /** the passphrase to lock a key about to be stored with */
  forNewKey(key: KeyRef): Promise<string>;
  /**
   * opens a locked thing: `open('')` first, then with passphrases asked for `key`
   * while it fails with WRONG_PASSPHRASE (as many times as the source allows)
   */
  unlock<T>(key: KeyRef, open: (passphrase: string) => T | Promise<T>): Promise<T>;
}
