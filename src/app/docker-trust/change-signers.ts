/**
 * Adding and removing signers as docker's `trust signer add|remove` do
 * (`C:cli/command/trust/signer_add.go`, `signer_remove.go`; spec §7.5, §7.6):
 * `addSigner` initialises a repository without trust data first, then stages
 * `targets/<name>` (and the keys into targets/releases) and publishes;
 * `removeSigner` takes the signer out — after asking, through `confirm`, when it
 * signed the last released version.
 *
 * Failures of a step are `SignerChangeFailure`s (the caller words them, e.g. as
 * docker does); anything else is thrown as it is.
 */
import { DctError } from '../../core/errors.js';
import type { PublicKey } from '../../core/keys/public-key.js';
import type { RepositoryDraft } from '../client/repository-draft.js';
import { repositoryNotFound } from '../client/update-repository.js';
import { rolesWithSignatures } from './inspect.js';
import { planSignerRemoval, stageSigner, unstageSigner } from './signers.js';
import type { TrustContext } from './trust-context.js';

/** What failed: opening or initialising the repository, staging the signer, or reading the signers (remove). */
export type SignerChangeStep = 'initialize' | 'add-signer' | 'read-signers';

export class SignerChangeFailure extends Error {
  constructor(
    readonly step: SignerChangeStep,
    override readonly cause: unknown,
  ) {
    super((cause as Error)?.message ?? String(cause));
    this.name = 'SignerChangeFailure';
  }
}

export type AddSignerEvent = { type: 'initializing' } | { type: 'initialized' };

/** docker's `addSignerToRepo`; true when the repository had to be initialised. */
export async function addSigner(
  ctx: TrustContext,
  name: string,
  keys: readonly PublicKey[],
  opts: { onEvent?(event: AddSignerEvent): void } = {},
): Promise<boolean> {
  let draft: RepositoryDraft | undefined;
  try {
    draft = await ctx.repo.openDraft();
  } catch (err) {
    throw new SignerChangeFailure('initialize', err);
  }
  let initialized = false;
  if (!draft || draft.initialPublish) {
    opts.onEvent?.({ type: 'initializing' });
    try {
      if (!draft) {
        const created = await ctx.repo.initialize({ serverManagedSnapshot: true });
        // docker's Publish updates first (asking for the root.json the server has not got yet), then
        // publishes what Initialize cached: the same requests, the same draft
        draft = (await ctx.repo.openDraft()) ?? created;
      }
    } catch (err) {
      throw new SignerChangeFailure('initialize', err);
    }
    opts.onEvent?.({ type: 'initialized' });
    initialized = true;
  }
  try {
    stageSigner(draft, name, keys);
  } catch (err) {
    throw new SignerChangeFailure('add-signer', err);
  }
  await ctx.repo.publish(draft);
  return initialized;
}

export interface RemoveSignerOptions {
  /** asked when the signer signed the last released version (removing it leaves the repository unpullable); not asked with `force` */
  confirmLastSigner(): Promise<boolean>;
  force?: boolean;
  onWarning?(message: string): void;
}

/** docker's `removeSingleSigner`, with the removal it means to do; false when the removal was not confirmed. */
export async function removeSigner(ctx: TrustContext, name: string, opts: RemoveSignerOptions): Promise<boolean> {
  if (name === 'releases') throw new DctError('RESERVED_SIGNER', 'releases is a reserved keyword and cannot be removed');
  let read;
  try {
    read = await ctx.repo.read();
  } catch (err) {
    throw new SignerChangeFailure('read-signers', err);
  }
  for (const w of read.warnings) opts.onWarning?.(w);
  const draft = await ctx.repo.openDraft();
  if (!draft) throw new SignerChangeFailure('read-signers', repositoryNotFound(ctx.repo.remote?.serverName ?? ctx.server.tlsHost, ctx.gun));
  const removal = planSignerRemoval(draft, rolesWithSignatures(read.trusted), name, ctx.original);
  if (removal.isLastSigner && !opts.force && !(await opts.confirmLastSigner())) return false;
  unstageSigner(draft, removal);
  await ctx.repo.publish(draft);
  return true;
}
