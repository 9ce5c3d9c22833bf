/**
 * The key use cases' KeyPassphrases port (src/app/keys/key-files.ts) over a passphrase
 * source, as the notary CLI builds it (FileKeyStore is their KeyFiles).
 */
import { unlockWithPassphrase, type PassphraseSource } from '../../../adapters/passphrase.js';
import type { KeyPassphrases } from '../../../app/keys/key-files.js';

/** The KeyPassphrases port over a passphrase source (notary's rules for retries). */
export function keyPassphrases(source: PassphraseSource): KeyPassphrases {
  return {
    forNewKey: (key) => source.get({ ...key, isNew: true }),
    unlock: (key, openKey) => unlockWithPassphrase(source, key, openKey),
  };
}
