/**
 * Signing a pushed image in the formats that keep their signatures in the registry, as
 * `dct push --sign-format` asks (DCT's signing stays `dct trust sign`'s use case): cosign
 * with a cosign key file (cosign 3's bundle referrer, or the legacy `.sig` tag), Notation
 * with a key of notation's configuration (a JWS or COSE envelope as a referrer). The same
 * use cases, adapters and defaults as `dct cosign sign` and `dct notation sign`.
 */
import { readFile } from 'node:fs/promises';
import { cosignKeyCodec } from '../adapters/cosign/cosign-key-codec.js';
import { CosignKeySigner } from '../adapters/cosign/key-signer.js';
import { cosignPasswordSource } from '../adapters/cosign/password.js';
import { notationConfigDir, readSigningKey } from '../adapters/notation/config/index.js';
import { signEnvelope } from '../adapters/notation/envelope/index.js';
import { loadPrivateKey } from '../app/cosign/keys/key-pair.js';
import { signImage } from '../app/cosign/sign-image.js';
import { NotationRepository } from '../app/notation/notation-repository.js';
import type { EnvelopeFormat } from '../app/notation/ports.js';
import { signArtifact } from '../app/notation/sign-artifact.js';
import { DctError } from '../core/errors.js';
import type { ImageReference } from '../core/image-reference.js';
import { openSignatureRegistry } from './signature-registry.js';

export const SIGN_FORMATS = ['dct', 'cosign', 'notation'] as const;
export type SignFormat = (typeof SIGN_FORMATS)[number];

/** `dct,cosign` → the formats, each once, in the order given. */
export function parseSignFormats(list: string): SignFormat[] {
  const out: SignFormat[] = [];
  for (const word of list.split(',').map((w) => w.trim())) {
    if (!(SIGN_FORMATS as readonly string[]).includes(word))
      throw new DctError(
        'INVALID_ARGUMENT',
        `--sign-format takes ${SIGN_FORMATS.join(', ')} (comma-separated), not ${JSON.stringify(word)}`,
      );
    if (!out.includes(word as SignFormat)) out.push(word as SignFormat);
  }
  return out;
}

export interface RegistryFormatSigning {
  /** cosign: the private key file (COSIGN_PASSWORD, else a prompt on the terminal) */
  cosignKey?: string;
  /** cosign: upload to Rekor (cosign's default; needs the network) */
  cosignTlogUpload: boolean;
  /** cosign: cosign 3's bundle referrer (default), else the legacy `sha256-<hex>.sig` tag */
  cosignNewBundleFormat: boolean;
  /** notation: the signing key's name in notation's configuration (default: its default key) */
  notationKey?: string;
  notationSignatureFormat: EnvelopeFormat;
}

export interface FormatSignature {
  format: 'cosign' | 'notation';
  /** where the signature went: the referrer's digest or the legacy tag */
  stored: string;
}

/** Signs `ref` (at `digest`) in `format`; throws a DctError with the format's code on failure. */
export async function signInRegistryFormat(
  format: 'cosign' | 'notation',
  ref: ImageReference,
  digest: string,
  opts: RegistryFormatSigning,
  env: Readonly<Record<string, string | undefined>>,
  warn: (message: string) => void,
): Promise<FormatSignature> {
  const pinned = ref.withDigest(digest);
  const access = await openSignatureRegistry(pinned, env, warn, { forWrite: true });
  try {
    if (format === 'cosign') {
      if (opts.cosignKey === undefined)
        throw new DctError(
          'INVALID_ARGUMENT',
          'signing with cosign needs --cosign-key FILE (a cosign key file; dct cosign generate-key-pair)',
        );
      const key = await loadPrivateKey(cosignKeyCodec, await readFile(opts.cosignKey), cosignPasswordSource({ env }));
      const host = ref.domain === 'docker.io' ? 'index.docker.io' : ref.domain;
      const [signed] = await signImage({
        image: {
          registry: access.registry,
          registryHost: ref.domain,
          repo: access.repo,
          repository: `${host}/${ref.path}`,
          reference: digest,
        },
        signer: new CosignKeySigner(key),
        format: opts.cosignNewBundleFormat ? 'bundle' : 'legacy',
        tlogUpload: opts.cosignTlogUpload,
      });
      return { format, stored: signed?.referrer?.digest ?? signed?.signatureTag ?? digest };
    }
    const { key, chain } = await readSigningKey(notationConfigDir(env), opts.notationKey);
    const signed = await signArtifact({
      repository: new NotationRepository(access.registry, access.repo, ref.name),
      reference: pinned,
      signer: {
        sign: (req) => {
          const envelope = signEnvelope({ ...req, key, chain, signingAgent: 'dct' });
          return Promise.resolve({ bytes: envelope.bytes, mediaType: envelope.mediaType, chain });
        },
      },
      format: opts.notationSignatureFormat,
      now: new Date(),
      forceReferrersTag: true,
    });
    return { format, stored: signed.signatureDigest };
  } finally {
    access.client.close();
  }
}
