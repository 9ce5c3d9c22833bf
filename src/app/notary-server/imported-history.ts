/**
 * A first publish that carries a repository's history (`dct trust migrate`, dct's own
 * extension of the atomic update; notary clients never send it): earlier root versions
 * as repeated `root` parts, oldest first, before the current one, and the previous
 * server's `timestamp.json`. With no root stored yet, the chain is checked as a client
 * walks it (each version signed by its predecessor's root keys and by its own) and
 * stored, so `<v>.root.json` keeps being served; the first timestamp and snapshot the
 * server signs continue the old version numbers, so that clients holding the old
 * (higher) versions in their cache do not see a rollback. Without history, or once a
 * root is stored, notary's meaning stays: the last root part wins, a timestamp part is
 * ignored.
 */
import type { FileUpdate } from '../../core/ports.js';
import { parseMetadata } from '../../core/tuf/metadata.js';
import type { Root } from '../../core/tuf/root.js';
import { verifyRootChain } from '../trust-export/root-chain.js';
import { badRoot } from './update-errors.js';

export interface HistoryPart {
  data: Buffer;
  version: number;
}

/** Highest version a carried-over timestamp may set as the floor (far below what storage refuses). */
const MAX_FLOOR = 2 ** 31;

/**
 * The earlier roots of a first publish, checked: the root the uploaded current one
 * must rotate from (`previous`) and the files to store before it.
 */
export function importedRootHistory(
  gun: string,
  now: Date,
  history: readonly HistoryPart[],
  current: HistoryPart,
): { previous: Root | undefined; files: FileUpdate[] } {
  // a root sent twice (not history) keeps notary's meaning: the last one wins
  const earlier = history.filter((p) => p.version < current.version);
  if (earlier.length === 0) return { previous: undefined, files: [] };
  const chain = [...earlier, current];
  try {
    verifyRootChain(
      gun,
      chain.map((p) => ({ version: p.version, bytes: p.data })),
      current.data,
      now,
    );
  } catch (err) {
    throw badRoot(`the root history of the update does not verify: ${(err as Error).message}`, err);
  }
  const last = earlier[earlier.length - 1] as HistoryPart;
  const previous = parseMetadata(last.data, 'root').signed;
  return { previous, files: earlier.map((p) => ({ role: 'root', version: p.version, data: p.data })) };
}

/** The version the first server timestamp (and server snapshot) continues from: the carried-over timestamp's, bounded. */
export function versionFloor(carried: HistoryPart | undefined): number {
  if (!carried || carried.version < 1) return 0;
  return Math.min(carried.version, MAX_FLOOR);
}
