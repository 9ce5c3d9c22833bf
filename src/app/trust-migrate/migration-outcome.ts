/** What `dct trust migrate` reports per repository, and the ports one repository's migration works through. */
import type { KeyObject } from 'node:crypto';
import type { KeyRing, RemoteRepository } from '../../core/ports.js';

export interface MigrateRepositoryPorts {
  source: RemoteRepository;
  destination: RemoteRepository;
  /** the trust dir's keys: the root key (and the snapshot key when the client holds it) */
  keyRing: KeyRing;
  now: Date;
  dryRun: boolean;
  /**
   * `--new-root`: the root key the repository gets at the destination (asked for only
   * when one is migrated; its ID is the canonical one, the trust dir's file name)
   */
  newRootKey?: () => Promise<{ keyId: string; privateKey: KeyObject }>;
}

/** `updated`: migrated earlier, then caught up with what the source signed since (catch-up.ts) */
export type MigrationStatus = 'migrated' | 'would-migrate' | 'updated' | 'would-update' | 'skipped' | 'failed';

export interface MigrationOutcome {
  gun: string;
  status: MigrationStatus;
  /** why skipped, or the error of a failure */
  reason?: string;
  code?: string;
  /** the source's root chain (versions) */
  roots: number[];
  tags: number;
  /** the roles whose keys were rotated to the destination's */
  rotated: string[];
  /** the destination's root version after the migration */
  destinationRoot?: number;
  /**
   * under `--new-root`: the destination's root key — `keyId` the private key's (canonical)
   * ID in the trust dir, `rootKeyId` its ID in root.json, the one trust pinning names
   * (both absent on a dry run: the key is made by the run)
   */
  newRoot?: { keyId?: string; rootKeyId?: string };
}

/** What every outcome of a repository carries. */
export type OutcomeBase = Pick<MigrationOutcome, 'gun' | 'roots' | 'tags' | 'rotated'>;
