/**
 * Loads and verifies a whole repository from a metadata source, in notary's
 * order: root, timestamp, snapshot, targets, then delegations breadth-first
 * (children before the rest of the queue). Every byte goes through the trusted set.
 */
import { CoreError, isDctError } from '../core/errors.js';
import type { MetadataSource } from '../core/ports.js';
import type { TrustPinning } from '../core/trust/root-validation.js';
import { DEFAULT_SIZE_LIMITS, TrustedSet } from '../core/trust/trusted-set.js';
import type { VerifiedSignatures } from '../core/tuf/verified-signatures.js';

export interface LoadOptions {
  gun: string;
  now: Date;
  pinning?: TrustPinning;
  minimumVersions?: Record<string, number>;
  /** signatures verified before over exactly the same bytes (a second pass over the same repository) */
  verified?: VerifiedSignatures;
}

export interface LoadedRepository {
  trusted: TrustedSet;
  /** delegations skipped as notary skips them (expired, or signatures below threshold) */
  warnings: string[];
}

export async function loadRepository(source: MetadataSource, options: LoadOptions): Promise<LoadedRepository> {
  const need = async (role: string, max: number, checksum?: string) => {
    const bytes = await source.read(role, max, checksum);
    if (!bytes) throw new CoreError('MISSING_METADATA', `${role} trust data unavailable`);
    return bytes;
  };
  const set = new TrustedSet(await need('root', DEFAULT_SIZE_LIMITS.root), options);
  const timestamp = set.updateTimestamp(await need('timestamp', DEFAULT_SIZE_LIMITS.timestamp));
  const snapPin = timestamp.signed.snapshotMeta;
  const snapshot = set.updateSnapshot(await need('snapshot', snapPin.length, snapPin.hashes['sha256']?.toString('hex')));
  const warnings: string[] = [];
  const queue = ['targets'];
  while (queue.length > 0) {
    const role = queue.shift() as string;
    const pin = snapshot.signed.meta[role];
    if (!pin) continue; // notary skips roles the snapshot does not list
    const bytes = await need(role, pin.length, pin.hashes['sha256']?.toString('hex'));
    try {
      set.updateTargets(bytes, role);
    } catch (err) {
      if (role === 'targets' || !(isDctError(err, 'EXPIRED') || isDctError(err, 'THRESHOLD_NOT_MET'))) throw err;
      warnings.push(`Error getting ${role}: ${(err as Error).message}`);
      continue;
    }
    queue.unshift(...set.childRoles(role).map((c) => c.name));
  }
  return { trusted: set, warnings };
}
