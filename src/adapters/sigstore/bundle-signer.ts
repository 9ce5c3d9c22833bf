/**
 * Keyless signing into a Sigstore bundle with `@sigstore/sign`, as the conformance suite's
 * `sign-bundle` asks: an ephemeral key, a Fulcio certificate for the OIDC identity token,
 * a Rekor entry and an RFC 3161 timestamp from the services a signing config names (or the
 * public-good / staging instance's). It needs the network; every request has a short
 * timeout and no retries, so an unreachable service fails fast with SIGSTORE_SIGNING_FAILED.
 */
import { DctError, isDctError } from '../../core/errors.js';

export interface SignBundleRequest {
  /** the bytes to sign: the artifact, or (inTotoStatement) an in-toto statement to wrap in DSSE */
  content: Uint8Array;
  inTotoStatement: boolean;
  identityToken: string;
  /** signing config JSON (`signingconfig.v0.2`); absent: the public-good (or staging) services */
  signingConfig?: unknown;
  staging?: boolean;
  /** per request, milliseconds (default 10 s) */
  timeoutMs?: number;
}

const SIGNING_CONFIG_MEDIA_TYPE = 'application/vnd.dev.sigstore.signingconfig.v0.2+json';

function defaultSigningConfig(staging: boolean): unknown {
  const host = staging ? 'sigstage.dev' : 'sigstore.dev';
  const service = (url: string) => ({ url, majorApiVersion: 1, validFor: { start: '2021-01-01T00:00:00Z' }, operator: host });
  return {
    mediaType: SIGNING_CONFIG_MEDIA_TYPE,
    caUrls: [service(`https://fulcio.${host}`)],
    oidcUrls: [],
    rekorTlogUrls: [service(`https://rekor.${host}`)],
    rekorTlogConfig: { selector: 'ANY' },
    tsaUrls: [service(`https://timestamp.${host}/api/v1/timestamp`)],
    tsaConfig: { selector: 'ANY' },
  };
}

/** Signs and returns the bundle as JSON (what `sign-bundle --bundle OUT` writes). */
export async function signBundle(req: SignBundleRequest): Promise<unknown> {
  const [{ bundleBuilderFromSigningConfig }, { bundleToJSON }, { SigningConfig }] = await Promise.all([
    import('@sigstore/sign'),
    import('@sigstore/bundle'),
    import('@sigstore/protobuf-specs'),
  ]);
  const token = req.identityToken.trim();
  if (token.split('.').length !== 3)
    throw new DctError('SIGSTORE_SIGNING_CONFIG_INVALID', 'the identity token is not a JWT (header.payload.signature)');
  let builder: ReturnType<typeof bundleBuilderFromSigningConfig>;
  try {
    const config = SigningConfig.fromJSON(req.signingConfig ?? defaultSigningConfig(req.staging ?? false));
    builder = bundleBuilderFromSigningConfig({
      signingConfig: config,
      identityProvider: { getToken: () => Promise.resolve(token) },
      bundleType: req.inTotoStatement ? 'dsseEnvelope' : 'messageSignature',
      fetchOptions: { timeout: req.timeoutMs ?? 10_000, retry: false },
    });
  } catch (err) {
    throw new DctError('SIGSTORE_SIGNING_CONFIG_INVALID', `the signing config is not usable: ${(err as Error).message}`, { cause: err });
  }
  try {
    const bundle = await builder.create({
      data: Buffer.from(req.content),
      ...(req.inTotoStatement ? { type: 'application/vnd.in-toto+json' } : {}),
    });
    return bundleToJSON(bundle);
  } catch (err) {
    if (isDctError(err)) throw err;
    const code = (err as { code?: unknown }).code;
    const cause = (err as { cause?: unknown }).cause;
    // the library quotes the token in some messages: a credential never goes into dct's
    const redact = (text: string) => text.split(token).join('<identity token>');
    const reason = redact(`${(err as Error).message}${cause instanceof Error ? `: ${cause.message}` : ''}`);
    if (code === 'IDENTITY_TOKEN_PARSE_ERROR' || code === 'IDENTITY_TOKEN_READ_ERROR')
      throw new DctError('SIGSTORE_SIGNING_CONFIG_INVALID', `the identity token is not usable: ${reason}`);
    throw new DctError('SIGSTORE_SIGNING_FAILED', `signing failed${typeof code === 'string' ? ` (${code})` : ''}: ${reason}`);
  }
}
