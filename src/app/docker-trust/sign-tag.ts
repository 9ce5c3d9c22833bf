/**
 * Signing a tag as docker does (`C:cli/command/trust/sign.go`, `C:cli/trust/trust_push.go`;
 * spec §7.7, §7.10), without a docker engine: where docker pushes the local image and
 * signs the pushed manifest, the caller names the manifest (`given`) or resolves it
 * (`resolveManifest`, e.g. the registry's manifest for the tag).
 *
 * - A tag already released (in `targets` or `targets/releases`) is re-signed as
 *   released into every role the user can sign ("Existing signatures…"), unless
 *   `local` is set or `given` names another manifest.
 * - Otherwise the manifest is signed into every role the user can sign.
 * - A repository without trust data is initialised first: with a registry user
 *   name (docker config) as `docker trust sign` does — signer `targets/<user>` with
 *   that user's key, then the tag goes into targets/releases and targets/<user>; with
 *   `push` (or without a user name) as `docker push` does — the tag goes into `targets`.
 *
 * Progress and warnings are reported as events; failures of a step are `SignFailure`s
 * (the caller words them, e.g. as docker does), anything else is thrown as it is.
 */
import { createPublicKey } from 'node:crypto';
import { DctError, isDctError } from '../../core/errors.js';
import { PublicKey } from '../../core/keys/public-key.js';
import type { RepositoryDraft } from '../client/repository-draft.js';
import { signerRole } from './roles.js';
import { stageSigner } from './signers.js';
import { addToSignableRoles, manifestTarget, releasedTag } from './tags.js';
import type { TrustContext } from './trust-context.js';

export interface ManifestInfo {
  /** hex sha256 of the manifest bytes */
  sha256: string;
  size: number;
}

export interface SignedTag {
  repository: string;
  tag: string;
  digest: string;
  size: number;
  roles: string[];
  initialized: boolean;
  createdSigner?: string;
  resigned: boolean;
}

export type SignEvent =
  /** a warning of the trust data read (notary's logrus warnings) */
  | { type: 'warning'; message: string }
  /** a new repository got signer `targets/<signer>` */
  | { type: 'signer-created'; signer: string }
  /** the repository was initialised: with a signer (`docker trust sign`), or bare (`docker push`) */
  | { type: 'initialized'; withSigner: boolean }
  /** about to sign and publish the manifest */
  | { type: 'signing' }
  /** about to re-sign the released tag */
  | { type: 'resigning' }
  /** who signed the released tag being re-signed */
  | { type: 'existing-signatures'; tag: string; digest: string; signers: string[] }
  | { type: 'signed'; reference: string };

/**
 * What failed: the reference (`no-tag`, `digest-reference`), reading the trust data
 * (`read`), opening or initialising the repository (`initialize`), adding the signer
 * of a new repository (`add-signer`), or signing and publishing (`publish`).
 */
export type SignStep = 'no-tag' | 'digest-reference' | 'read' | 'initialize' | 'add-signer' | 'publish';

export class SignFailure extends Error {
  constructor(
    readonly step: SignStep,
    override readonly cause: unknown,
    /** `add-signer`: the signer's name; `publish`: the reference signed (`<gun>:<tag>`) */
    readonly subject?: string,
  ) {
    super(cause instanceof Error ? cause.message : step);
    this.name = 'SignFailure';
  }
}

export interface SignTagOptions {
  /** the manifest to sign; without it `resolveManifest` is asked */
  given?: ManifestInfo;
  /** the port to the registry: the manifest the tag names there */
  resolveManifest(): Promise<ManifestInfo>;
  /** sign `given` (or the registry's manifest) even if the tag is already released */
  local?: boolean;
  /** docker push's semantics: a new repository gets the tag in `targets`, no signer is created */
  push?: boolean;
  onEvent?(event: SignEvent): void;
}

/** Signs the tag of `ctx.ref`; the changelist is cleared before and after, as docker does. */
export async function signTag(ctx: TrustContext, opts: SignTagOptions): Promise<SignedTag> {
  const { ref } = ctx;
  if (ref.digest !== undefined) throw new SignFailure('digest-reference', undefined);
  if (ref.tag === undefined) throw new SignFailure('no-tag', undefined);
  await ctx.clearChangelist();
  try {
    return await sign(ctx, ref.tag, opts);
  } finally {
    await ctx.clearChangelist().catch(() => undefined);
  }
}

async function sign(ctx: TrustContext, tag: string, opts: SignTagOptions): Promise<SignedTag> {
  const { gun, repo } = ctx;
  const { given } = opts;
  const emit = (e: SignEvent) => opts.onEvent?.(e);
  const signed = `${gun}:${tag}`;
  const manifest = async () => given ?? (await opts.resolveManifest());

  let read;
  try {
    read = await repo.read();
  } catch (err) {
    if (!isDctError(err, 'REPOSITORY_NOT_FOUND')) throw new SignFailure('read', err);
  }
  if (read) for (const w of read.warnings) emit({ type: 'warning', message: w });

  if (!read) {
    // a repository without trust data
    const m = await manifest();
    const creds = await ctx.credentials();
    const user = creds && 'username' in creds ? creds.username : undefined;
    if (user !== undefined && !opts.push) {
      const created = await initializeWithSigner(ctx, user);
      emit({ type: 'signer-created', signer: user });
      emit({ type: 'initialized', withSigner: true });
      emit({ type: 'signing' });
      const roles = await signIntoSignableRoles(ctx, tag, m);
      emit({ type: 'signed', reference: signed });
      return {
        repository: gun,
        tag,
        digest: `sha256:${m.sha256}`,
        size: m.size,
        roles,
        initialized: true,
        createdSigner: created,
        resigned: false,
      };
    }
    emit({ type: 'signing' });
    let draft;
    try {
      draft = (await repo.openDraft()) ?? (await repo.initialize({ serverManagedSnapshot: true }));
    } catch (err) {
      throw new SignFailure('initialize', err);
    }
    emit({ type: 'initialized', withSigner: false });
    try {
      draft.addTarget('targets', tag, manifestTarget(m.sha256, m.size));
      await repo.publish(draft);
    } catch (err) {
      throw new SignFailure('publish', err, signed);
    }
    emit({ type: 'signed', reference: signed });
    return { repository: gun, tag, digest: `sha256:${m.sha256}`, size: m.size, roles: ['targets'], initialized: true, resigned: false };
  }

  const released = releasedTag(read.trusted, tag);
  const releasedDigest = released?.meta.hashes['sha256']?.toString('hex');
  if (released && !opts.local && (given === undefined || given.sha256 === releasedDigest)) {
    // docker's signAndPublishToTarget: re-sign what is released
    emit({ type: 'resigning' });
    const held = await ctx.heldKeyIds();
    const draft = await openDraftOrFail(ctx);
    let roles: string[];
    try {
      roles = addToSignableRoles(draft, held, tag, released.meta);
      const existing = released.existing;
      emit({
        type: 'existing-signatures',
        tag: existing?.tag ?? '',
        digest: existing?.digest ?? '',
        signers: [...(existing?.signers ?? [])].sort(),
      });
      await repo.publish(draft);
    } catch (err) {
      throw new SignFailure('publish', err, signed);
    }
    emit({ type: 'signed', reference: signed });
    return {
      repository: gun,
      tag,
      digest: `sha256:${releasedDigest ?? ''}`,
      size: released.meta.length,
      roles,
      initialized: false,
      resigned: true,
    };
  }

  const m = await manifest();
  emit({ type: 'signing' });
  const roles = await signIntoSignableRoles(ctx, tag, m);
  emit({ type: 'signed', reference: signed });
  return { repository: gun, tag, digest: `sha256:${m.sha256}`, size: m.size, roles, initialized: false, resigned: false };
}

async function openDraftOrFail(ctx: TrustContext): Promise<RepositoryDraft> {
  let draft;
  try {
    draft = await ctx.repo.openDraft();
  } catch (err) {
    throw new SignFailure('initialize', err);
  }
  if (!draft)
    throw new DctError(
      'REPOSITORY_NOT_FOUND',
      `${ctx.repo.remote?.serverName ?? ctx.server.tlsHost} does not have trust data for ${ctx.gun}`,
    );
  return draft;
}

/** `trust.PushTrustedReference` on an existing repository: every signable role gets the tag. */
async function signIntoSignableRoles(ctx: TrustContext, tag: string, m: ManifestInfo): Promise<string[]> {
  const signed = `${ctx.gun}:${tag}`;
  const draft = await openDraftOrFail(ctx);
  try {
    const roles = addToSignableRoles(draft, await ctx.heldKeyIds(), tag, manifestTarget(m.sha256, m.size));
    await ctx.repo.publish(draft);
    return roles;
  } catch (err) {
    throw new SignFailure('publish', err, signed);
  }
}

/** docker's `initNotaryRepoWithSigners`: initialise, add signer `targets/<user>` with the user's key, publish. */
async function initializeWithSigner(ctx: TrustContext, user: string): Promise<string> {
  const role = signerRole(user);
  try {
    const draft = (await ctx.repo.openDraft()) ?? (await ctx.repo.initialize({ serverManagedSnapshot: true }));
    // the user's key: the first key stored with role <user>, else a new one
    const held = (await ctx.repo.keyRing.list())
      .filter((k) => k.role === user)
      .map((k) => k.keyId)
      .sort();
    let key: PublicKey | undefined;
    if (held[0]) key = await ctx.repo.publicKeyOf(held[0]);
    if (!key) key = PublicKey.fromKeyObject(createPublicKey((await ctx.repo.keyRing.generate(user)).privateKey));
    try {
      stageSigner(draft, user, [key]);
    } catch (err) {
      throw new SignFailure('add-signer', err, role.slice('targets/'.length));
    }
    await ctx.repo.publish(draft);
    return user;
  } catch (err) {
    if (err instanceof SignFailure) throw err;
    throw new SignFailure('initialize', err);
  }
}
