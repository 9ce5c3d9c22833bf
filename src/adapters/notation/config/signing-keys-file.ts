/**
 * notation's signing keys on disk: `signingkeys.json` (loaded and saved as notation does: missing
 * = no keys, a symlink or directory refused, saved 0600 after its checks), the local key pairs in
 * `localkeys/` (`<name>.key` 0600, `<name>.crt`), and a local signing key read for `sign`.
 */
import { createPrivateKey, type KeyObject, type X509Certificate } from 'node:crypto';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DctError, isDctError } from '../../../core/errors.js';
import {
  getSigningKey,
  parseSigningKeys,
  serializeSigningKeys,
  validateSigningKeys,
  type SigningKeys,
} from '../../../core/notation/signing-keys.js';
import { parseCertificateFile } from '../../../core/notation/trusted-certificates.js';
import { fileKind, goFsError, readBounded } from './config-file.js';
import { localKeyPaths, SIGNING_KEYS_FILE } from './config-dir.js';

/** `signingkeys.json` of `configDir`; no keys when it does not exist. */
export async function loadSigningKeys(configDir: string): Promise<SigningKeys> {
  const path = join(configDir, SIGNING_KEYS_FILE);
  const kind = await fileKind(path);
  if (kind === 'missing') return { keys: [] };
  if (kind === 'other')
    throw new DctError('NOTATION_CONFIG_FILE_INVALID', `${JSON.stringify(path)} is not a regular file (symlinks are not supported)`);
  let bytes: Buffer;
  try {
    bytes = await readBounded(path, SIGNING_KEYS_FILE);
  } catch (err) {
    if (isDctError(err)) throw err;
    throw new DctError('NOTATION_CONFIG_FILE_INVALID', goFsError(err, 'open', path), { cause: err });
  }
  return parseSigningKeys(bytes);
}

/** Checks and writes `signingkeys.json` (0600, its directory 0700). */
export async function saveSigningKeys(configDir: string, config: SigningKeys): Promise<void> {
  validateSigningKeys(config);
  const path = join(configDir, SIGNING_KEYS_FILE);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, serializeSigningKeys(config), { mode: 0o600 });
}

/**
 * Writes a new local key pair as `localkeys/<name>.key` (0600) and `<name>.crt` (0644), refusing
 * to overwrite either (as notation does: `failed to write key file: open …: file exists`).
 */
export async function writeLocalKeyPair(
  configDir: string,
  name: string,
  keyPem: string,
  certPem: string,
): Promise<{ keyPath: string; certPath: string }> {
  const { keyPath, certPath } = localKeyPaths(configDir, name);
  await mkdir(dirname(keyPath), { recursive: true, mode: 0o700 });
  await writeExclusive(keyPath, keyPem, 0o600, 'failed to write key file');
  await writeExclusive(certPath, certPem, 0o644, 'failed to write certificate file');
  return { keyPath, certPath };
}

async function writeExclusive(path: string, text: string, mode: number, what: string): Promise<void> {
  let handle;
  try {
    handle = await open(path, 'wx', mode);
  } catch (err) {
    throw new DctError('NOTATION_SIGNING_KEY_EXISTS', `${what}: ${goFsError(err, 'open', path)}`);
  }
  try {
    await handle.writeFile(text);
  } finally {
    await handle.close();
  }
}

/** A local key pair's private key and certificate chain (leaf first); the key must match the leaf (Go's tls.LoadX509KeyPair). */
export async function readKeyPair(keyPath: string, certPath: string): Promise<{ key: KeyObject; chain: X509Certificate[] }> {
  const read = async (path: string) => {
    try {
      return await readBounded(path, 'key file');
    } catch (err) {
      if (isDctError(err)) throw err;
      throw new DctError('NOTATION_SIGNING_KEY_INVALID', goFsError(err, 'open', path));
    }
  };
  const certBytes = await read(certPath);
  const keyBytes = await read(keyPath);
  if (!certBytes.toString('latin1').includes('-----BEGIN CERTIFICATE-----')) {
    throw new DctError('NOTATION_SIGNING_KEY_INVALID', 'tls: failed to find any PEM data in certificate input');
  }
  let chain: X509Certificate[];
  try {
    chain = parseCertificateFile(certBytes);
  } catch {
    throw new DctError('NOTATION_SIGNING_KEY_INVALID', 'tls: failed to parse certificate');
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(keyBytes);
  } catch {
    throw new DctError('NOTATION_SIGNING_KEY_INVALID', 'tls: failed to find any PEM data in key input');
  }
  const leaf = chain[0] as X509Certificate;
  if (!leaf.checkPrivateKey(key)) throw new DctError('NOTATION_SIGNING_KEY_INVALID', 'tls: private key does not match public key');
  return { key, chain };
}

/** The signing key named `name`, else the default one: its private key and certificate chain. */
export async function readSigningKey(
  configDir: string,
  name?: string,
): Promise<{ name: string; key: KeyObject; chain: X509Certificate[] }> {
  const suite = getSigningKey(await loadSigningKeys(configDir), name);
  if (!suite.keyPath || !suite.certPath) {
    throw new DctError(
      'NOTATION_PLUGIN_NOT_FOUND',
      `signing key ${suite.name} is held by the plugin ${JSON.stringify(suite.pluginName ?? '')}; dct signs with local keys only`,
    );
  }
  const { key, chain } = await readKeyPair(suite.keyPath, suite.certPath);
  return { name: suite.name, key, chain };
}
