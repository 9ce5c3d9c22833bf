/**
 * `dct trust migrate` over a list of repositories: one after another, each on its own
 * (a failure is reported for its repository and the next one goes on), with progress.
 * Resumable by rerunning: what is already at the destination is skipped.
 */
import { isDctError } from '../../core/errors.js';
import type { KeyRing, RemoteRepository } from '../../core/ports.js';
import { migrateRepository, type MigrateRepositoryPorts, type MigrationOutcome } from './migrate-repository.js';

export interface MigrateRepositoriesInput {
  guns: readonly string[];
  source(gun: string): RemoteRepository;
  destination(gun: string): RemoteRepository;
  keyRing: KeyRing;
  now: Date;
  dryRun: boolean;
  /** `--new-root`: the root key repositories get at the destination (new-root.ts) */
  newRootKey?: MigrateRepositoryPorts['newRootKey'];
  onProgress?(gun: string, done: number, total: number): void;
}

export async function migrateRepositories(input: MigrateRepositoriesInput): Promise<MigrationOutcome[]> {
  const out: MigrationOutcome[] = [];
  for (const [i, gun] of input.guns.entries()) {
    input.onProgress?.(gun, i, input.guns.length);
    try {
      out.push(
        await migrateRepository(gun, {
          source: input.source(gun),
          destination: input.destination(gun),
          keyRing: input.keyRing,
          now: input.now,
          dryRun: input.dryRun,
          ...(input.newRootKey ? { newRootKey: input.newRootKey } : {}),
        }),
      );
    } catch (err) {
      out.push({
        gun,
        status: 'failed',
        code: isDctError(err) ? err.code : 'ERROR',
        reason: (err as Error).message,
        roots: [],
        tags: 0,
        rotated: [],
      });
    }
  }
  input.onProgress?.('', input.guns.length, input.guns.length);
  return out;
}
