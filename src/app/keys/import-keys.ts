/**
 * Key import as notary does it (`N:trustmanager/keys.go` ImportKeys): every PEM
 * block of a file becomes a key file named by its `path` header (or its key ID),
 * consecutive blocks of one name sharing a file. Encrypted blocks are stored as
 * they are; unencrypted ones are locked with a new passphrase first. A legacy
 * `path` (`tuf_keys/<gun>/<id>_<role>`) names the gun; canonical roles other than
 * root need one.
 */
import { decodePemBlocks, encodePem, type PemBlock } from '../../core/encoding.js';
import { decodePrivateKeyFile, encodePrivateKeyFile } from '../../core/keys/key-file.js';
import { ATTEMPTS_EXCEEDED, KeyError } from './key-error.js';
import type { KeyFiles, KeyPassphrases } from './key-files.js';

const DEFAULT_IMPORT_ROLE = 'delegation';
const SAFE_KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const LEGACY_TUF_DIR = 'tuf_keys';

export interface ImportKeysRequest {
  /** the text of one PEM file */
  pem: string;
  /** role for blocks without a `role` header ('' = `delegation`) */
  fallbackRole: string;
  /** gun for blocks without a `gun` header ('' = none) */
  fallbackGun: string;
}

export interface ImportedKey {
  /** the stored file's name (the key ID unless a `path` header named it) */
  keyId: string;
  role: string;
}

/** what import reports as it goes: blocks it skips */
export interface ImportEvent {
  type: 'warning';
  message: string;
}

export async function importKeys(
  deps: { keys: KeyFiles; passphrases: KeyPassphrases },
  request: ImportKeysRequest,
  onEvent: (event: ImportEvent) => void = () => undefined,
): Promise<ImportedKey[]> {
  const imported: ImportedKey[] = [];
  let blocks: PemBlock[];
  try {
    blocks = decodePemBlocks(request.pem);
  } catch {
    blocks = [];
  }
  let writeTo = '';
  let toWrite: string[] = [];
  const errors: string[] = [];
  const flush = async () => {
    if (toWrite.length > 0) await writeKeyFile(deps.keys, writeTo, toWrite.join(''));
    toWrite = [];
  };
  for (const block of blocks) {
    const headers = headersOf(block, request);
    const role = headers['role'] as string;
    if (role === 'snapshot' || role === 'targets' || role === 'timestamp') {
      if (!headers['gun']) {
        onEvent({
          type: 'warning',
          message: `failed to import key (${headers['path'] ?? ''}) to store: Cannot have canonical role key without a gun, don't know what gun it belongs to`,
        });
        errors.push('invalid key pem block');
        continue;
      }
    } else {
      delete headers['gun'];
    }
    const pemOf = (h: Record<string, string>) => encodePem({ type: block.type, headers: h, bytes: block.bytes });
    let decoded: ReturnType<typeof decodePrivateKeyFile> | undefined;
    try {
      decoded = decodePrivateKeyFile(pemOf(headers), undefined);
    } catch {
      decoded = undefined;
    }
    let name = headers['path'];
    if (!name) {
      if (!decoded) {
        onEvent({
          type: 'warning',
          message: 'failed to import key to store: Invalid key generated, key may be encrypted and does not contain path header',
        });
        errors.push('invalid key pem block');
        continue;
      }
      name = decoded.publicKey.id;
    }
    delete headers['path'];
    const gun = headers['gun'] ? { gun: headers['gun'] } : {};
    let text: string;
    if (decoded && !decoded.encrypted) {
      let passphrase: string;
      try {
        passphrase = await deps.passphrases.forNewKey({ role, keyId: name, ...gun });
      } catch (err) {
        throw new KeyError('PASSPHRASE_ATTEMPTS_EXCEEDED', ATTEMPTS_EXCEEDED, { cause: err });
      }
      text = encodePrivateKeyFile({ privateKey: decoded.privateKey, role, passphrase, ...gun });
    } else {
      text = pemOf(headers);
    }
    if (name !== writeTo) {
      await flush();
      writeTo = name;
    }
    toWrite.push(text);
    imported.push({ keyId: name, role });
  }
  if (toWrite.length > 0) await flush();
  else if (errors.length > 0) throw new KeyError('KEY_IMPORT_FAILED', `failed to import all keys: ${errors.join(', ')}`);
  return imported;
}

/** the block's headers, with the gun a legacy path names, the path's last part, and the fallbacks */
function headersOf(block: PemBlock, request: ImportKeysRequest): Record<string, string> {
  const headers = { ...block.headers };
  const rawPath = headers['path'] ?? '';
  if (rawPath !== '' && rawPath.includes('/')) {
    const dir = rawPath.slice(0, rawPath.lastIndexOf('/'));
    if (dir.startsWith(LEGACY_TUF_DIR)) {
      const gun = dir.slice(LEGACY_TUF_DIR.length).replace(/^\/+|\/+$/g, '');
      if (gun !== '') headers['gun'] = gun;
    }
    headers['path'] = rawPath.slice(rawPath.lastIndexOf('/') + 1);
  }
  if (!headers['gun'] && request.fallbackGun !== '') headers['gun'] = request.fallbackGun;
  if (!headers['role']) headers['role'] = request.fallbackRole !== '' ? request.fallbackRole : DEFAULT_IMPORT_ROLE;
  return headers;
}

async function writeKeyFile(keys: KeyFiles, name: string, text: string): Promise<void> {
  if (!SAFE_KEY_NAME.test(name))
    throw new KeyError('KEY_IMPORT_FAILED', `failed to import key to store: invalid key file name ${JSON.stringify(name)}`);
  await keys.writeText(name, text);
}
