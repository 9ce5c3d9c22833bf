/**
 * What `dct trust migrate` reads of one repository, with the client's own update
 * (update-repository.ts, the rules of every read): the source's verified trust data with
 * its root chain (`<v>.root.json`), and the destination's as a client that trusts the
 * source's root sees it — its cache seeded with that root — so that a destination that
 * does not continue the source's root is refused as that client would refuse it.
 */
import { createHash } from 'node:crypto';
import { DctError, isDctError } from '../../core/errors.js';
import type { RemoteRepository, RoleFile } from '../../core/ports.js';
import { tagTableOf } from '../../core/trust-bundle/tag-table.js';
import type { TrustPinning } from '../../core/trust/root-validation.js';
import { DEFAULT_SIZE_LIMITS, type TrustedSet } from '../../core/trust/trusted-set.js';
import { isUnreachable, updateRepository } from '../client/update-repository.js';
import { fetchRootChain, verifyRootChain, type RootLink } from '../trust-export/root-chain.js';
import { MemoryCache } from '../trust-export/memory-cache.js';

export interface SourceState {
  set: TrustedSet;
  /** the root chain, ascending, ending at the current root */
  chain: RootLink[];
  /** root, timestamp, snapshot and every targets role, as served */
  files: RoleFile[];
  /** targets and delegations, parents first */
  targetsFiles: RoleFile[];
}

function raw(md: { raw?: Buffer; serialize(): Buffer }): Buffer {
  return md.raw ?? md.serialize();
}

function targetsFilesOf(set: TrustedSet): RoleFile[] {
  const roles = [...set.targetsRoles()].sort((a, b) => a.split('/').length - b.split('/').length || (a < b ? -1 : a > b ? 1 : 0));
  return roles.map((role) => ({ role, bytes: raw(set.targets(role)!) }));
}

export async function readSource(gun: string, source: RemoteRepository, now: Date): Promise<SourceState> {
  const { trusted: set } = await updateRepository({ gun, now, cache: new MemoryCache(), remote: source });
  const rootBytes = raw(set.root);
  const { chain } = await fetchRootChain(source, set.root.signed.version, rootBytes);
  verifyRootChain(gun, chain, rootBytes, now);
  const targetsFiles = targetsFilesOf(set);
  const files: RoleFile[] = [{ role: 'root', bytes: rootBytes }, ...targetsFiles];
  if (set.snapshot) files.push({ role: 'snapshot', bytes: raw(set.snapshot) });
  if (set.timestamp) files.push({ role: 'timestamp', bytes: raw(set.timestamp) });
  return { set, chain, files, targetsFiles };
}

/** The destination's verified data as a client holding the source's files reads it; undefined when it has none. */
export function readDestination(
  gun: string,
  destination: RemoteRepository,
  source: SourceState,
  now: Date,
): Promise<TrustedSet | undefined> {
  // the source's root only: its other files may be newer than the destination's (a catch-up), not a rollback
  const root = source.files.find((f) => f.role === 'root');
  return readTrusting(gun, destination, now, root ? { root: root.bytes } : {});
}

/**
 * The destination's verified data as a client reads it that trusts `root` (its cache
 * seeded with it), or, without one, on first contact (trust pinning, else trust on
 * first use); undefined when the destination has no such repository.
 */
export async function readTrusting(
  gun: string,
  destination: RemoteRepository,
  now: Date,
  trust: { root?: Buffer; pinning?: TrustPinning },
): Promise<TrustedSet | undefined> {
  // a client with a cache falls back to it when the server has nothing: ask the server first
  if (!(await destination.read('timestamp', DEFAULT_SIZE_LIMITS.timestamp))) return undefined;
  try {
    const cache = new MemoryCache(undefined, trust.root ? [{ role: 'root', bytes: trust.root }] : []);
    const updated = await updateRepository({ gun, now, cache, remote: destination, ...(trust.pinning ? { pinning: trust.pinning } : {}) });
    if (updated.offline) throw new DctError('OFFLINE', `${destination.serverName} could not be read`);
    return updated.trusted;
  } catch (err) {
    if (isDctError(err, 'REPOSITORY_NOT_FOUND')) return undefined;
    throw err;
  }
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Whether both sides sign the same targets: every targets role byte for byte, and the same tag table. */
export function sameTargets(a: TrustedSet, b: TrustedSet): boolean {
  const files = (s: TrustedSet) =>
    targetsFilesOf(s)
      .map((f) => `${f.role}=${sha256(f.bytes)}`)
      .join('\n');
  return files(a) === files(b) && JSON.stringify(tagTableOf(a)) === JSON.stringify(tagTableOf(b));
}

/**
 * The destination's data before a migration; what a client refuses there is a conflict,
 * a destination that is down is not (a rerun finishes).
 */
export async function readExisting(gun: string, read: () => Promise<TrustedSet | undefined>, hint = ''): Promise<TrustedSet | undefined> {
  try {
    return await read();
  } catch (err) {
    if (isUnreachable(err)) throw err;
    const why = `${(err as Error).message}${isDctError(err) ? ` [${err.code}]` : ''}`;
    throw new DctError('MIGRATE_CONFLICT', `${gun}: the destination holds trust data a client of the source refuses: ${why}${hint}`, {
      cause: err,
    });
  }
}

/** The destination after a publish, read again: it must sign the source's targets. */
export async function verifiedAfter(gun: string, state: SourceState, read: () => Promise<TrustedSet | undefined>): Promise<TrustedSet> {
  const after = await read().catch((err: unknown) => {
    throw new DctError('MIGRATE_VERIFY_FAILED', `${gun}: the destination does not read back: ${(err as Error).message}`, { cause: err });
  });
  if (!after || !sameTargets(after, state.set)) {
    throw new DctError('MIGRATE_VERIFY_FAILED', `${gun}: the destination does not serve the source's targets after the publish`);
  }
  return after;
}
