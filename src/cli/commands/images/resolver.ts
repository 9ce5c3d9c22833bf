/**
 * Resolving image references through trust data, as docker does for
 * pull/run/create/build (spec §7.10), for `dct verify`, `dct pin` and `dct docker`.
 * Each repository's trust data is read once per command (verified, cached in
 * `$DOCKER_CONFIG/trust/tuf/<gun>` like docker), wired as `dct trust` wires it.
 * Failures carry docker's wording (`trust.NotaryError`).
 */
import { releasedTags, releasedTagsFor, signedTarget, type ReleasedTag, type SignedTarget } from '../../../app/images/signed-reference.js';
import { parseImageReference, type ImageReference } from '../../../core/image-reference.js';
import { DctError, isDctError } from '../../../core/errors.js';
import type { TrustedSet } from '../../../core/trust/trusted-set.js';
import { logrusWarning } from '../../docker-trust/go-text.js';
import { openTrustContext, type TrustContext } from '../../docker-trust/trust-context.js';
import { hintFor, notaryErrorMessage } from '../../docker-trust/docker-errors.js';
import type { TrustIo } from '../../docker-trust/io.js';

/** A failure worded as docker words it; `code` is the underlying DctError code. */
export class TrustFailure extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly hint?: string,
  ) {
    super(message);
  }

  toJSON(): { code: string; message: string; hint?: string } {
    return { code: this.code, message: this.message, ...(this.hint ? { hint: this.hint } : {}) };
  }
}

/** Any error as a TrustFailure (docker's wording for notary errors of `gun`). */
export function asTrustFailure(err: unknown, gun?: string): TrustFailure {
  if (err instanceof TrustFailure) return err;
  const code = isDctError(err) ? err.code : 'ERROR';
  const message = gun !== undefined ? notaryErrorMessage(gun, err) : ((err as Error)?.message ?? String(err));
  return new TrustFailure(message, code, gun !== undefined ? hintFor(err, gun) : undefined);
}

/** What a reference resolved to. */
export interface Resolved {
  ref: ImageReference;
  /** the tag looked up (`latest` when none was written); undefined for a reference by digest */
  tag?: string;
  /** `sha256:<hex>` */
  digest: string;
  size: number;
  /** the role that signs it: `targets/releases` or `targets` */
  role: string;
  /** for a reference by digest: the released tags that point at it */
  tags?: string[];
}

export class TrustResolver {
  private readonly repos = new Map<string, Promise<TrustedSet>>();
  private readonly contexts: TrustContext[] = [];

  constructor(private readonly io: TrustIo) {}

  /** The verified trust data of a repository (read once). Throws a TrustFailure. */
  trusted(gun: string): Promise<TrustedSet> {
    let p = this.repos.get(gun);
    if (!p) {
      p = this.read(gun);
      this.repos.set(gun, p);
    }
    return p;
  }

  private async read(gun: string): Promise<TrustedSet> {
    let ctx: TrustContext;
    try {
      ctx = await openTrustContext(this.io, gun);
    } catch (err) {
      throw asTrustFailure(err);
    }
    this.contexts.push(ctx);
    try {
      const read = await ctx.repo.read();
      for (const w of read.warnings) this.io.err(logrusWarning(this.io.now(), w));
      return read.trusted;
    } catch (err) {
      throw asTrustFailure(err, gun);
    }
  }

  /** docker's `TrustedReference`: a tag (default `latest`) to its signed digest. */
  async resolveTag(ref: ImageReference): Promise<Resolved & { tag: string }> {
    const tagged = ref.withDefaultTag();
    const tag = tagged.tag ?? 'latest';
    const set = await this.trusted(ref.name);
    let t: SignedTarget;
    try {
      t = signedTarget(set, tag);
    } catch (err) {
      throw asTrustFailure(err, ref.name);
    }
    return { ref, tag, digest: `sha256:${t.sha256Hex}`, size: t.size, role: t.role };
  }

  /** The released tags that point at the reference's digest; a TrustFailure when none does. */
  async resolveDigest(ref: ImageReference): Promise<Resolved> {
    const digest = ref.digest as string;
    const set = await this.trusted(ref.name);
    let tags: ReleasedTag[];
    try {
      tags = releasedTagsFor(set, digest);
    } catch (err) {
      throw asTrustFailure(err);
    }
    const first = tags[0];
    if (!first) {
      throw new TrustFailure(
        `No signed tag of ${ref.name} points at ${digest}`,
        'DIGEST_NOT_SIGNED',
        `sign a tag for it with \`dct trust sign ${ref.familiarName}:<tag>\`, or pin a signed tag (\`dct verify ${ref.familiarName}:<tag>\`)`,
      );
    }
    return { ref, digest, size: first.size, role: first.role, tags: tags.map((t) => t.tag) };
  }

  /**
   * A reference as `dct verify` judges it: a tag is resolved; a digest must be
   * pointed at by a released tag; `name:tag@digest` must be that tag's signed digest.
   */
  async verify(ref: ImageReference): Promise<Resolved> {
    if (ref.digest === undefined) return this.resolveTag(ref);
    if (!ref.digest.startsWith('sha256:')) {
      throw new TrustFailure(`${ref.digest} is not a sha256 digest: docker content trust signs sha256 manifest digests`, 'INVALID_DIGEST');
    }
    if (ref.tag === undefined) return this.resolveDigest(ref);
    const signed = await this.resolveTag(ref);
    if (signed.digest !== ref.digest) {
      throw new TrustFailure(
        `${ref.digest} is not the signed digest of ${ref.familiarName}:${ref.tag} (signed: ${signed.digest})`,
        'DIGEST_MISMATCH',
      );
    }
    return signed;
  }

  /** docker's `pull --all-tags` list: every released tag. */
  async released(ref: ImageReference): Promise<ReleasedTag[]> {
    const set = await this.trusted(ref.name);
    const tags = releasedTags(set);
    if (tags.length === 0)
      throw new TrustFailure(`No trusted tags for ${ref.name}`, 'NO_SIGNED_TAGS', hintFor(new DctError('NO_SIGNED_TAGS', ''), ref.name));
    return tags;
  }

  close(): void {
    for (const ctx of this.contexts) ctx.close();
  }
}

/** parseImageReference, its failure as a TrustFailure. */
export function parseReference(s: string): ImageReference {
  try {
    return parseImageReference(s);
  } catch (err) {
    throw asTrustFailure(err);
  }
}
