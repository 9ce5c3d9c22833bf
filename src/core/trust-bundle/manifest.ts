/**
 * The manifest of a DCT trust bundle (`dct-trust-bundle.json`, media type
 * `application/vnd.dct.trust-bundle.v1+json`): per repository, where its trust data came
 * from, when it was verified and as of which instant, which roles had expired, the root
 * chain's versions, every metadata file (path, role, version, sha256, length) and the tag
 * table (tag → digest → size → signing roles and keys). Pure: build, serialise, parse.
 *
 * Files sit at `repositories/<gun>/<file as served>`: `root.json`, `<v>.root.json`,
 * `timestamp.json`, `snapshot.json`, `targets.json`, `targets/<delegation>.json`.
 */
import { DctError } from '../errors.js';
import { isValidRoleName } from '../tuf/roles.js';

export const BUNDLE_MEDIA_TYPE = 'application/vnd.dct.trust-bundle.v1+json';
export const BUNDLE_MANIFEST_NAME = 'dct-trust-bundle.json';

export type BundleSource =
  | { kind: 'server'; url: string }
  /** `ageSeconds`: how old the cached timestamp was at export (its file's mtime) */
  | { kind: 'cache'; path: string; writtenAt: string; ageSeconds: number };

export interface BundleFileEntry {
  /** inside the bundle: `repositories/<gun>/<file>` */
  path: string;
  role: string;
  version: number;
  /** hex */
  sha256: string;
  length: number;
}

export interface BundleTagRole {
  role: string;
  /** key IDs of the valid signatures on the role's file */
  keyIds: string[];
}

export interface BundleTag {
  name: string;
  /** `sha256:<hex>` ('' when the target has no sha256) */
  digest: string;
  size: number;
  /** every role holding the same digest for the name, in walk order */
  roles: BundleTagRole[];
  /** docker's rule: the digest comes from targets/releases or targets */
  released: boolean;
}

export interface ExpiredRole {
  role: string;
  /** RFC 3339 */
  expires: string;
}

export interface BundleRepository {
  gun: string;
  source: BundleSource;
  /** when the export verified the metadata */
  verifiedAt: string;
  /** the instant the expiry rules were applied (verifiedAt, or the cache's time when its data had expired) */
  verifiedAsOf: string;
  /** roles whose metadata had expired at verifiedAt */
  expired: ExpiredRole[];
  /** versions of the root chain in the bundle, ascending and contiguous */
  roots: number[];
  files: BundleFileEntry[];
  tags: BundleTag[];
  /** what the client update warned about (skipped delegations, …) */
  warnings: string[];
}

export interface TrustBundleManifest {
  mediaType: typeof BUNDLE_MEDIA_TYPE;
  exportedAt: string;
  dctVersion: string;
  repositories: BundleRepository[];
}

/** `repositories/<gun>/<file>` */
export function bundlePath(gun: string, file: string): string {
  return `repositories/${gun}/${file}`;
}

/** The file name a role's metadata is served under (`targets/releases` → `targets/releases.json`). */
export function servedName(role: string, version?: number): string {
  return version === undefined ? `${role}.json` : `${version}.${role}.json`;
}

export function serializeManifest(manifest: TrustBundleManifest): Buffer {
  return Buffer.from(JSON.stringify(manifest, null, 2) + '\n', 'utf8');
}

function invalid(message: string): DctError {
  return new DctError('BUNDLE_INVALID', `not a valid trust bundle manifest: ${message}`);
}

type Obj = Record<string, unknown>;

function obj(v: unknown, what: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid(`${what} must be an object`);
  return v as Obj;
}
function str(o: Obj, key: string, what: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw invalid(`${what}.${key} must be a string`);
  return v;
}
function int(o: Obj, key: string, what: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw invalid(`${what}.${key} must be a whole number`);
  return v;
}
function arr(o: Obj, key: string, what: string): unknown[] {
  const v = o[key];
  if (!Array.isArray(v)) throw invalid(`${what}.${key} must be an array`);
  return v;
}
function time(o: Obj, key: string, what: string): string {
  const v = str(o, key, what);
  if (Number.isNaN(Date.parse(v))) throw invalid(`${what}.${key} is not a time: ${JSON.stringify(v)}`);
  return v;
}

/** A GUN used as a path inside the bundle must stay inside `repositories/`. */
export function isSafeGun(gun: string): boolean {
  const parts = gun.split('/');
  return (
    gun.length > 0 &&
    gun.length <= 255 &&
    !gun.includes('\\') &&
    !gun.includes('\0') &&
    parts.every((p) => p !== '' && p !== '.' && p !== '..')
  );
}

function parseSource(v: unknown, what: string): BundleSource {
  const o = obj(v, what);
  const kind = str(o, 'kind', what);
  if (kind === 'server') return { kind, url: str(o, 'url', what) };
  if (kind === 'cache')
    return { kind, path: str(o, 'path', what), writtenAt: time(o, 'writtenAt', what), ageSeconds: int(o, 'ageSeconds', what) };
  throw invalid(`${what}.kind must be "server" or "cache"`);
}

function parseFile(v: unknown, gun: string, what: string): BundleFileEntry {
  const o = obj(v, what);
  const entry = {
    path: str(o, 'path', what),
    role: str(o, 'role', what),
    version: int(o, 'version', what),
    sha256: str(o, 'sha256', what),
    length: int(o, 'length', what),
  };
  if (!isValidRoleName(entry.role)) throw invalid(`${what}.role ${JSON.stringify(entry.role)} is not a role`);
  if (!/^[0-9a-f]{64}$/.test(entry.sha256)) throw invalid(`${what}.sha256 must be 64 hex digits`);
  const prefix = bundlePath(gun, '');
  const name = entry.path.startsWith(prefix) ? entry.path.slice(prefix.length) : '';
  if (name !== servedName(entry.role) && name !== servedName(entry.role, entry.version)) {
    throw invalid(`${what}.path ${JSON.stringify(entry.path)} is not where ${entry.role} version ${entry.version} of ${gun} belongs`);
  }
  return entry;
}

function parseTag(v: unknown, what: string): BundleTag {
  const o = obj(v, what);
  const digest = str(o, 'digest', what);
  if (digest !== '' && !/^sha256:[0-9a-f]{64}$/.test(digest)) throw invalid(`${what}.digest must be sha256:<64 hex digits>`);
  if (typeof o['released'] !== 'boolean') throw invalid(`${what}.released must be true or false`);
  return {
    name: str(o, 'name', what),
    digest,
    size: int(o, 'size', what),
    roles: arr(o, 'roles', what).map((r, i) => {
      const ro = obj(r, `${what}.roles[${i}]`);
      const keyIds = arr(ro, 'keyIds', `${what}.roles[${i}]`);
      if (!keyIds.every((k) => typeof k === 'string')) throw invalid(`${what}.roles[${i}].keyIds must be strings`);
      return { role: str(ro, 'role', `${what}.roles[${i}]`), keyIds: keyIds };
    }),
    released: o['released'],
  };
}

function parseRepository(v: unknown, what: string): BundleRepository {
  const o = obj(v, what);
  const gun = str(o, 'gun', what);
  if (!isSafeGun(gun)) throw invalid(`${what}.gun ${JSON.stringify(gun)} is not a repository name`);
  const roots = arr(o, 'roots', what);
  if (roots.length === 0 || !roots.every((r) => typeof r === 'number' && Number.isSafeInteger(r) && r > 0)) {
    throw invalid(`${what}.roots must list root versions`);
  }
  const warnings = o['warnings'] === undefined ? [] : arr(o, 'warnings', what);
  return {
    gun,
    source: parseSource(o['source'], `${what}.source`),
    verifiedAt: time(o, 'verifiedAt', what),
    verifiedAsOf: time(o, 'verifiedAsOf', what),
    expired: arr(o, 'expired', what).map((e, i) => {
      const eo = obj(e, `${what}.expired[${i}]`);
      return { role: str(eo, 'role', `${what}.expired[${i}]`), expires: str(eo, 'expires', `${what}.expired[${i}]`) };
    }),
    roots: roots as number[],
    files: arr(o, 'files', what).map((f, i) => parseFile(f, gun, `${what}.files[${i}]`)),
    tags: arr(o, 'tags', what).map((t, i) => parseTag(t, `${what}.tags[${i}]`)),
    warnings: warnings.map(String),
  };
}

/** Parses and checks a manifest; BUNDLE_INVALID names the first field that is wrong. */
export function parseManifest(bytes: Buffer): TrustBundleManifest {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw invalid(`${BUNDLE_MANIFEST_NAME} is not JSON (${(err as Error).message})`);
  }
  const o = obj(json, 'manifest');
  if (o['mediaType'] !== BUNDLE_MEDIA_TYPE) throw invalid(`mediaType must be ${BUNDLE_MEDIA_TYPE}`);
  const repositories = arr(o, 'repositories', 'manifest').map((r, i) => parseRepository(r, `repositories[${i}]`));
  const guns = new Set<string>();
  for (const r of repositories) {
    if (guns.has(r.gun)) throw invalid(`repository ${r.gun} is listed twice`);
    guns.add(r.gun);
  }
  return {
    mediaType: BUNDLE_MEDIA_TYPE,
    exportedAt: time(o, 'exportedAt', 'manifest'),
    dctVersion: str(o, 'dctVersion', 'manifest'),
    repositories,
  };
}
