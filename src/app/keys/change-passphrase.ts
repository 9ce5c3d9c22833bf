/** notary `key passwd`: a stored key opened with its passphrase and stored again under a new one. */
import { KeyError } from './key-error.js';
import type { KeyFiles, KeyPassphrases } from './key-files.js';

export async function changePassphrase(deps: { keys: KeyFiles; passphrases: KeyPassphrases }, keyId: string): Promise<void> {
  const notFound = () => new KeyError('KEY_NOT_FOUND', `could not retrieve local key for key ID provided: ${keyId}`);
  const info = /^[0-9a-fA-F]+$/.test(keyId) ? await deps.keys.info(keyId) : undefined;
  if (!info) throw notFound();
  const ref = { role: info.role, keyId, ...(info.gun ? { gun: info.gun } : {}) };
  let loaded;
  try {
    loaded = await deps.passphrases.unlock(ref, (pass) => deps.keys.load(keyId, pass));
  } catch (err) {
    throw new KeyError('KEY_NOT_FOUND', notFound().message, { cause: err });
  }
  const passphrase = await deps.passphrases.forNewKey(ref);
  await deps.keys.save({ privateKey: loaded.privateKey, role: info.role, passphrase, ...(info.gun ? { gun: info.gun } : {}) });
}
