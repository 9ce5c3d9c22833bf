/**
 * `dct pull IMAGE[:TAG|@DIGEST] [--output DIR | --docker-archive FILE] [--platform P]`.
 *
 * With DOCKER_CONTENT_TRUST=1 a tag is resolved through verified trust data to a
 * digest and size (docker's `Pull (1 of 1): NAME:TAG@sha256:…`), and the manifest
 * is fetched by that digest and checked against both before any layer is fetched;
 * unsigned tags and missing trust data fail with docker's messages. A pull by
 * digest needs no trust data, as in docker. Layers are checked as they arrive,
 * an interrupted pull continues where it stopped, and the output lists the image
 * only when it is complete (the OCI layout's index.json; the archive is renamed
 * into place at the end).
 *
 * With `--policy FILE` (or DCT_POLICY) the trust policy decides instead of DCT alone
 * (`policy-enforcement.ts`): an allowed image is pulled by exactly the digest decided
 * about (checked before any blob is fetched); a denied one is refused (POLICY_DENIED,
 * the reasons) before anything is written. `--audit` records the decision.
 */
import type { Command } from 'commander';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { archiveImagesFromLayout, writeDockerArchive } from '../../adapters/image-layout/docker-archive-writer.js';
import { OciLayout } from '../../adapters/image-layout/oci-layout.js';
import { pullImage, type PulledImage } from '../../app/images/pull-image.js';
import { DctError } from '../../core/errors.js';
import { parseImageReference } from '../../core/image-reference.js';
import { formatPlatform, parsePlatform, platformOfNode } from '../../core/oci/platform.js';
import { ResolutionFailure } from '../../app/images/trust-resolver.js';
import { CliFailure } from '../cli-failure.js';
import { failureJson, resolutionFailure, trustResolver } from '../docker-trust/trust-resolution.js';
import { parseFormat } from '../output.js';
import { ProgressBoard } from '../progress.js';
import { contentTrustEnabled, openRegistry } from '../registry-access.js';
import { processIo, type TrustIo } from '../docker-trust/io.js';
import { TRUST_BUNDLE_ENV, trustBundlePath, withTrustBundle } from '../docker-trust/trust-data.js';
import { AUDIT_ENV, decisionLine, deniedFailure, POLICY_ENV, PolicyEnforcement, withEnforcement } from '../policy-enforcement.js';

export interface PullOptions {
  output?: string;
  dockerArchive?: string;
  platform?: string;
  allPlatforms?: boolean;
  disableContentTrust?: boolean;
  format: string;
  policy?: string;
  audit?: string;
  trustedRoot?: string;
  trustBundle?: string;
}

/** `dct pull IMAGE`; returns the exit code (failures it printed itself), throws the others. */
export async function runPull(image: string, opts: PullOptions, given: TrustIo): Promise<number> {
  const io = withTrustBundle(given, opts.trustBundle);
  const format = parseFormat(opts.format);
  const say = (t: string) => void (format === 'table' ? io.out(t) : undefined);
  if (opts.output && opts.dockerArchive)
    throw new DctError('INVALID_ARGUMENT', '--output and --docker-archive exclude each other: give one');
  if (opts.dockerArchive && opts.allPlatforms)
    throw new DctError('INVALID_ARGUMENT', '--all-platforms needs an OCI layout (--output): a docker archive holds one platform');
  if (opts.disableContentTrust && opts.trustBundle !== undefined)
    throw new DctError('INVALID_ARGUMENT', '--trust-bundle verifies the tag and --disable-content-trust skips that: give one');
  let ref = parseImageReference(image);
  if (ref.tag === undefined && ref.digest === undefined) {
    say('Using default tag: latest\n');
    ref = ref.withDefaultTag();
  }
  const platform = opts.platform ? parsePlatform(opts.platform) : platformOfNode('linux', process.arch);
  const enforcement = await PolicyEnforcement.open(io, 'pull', opts, { command: 'dct pull' });
  // a trust bundle (flag or DCT_TRUST_BUNDLE) is a trust source asked for: the tag is verified with it
  const trustOn = contentTrustEnabled(io.env) || trustBundlePath(io) !== undefined;
  const trusted = !enforcement && !opts.disableContentTrust && trustOn && ref.digest === undefined;
  const refuse = (error: { code: string; message: string; hint?: string }, extra: Record<string, unknown> = {}): number => {
    if (format === 'json') io.out(JSON.stringify({ image, error, ...extra }, null, 2) + '\n');
    else io.err(`${error.message}${enforcement ? ` [${error.code}]` : ''}\n`);
    return 1;
  };

  // the policy (or trust) first: nothing is fetched from the registry for a refused image
  let signed: { digest: string; size: number } | undefined;
  let decided: string | undefined;
  let policy: { rule: string | null; verdict: string; mode: string } | undefined;
  if (enforcement) {
    const { decision, admitted } = await withEnforcement(enforcement, () => enforcement.decide(image));
    policy = { rule: decision.rule ?? null, verdict: decision.verdict, mode: decision.mode };
    if (!admitted) return refuse(failureJson(deniedFailure(decision)), { decision });
    decided = decision.digest;
    say(`${decisionLine(decision)}\n`);
    if (decided !== undefined && ref.digest === undefined) say(`Pull (1 of 1): ${ref.familiarName}:${ref.tag}@${decided}\n`);
  } else if (trusted) {
    const resolver = trustResolver(io);
    try {
      const r = await resolver.resolveTag(ref);
      signed = { digest: r.digest, size: r.size };
      say(`Pull (1 of 1): ${ref.familiarName}:${r.tag}@${r.digest}\n`);
    } catch (err) {
      if (!(err instanceof ResolutionFailure)) throw err;
      return refuse(failureJson(resolutionFailure(err)));
    } finally {
      resolver.close();
    }
  }

  const archive = opts.dockerArchive ? resolve(io.cwd, opts.dockerArchive) : undefined;
  // a docker archive is assembled from a layout beside it, kept until the archive is complete (resumable)
  const layoutDir = archive ? `${archive}.dct-pull` : resolve(io.cwd, opts.output ?? (ref.path.split('/').pop() as string));
  const layout = await OciLayout.create(layoutDir);
  const { client, repo } = await openRegistry(ref, io.env, (m) => io.err(`${m}\n`));
  const board = new ProgressBoard(process.stderr);
  let pulled: PulledImage;
  try {
    pulled = await pullImage(
      client,
      layout,
      {
        repo,
        reference: decided ?? ref.digest ?? (ref.tag as string),
        ...(signed ? { signed } : {}),
        ...(decided !== undefined ? { decided } : {}),
        ...(ref.tag !== undefined ? { tag: ref.tag } : {}),
      },
      {
        platform,
        ...(opts.allPlatforms ? { allPlatforms: true } : {}),
        events: {
          blob: (d, received, state) =>
            board.update(
              d.digest,
              state === 'present' ? 'Already exists' : state === 'done' ? 'Pull complete' : 'Downloading',
              received,
              d.size,
            ),
        },
      },
    );
    board.finish();
  } finally {
    client.close();
  }
  if (archive) {
    const tagged = `${ref.familiarName}:${ref.tag ?? 'latest'}`;
    const images = await archiveImagesFromLayout(layout, [
      { ref: pulled.image.digest, repoTags: ref.tag !== undefined ? [tagged] : [], platform },
    ]);
    await writeDockerArchive(archive, images);
    await rm(layoutDir, { recursive: true, force: true });
  } else {
    await layout.tidy();
  }
  const where = archive ?? layoutDir;
  if (format === 'json') {
    io.out(
      JSON.stringify(
        {
          image: ref.toString(),
          digest: pulled.root.digest,
          manifest: pulled.image.digest,
          platform: formatPlatform(platform),
          output: where,
          trusted,
          ...(policy ? { policy } : {}),
          bytesFetched: pulled.bytesFetched,
        },
        null,
        2,
      ) + '\n',
    );
  } else {
    say(`Digest: ${pulled.root.digest}\n`);
    say(`Status: Downloaded image for ${ref.toString()} into ${where}\n`);
  }
  return 0;
}

export function registerPullCommand(program: Command): void {
  program
    .command('pull')
    .description('pull an image into an OCI layout folder or a docker archive; with DOCKER_CONTENT_TRUST=1 only signed tags are pulled')
    .argument('<image>', 'IMAGE[:TAG|@DIGEST]')
    .option('-o, --output <dir>', 'OCI image layout folder to pull into (default: ./<name>)')
    .option('--docker-archive <file>', 'write a docker archive (docker load) instead')
    .option('--platform <os/arch[/variant]>', "platform of a multi-arch image (default: this machine's)")
    .option('--all-platforms', 'pull every platform of a multi-arch image (OCI layout output)')
    .option('--disable-content-trust', 'skip trust verification, even with DOCKER_CONTENT_TRUST=1')
    .option('--policy <file>', `pull only what this trust policy allows, by the digest decided (default: $${POLICY_ENV})`)
    .option('--audit <file|url>', `write the policy decision to this audit feed (default: $${AUDIT_ENV})`)
    .option('--trusted-root <file>', 'cosign (policy): Sigstore trusted_root.json (default: the production root dct ships)')
    .option(
      '--trust-bundle <file>',
      `verify with this trust bundle (dct trust export) instead of a trust server (default: $${TRUST_BUNDLE_ENV})`,
    )
    .option('--format <format>', 'table or json', 'table')
    .action(async (image: string, opts: PullOptions) => {
      const code = await runPull(image, opts, processIo());
      if (code !== 0) throw CliFailure.reported(code);
    });
}
