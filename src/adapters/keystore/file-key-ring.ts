/**
 * The `KeyRing` port over docker's and notary's key files: keys are decrypted on
 * first use with a passphrase from the environment or a prompt (notary's rules,
 * `unlockWithPassphrase`), then kept in memory for the rest of the command only.
 */
import type { KeyObject } from 'node:crypto';
import type { HeldKey, KeyRing } from '../../core/ports.js';
import { unlockWithPassphrase, type PassphraseSource } from '../passphrase.js';
import { generateStoredKey, type FileKeyStore } from './file-keystore.js';

export class FileKeyRing implements KeyRing {
  private readonly unlocked = new Map<string, KeyObject>();

  constructor(
    readonly store: FileKeyStore,
    private readonly passphrases: PassphraseSource,
  ) {}

  async list(): Promise<HeldKey[]> {
    return (await this.store.list()).map((k) => ({ keyId: k.keyId, role: k.role, ...(k.gun ? { gun: k.gun } : {}) }));
  }

  has(keyId: string): Promise<boolean> {
    return this.store.has(keyId);
  }

  async unlock(keyId: string): Promise<KeyObject | undefined> {
    const done = this.unlocked.get(keyId);
    if (done) return done;
    const info = await this.store.info(keyId);
    if (!info) return undefined;
    const loaded = await unlockWithPassphrase(
      this.passphrases,
      { role: info.role, keyId, ...(info.gun ? { gun: info.gun } : {}) },
      (passphrase) => this.store.load(keyId, passphrase),
    );
    this.unlocked.set(keyId, loaded.privateKey);
    return loaded.privateKey;
  }

  async generate(role: string, gun?: string): Promise<{ keyId: string; privateKey: KeyObject }> {
    const { keyId, privateKey } = await generateStoredKey(this.store, this.passphrases, role, gun);
    this.unlocked.set(keyId, privateKey);
    return { keyId, privateKey };
  }
}
