/**
 * Publishing a list of changes as notary's `client.publish` does (`N:client/client.go`
 * `publish`, spec §4.7): update for write, initialise the repository on its first
 * publish, apply the changes to the draft, sign and upload, then drop the private keys
 * of base roles a rotation replaced. The changelist itself is the caller's (it clears
 * it after a publish that succeeded).
 */
import type { PublicKey } from '../../core/keys/public-key.js';
import { applyChanges } from './change-applier.js';
import type { NotaryChange } from './notary-change.js';
import type { RepositoryDraft } from './repository-draft.js';
import type { TrustRepository } from './trust-repository.js';

/** What happened on the way, for the front end to word (notary logs them). */
export type PublishEvent =
  /** the draft could not be had (the error is rethrown after this event) */
  | { type: 'update-failed'; error: unknown }
  /** no trust data locally or on the server: the repository is created by this publish */
  | { type: 'initializing'; gun: string }
  /** the applier's notary warnings and errors */
  | { type: 'warning'; message: string }
  | { type: 'error'; message: string };

export interface PublishChangesPorts {
  /** whether the client holds the private key of one of these keys (notary VerifyCanSign) */
  holdsKeyOf(keys: readonly PublicKey[]): Promise<boolean>;
  /** drops the private key of a base role that a rotation replaced (notary removes it) */
  retireKey(keyId: string): Promise<void>;
  onEvent?(event: PublishEvent): void;
}

export async function publishChanges(repo: TrustRepository, changes: readonly NotaryChange[], ports: PublishChangesPorts): Promise<void> {
  const draft = await draftForPublish(repo, ports);
  const { retiredKeyIds } = await applyChanges(draft, changes, {
    holdsKeyOf: (keys) => ports.holdsKeyOf(keys),
    warn: (message) => ports.onEvent?.({ type: 'warning', message }),
    error: (message) => ports.onEvent?.({ type: 'error', message }),
  });
  await repo.publish(draft);
  for (const id of retiredKeyIds) await ports.retireKey(id);
}

async function draftForPublish(repo: TrustRepository, ports: PublishChangesPorts): Promise<RepositoryDraft> {
  let draft: RepositoryDraft | undefined;
  try {
    draft = await repo.openDraft();
  } catch (err) {
    ports.onEvent?.({ type: 'update-failed', error: err });
    throw err;
  }
  if (draft) return draft;
  ports.onEvent?.({ type: 'initializing', gun: repo.gun });
  return repo.initialize({ serverManagedSnapshot: false });
}
