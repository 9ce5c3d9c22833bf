/**
 * notary's on-disk private key store (`N:trustmanager/keystore.go`, `N:storage/filestore.go`):
 * `<trust dir>/private/<canonical key id>.key`, directories 0700, files 0600,
 * written atomically (temp file in the same directory, fsync, rename).
 *
 * Legacy layouts of notary < 0.4 are read (list/has/load/remove):
 * `private/root_keys/<id>_root.key` and `private/tuf_keys/<gun>/<id>_<role>.key`.
 * They are NOT migrated: `save` only writes the flat layout and legacy files are
 * left untouched (notary 0.4+ would migrate them on first use; our reader makes
 * that unnecessary). A key present in both layouts is served from the flat one.
 *
 * Key material never reaches logs or error messages.
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { chmod, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { DctError } from '../../core/errors.js';
import { PublicKey } from '../../core/keys/public-key.js';
import type { PassphraseSource } from '../passphrase.js';
import {
  decodePrivateKeyFile,
  encodePrivateKeyFile,
  publicKeyOf,
  readKeyFileHeaders,
  type DecodedPrivateKeyFile,
} from '../../core/keys/key-file.js';

export const SAFE_KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const PRIVATE_DIR = 'private';
const LEGACY_ROOT_DIR = 'root_keys';
const LEGACY_TUF_DIR = 'tuf_keys';
const KEY_EXT = '.key';
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;
const KEY_ID = /^[0-9a-fA-F]{8,128}$/;
/** roles whose key files keep a `gun` header (notary drops it for root, delegations and other names) */
const GUN_ROLES = new Set(['targets', 'snapshot', 'timestamp']);

export interface StoredKeyInfo {
  keyId: string;
  role: string;
  gun?: string;
  path: string;
  /** true for the pre-0.4 `root_keys/` / `tuf_keys/` layouts */
  legacy: boolean;
}

export interface LoadedKey extends DecodedPrivateKeyFile {
  keyId: string;
  /** from the `role` header, or for legacy files from the file name */
  role: string;
  path: string;
}

export interface SaveKeyOptions {
  privateKey: KeyObject;
  role: string;
  gun?: string;
  /** '' stores the key unencrypted, as notary does */
  passphrase: string;
}

export class FileKeyStore {
  readonly privateDir: string;

  constructor(readonly trustDir: string) {
    this.privateDir = join(trustDir, PRIVATE_DIR);
  }

  /** Every key file with its role and gun (headers only, nothing decrypted), sorted by key ID. */
  async list(): Promise<StoredKeyInfo[]> {
    const byId = new Map<string, StoredKeyInfo>();
    for (const rel of await walk(this.privateDir)) {
      const info = await this.describe(rel);
      if (!info) continue;
      const seen = byId.get(info.keyId);
      if (!seen || (seen.legacy && !info.legacy)) byId.set(info.keyId, info);
    }
    return [...byId.values()].sort((a, b) => (a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : 0));
  }

  async has(keyId: string): Promise<boolean> {
    return (await this.locate(keyId)) !== undefined;
  }

  /** Decrypts a key; WRONG_PASSPHRASE (from the decoder) for a wrong or missing passphrase. */
  async load(keyId: string, passphrase: string | undefined): Promise<LoadedKey> {
    const info = await this.locate(keyId);
    if (!info) throw new DctError('KEY_NOT_FOUND', `no private key ${keyId} in ${this.privateDir}`);
    const decoded = decodePrivateKeyFile(await readFile(info.path, 'utf8'), passphrase);
    const gun = decoded.gun ?? info.gun;
    return { ...decoded, keyId: info.keyId, role: info.role, ...(gun ? { gun } : {}), path: info.path };
  }

  /** Role and gun of a stored key without decrypting it. */
  async info(keyId: string): Promise<StoredKeyInfo | undefined> {
    return this.locate(keyId);
  }

  /** Stores a key as `private/<canonical id>.key` (replacing any file of that name); returns the key ID. */
  async save(opts: SaveKeyOptions): Promise<string> {
    const keyId = publicKeyOf(opts.privateKey).id;
    const gun = opts.gun && GUN_ROLES.has(opts.role) ? opts.gun : undefined;
    const pem = encodePrivateKeyFile({
      privateKey: opts.privateKey,
      role: opts.role,
      passphrase: opts.passphrase,
      ...(gun ? { gun } : {}),
    });
    await mkdir(this.trustDir, { recursive: true, mode: DIR_MODE });
    await mkdir(this.privateDir, { recursive: true, mode: DIR_MODE });
    await chmod(this.privateDir, DIR_MODE);
    const target = join(this.privateDir, keyId + KEY_EXT);
    const temp = join(this.privateDir, `.${keyId}.${randomBytes(6).toString('hex')}.tmp`);
    const handle = await open(temp, 'wx', FILE_MODE);
    try {
      await handle.writeFile(pem, 'utf8');
      await handle.chmod(FILE_MODE);
      await handle.sync();
    } catch (err) {
      await handle.close();
      await rm(temp, { force: true });
      throw err;
    }
    await handle.close();
    try {
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
    return keyId;
  }

  /** Deletes every file holding the key (flat and legacy layouts); false when there was none. */
  async remove(keyId: string): Promise<boolean> {
    checkKeyId(keyId);
    const files = await this.filesOf(keyId);
    for (const info of files) await rm(info.path, { force: true });
    return files.length > 0;
  }

  private async locate(keyId: string): Promise<StoredKeyInfo | undefined> {
    checkKeyId(keyId);
    const files = await this.filesOf(keyId);
    return files.find((f) => !f.legacy) ?? files[0];
  }

  private async filesOf(keyId: string): Promise<StoredKeyInfo[]> {
    const out: StoredKeyInfo[] = [];
    const flat = await this.describe(keyId + KEY_EXT);
    if (flat) out.push(flat);
    for (const rel of await walk(this.privateDir)) {
      if (!rel.includes(sep)) continue;
      const info = await this.describe(rel);
      if (info?.keyId === keyId) out.push(info);
    }
    return out;
  }

  /** A key file (path relative to private/), or undefined when it is not one. */
  private async describe(rel: string): Promise<StoredKeyInfo | undefined> {
    if (!rel.endsWith(KEY_EXT)) return undefined;
    const parts = rel.slice(0, -KEY_EXT.length).split(sep);
    const path = join(this.privateDir, rel);
    let headers;
    try {
      if (!(await stat(path)).isFile()) return undefined;
      headers = readKeyFileHeaders(await readFile(path, 'utf8'));
    } catch {
      return undefined; // unreadable or not a key file: notary skips those too
    }
    if (parts.length === 1) {
      const keyId = parts[0] as string;
      if (!KEY_ID.test(keyId) || !headers.role) return undefined;
      return { keyId, role: headers.role, ...(headers.gun ? { gun: headers.gun } : {}), path, legacy: false };
    }
    const legacy = parseLegacyName(parts);
    if (!legacy) return undefined;
    const role = headers.role ?? legacy.role;
    const gun = headers.gun ?? legacy.gun;
    return { keyId: legacy.keyId, role, ...(gun ? { gun } : {}), path, legacy: true };
  }

  /** A key file's text as it is (for export). */
  readText(key: Pick<StoredKeyInfo, 'path'>): Promise<string> {
    return readFile(key.path, 'utf8');
  }

  /** `private/<name>.key`, mode 0600, written atomically (temp file, rename) */
  async writeText(name: string, text: string): Promise<void> {
    if (!SAFE_KEY_NAME.test(name)) throw new DctError('INVALID_KEY_FILE_NAME', `invalid key file name ${JSON.stringify(name)}`);
    await mkdir(this.privateDir, { recursive: true, mode: 0o700 });
    const target = join(this.privateDir, `${name}.key`);
    const temp = join(this.privateDir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.writeFile(text);
    } finally {
      await handle.close();
    }
    await rename(temp, target).catch(async (err) => {
      await rm(temp, { force: true });
      throw err;
    });
  }
}

/**
 * `root_keys/<id>_root` → root; `tuf_keys/<gun…>/<id>_<role…>` where the gun may
 * span directories and a delegation role may contain slashes (`<id>_targets/x`).
 */
function parseLegacyName(parts: string[]): { keyId: string; role: string; gun?: string } | undefined {
  const [top, ...rest] = parts;
  if (top !== LEGACY_ROOT_DIR && top !== LEGACY_TUF_DIR) return undefined;
  const at = rest.findIndex((p) => /^[0-9a-fA-F]{8,128}_./.test(p));
  if (at < 0) return undefined;
  const segment = rest[at] as string;
  const cut = segment.indexOf('_');
  const keyId = segment.slice(0, cut);
  const role = [segment.slice(cut + 1), ...rest.slice(at + 1)].join('/');
  const gun = rest.slice(0, at).join('/');
  if (top === LEGACY_ROOT_DIR && (role !== 'root' || gun !== '')) return undefined;
  return { keyId, role, ...(gun ? { gun } : {}) };
}

function checkKeyId(keyId: string): void {
  if (!KEY_ID.test(keyId)) throw new DctError('INVALID_KEY_ID', `invalid key ID ${JSON.stringify(keyId)}`);
}

/** Files below `dir` (relative paths, sorted), skipping dot files; [] when `dir` does not exist. */
async function walk(dir: string, prefix = ''): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(join(dir, prefix), { withFileTypes: true });
  } catch (err) {
    if (prefix === '' && (err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const rel = prefix === '' ? entry.name : join(prefix, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(dir, rel)));
    else if (entry.isFile()) out.push(rel);
  }
  return out.sort();
}

/**
 * A new signing key as notary and docker make them (always ECDSA P-256), stored
 * encrypted under a new passphrase asked of `passphrases` for `role`.
 */
export async function generateStoredKey(
  store: Pick<FileKeyStore, 'save'>,
  passphrases: PassphraseSource,
  role: string,
  gun?: string,
): Promise<{ keyId: string; privateKey: KeyObject; publicKey: PublicKey }> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pub = PublicKey.fromKeyObject(publicKey);
  const passphrase = await passphrases.get({ role, keyId: pub.id, isNew: true, attempt: 0, ...(gun ? { gun } : {}) });
  const keyId = await store.save({ privateKey, role, passphrase, ...(gun ? { gun } : {}) });
  return { keyId, privateKey, publicKey: pub };
}
