/**
 * Key rotation as notary does it (`N:cmd/notary/keys.go` keysRotate,
 * `N:client/client.go` RotateKey): the new keys of a base role — given as key
 * files, generated, or (timestamp, snapshot) made by the server — replace the
 * role's keys in root, published at once. A new root key is published as a
 * self-signed certificate for the gun. Rotating root asks for a confirmation.
 */
import { createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { DctError } from '../../core/errors.js';
import { createRootCertificate, ROOT_CERTIFICATE_VALIDITY_MS } from '../../core/keys/certificate.js';
import { PublicKey } from '../../core/keys/public-key.js';
import type { KeyRing, RemoteRepository } from '../../core/ports.js';
import { isBaseRole } from '../../core/tuf/roles.js';
import { rootRoleChange, type NotaryChange } from '../client/notary-change.js';
import { ATTEMPTS_EXCEEDED, KeyError } from './key-error.js';
import type { KeyFiles, KeyPassphrases } from './key-files.js';
import { openKeyFile } from './open-key-file.js';

export interface RotateKeyRequest {
  gun: string;
  role: string;
  /** the server makes and holds the new key (timestamp, snapshot) */
  serverManaged: boolean;
  /** key files to rotate to (stored first); none: a key is generated */
  keyFiles: readonly string[];
}

export interface RotateKeyDeps {
  keys: KeyFiles;
  passphrases: KeyPassphrases;
  ring: KeyRing;
  /** the repository's server (undefined when offline) */
  remote: Pick<RemoteRepository, 'rotateKey'> | undefined;
  /** the text of a key file named in the request */
  readKeyFile(file: string): Promise<string>;
  /** asked before a root key is rotated; false aborts */
  confirmRootRotation(): Promise<boolean>;
  /** publishes the rotation (notary publishes it alone, staged changes stay staged) */
  publish(changes: readonly NotaryChange[]): Promise<void>;
}

export type RotateKeyResult = { rotated: false } | { rotated: true; role: string; keyIds: string[]; serverManaged: boolean };

export async function rotateKey(deps: RotateKeyDeps, request: RotateKeyRequest): Promise<RotateKeyResult> {
  const { gun, role, serverManaged } = request;
  const keyIds: string[] = [];
  for (const file of request.keyFiles) keyIds.push(await storeKeyFile(deps, request, await deps.readKeyFile(file)));
  if (role === 'root' && !(await deps.confirmRootRotation())) return { rotated: false };
  checkRotation(role, serverManaged);
  let keys: PublicKey[];
  if (serverManaged) {
    if (!deps.remote) throw KeyError.step('unable to rotate remote key', new DctError('OFFLINE', 'client is offline'));
    try {
      keys = [await deps.remote.rotateKey(role as 'timestamp' | 'snapshot')];
    } catch (err) {
      throw KeyError.step('unable to rotate remote key', err);
    }
  } else {
    keys = (await localKeys(deps, gun, role, keyIds)).map((p) => publicKeyFor(p, gun, role));
  }
  await deps.publish([rootRoleChange(role, keys)]);
  return { rotated: true, role, keyIds: keys.map((k) => k.canonicalId), serverManaged };
}

/** notary readKey + ImportRootKey-like storing of a `--key` file; returns the key ID */
async function storeKeyFile(deps: RotateKeyDeps, request: RotateKeyRequest, pem: string): Promise<string> {
  const { role, gun } = request;
  const { privateKey, publicKey } = await openKeyFile(deps.passphrases, pem, role === 'root');
  let passphrase: string;
  try {
    passphrase = await deps.passphrases.forNewKey({ role, keyId: publicKey.id, gun });
  } catch (err) {
    throw KeyError.step('Error importing key', new KeyError('PASSPHRASE_ATTEMPTS_EXCEEDED', ATTEMPTS_EXCEEDED, { cause: err }));
  }
  return deps.keys.save({ privateKey, role, passphrase, gun });
}

/** notary checkRotationInput */
function checkRotation(role: string, serverManaged: boolean): void {
  const canBeRemote = role === 'timestamp' || role === 'snapshot';
  const canBeLocal = role === 'snapshot' || role === 'targets' || role === 'root';
  if (!isBaseRole(role)) throw new KeyError('KEY_ROTATION_REFUSED', `notary does not currently permit rotating the ${role} key`);
  if (serverManaged && !canBeRemote)
    throw new KeyError('KEY_ROTATION_REFUSED', `notary does not permit the server managing the ${role} key`);
  if (!serverManaged && !canBeLocal)
    throw new KeyError('KEY_ROTATION_REFUSED', `notary does not permit the client managing the ${role} key`);
}

interface LocalKey {
  key: KeyObject;
  role: string;
}

/** the stored keys named, or a new one */
async function localKeys(deps: RotateKeyDeps, gun: string, role: string, keyIds: readonly string[]): Promise<LocalKey[]> {
  if (keyIds.length === 0) {
    let generated;
    try {
      generated = await deps.ring.generate(role, gun);
    } catch (err) {
      throw KeyError.step('unable to generate key', err);
    }
    return [{ key: generated.privateKey, role }];
  }
  const out: LocalKey[] = [];
  for (const id of keyIds) {
    const key = await deps.ring.unlock(id);
    if (!key) throw new KeyError('KEY_NOT_FOUND', `unable to find key: ${id}`);
    out.push({ key, role: (await deps.keys.info(id))?.role ?? role });
  }
  return out;
}

/** the public key root lists: for root, a new self-signed certificate for the gun */
function publicKeyFor(p: LocalKey, gun: string, role: string): PublicKey {
  if (role !== 'root') return PublicKey.fromKeyObject(createPublicKey(p.key));
  if (p.role !== 'root') throw new KeyError('KEY_ROTATION_REFUSED', `attempted to load root key but given ${p.role} key instead`);
  const now = new Date();
  const pem = createRootCertificate({
    privateKey: p.key,
    gun,
    notBefore: now,
    notAfter: new Date(now.getTime() + ROOT_CERTIFICATE_VALIDITY_MS),
    serial: randomBytes(16),
  });
  return PublicKey.fromCertificatePem(pem);
}
