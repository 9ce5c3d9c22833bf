/**
 * The root chain of a repository (`1.root.json` … current, as notary-server serves
 * `<version>.root.json`): fetched for an export, checked for a bundle. The first root is
 * the anchor (trust on first use, as a client's first contact); every next one must be
 * signed by its predecessor's root keys to threshold and by its own (TrustedSet's
 * rotation rule, each an intermediate step whose expiry does not matter), and the last
 * one must be the repository's current root.
 */
import { DctError, isDctError } from '../../core/errors.js';
import type { RemoteRepository } from '../../core/ports.js';
import { DEFAULT_SIZE_LIMITS, TrustedSet } from '../../core/trust/trusted-set.js';

export interface RootLink {
  version: number;
  bytes: Buffer;
}

function broken(message: string, cause?: unknown): DctError {
  return new DctError('BUNDLE_ROOT_CHAIN_BROKEN', message, cause === undefined ? undefined : { cause });
}

/** The signed version of a root file, unverified ('' when it has none). */
function claimedVersion(bytes: Buffer): number | undefined {
  try {
    const v = (JSON.parse(bytes.toString('utf8')) as { signed?: { version?: unknown } }).signed?.version;
    return typeof v === 'number' && Number.isSafeInteger(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Checks `chain` (ascending) for `gun` as of `asOf` and that it ends at `current`.
 * Throws BUNDLE_ROOT_CHAIN_BROKEN naming the link that fails (the TUF refusal as cause).
 */
export function verifyRootChain(gun: string, chain: readonly RootLink[], current: Buffer, asOf: Date): void {
  if (chain.length === 0) throw broken(`${gun}: the bundle holds no root chain`);
  chain.forEach((link, i) => {
    const previous = chain[i - 1];
    if (previous && link.version !== previous.version + 1) {
      throw broken(
        `${gun}: root version ${previous.version + 1} is missing from the chain (${previous.version} is followed by ${link.version})`,
      );
    }
    const claimed = claimedVersion(link.bytes);
    if (claimed !== link.version) throw broken(`${gun}: ${link.version}.root.json holds root version ${String(claimed)}`);
  });
  const first = chain[0] as RootLink;
  let set: TrustedSet;
  try {
    set = new TrustedSet(first.bytes, { gun, now: asOf, allowExpiredRoot: true });
  } catch (err) {
    throw broken(
      `${gun}: root version ${first.version}, the chain's anchor, is not a valid root: ${(err as Error).message}${codeOf(err)}`,
      err,
    );
  }
  for (const link of chain.slice(1)) {
    try {
      set.updateRoot(link.bytes, { intermediate: true });
    } catch (err) {
      const why =
        isDctError(err, 'ROOT_ROTATION_FAILED') && err.cause instanceof Error
          ? `${err.message} (${err.cause.message})`
          : (err as Error).message;
      throw broken(`${gun}: root version ${link.version} is not signed by root version ${link.version - 1}: ${why}${codeOf(err)}`, err);
    }
  }
  const last = chain[chain.length - 1] as RootLink;
  if (!last.bytes.equals(current)) {
    throw broken(`${gun}: the chain ends at root version ${last.version}, which is not the current root.json`);
  }
}

function codeOf(err: unknown): string {
  return isDctError(err) ? ` [${err.code}]` : '';
}

/**
 * The served chain up to `currentVersion` (whose bytes the caller has): `<v>.root.json`
 * walking down from the current version until the server has no older one. Returns the
 * links ascending and the versions it could not find (a server that pruned old roots).
 */
export async function fetchRootChain(
  remote: RemoteRepository,
  currentVersion: number,
  currentBytes: Buffer,
): Promise<{ chain: RootLink[]; missingBelow: number }> {
  const chain: RootLink[] = [];
  const served = await remote.readRootVersion(currentVersion, DEFAULT_SIZE_LIMITS.root);
  chain.push({ version: currentVersion, bytes: served ?? currentBytes });
  let v = currentVersion - 1;
  for (; v >= 1; v--) {
    const bytes = await remote.readRootVersion(v, DEFAULT_SIZE_LIMITS.root);
    if (!bytes) break;
    chain.unshift({ version: v, bytes });
  }
  return { chain, missingBelow: v + 1 };
}
