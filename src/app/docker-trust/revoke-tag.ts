/**
 * Revoking trust as docker's `trust revoke` does (`C:cli/command/trust/revoke.go`,
 * spec §7.8): the tag — or, without one, every released tag — is taken out of
 * every role the user can sign, and published. The changelist is cleared before
 * and after, as docker does.
 */
import { DctError } from '../../core/errors.js';
import { revokeTags } from './tags.js';
import type { TrustContext } from './trust-context.js';

export interface RevokeOptions {
  /** the tag; undefined: every released tag */
  tag: string | undefined;
  /** warnings of the trust data read (notary's logrus warnings) */
  onWarning?(message: string): void;
}

/** Returns the tags revoked. */
export async function revokeTag(ctx: TrustContext, opts: RevokeOptions): Promise<string[]> {
  await ctx.clearChangelist();
  try {
    const read = await ctx.repo.read();
    for (const w of read.warnings) opts.onWarning?.(w);
    const draft = await ctx.repo.openDraft();
    if (!draft) throw new DctError('REPOSITORY_NOT_FOUND', `${ctx.repo.remote?.serverName ?? ''} does not have trust data for ${ctx.gun}`);
    const tags = revokeTags(read.trusted, draft, await ctx.heldKeyIds(), opts.tag);
    await ctx.repo.publish(draft);
    return tags;
  } finally {
    await ctx.clearChangelist().catch(() => undefined);
  }
}
