/**
 * Who signs a repository, for `dct policy generate`: read from the trust server as `dct trust
 * inspect` reads it (the client update's verified data), or from a trust bundle
 * (`dct trust export`) verified offline first — only a bundle that verifies is used.
 */
import { DctError, type DctErrorCode } from '../../core/errors.js';
import { parseImageReference } from '../../core/image-reference.js';
import { parseManifest } from '../../core/trust-bundle/manifest.js';
import type { BundleContents } from '../../core/trust-bundle/ports.js';
import { tagTableOf } from '../../core/trust-bundle/tag-table.js';
import type { TrustContext } from '../docker-trust/trust-context.js';
import { verifyBundle } from '../trust-export/verify-bundle.js';
import { signersOfTags, type RepositorySigners } from './generate-policy.js';

/** The signers of the context's repository, from its verified trust data. */
export async function liveRepositorySigners(ctx: TrustContext, onWarning?: (w: string) => void): Promise<RepositorySigners> {
  const read = await ctx.repo.read();
  for (const w of read.warnings) onWarning?.(w);
  return signersOfTags(ctx.gun, `trust server ${ctx.server.url}`, tagTableOf(read.trusted));
}

/**
 * The signers of the bundle's repositories named in `guns` (every one when empty), after
 * the bundle verified offline (a refused repository is an error with its code).
 */
export async function bundleRepositorySigners(
  contents: BundleContents,
  bundleName: string,
  guns: readonly string[],
  now: Date,
): Promise<RepositorySigners[]> {
  const manifest = parseManifest(contents.manifest);
  // IMAGE[:TAG] or a GUN, named as docker names it (`alpine` is docker.io/library/alpine)
  const wanted = guns.length > 0 ? guns.map((g) => parseImageReference(g).name) : manifest.repositories.map((r) => r.gun);
  const missing = wanted.filter((g) => !manifest.repositories.some((r) => r.gun === g));
  if (missing.length > 0) {
    throw new DctError('INVALID_ARGUMENT', `${bundleName} holds no trust data for ${missing.join(', ')}`);
  }
  const verdict = await verifyBundle(contents, { now });
  const out: RepositorySigners[] = [];
  for (const gun of wanted) {
    const v = verdict.repositories.find((r) => r.gun === gun);
    if (!v?.verified)
      throw new DctError((v?.code ?? 'BUNDLE_INVALID') as DctErrorCode, `${bundleName}: ${gun} does not verify: ${v?.message ?? ''}`);
    const repo = manifest.repositories.find((r) => r.gun === gun)!;
    out.push(signersOfTags(gun, `trust bundle ${bundleName}, exported ${manifest.exportedAt}`, repo.tags));
  }
  return out;
}
