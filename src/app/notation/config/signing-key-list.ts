/**
 * notation's `key ls | update --default | delete` (and `key add`): the signing key list of
 * `signingkeys.json`. notation adds keys only through plugins (`--plugin`, `--id`), which dct
 * does not run; dct also registers a local key pair (`--key-file`, `--cert-file`) the way
 * `cert generate-test` registers its own.
 */
import { resolve } from 'node:path';
import { DctError } from '../../../core/errors.js';
import { addSigningKey, removeSigningKeys, setDefaultSigningKey, type SigningKeys } from '../../../core/notation/signing-keys.js';
import type { NotationConfigStore } from './notation-config-store.js';

export async function listSigningKeys(config: NotationConfigStore): Promise<SigningKeys> {
  return config.loadSigningKeys();
}

export async function setDefaultKey(config: NotationConfigStore, name: string): Promise<void> {
  await config.saveSigningKeys(setDefaultSigningKey(await config.loadSigningKeys(), name));
}

/** Removes the named keys; returns them and which one was the default. Nothing is saved when one is unknown. */
export async function deleteSigningKeys(
  config: NotationConfigStore,
  names: readonly string[],
): Promise<{ removed: string[]; previousDefault?: string }> {
  const before = await config.loadSigningKeys();
  const { config: after, removed } = removeSigningKeys(before, names);
  await config.saveSigningKeys(after);
  return { removed, ...(before.default !== undefined ? { previousDefault: before.default } : {}) };
}

export interface AddKeyRequest {
  name: string;
  plugin?: string;
  id?: string;
  keyFile?: string;
  certFile?: string;
  isDefault: boolean;
}

export async function addKey(config: NotationConfigStore, request: AddKeyRequest): Promise<void> {
  const { name } = request;
  if (name === '') throw new DctError('NOTATION_SIGNING_KEY_NOT_FOUND', 'key name cannot be empty');
  if (request.keyFile !== undefined || request.certFile !== undefined) {
    if (!request.keyFile || !request.certFile) {
      throw new DctError('NOTATION_SIGNING_KEY_INVALID', 'a local key needs both --key-file and --cert-file');
    }
    const keyPath = resolve(request.keyFile);
    const certPath = resolve(request.certFile);
    await config.checkKeyPair(keyPath, certPath);
    await config.saveSigningKeys(addSigningKey(await config.loadSigningKeys(), { name, keyPath, certPath }, request.isDefault));
    return;
  }
  if (!request.id) throw new DctError('NOTATION_SIGNING_KEY_INVALID', 'missing key id');
  if (!request.plugin) throw new DctError('NOTATION_PLUGIN_NOT_FOUND', 'plugin name cannot be empty');
  // dct runs no plugins: every plugin is one notation would not find
  const executable = `${config.configDir}/plugins/${request.plugin}/notation-${request.plugin}`;
  throw new DctError(
    'NOTATION_PLUGIN_NOT_FOUND',
    `plugin executable file is either not found or inaccessible: stat ${executable}: no such file or directory`,
  );
}
