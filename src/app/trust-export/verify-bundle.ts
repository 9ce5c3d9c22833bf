/**
 * Verifies a trust bundle offline with the client's rules: every file against the
 * manifest (sha256, length), the root chain (each root signed by its predecessor's
 * threshold and its own), then the client update itself over the bundle's files
 * (timestamp → snapshot → targets → delegations: hashes, lengths, versions, thresholds,
 * delegation paths), and the manifest's tag table against what the verified metadata
 * signs. Expired data is verified as of the export's instant (or `at`) and labelled.
 */
import { createHash } from 'node:crypto';
import { DctError, isDctError } from '../../core/errors.js';
import type { MetadataSource } from '../../core/ports.js';
import { DEFAULT_SIZE_LIMITS, type TrustedSet } from '../../core/trust/trusted-set.js';
import { parseMetadata } from '../../core/tuf/metadata.js';
import {
  bundlePath,
  parseManifest,
  servedName,
  type BundleRepository,
  type BundleSource,
  type ExpiredRole,
  type TrustBundleManifest,
} from '../../core/trust-bundle/manifest.js';
import type { BundleContents } from '../../core/trust-bundle/ports.js';
import { tagTableDifference, tagTableOf } from '../../core/trust-bundle/tag-table.js';
import { updateRepository } from '../client/update-repository.js';
import { BundleRemote } from './bundle-remote.js';
import { expiredRoles, expiryLabel, skippedExpiredDelegation } from './expiry.js';
import { MemoryCache } from './memory-cache.js';
import { verifyRootChain, type RootLink } from './root-chain.js';

export interface RepositoryVerdict {
  gun: string;
  verified: boolean;
  /** the stable code of the refusal */
  code?: string;
  message?: string;
  source: BundleSource;
  /** the instant the expiry rules were applied */
  asOf?: string;
  /** roles expired at the time of the check */
  expired: ExpiredRole[];
  /** "expired since …; verified as of …" */
  label?: string;
  roots: number[];
  /** root key IDs of the chain's first root: the anchor everything else is checked against (compare them with what you know) */
  anchorKeyIds: string[];
  tags: number;
  warnings: string[];
}

export interface BundleVerdict {
  verified: boolean;
  exportedAt: string;
  dctVersion: string;
  checkedAt: string;
  repositories: RepositoryVerdict[];
  /** files in the bundle that its manifest does not list (never used, never trusted) */
  unlisted: string[];
}

export interface VerifyOptions {
  now: Date;
  /** apply the expiry rules as of this instant instead of now (no fallback) */
  at?: Date;
}

/** The files of one repository whose bytes match the manifest, by served name. */
function checkedFiles(repo: BundleRepository, files: ReadonlyMap<string, Buffer>): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const f of repo.files) {
    const bytes = files.get(f.path);
    if (!bytes) throw new DctError('BUNDLE_FILE_MISSING', `${repo.gun}: ${f.path} is listed in the manifest but not in the bundle`);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (bytes.length !== f.length || sha256 !== f.sha256) {
      throw new DctError(
        'BUNDLE_FILE_MISMATCH',
        `${repo.gun}: ${f.path} is ${bytes.length} bytes with sha256 ${sha256}; the manifest lists ${f.length} bytes with sha256 ${f.sha256}`,
      );
    }
    out.set(f.path.slice(bundlePath(repo.gun, '').length), bytes);
  }
  return out;
}

function rootChainOf(repo: BundleRepository, served: ReadonlyMap<string, Buffer>): RootLink[] {
  return repo.roots.map((version) => {
    const bytes = served.get(servedName('root', version));
    if (!bytes) throw new DctError('BUNDLE_ROOT_CHAIN_BROKEN', `${repo.gun}: root version ${version} of the chain is not in the bundle`);
    return { version, bytes };
  });
}

/**
 * The client update over the bundle's files as of `asOf`. Without `local` it starts from the
 * bundle's own current root (its chain checked first); with `local` (this machine's cache of
 * the repository) it starts from what the machine trusted before, as an online client would:
 * the bundle must continue that root and may not roll back what the machine has seen.
 */
async function verifyAt(
  repo: BundleRepository,
  served: ReadonlyMap<string, Buffer>,
  asOf: Date,
  local?: MetadataSource,
): Promise<{ set: TrustedSet; warnings: string[] }> {
  const current = served.get('root.json');
  if (!current) throw new DctError('BUNDLE_FILE_MISSING', `${repo.gun}: the bundle has no root.json`);
  verifyRootChain(repo.gun, rootChainOf(repo, served), current, asOf);
  const pinned = await local?.read('root', DEFAULT_SIZE_LIMITS.root);
  const updated = await updateRepository({
    gun: repo.gun,
    now: asOf,
    cache: new MemoryCache(local, pinned ? [] : [{ role: 'root', bytes: current }]),
    remote: new BundleRemote(served),
  });
  return { set: updated.trusted, warnings: updated.warnings };
}

/** A repository's trust data from a bundle, verified with the client's rules. */
export interface BundleTrust {
  set: TrustedSet;
  warnings: string[];
  /** the instant the expiry rules were applied: now, or the export's when the data has expired since */
  asOf: Date;
  expired: ExpiredRole[];
  /** "expired since …; verified as of …" */
  label?: string;
}

export interface BundleTrustOptions extends VerifyOptions {
  /** this machine's cache of the repository (root trusted before, versions seen) */
  local?: MetadataSource;
}

/**
 * Verifies one repository of a bundle (its files against the manifest, the root chain, the
 * client update); data expired since the export is verified as of the export (unless `at`
 * is given) and labelled. Throws the refusal's DctError.
 */
export async function verifyBundleRepository(
  repo: BundleRepository,
  files: ReadonlyMap<string, Buffer>,
  o: BundleTrustOptions,
): Promise<BundleTrust> {
  const served = checkedFiles(repo, files);
  let asOf = o.at ?? o.now;
  let result;
  try {
    result = await verifyAt(repo, served, asOf, o.local);
    // a delegation expired since the export is skipped by the update, not refused: verify as of the export too
    if (!o.at && skippedExpiredDelegation(result.warnings)) throw new DctError('EXPIRED', 'a delegation has expired');
  } catch (err) {
    if (o.at || !isDctError(err, 'EXPIRED')) throw err;
    asOf = new Date(repo.verifiedAsOf);
    result = await verifyAt(repo, served, asOf, o.local);
  }
  const expired = expiredRoles(result.set, o.at ?? o.now);
  const label = expiryLabel(expired, asOf);
  return { set: result.set, warnings: result.warnings, asOf, expired, ...(label ? { label } : {}) };
}

/** The root key IDs a (verified) root file lists. */
function anchorKeyIds(bytes: Buffer | undefined): string[] {
  if (!bytes) return [];
  const root = parseMetadata(bytes, 'root').signed;
  return [...(root.roles['root']?.keyids ?? [])];
}

async function verifyRepository(repo: BundleRepository, files: ReadonlyMap<string, Buffer>, o: VerifyOptions): Promise<RepositoryVerdict> {
  const base = { gun: repo.gun, source: repo.source, roots: repo.roots, anchorKeyIds: [] as string[], tags: repo.tags.length };
  try {
    const { set, warnings, asOf, expired, label } = await verifyBundleRepository(repo, files, o);
    base.anchorKeyIds = anchorKeyIds(files.get(bundlePath(repo.gun, servedName('root', repo.roots[0]))));
    const difference = tagTableDifference(repo.tags, tagTableOf(set));
    if (difference) throw new DctError('BUNDLE_TAGS_MISMATCH', `${repo.gun}: ${difference}`);
    return { ...base, verified: true, asOf: asOf.toISOString(), expired, ...(label ? { label } : {}), warnings };
  } catch (err) {
    const code = isDctError(err) ? err.code : 'ERROR';
    return { ...base, verified: false, code, message: (err as Error).message, expired: [], warnings: [] };
  }
}

/** Verifies every repository of a bundle; a manifest that is not one is thrown (BUNDLE_INVALID). */
export async function verifyBundle(contents: BundleContents, o: VerifyOptions): Promise<BundleVerdict> {
  const manifest: TrustBundleManifest = parseManifest(contents.manifest);
  const repositories: RepositoryVerdict[] = [];
  for (const repo of manifest.repositories) repositories.push(await verifyRepository(repo, contents.files, o));
  const listed = new Set(manifest.repositories.flatMap((r) => r.files.map((f) => f.path)));
  return {
    verified: repositories.every((r) => r.verified),
    exportedAt: manifest.exportedAt,
    dctVersion: manifest.dctVersion,
    checkedAt: o.now.toISOString(),
    repositories,
    unlisted: [...contents.files.keys()].filter((p) => !listed.has(p)).sort(),
  };
}
