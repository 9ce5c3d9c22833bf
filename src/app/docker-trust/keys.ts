/**
 * Signer keys as `docker trust key generate|load` make them (spec §7.3, §7.4):
 * ECDSA P-256 keys stored encrypted as `<trust dir>/private/<canonical id>.key`
 * with a `role: <name>` header, and a `PUBLIC KEY` PEM with the same header for
 * `signer add`. The store and the passphrases come in through their interfaces.
 */
import { createPublicKey, X509Certificate } from 'node:crypto';
import { decodePemBlocks, encodePem, type PemBlock } from '../../core/encoding.js';
import { DctError, isDctError } from '../../core/errors.js';
import { decodePrivateKeyFile } from '../../core/keys/key-file.js';
import { PublicKey } from '../../core/keys/public-key.js';
import { validateCertificate } from '../../core/keys/certificate.js';
import type { KeyUnlocker, PassphraseSource, PrivateKeySaver } from '../../core/ports.js';
import { generateKey } from '../generate-key.js';

/** The passphrases of key import: asked for the new key, tried on an encrypted file. */
export interface ImportPassphrases extends PassphraseSource {
  unlock: KeyUnlocker;
}

/** The PEM docker writes to `<dir>/<name>.pub`. */
export function publicKeyPem(key: PublicKey, role: string): string {
  if (key.keyType !== 'ecdsa' && key.keyType !== 'rsa')
    throw new DctError('UNSUPPORTED_KEY_TYPE', `cannot write a ${key.keyType} public key as PEM`);
  return encodePem({ type: 'PUBLIC KEY', headers: { role }, bytes: key.publicBytes });
}

/** `docker trust key generate NAME`: a new key stored under the role NAME; returns its ID and public PEM. */
export async function generateSignerKey(
  store: PrivateKeySaver,
  passphrases: PassphraseSource,
  name: string,
): Promise<{ keyId: string; pem: string }> {
  const { keyId, publicKey } = await generateKey(store, passphrases, { role: name });
  return { keyId, pem: publicKeyPem(publicKey, name) };
}

const PRIVATE_KEY_BLOCKS = new Set(['PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'EC PRIVATE KEY', 'RSA PRIVATE KEY', 'ED25519 PRIVATE KEY']);
const GUN_ROLES = new Set(['targets', 'snapshot', 'timestamp']);
/** notary's `DefaultImportRole` */
const DEFAULT_IMPORT_ROLE = 'delegation';

export interface LoadedKey {
  keyId: string;
  role: string;
}

/**
 * `docker trust key load`: the first PEM block of `pemText` is imported (notary
 * `ImportKeys`: the `role` header wins over `name`; a `gun` header is kept only
 * for targets/snapshot/timestamp keys, which need one), re-encrypted with a new
 * passphrase for its role. An encrypted file is decrypted first with the
 * passphrase docker asks for as "encrypted" (DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE).
 *
 * docker 28 reports success for an encrypted file but imports nothing (it hands
 * the decrypted DER, not PEM, to the importer); dct imports it, as the help promises.
 * Errors carry docker's texts without its `error importing key from <file>: ` prefix.
 */
export async function loadSignerKey(
  store: PrivateKeySaver,
  passphrases: ImportPassphrases,
  pemText: string,
  name: string,
  file: string,
): Promise<LoadedKey> {
  let blocks: PemBlock[];
  try {
    blocks = decodePemBlocks(pemText);
  } catch {
    blocks = [];
  }
  const block = blocks[0];
  if (!block || !PRIVATE_KEY_BLOCKS.has(block.type)) {
    throw new DctError(
      'UNSUPPORTED_KEY_FILE',
      `provided file ${file} is not a supported private key - to add a signer's public key use docker trust signer add`,
    );
  }
  const encrypted = block.type === 'ENCRYPTED PRIVATE KEY' || block.headers['DEK-Info'] !== undefined;
  let decoded;
  try {
    decoded = encrypted
      ? await passphrases.unlock({ role: 'encrypted', keyId: '' }, (p) => decodePrivateKeyFile(pemText, p))
      : decodePrivateKeyFile(pemText, undefined);
  } catch (err) {
    if (encrypted && (isDctError(err, 'WRONG_PASSPHRASE') || isDctError(err, 'PASSPHRASE_REQUIRED'))) {
      throw new DctError('WRONG_PASSPHRASE', `cannot load key from provided file ${file}: could not decrypt key`, { cause: err });
    }
    throw new DctError('INVALID_KEY', `failed to import all keys: invalid key pem block (${(err as Error).message})`, { cause: err });
  }
  const role = block.headers['role'] || name || DEFAULT_IMPORT_ROLE;
  const gun = GUN_ROLES.has(role) ? block.headers['gun'] : undefined;
  if (GUN_ROLES.has(role) && !gun) throw new DctError('INVALID_KEY', 'failed to import all keys: invalid key pem block');
  const keyId = decoded.publicKey.id;
  const passphrase = await passphrases.get({ role, keyId, isNew: true, attempt: 0, ...(gun ? { gun } : {}) });
  await store.save({ privateKey: decoded.privateKey, role, passphrase, ...(gun ? { gun } : {}) });
  return { keyId, role };
}

/**
 * notary `ParsePEMPublicKey` (what `signer add --key` reads): a `PUBLIC KEY`
 * (ecdsa or rsa) or a `CERTIFICATE` (valid now, no SHA-1, RSA ≥ 2048 bits), the
 * certificate re-encoded as notary does so that key IDs agree with docker's.
 */
export function parsePublicKeyPem(text: string, now: Date): PublicKey {
  let blocks: PemBlock[];
  try {
    blocks = decodePemBlocks(text);
  } catch {
    blocks = [];
  }
  const block = blocks[0];
  if (!block) throw new DctError('INVALID_KEY', 'no valid public key found');
  if (block.type === 'CERTIFICATE') {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(block.bytes);
    } catch (err) {
      throw new DctError('INVALID_KEY', `could not parse provided certificate: ${(err as Error).message}`, { cause: err });
    }
    try {
      validateCertificate(cert, { now, checkExpiry: true });
    } catch (err) {
      throw new DctError('INVALID_KEY', `invalid certificate: ${(err as Error).message}`, { cause: err });
    }
    return PublicKey.fromCertificatePem(encodePem({ type: 'CERTIFICATE', headers: {}, bytes: Buffer.from(cert.raw) }));
  }
  if (block.type === 'PUBLIC KEY') {
    let type: string | undefined;
    try {
      type = createPublicKey({ key: block.bytes, format: 'der', type: 'spki' }).asymmetricKeyType;
    } catch (err) {
      throw new DctError('INVALID_KEY', `unable to parse pem encoded public key: ${(err as Error).message}`, { cause: err });
    }
    if (type === 'ec') return new PublicKey('ecdsa', block.bytes);
    if (type === 'rsa') return new PublicKey('rsa', block.bytes);
    throw new DctError('INVALID_KEY', 'unknown public key format');
  }
  throw new DctError('INVALID_KEY', `unsupported PEM block type "${block.type}", expected CERTIFICATE or PUBLIC KEY`);
}
