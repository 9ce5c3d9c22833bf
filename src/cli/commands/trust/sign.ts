/**
 * `dct trust sign IMAGE:TAG [--digest sha256:… --size N] [--local]` — docker's
 * `trust sign` (`C:cli/command/trust/sign.go`, `C:cli/trust/trust_push.go`;
 * spec §7.7) without a docker engine: where docker pushes the local image and
 * signs the pushed manifest, dct signs the manifest the registry holds for the
 * tag (docker registry API v2, anonymous or with the docker config's credentials),
 * or the one named by `--digest` and `--size`.
 *
 * The command parses the flags and prints; what is signed where is the signing
 * use case's decision (`src/app/docker-trust/sign-tag.ts`).
 */
import { signTag, type ManifestInfo } from '../../../app/docker-trust/sign-tag.js';
import { DctError } from '../../../core/errors.js';
import { reportSignFailure, signEventPrinter, signFailure } from '../../docker-trust/sign-output.js';
import { openTrustContext, type TrustContext } from '../../docker-trust/trust-context.js';
import { jsonOut, type TrustIo } from '../../docker-trust/io.js';
import { boolFlag, stringFlag, type ParsedArgs } from './args.js';
import { FORMAT_FLAG, formatOf, type TrustCommand } from './common.js';
import { resolveManifest } from './manifest.js';

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
    const json = formatOf(p) === 'json';
    let given: ManifestInfo | undefined;
    try {
      given = manifestFlags(p);
    } catch (err) {
      return reportSignFailure(io, json, image, signFailure(err, image, image), image);
    }
    let ctx: TrustContext;
    try {
      ctx = await openTrustContext(io, image);
    } catch (err) {
      return reportSignFailure(io, json, image, signFailure(err, image, image), image);
    }
    try {
      const result = await signTag(ctx, {
        ...(given ? { given } : {}),
        resolveManifest: () => resolveManifest(io, ctx),
        local: boolFlag(p, 'local'),
        onEvent: signEventPrinter(io, image, ctx.gun, json),
      });
      if (json) jsonOut(io, result);
      return 0;
    } catch (err) {
      return reportSignFailure(io, json, image, signFailure(err, image, ctx.gun), ctx.gun);
    } finally {
      ctx.close();
    }
  },
};

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
