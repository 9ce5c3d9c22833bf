/**
 * Resolving image references through trust data, as docker does for
 * pull/run/create/build (spec §7.10): a tag to its signed digest, a digest to the
 * released tags pointing at it, every released tag. Each repository's trust data
 * is read once per resolver (verified, cached by the host), through the trust
 * data source the caller opens (`open`): a trust context (the CLI's docker config, a
 * server's settings), or a trust bundle (`--trust-bundle`).
 *
 * Failures are `ResolutionFailure`s: the DctError underneath (`cause`), with the
 * GUN when the repository's trust data could not be had or does not sign the
 * reference (a caller words those as docker's `trust.NotaryError` does).
 */
import { DctError } from '../../core/errors.js';
import { parseImageReference, type ImageReference } from '../../core/image-reference.js';
import type { TrustedSet } from '../../core/trust/trusted-set.js';
import { releasedTags, releasedTagsFor, signedTarget, type ReleasedTag, type SignedTarget } from './signed-reference.js';

export class ResolutionFailure extends Error {
  constructor(
    override readonly cause: unknown,
    /** the repository whose trust data failed (absent: the reference itself, or a rule of dct) */
    readonly gun?: string,
    /** the reference being resolved, when known */
    readonly reference?: ImageReference,
  ) {
    super((cause as Error)?.message ?? String(cause));
    this.name = 'ResolutionFailure';
  }

  /** the DctError code underneath ('ERROR' for anything else) */
  get code(): string {
    return this.cause instanceof DctError ? this.cause.code : 'ERROR';
  }
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

/** Where the resolver reads one repository's verified trust data: a trust context (its server), or a trust bundle. */
export interface TrustDataSource {
  repo: { read(): Promise<{ trusted: TrustedSet; warnings: readonly string[] }> };
  close(): void;
}

export interface TrustResolverOptions {
  /** the port: opens the trust data of a GUN */
  open(gun: string): Promise<TrustDataSource>;
  /** warnings of the trust data read (notary's logrus warnings) */
  onWarning?(message: string): void;
}

export class TrustResolver {
  private readonly repos = new Map<string, Promise<TrustedSet>>();
  private readonly contexts: TrustDataSource[] = [];

  constructor(private readonly opts: TrustResolverOptions) {}

  /** The verified trust data of a repository (read once). Throws a ResolutionFailure. */
  trusted(gun: string): Promise<TrustedSet> {
    let p = this.repos.get(gun);
    if (!p) {
      p = this.read(gun);
      this.repos.set(gun, p);
    }
    return p;
  }

  private async read(gun: string): Promise<TrustedSet> {
    let ctx: TrustDataSource;
    try {
      ctx = await this.opts.open(gun);
    } catch (err) {
      throw new ResolutionFailure(err);
    }
    this.contexts.push(ctx);
    try {
      const read = await ctx.repo.read();
      for (const w of read.warnings) this.opts.onWarning?.(w);
      return read.trusted;
    } catch (err) {
      throw new ResolutionFailure(err, gun);
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
      throw new ResolutionFailure(err, ref.name, ref);
    }
    return { ref, tag, digest: `sha256:${t.sha256Hex}`, size: t.size, role: t.role };
  }

  /** The released tags that point at the reference's digest; DIGEST_NOT_SIGNED when none does. */
  async resolveDigest(ref: ImageReference): Promise<Resolved> {
    const digest = ref.digest as string;
    const set = await this.trusted(ref.name);
    let tags: ReleasedTag[];
    try {
      tags = releasedTagsFor(set, digest);
    } catch (err) {
      throw new ResolutionFailure(err, undefined, ref);
    }
    const first = tags[0];
    if (!first) {
      throw new ResolutionFailure(new DctError('DIGEST_NOT_SIGNED', `No signed tag of ${ref.name} points at ${digest}`), undefined, ref);
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
      throw new ResolutionFailure(
        new DctError('INVALID_DIGEST', `${ref.digest} is not a sha256 digest: docker content trust signs sha256 manifest digests`),
        undefined,
        ref,
      );
    }
    if (ref.tag === undefined) return this.resolveDigest(ref);
    const signed = await this.resolveTag(ref);
    if (signed.digest !== ref.digest) {
      throw new ResolutionFailure(
        new DctError(
          'DIGEST_MISMATCH',
          `${ref.digest} is not the signed digest of ${ref.familiarName}:${ref.tag} (signed: ${signed.digest})`,
        ),
        undefined,
        ref,
      );
    }
    return signed;
  }

  /** docker's `pull --all-tags` list: every released tag (NO_SIGNED_TAGS when there is none). */
  async released(ref: ImageReference): Promise<ReleasedTag[]> {
    const set = await this.trusted(ref.name);
    const tags = releasedTags(set);
    if (tags.length === 0) throw new ResolutionFailure(new DctError('NO_SIGNED_TAGS', `No trusted tags for ${ref.name}`), undefined, ref);
    return tags;
  }

  close(): void {
    for (const ctx of this.contexts) ctx.close();
  }
}

/** parseImageReference, its failure as a ResolutionFailure. */
export function parseReference(s: string): ImageReference {
  try {
    return parseImageReference(s);
  } catch (err) {
    throw new ResolutionFailure(err);
  }
}
