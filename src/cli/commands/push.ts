/**
 * `dct push SOURCE IMAGE:TAG`: an OCI image layout folder (`DIR[:TAG]`) or a
 * `docker save` tarball (`FILE[:TAG]`) to any registry, without a docker engine.
 * With DOCKER_CONTENT_TRUST=1 (or `--sign`) the pushed tag is then signed as
 * docker push signed it (`dct trust sign` with the pushed digest and size): into
 * `targets/releases` and the signer's delegation when they exist, else `targets`.
 * A multi-arch index is pushed children first and signed as the index.
 */
import type { Command } from 'commander';
import { openPushSource } from '../../adapters/image-layout/push-plan.js';
import { pushImage } from '../../app/images/push-image.js';
import { DctError } from '../../core/errors.js';
import { parseImageReference } from '../../core/image-reference.js';
import { signTag, type ManifestInfo } from '../../app/docker-trust/sign-tag.js';
import { CliFailure } from '../cli-failure.js';
import { processIo, type TrustIo } from '../docker-trust/io.js';
import { reportSignFailure, signEventPrinter, signFailure, signFailureDocument } from '../docker-trust/sign-output.js';
import { openTrustContext } from '../docker-trust/trust-context.js';
import { parseFormat } from '../output.js';
import { parseSignFormats, signInRegistryFormat, type FormatSignature } from '../format-signing.js';
import { ProgressBoard } from '../progress.js';
import { contentTrustEnabled, openRegistry } from '../registry-access.js';

interface PushOptions {
  sign?: boolean;
  signFormat?: string;
  cosignKey?: string;
  cosignTlogUpload: boolean;
  cosignNewBundleFormat: boolean;
  notationKey?: string;
  notationSignatureFormat: string;
  disableContentTrust?: boolean;
  compress: boolean;
  format: string;
}

export function registerPushCommand(program: Command): void {
  program
    .command('push')
    .description(
      'push an OCI image layout (DIR[:TAG]) or a docker save tarball (FILE[:TAG]) to a registry; signs the tag with DOCKER_CONTENT_TRUST=1 or --sign',
    )
    .argument('<source>', 'OCI layout folder or docker archive, optionally :TAG to pick an image in it')
    .argument('<image>', 'IMAGE:TAG to push to')
    .option('--sign', 'sign the pushed tag (as DOCKER_CONTENT_TRUST=1 does)')
    .option(
      '--sign-format <formats>',
      'sign in these formats, comma-separated: dct (docker trust), cosign, notation (implies --sign; default dct)',
    )
    .option('--cosign-key <file>', 'cosign: the private key file (COSIGN_PASSWORD); dct cosign generate-key-pair makes one')
    .option('--no-cosign-tlog-upload', 'cosign: do not upload the signature to Rekor (cosign --tlog-upload=false)')
    .option(
      '--no-cosign-new-bundle-format',
      'cosign: store the signature in the legacy sha256-<hex>.sig tag (cosign --new-bundle-format=false)',
    )
    .option('--notation-key <name>', "notation: the signing key's name in notation's configuration (default: its default key)")
    .option('--notation-signature-format <format>', 'notation: jws or cose', 'jws')
    .option('--disable-content-trust', 'do not sign, even with DOCKER_CONTENT_TRUST=1')
    .option('--no-compress', 'push the layers of a docker archive uncompressed (as stored)')
    .option('--format <format>', 'table or json', 'table')
    .action(async (source: string, image: string, opts: PushOptions) => {
      const format = parseFormat(opts.format);
      const io = processIo();
      const ref = parseImageReference(image);
      if (ref.digest !== undefined) throw new DctError('INVALID_REFERENCE', 'cannot push a digest reference');
      const tag = ref.tag ?? 'latest';
      if (ref.tag === undefined && format === 'table') io.out('Using default tag: latest\n');
      const formats = parseSignFormats(opts.signFormat ?? 'dct');
      if (opts.notationSignatureFormat !== 'jws' && opts.notationSignatureFormat !== 'cose')
        throw new DctError(
          'INVALID_ARGUMENT',
          `--notation-signature-format must be jws or cose, not ${JSON.stringify(opts.notationSignatureFormat)}`,
        );
      const sign = !opts.disableContentTrust && (opts.sign === true || opts.signFormat !== undefined || contentTrustEnabled(io.env));
      if (sign && formats.includes('cosign') && opts.cosignKey === undefined)
        throw new DctError(
          'INVALID_ARGUMENT',
          'signing with cosign needs --cosign-key FILE (a cosign key file; dct cosign generate-key-pair)',
        );

      const opened = await openPushSource(source, { compress: opts.compress });
      const { client, repo } = await openRegistry(ref, io.env, (m) => io.err(`${m}\n`));
      const board = new ProgressBoard(process.stderr);
      let pushed;
      try {
        if (format === 'table') io.out(`The push refers to repository [${ref.name}]\n`);
        pushed = await pushImage(client, repo, tag, opened.plan, {
          events: {
            blob: (d, sent, state) =>
              board.update(
                d.digest,
                state === 'progress' || state === 'start'
                  ? 'Uploading'
                  : state === 'exists'
                    ? 'Layer already exists'
                    : state === 'mounted'
                      ? 'Mounted'
                      : 'Pushed',
                sent,
                d.size,
              ),
          },
        });
        board.finish();
      } finally {
        client.close();
        await opened.dispose();
      }
      if (format === 'table') io.out(`${tag}: digest: ${pushed.digest} size: ${pushed.size}\n`);
      let signature: unknown;
      if (sign && formats.includes('dct')) {
        // docker push's signing step (a new repository: the tag goes into targets); in JSON mode its document is nested in ours
        const signing = await signPushed(
          io,
          `${ref.name}:${tag}`,
          { sha256: pushed.digest.slice('sha256:'.length), size: pushed.size },
          format === 'json',
        );
        signature = signing.document;
        if (!signing.ok) {
          if (format === 'json')
            process.stdout.write(JSON.stringify({ image: `${ref.name}:${tag}`, ...pushed, signed: false, signature }, null, 2) + '\n');
          throw CliFailure.reported(1);
        }
      }
      const signatures: FormatSignature[] = [];
      for (const f of sign ? formats : []) {
        if (f === 'dct') continue;
        const signed = await signInRegistryFormat(
          f,
          ref,
          pushed.digest,
          {
            ...(opts.cosignKey !== undefined ? { cosignKey: opts.cosignKey } : {}),
            cosignTlogUpload: opts.cosignTlogUpload,
            cosignNewBundleFormat: opts.cosignNewBundleFormat,
            ...(opts.notationKey !== undefined ? { notationKey: opts.notationKey } : {}),
            notationSignatureFormat: opts.notationSignatureFormat,
          },
          io.env,
          (m) => io.err(`${m}\n`),
        );
        signatures.push(signed);
        if (format === 'table') io.out(`Signed ${ref.name}@${pushed.digest} with ${f}: ${signed.stored}\n`);
      }
      if (format === 'json') {
        process.stdout.write(
          JSON.stringify(
            {
              image: `${ref.name}:${tag}`,
              ...pushed,
              signed: sign,
              ...(signature ? { signature } : {}),
              ...(signatures.length > 0 ? { signatures } : {}),
            },
            null,
            2,
          ) + '\n',
        );
      }
    });
}

/**
 * docker push's signing step (spec §7.10): the signing use case with the pushed digest
 * and size; a repository without trust data is initialised and the tag goes into `targets`.
 * Events and failures are printed as `dct trust sign` prints them; in JSON mode the
 * result (or error) document is returned instead.
 */
async function signPushed(io: TrustIo, image: string, manifest: ManifestInfo, json: boolean): Promise<{ ok: boolean; document?: unknown }> {
  const failed = (failure: CliFailure, gun: string) => {
    if (json) return { ok: false, document: signFailureDocument(image, failure, gun) };
    reportSignFailure(io, false, image, failure, gun);
    return { ok: false };
  };
  let ctx;
  try {
    ctx = await openTrustContext(io, image);
  } catch (err) {
    return failed(signFailure(err, image, image), image);
  }
  try {
    const result = await signTag(ctx, {
      given: manifest,
      resolveManifest: async () => manifest,
      local: true,
      push: true,
      onEvent: signEventPrinter(io, image, ctx.gun, json),
    });
    return json ? { ok: true, document: result } : { ok: true };
  } catch (err) {
    return failed(signFailure(err, image, ctx.gun), ctx.gun);
  } finally {
    ctx.close();
  }
}
