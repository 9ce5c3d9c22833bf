/**
 * `dct docker push NAME[:TAG]` (also `image push`) with DOCKER_CONTENT_TRUST on (as docker
 * parses it: set, and not 0/false), as docker CLI 28's trusted push did: docker pushes, then
 * the pushed tag is signed (`signTag` with docker push's semantics: released roles when the
 * repository has them, else `targets`; a repository without trust data is initialised). The
 * manifest signed is the one the registry now holds for the tag (docker signed the digest its
 * engine reported; dct reads it back). No tag (`--all-tags`, or none given): docker's
 * `No tag specified, skipping trust metadata push`. `--disable-content-trust` skips signing.
 */
import { signTag } from '../../../app/docker-trust/sign-tag.js';
import { parseImageReference } from '../../../core/image-reference.js';
import { CliFailure } from '../../cli-failure.js';
import type { TrustIo } from '../../docker-trust/io.js';
import { reportSignFailure, signEventPrinter, signFailure } from '../../docker-trust/sign-output.js';
import { openTrustContext } from '../../docker-trust/trust-context.js';
import { contentTrustEnabled, openRegistry } from '../../registry-access.js';
import { boolFlag, type ParsedCommand } from './docker-args.js';
import type { DockerPlan } from './docker-plan.js';

/** Signs what the registry holds for `image` (NAME:TAG) as docker push's trust step; the exit code. */
async function signPushedTag(io: TrustIo, image: string): Promise<number> {
  const ref = parseImageReference(image);
  let ctx;
  try {
    ctx = await openTrustContext(io, image);
  } catch (err) {
    reportSignFailure(io, false, image, signFailure(err, image, image), image);
    return 1;
  }
  try {
    const { client, repo } = await openRegistry(ref, io.env, (m) => io.err(`${m}\n`));
    let found;
    try {
      found = await client.resolveManifest(repo, ref.tag as string);
    } finally {
      client.close();
    }
    io.out('Signing and pushing trust metadata\n');
    const manifest = { sha256: found.digest.slice('sha256:'.length), size: found.size };
    await signTag(ctx, {
      given: manifest,
      resolveManifest: async () => manifest,
      local: true,
      push: true,
      onEvent: signEventPrinter(io, image, ctx.gun, false),
    });
    return 0;
  } catch (err) {
    reportSignFailure(io, false, image, signFailure(err, image, ctx.gun), ctx.gun);
    return 1;
  } finally {
    ctx.close();
  }
}

/** The push as docker runs it, then its signing (when content trust is on). */
export function planPush(argv: readonly string[], p: ParsedCommand, io: TrustIo): DockerPlan {
  const pass: DockerPlan = { commands: [[...argv]], before: [{}], notes: [], stdin: true };
  const at = p.positionals[0];
  if (at === undefined || !contentTrustEnabled(io.env) || boolFlag(p.flags, 'disable-content-trust')) return pass;
  let ref;
  try {
    ref = parseImageReference(argv[at]!);
  } catch (err) {
    throw new CliFailure((err as Error).message, { exitCode: 1 });
  }
  if (ref.tag === undefined || ref.digest !== undefined || boolFlag(p.flags, 'all-tags')) {
    return {
      ...pass,
      after: {
        line: '# No tag specified, skipping trust metadata push',
        run: async () => {
          io.out('No tag specified, skipping trust metadata push\n');
          return 0;
        },
      },
    };
  }
  const image = argv[at]!;
  return { ...pass, after: { line: `dct trust sign ${image}  # docker push's trust metadata`, run: () => signPushedTag(io, image) } };
}
