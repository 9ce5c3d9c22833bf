/**
 * Exports one repository's trust data: runs the client update (update-repository.ts,
 * the same rules as every read) against an in-memory cache, from a trust server or from
 * a trust dir's cache, and keeps the exact bytes it verified, the root chain and the tag
 * table. Data that has expired is still exported, verified as of an instant it was valid
 * at (the cache's own time, else just before the earliest expiry) and labelled so.
 */
import { createHash } from 'node:crypto';
import { DctError, isDctError } from '../../core/errors.js';
import type { MetadataSource, RemoteRepository } from '../../core/ports.js';
import type { TrustedSet } from '../../core/trust/trusted-set.js';
import { DEFAULT_SIZE_LIMITS } from '../../core/trust/trusted-set.js';
import {
  bundlePath,
  servedName,
  type BundleFileEntry,
  type BundleRepository,
  type BundleSource,
} from '../../core/trust-bundle/manifest.js';
import type { BundleFile } from '../../core/trust-bundle/ports.js';
import { tagTableOf } from '../../core/trust-bundle/tag-table.js';
import { CACHED_TIMESTAMP_WARNING, updateRepository, type UpdatedRepository } from '../client/update-repository.js';
import { earliestExpiry, expiredRoles, skippedExpiredDelegation } from './expiry.js';
import { MemoryCache } from './memory-cache.js';
import { fetchRootChain, verifyRootChain, type RootLink } from './root-chain.js';

export type RepositorySource =
  | { kind: 'server'; url: string; remote: RemoteRepository }
  /** `files`: `<trust dir>/tuf/<gun>/metadata`; `writtenAt`: when the client last verified it (timestamp.json's mtime) */
  | { kind: 'cache'; path: string; files: MetadataSource; writtenAt: Date };

export interface ExportedRepository {
  repository: BundleRepository;
  files: BundleFile[];
}

/** Records the bytes a source served (to find an instant expired data was valid at). */
class Recorder implements MetadataSource {
  readonly seen: Buffer[] = [];
  constructor(private readonly inner: MetadataSource) {}
  async read(role: string, maxBytes: number, checksum?: string): Promise<Buffer | undefined> {
    const bytes = await this.inner.read(role, maxBytes, checksum);
    if (bytes) this.seen.push(bytes);
    return bytes;
  }
}

function recordingRemote(remote: RemoteRepository, recorder: Recorder): RemoteRepository {
  return {
    serverName: remote.serverName,
    read: (role, maxBytes, checksum) => recorder.read(role, maxBytes, checksum),
    readRootVersion: (version, maxBytes) => remote.readRootVersion(version, maxBytes),
    getKey: (role) => remote.getKey(role),
    rotateKey: (role) => remote.rotateKey(role),
    publish: (files) => remote.publish(files),
    deleteRepository: () => remote.deleteRepository(),
  };
}

async function update(gun: string, source: RepositorySource, recorder: Recorder, now: Date): Promise<UpdatedRepository> {
  if (source.kind === 'server') {
    return updateRepository({ gun, now, cache: new MemoryCache(), remote: recordingRemote(source.remote, recorder) });
  }
  return updateRepository({ gun, now, cache: new MemoryCache(recorder) });
}

/** The update as of `now`, else (expired data) as of the cache's time, else just before the earliest expiry. */
async function verifiedUpdate(gun: string, source: RepositorySource, now: Date): Promise<{ updated: UpdatedRepository; asOf: Date }> {
  const inner = source.kind === 'server' ? source.remote : source.files;
  const recorder = new Recorder(inner);
  let first: UpdatedRepository | undefined;
  try {
    first = await update(gun, source, recorder, now);
    // an expired delegation is skipped by the update, not refused: export it too, as of when it was valid
    if (!skippedExpiredDelegation(first.warnings)) return { updated: first, asOf: now };
    throw new DctError('EXPIRED', 'a delegation has expired');
  } catch (err) {
    if (!isDctError(err, 'EXPIRED')) throw err;
    const candidates: Date[] = [];
    if (source.kind === 'cache' && source.writtenAt < now) candidates.push(source.writtenAt);
    const earliest = earliestExpiry(recorder.seen);
    if (earliest && earliest < now) candidates.push(new Date(earliest.getTime() - 1000));
    let last: unknown = err;
    for (const asOf of candidates) {
      try {
        const updated = await update(gun, source, new Recorder(inner), asOf);
        if (!skippedExpiredDelegation(updated.warnings)) return { updated, asOf };
      } catch (again) {
        last = again;
      }
    }
    if (first) return { updated: first, asOf: now }; // the expired delegation stays out, its warning says why
    throw last;
  }
}

function fileEntry(gun: string, role: string, version: number, bytes: Buffer, named?: number): BundleFile & { entry: BundleFileEntry } {
  const path = bundlePath(gun, servedName(role, named));
  return { path, bytes, entry: { path, role, version, sha256: createHash('sha256').update(bytes).digest('hex'), length: bytes.length } };
}

/** The verified files of a trusted set, as served: root.json, timestamp, snapshot, targets and delegations. */
function verifiedFiles(gun: string, set: TrustedSet): Array<BundleFile & { entry: BundleFileEntry }> {
  const out = [fileEntry(gun, 'root', set.root.signed.version, set.root.raw ?? set.root.serialize())];
  if (set.timestamp) out.push(fileEntry(gun, 'timestamp', set.timestamp.signed.version, set.timestamp.raw ?? set.timestamp.serialize()));
  if (set.snapshot) out.push(fileEntry(gun, 'snapshot', set.snapshot.signed.version, set.snapshot.raw ?? set.snapshot.serialize()));
  for (const role of set.targetsRoles()) {
    const md = set.targets(role)!;
    out.push(fileEntry(gun, role, md.signed.version, md.raw ?? md.serialize()));
  }
  return out;
}

export async function exportRepository(gun: string, source: RepositorySource, now: Date): Promise<ExportedRepository> {
  if (source.kind === 'cache' && !(await source.files.read('root', DEFAULT_SIZE_LIMITS.root))) {
    throw new DctError('BUNDLE_NOT_IN_CACHE', `the trust dir holds no cached trust data for ${gun} (looked in ${source.path})`);
  }
  const { updated, asOf } = await verifiedUpdate(gun, source, now);
  const set = updated.trusted;
  const warnings = updated.warnings.filter((w) => w !== CACHED_TIMESTAMP_WARNING);
  const rootBytes = set.root.raw ?? set.root.serialize();
  const current = set.root.signed.version;
  let chain: RootLink[] = [{ version: current, bytes: rootBytes }];
  if (source.kind === 'server') {
    const fetched = await fetchRootChain(source.remote, current, rootBytes);
    chain = fetched.chain;
    if (fetched.missingBelow > 1) {
      warnings.push(`the server does not serve root versions below ${fetched.missingBelow}: the root chain starts there`);
    }
  } else if (current > 1) {
    warnings.push(`a cache keeps only the current root (version ${current}): the bundle cannot prove the rotations before it`);
  }
  verifyRootChain(gun, chain, rootBytes, asOf);
  const files = [...chain.map((l) => fileEntry(gun, 'root', l.version, l.bytes, l.version)), ...verifiedFiles(gun, set)];
  const bundleSource: BundleSource =
    source.kind === 'server'
      ? { kind: 'server', url: source.url }
      : {
          kind: 'cache',
          path: source.path,
          writtenAt: source.writtenAt.toISOString(),
          ageSeconds: Math.max(0, Math.floor((now.getTime() - source.writtenAt.getTime()) / 1000)),
        };
  return {
    repository: {
      gun,
      source: bundleSource,
      verifiedAt: now.toISOString(),
      verifiedAsOf: asOf.toISOString(),
      expired: expiredRoles(set, now),
      roots: chain.map((l) => l.version),
      files: files.map((f) => f.entry),
      tags: tagTableOf(set),
      warnings,
    },
    files: files.map(({ path, bytes }) => ({ path, bytes })),
  };
}
