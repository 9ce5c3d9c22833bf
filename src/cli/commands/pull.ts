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
import { processIo } from '../docker-trust/io.js';

interface PullOptions {
  output?: string;
  dockerArchive?: string;
  platform?: string;
  allPlatforms?: boolean;
  disableContentTrust?: boolean;
  format: string;
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
    .option('--format <format>', 'table or json', 'table')
    .action(async (image: string, opts: PullOptions) => {
      const format = parseFormat(opts.format);
      const io = processIo();
      const say = (t: string) => void (format === 'table' ? io.out(t) : undefined);
      if (opts.output && opts.dockerArchive)
        throw new DctError('INVALID_ARGUMENT', '--output and --docker-archive exclude each other: give one');
      if (opts.dockerArchive && opts.allPlatforms)
        throw new DctError('INVALID_ARGUMENT', '--all-platforms needs an OCI layout (--output): a docker archive holds one platform');
      let ref = parseImageReference(image);
      if (ref.tag === undefined && ref.digest === undefined) {
        say('Using default tag: latest\n');
        ref = ref.withDefaultTag();
      }
      const platform = opts.platform ? parsePlatform(opts.platform) : platformOfNode('linux', process.arch);
      const trusted = !opts.disableContentTrust && contentTrustEnabled(io.env) && ref.digest === undefined;

      // trust first: nothing is fetched from the registry for an unsigned tag
      let signed: { digest: string; size: number } | undefined;
      if (trusted) {
        const resolver = trustResolver(io);
        try {
          const r = await resolver.resolveTag(ref);
          signed = { digest: r.digest, size: r.size };
          say(`Pull (1 of 1): ${ref.familiarName}:${r.tag}@${r.digest}\n`);
        } catch (err) {
          if (!(err instanceof ResolutionFailure)) throw err;
          const failure = resolutionFailure(err);
          if (format === 'json') process.stdout.write(JSON.stringify({ image, error: failureJson(failure) }, null, 2) + '\n');
          else io.err(`${failure.message}\n`);
          throw CliFailure.reported(1);
        } finally {
          resolver.close();
        }
      }

      const archive = opts.dockerArchive ? resolve(opts.dockerArchive) : undefined;
      // a docker archive is assembled from a layout beside it, kept until the archive is complete (resumable)
      const layoutDir = archive ? `${archive}.dct-pull` : resolve(opts.output ?? (ref.path.split('/').pop() as string));
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
            reference: ref.digest ?? (ref.tag as string),
            ...(signed ? { signed } : {}),
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
        process.stdout.write(
          JSON.stringify(
            {
              image: ref.toString(),
              digest: pulled.root.digest,
              manifest: pulled.image.digest,
              platform: formatPlatform(platform),
              output: where,
              trusted,
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
    });
}
