/**
 * Keyless Sigstore signing (`cosign sign-blob` without `--key`): an ephemeral key whose
 * certificate Fulcio issues for an OIDC identity token (`--identity-token` or
 * `SIGSTORE_ID_TOKEN`), the signature logged in Rekor; all through `@sigstore/sign`. It needs
 * Fulcio and Rekor on the network: offline it fails with COSIGN_KEYLESS_FAILED, and without
 * a token with COSIGN_IDENTITY_TOKEN_REQUIRED (dct runs no interactive OIDC flow).
 */
import type { Bundle } from '@sigstore/bundle';
import { DctError } from '../../core/errors.js';
import type { SigningContent, SigningOptions, SigstoreSignature, SigstoreSigner } from '../../core/signatures/sigstore-signing.js';
import './errors.js';
import { compactBundleJson } from './key-signer.js';

/** Sigstore's public-good Fulcio and Rekor (`@sigstore/sign`'s defaults). */
const FULCIO_URL = 'https://fulcio.sigstore.dev';
const REKOR_URL = 'https://rekor.sigstore.dev';

export interface KeylessSignerOptions {
  /** the OIDC identity token (a JWT); absent: COSIGN_IDENTITY_TOKEN_REQUIRED when signing */
  identityToken?: string;
  fulcioUrl?: string;
  rekorUrl?: string;
  timeoutMs?: number;
}

export class KeylessSigner implements SigstoreSigner {
  constructor(private readonly options: KeylessSignerOptions) {}

  async sign(content: SigningContent, opts: SigningOptions): Promise<SigstoreSignature> {
    const token = this.options.identityToken;
    if (!token)
      throw new DctError(
        'COSIGN_IDENTITY_TOKEN_REQUIRED',
        'keyless signing needs an OIDC identity token: pass --identity-token or set SIGSTORE_ID_TOKEN (or sign with --key)',
      );
    if (!opts.tlogUpload)
      throw new DctError(
        'COSIGN_KEYLESS_FAILED',
        'keyless signing requires the transparency log: drop --tlog-upload=false or sign with --key',
      );
    // loaded when keyless signing runs: @sigstore/sign is a tenth of a second of start-up
    const { DSSEBundleBuilder, FulcioSigner, MessageSignatureBundleBuilder, RekorWitness } = await import('@sigstore/sign');
    const fetchOptions = { retry: 0, timeout: this.options.timeoutMs ?? 30_000 };
    const signer = new FulcioSigner({
      identityProvider: { getToken: () => Promise.resolve(token) },
      fulcioBaseURL: this.options.fulcioUrl ?? FULCIO_URL,
      ...fetchOptions,
    });
    const witnesses = [new RekorWitness({ rekorBaseURL: this.options.rekorUrl ?? REKOR_URL, fetchOnConflict: true, ...fetchOptions })];
    let bundle: Bundle;
    try {
      opts.signal?.throwIfAborted();
      bundle =
        content.kind === 'message'
          ? await new MessageSignatureBundleBuilder({ signer, witnesses }).create({ data: Buffer.from(content.bytes) })
          : await new DSSEBundleBuilder({ signer, witnesses }).create({ data: Buffer.from(content.payload), type: content.payloadType });
    } catch (err) {
      const code = (err as { code?: string }).code;
      // the library's parse error quotes the token: never repeat it
      const why = code === 'IDENTITY_TOKEN_PARSE_ERROR' ? 'the identity token is not a JWT' : (err as Error).message;
      throw new DctError(
        'COSIGN_KEYLESS_FAILED',
        `signing bundle: keyless signing (Fulcio ${this.options.fulcioUrl ?? FULCIO_URL}): ${why}`,
        {
          cause: err,
        },
      );
    }
    const json = (await compactBundleJson(bundle)) as { verificationMaterial?: { certificate?: { rawBytes?: string } } };
    const raw = json.verificationMaterial?.certificate?.rawBytes;
    const certificatePem = raw
      ? `-----BEGIN CERTIFICATE-----\n${(raw.match(/.{1,64}/g) ?? []).join('\n')}\n-----END CERTIFICATE-----\n`
      : undefined;
    const signature =
      bundle.content.$case === 'messageSignature'
        ? bundle.content.messageSignature.signature
        : (bundle.content.dsseEnvelope.signatures[0]?.sig ?? Buffer.alloc(0));
    return { bundle: json, signature, ...(certificatePem ? { certificatePem } : {}) };
  }
}
