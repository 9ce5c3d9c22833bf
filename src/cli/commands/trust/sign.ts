/**
 * `dct trust sign IMAGE:TAG [--digest sha256:… --size N] [--local]` — docker's
 * `trust sign` (`C:cli/command/trust/sign.go`, `C:cli/trust/trust_push.go`;
 * spec §7.7) without a docker engine: where docker pushes the local image and
 * signs the pushed manifest, dct signs the manifest the registry holds for the
 * tag (docker registry API v2, anonymous or with the docker config's credentials),
 * or the one named by `--digest` and `--size`.
 *
 * - A tag already released (in `targets` or `targets/releases`) is re-signed as
 *   released into every role the user can sign ("Existing signatures…"), unless
 *   `--local` is given or `--digest` names another manifest.
 * - Otherwise the manifest is signed into every role the user can sign.
 * - A repository without trust data is initialised first: with a registry user
 *   name (docker config) as docker does — signer `targets/<user>` with that user's
 *   key, then the tag goes into targets/releases and targets/<user>; without one
 *   as `docker push` does — the tag goes into `targets`.
 */
import { addToSignableRoles, manifestTarget, releasedTag } from '../../../app/docker-trust/tags.js';
import { stageSigner } from '../../../app/docker-trust/signers.js';
import { signerRole } from '../../../app/docker-trust/roles.js';
import { DctError, isDctError } from '../../../core/errors.js';
import { PublicKey } from '../../../core/keys/public-key.js';
import { createPublicKey } from 'node:crypto';
import { boolFlag, stringFlag, type ParsedArgs } from './args.js';
import { FORMAT_FLAG, formatOf, type TrustCommand } from './common.js';
import { logrusWarning } from '../../docker-trust/go-text.js';
import { openTrustContext, type TrustContext } from './context.js';
import { errorJson, hintFor, notaryErrorMessage } from '../../docker-trust/docker-errors.js';
import { jsonOut, type TrustIo } from '../../docker-trust/io.js';
import { resolveManifest } from './manifest.js';

class Worded extends Error {
  constructor(
    message: string,
    override readonly cause: unknown,
  ) {
    super(message);
  }
}

interface SignResult {
  repository: string;
  tag: string;
  digest: string;
  size: number;
  roles: string[];
  initialized: boolean;
  createdSigner?: string;
  resigned: boolean;
}

export const signCommand: TrustCommand = {
  spec: {
    path: 'trust sign',
    use: 'IMAGE:TAG',
    short: 'Sign an image',
    flags: [
      {
        name: 'local',
        kind: 'bool',
        help: "Sign the given manifest (--digest/--size or the registry's) even if the tag is already signed",
      },
      {
        name: 'digest',
        kind: 'string',
        valueName: 'digest',
        help: "Manifest digest to sign (sha256:…); default: the registry's for the tag",
      },
      { name: 'size', kind: 'string', valueName: 'bytes', help: 'Manifest size in bytes (with --digest)' },
      FORMAT_FLAG,
    ],
    args: { exact: 1 },
  },
  async run(p: ParsedArgs, io: TrustIo): Promise<number> {
    const image = p.args[0] as string;
    let given: { sha256: string; size: number } | undefined;
    try {
      given = manifestFlags(p);
    } catch (err) {
      return reportFailure(io, formatOf(p) === 'json', image, (err as Error).message, err, image);
    }
    return runSign(io, image, { given, local: boolFlag(p, 'local'), json: formatOf(p) === 'json', push: false });
  },
};

/**
 * docker push's signing step (spec §7.10): the pushed digest and size are signed;
 * a repository without trust data is initialised and the tag goes into `targets`.
 */
export function signPushedTag(io: TrustIo, image: string, manifest: { sha256: string; size: number }, json: boolean): Promise<number> {
  return runSign(io, image, { given: manifest, local: true, json, push: true });
}

async function runSign(
  io: TrustIo,
  image: string,
  opts: { given: { sha256: string; size: number } | undefined; local: boolean; json: boolean; push: boolean },
): Promise<number> {
  const { json } = opts;
  const say = (t: string) => void (json ? undefined : io.out(t));
  let ctx: TrustContext;
  try {
    ctx = await openTrustContext(io, image);
  } catch (err) {
    return reportFailure(io, json, image, (err as Error).message, err, image);
  }
  try {
    const { ref } = ctx;
    if (ref.tag === undefined || ref.digest !== undefined) {
      return reportFailure(
        io,
        json,
        image,
        ref.digest !== undefined ? 'cannot use a digest reference for IMAGE:TAG' : `no tag specified for ${image}`,
        undefined,
        image,
      );
    }
    await ctx.clearChangelist();
    const result = await sign(io, ctx, ref.tag, opts.given, opts.local, say, opts.push);
    if (json) jsonOut(io, result);
    return 0;
  } catch (err) {
    return reportFailure(io, json, image, (err as Error).message, err, ctx.gun);
  } finally {
    await ctx.clearChangelist().catch(() => undefined);
    ctx.close();
  }
}

/** A failure as docker prints it (and a hint on a terminal), or as the JSON error document. */
function reportFailure(io: TrustIo, json: boolean, image: string, message: string, err: unknown, gun: string): number {
  const cause = err instanceof Worded ? err.cause : err;
  if (json) jsonOut(io, { image, error: errorJson(cause, message, gun) });
  else {
    io.err(`${message}\n`);
    const hint = io.hints ? hintFor(cause, gun) : undefined;
    if (hint) io.err(`hint: ${hint}\n`);
  }
  return 1;
}

function manifestFlags(p: ParsedArgs): { sha256: string; size: number } | undefined {
  const digest = stringFlag(p, 'digest');
  const size = stringFlag(p, 'size');
  if (digest === undefined && size === undefined) return undefined;
  if (digest === undefined || size === undefined) {
    throw new DctError(
      'INVALID_ARGUMENT',
      "--digest and --size go together: give both (the manifest's sha256 digest and its length in bytes), or neither to read them from the registry",
    );
  }
  const m = /^sha256:([0-9a-f]{64})$/.exec(digest);
  if (!m)
    throw new DctError(
      'INVALID_ARGUMENT',
      `--digest ${JSON.stringify(digest)} is not a sha256 digest: expected sha256: and 64 lower-case hex digits`,
    );
  if (!/^[0-9]+$/.test(size) || !Number.isSafeInteger(Number(size))) {
    throw new DctError('INVALID_ARGUMENT', `--size ${JSON.stringify(size)} is not a size in bytes: expected a whole number`);
  }
  return { sha256: m[1] as string, size: Number(size) };
}

async function sign(
  io: TrustIo,
  ctx: TrustContext,
  tag: string,
  given: { sha256: string; size: number } | undefined,
  local: boolean,
  say: (t: string) => void,
  /** docker push's semantics: a new repository gets the tag in `targets`, no signer is created */
  push = false,
): Promise<SignResult> {
  const { gun, repo } = ctx;
  const image = ctx.original;
  const signed = `${gun}:${tag}`;
  const manifest = async () => given ?? (await resolveManifest(io, ctx));

  let read;
  try {
    read = await repo.read();
  } catch (err) {
    if (!isDctError(err, 'REPOSITORY_NOT_FOUND')) throw new Worded(notaryErrorMessage(gun, err), err);
  }
  if (read) for (const w of read.warnings) io.err(logrusWarning(io.now(), w));

  if (!read) {
    // a repository without trust data
    const m = await manifest();
    const creds = await ctx.credentials();
    const user = creds && 'username' in creds ? creds.username : undefined;
    if (user !== undefined && !push) {
      const created = await initializeWithSigner(ctx, user);
      say(`Created signer: ${user}\n`);
      say(`Finished initializing signed repository for ${image}\n`);
      io.err(`Signing and pushing trust data for local image ${image}, may overwrite remote trust data\n`);
      say('Signing and pushing trust metadata\n');
      const roles = await signIntoSignableRoles(ctx, tag, m, signed);
      say(`Successfully signed ${signed}\n`);
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
    io.err(`Signing and pushing trust data for local image ${image}, may overwrite remote trust data\n`);
    say('Signing and pushing trust metadata\n');
    let draft;
    try {
      draft = (await repo.openDraft()) ?? (await repo.initialize({ serverManagedSnapshot: true }));
    } catch (err) {
      throw new Worded(notaryErrorMessage(gun, err), err);
    }
    say(`Finished initializing "${gun}"\n`);
    try {
      draft.addTarget('targets', tag, manifestTarget(m.sha256, m.size));
      await repo.publish(draft);
    } catch (err) {
      throw new Worded(`failed to sign ${signed}: ${(err as Error).message}`, err);
    }
    say(`Successfully signed ${signed}\n`);
    return { repository: gun, tag, digest: `sha256:${m.sha256}`, size: m.size, roles: ['targets'], initialized: true, resigned: false };
  }

  const released = releasedTag(read.trusted, tag);
  const releasedDigest = released?.meta.hashes['sha256']?.toString('hex');
  if (released && !local && (given === undefined || given.sha256 === releasedDigest)) {
    // docker's signAndPublishToTarget: re-sign what is released
    say(`Signing and pushing trust metadata for ${image}\n`);
    const held = await ctx.heldKeyIds();
    const draft = await openDraftOrFail(ctx);
    let roles: string[];
    try {
      roles = addToSignableRoles(draft, held, tag, released.meta);
      const existing = released.existing;
      say(
        `Existing signatures for tag ${existing?.tag ?? ''} digest ${existing?.digest ?? ''} from:\n${[...(existing?.signers ?? [])].sort().join(', ')}\n`,
      );
      await repo.publish(draft);
    } catch (err) {
      throw new Worded(`failed to sign ${signed}: ${(err as Error).message}`, err);
    }
    say(`Successfully signed ${signed}\n`);
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
  io.err(`Signing and pushing trust data for local image ${image}, may overwrite remote trust data\n`);
  say('Signing and pushing trust metadata\n');
  const roles = await signIntoSignableRoles(ctx, tag, m, signed);
  say(`Successfully signed ${signed}\n`);
  return { repository: gun, tag, digest: `sha256:${m.sha256}`, size: m.size, roles, initialized: false, resigned: false };
}

async function openDraftOrFail(ctx: TrustContext) {
  let draft;
  try {
    draft = await ctx.repo.openDraft();
  } catch (err) {
    throw new Worded(notaryErrorMessage(ctx.gun, err), err);
  }
  if (!draft)
    throw new DctError(
      'REPOSITORY_NOT_FOUND',
      `${ctx.repo.remote?.serverName ?? ctx.server.tlsHost} does not have trust data for ${ctx.gun}`,
    );
  return draft;
}

/** `trust.PushTrustedReference` on an existing repository: every signable role gets the tag. */
async function signIntoSignableRoles(
  ctx: TrustContext,
  tag: string,
  m: { sha256: string; size: number },
  signed: string,
): Promise<string[]> {
  const draft = await openDraftOrFail(ctx);
  try {
    const roles = addToSignableRoles(draft, await ctx.heldKeyIds(), tag, manifestTarget(m.sha256, m.size));
    await ctx.repo.publish(draft);
    return roles;
  } catch (err) {
    throw new Worded(`failed to sign ${signed}: ${(err as Error).message}`, err);
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
      throw new Worded(`could not add signer to repo: ${role.slice('targets/'.length)}: ${(err as Error).message}`, err);
    }
    await ctx.repo.publish(draft);
    return user;
  } catch (err) {
    if (err instanceof Worded) throw err;
    throw new Worded(notaryErrorMessage(ctx.gun, err), err);
  }
}
