/**
 * cosign's `sign`, `verify` and `verify-attestation` for images (cosign 3's flags, texts and
 * outputs): the image's registry through the signature registry port, keys through the
 * cosign key codec, Sigstore bundles checked by `@sigstore/verify` (after the keyed offline
 * check), and what cosign prints — the checks performed on stderr, the verified payloads
 * as JSON on stdout.
 */
import { writeFile, readFile } from 'node:fs/promises';
import type { KeyObject } from 'node:crypto';
import { cosignKeyCodec } from '../../../adapters/cosign/cosign-key-codec.js';
import { CosignKeySigner } from '../../../adapters/cosign/key-signer.js';
import { KeyedBundleVerifier } from '../../../adapters/cosign/keyed-bundle-verifier.js';
import { KeylessSigner } from '../../../adapters/cosign/keyless-signer.js';
import { cosignPasswordSource, type PasswordInput } from '../../../adapters/cosign/password.js';
import { SigstoreBundleVerifier } from '../../../adapters/sigstore/bundle-verifier.js';
import type { CosignImage } from '../../../app/cosign/cosign-image.js';
import type { CosignPolicy, CosignVerifyOptions } from '../../../app/cosign/cosign-policy.js';
import { loadPrivateKey } from '../../../app/cosign/keys/key-pair.js';
import { signImage } from '../../../app/cosign/sign-image.js';
import { verifyAttestation } from '../../../app/cosign/verify-attestation.js';
import { verifyImage } from '../../../app/cosign/verify-image.js';
import { formatVerifiedPayloads, verificationHeader } from '../../../core/cosign/verify-output.js';
import { PREDICATE_TYPES } from '../../../core/cosign/intoto-statement.js';
import { isDctError } from '../../../core/errors.js';
import { parseImageReference, type ImageReference } from '../../../core/image-reference.js';
import type { StringMatcher } from '../../../core/signatures/sigstore-verification.js';
import { CliFailure } from '../../cli-failure.js';
import type { CommandSpec, Invocation } from '../../cobra/command.js';
import type { FlagSpec } from '../../cobra/flags.js';
import { CERTIFICATE_IDENTITY_FLAGS } from './identity-flags.js';
import { PRIVACY_CONFIRMATION, PRIVACY_STATEMENT } from './privacy-statement.js';
import { openSignatureRegistry } from '../../signature-registry.js';
import { readLine } from './key-commands.js';

/** What the image commands read besides their flags (tests pass their own). */
export interface CosignImageEnv {
  env?: Record<string, string | undefined>;
  stdin?: PasswordInput;
  /** the clock of `org.opencontainers.image.created` */
  now?: () => Date;
}

const REGISTRY_FLAGS: FlagSpec[] = [
  {
    name: 'allow-http-registry',
    kind: 'bool',
    usage: "whether to allow using HTTP protocol while connecting to registries. Don't use this for anything but testing",
  },
  {
    name: 'allow-insecure-registry',
    kind: 'bool',
    usage:
      "whether to allow insecure connections to registries (e.g., with expired or self-signed TLS certificates). Don't use this for anything but testing",
  },
];

const IDENTITY_FLAGS: FlagSpec[] = [
  ...CERTIFICATE_IDENTITY_FLAGS,
  { name: 'trusted-root', kind: 'string', usage: 'Path to a Sigstore TrustedRoot JSON file. Requires --new-bundle-format to be set.' },
  {
    name: 'insecure-ignore-tlog',
    kind: 'bool',
    usage:
      'ignore transparency log verification, to be used when an artifact signature has not been uploaded to the transparency log. Artifacts cannot be publicly verified when not included in a log',
  },
  {
    name: 'insecure-ignore-sct',
    kind: 'bool',
    usage:
      'when set, verification will not check that a certificate contains an embedded SCT, a proof of inclusion in a certificate transparency log',
  },
  { name: 'check-claims', kind: 'bool', def: true, usage: 'whether to check the claims found' },
  { name: 'new-bundle-format', kind: 'bool', def: true, usage: 'expect the signature/attestation to be packaged in a Sigstore bundle' },
  { name: 'rekor-url', kind: 'string', def: 'https://rekor.sigstore.dev', usage: 'address of rekor STL server' },
  { name: 'offline', kind: 'bool', usage: 'only allow offline verification' },
  { name: 'max-workers', kind: 'int', def: 10, usage: 'the amount of maximum workers for parallel executions' },
];

const TAG_WARNING = `Image reference %s uses a tag, not a digest, to identify the image to sign.
    This can lead you to sign a different image than the intended one. Please use a
    digest (example.com/ubuntu@sha256:abc123...) rather than tag
    (example.com/ubuntu:latest) for the input to cosign. The ability to refer to
    images by tag will be removed in a future release.
`;

/** cosign's exit codes of `verify` (cmd/cosign/errors). */
const VERIFY_EXIT_CODES: Partial<Record<string, number>> = {
  COSIGN_NO_SIGNATURES: 10,
  COSIGN_IMAGE_NOT_FOUND: 11,
  COSIGN_NO_MATCHING_SIGNATURES: 12,
  COSIGN_NO_CERTIFICATE: 13,
};

export function cosignImageCommands(deps: CosignImageEnv = {}): CommandSpec[] {
  const env = deps.env ?? process.env;
  const stdin = deps.stdin ?? process.stdin;
  const now = deps.now ?? (() => new Date());
  return [
    {
      use: 'sign',
      short: 'Sign the supplied container image',
      long: "Sign the supplied container image.\n\nMake sure to sign the image by its digest (@sha256:...) rather than by tag\n(:latest) so that you actually sign what you think you're signing! This prevents\nrace conditions or (worse) malicious tampering.\n",
      flags: [
        { name: 'key', kind: 'string', usage: 'path to the private key file, KMS URI or Kubernetes Secret' },
        {
          name: 'new-bundle-format',
          kind: 'bool',
          def: true,
          usage: 'expect the signature/attestation to be packaged in a Sigstore bundle',
        },
        { name: 'tlog-upload', kind: 'bool', def: true, usage: 'whether or not to upload to the tlog' },
        { name: 'upload', kind: 'bool', def: true, usage: 'whether to upload the signature' },
        { name: 'yes', short: 'y', kind: 'bool', usage: 'skip confirmation prompts for non-destructive operations' },
        { name: 'annotations', short: 'a', kind: 'strings', usage: 'extra key=value pairs to sign' },
        { name: 'recursive', short: 'r', kind: 'bool', usage: 'if a multi-arch image is specified, additionally sign each discrete image' },
        { name: 'output-signature', kind: 'string', usage: 'write the signature to FILE' },
        { name: 'output-certificate', kind: 'string', usage: 'write the certificate to FILE' },
        {
          name: 'record-creation-timestamp',
          kind: 'bool',
          usage:
            'set the createdAt timestamp in the signature artifact to the time it was created; by default, cosign sets this to the zero value',
        },
        { name: 'rekor-url', kind: 'string', def: 'https://rekor.sigstore.dev', usage: 'address of rekor STL server' },
        {
          name: 'fulcio-url',
          kind: 'string',
          def: 'https://fulcio.sigstore.dev',
          usage: 'address of sigstore PKI server (or $SIGSTORE_FULCIO_URL)',
        },
        {
          name: 'identity-token',
          kind: 'string',
          usage: 'identity token to use for certificate from fulcio. the token or a path to a file containing the token is accepted.',
        },
        ...REGISTRY_FLAGS,
      ],
      run: async (inv) => {
        if (inv.args.length < 1) throw new Error(`requires at least 1 arg(s), only received ${inv.args.length}`);
        const f = inv.flags;
        if (f.bool('new-bundle-format') && !f.bool('upload'))
          throw new Error('must enable upload to the OCI registry or specify a local --bundle path with --new-bundle-format');
        const annotations = annotationsOf(f.strings('annotations'));
        const tlogUpload = f.bool('tlog-upload');
        if (tlogUpload) {
          inv.io.err(`${PRIVACY_STATEMENT}\n${PRIVACY_CONFIRMATION}\n`);
          if (!f.bool('yes')) {
            inv.io.err('Are you sure you would like to continue? [y/N] ');
            if ((await readLine(stdin)).trim().toLowerCase() !== 'y')
              throw new Error('signing digest: should upload to tlog: user declined the prompt');
          }
        }
        const signer = await signerFor(inv, env, stdin);
        for (const arg of inv.args) {
          const ref = parseRef(arg);
          if (ref.digest === undefined) inv.io.err(`WARNING: ${TAG_WARNING.replace('%s', arg)}\n`);
          const image = await imageOf(ref, inv, env, true);
          let signed;
          try {
            inv.io.err(`Pushing signature to: ${image.repository}\n`);
            signed = await signImage({
              image,
              signer: signer.signer,
              format: f.bool('new-bundle-format') ? 'bundle' : 'legacy',
              tlogUpload,
              annotations,
              recursive: f.bool('recursive'),
              now,
            });
          } catch (err) {
            throw prefixed('signing digest', err);
          }
          const first = signed[0];
          if (f.string('output-signature') && first) {
            await writeFile(f.string('output-signature'), signed.map((s) => s.signature).join('\n'), { mode: 0o600 });
          }
          if (f.string('output-certificate') && first) {
            await writeFile(f.string('output-certificate'), first.certificatePem ?? first.publicKeyPem ?? signer.publicKeyPem ?? '', {
              mode: 0o600,
            });
            inv.io.err(`Certificate wrote in the file ${f.string('output-certificate')}\n`);
          }
        }
      },
    },
    {
      use: 'verify',
      short: 'Verify a signature on the supplied container image',
      long: 'Verify signature and annotations on an image by checking the claims\nagainst the transparency log.',
      flags: [
        { name: 'key', kind: 'string', usage: 'path to the public key file, KMS URI or Kubernetes Secret' },
        { name: 'output', short: 'o', kind: 'string', def: 'json', usage: 'output format for the signing image information (json|text)' },
        { name: 'annotations', short: 'a', kind: 'strings', usage: 'extra key=value pairs to sign' },
        ...IDENTITY_FLAGS,
        ...REGISTRY_FLAGS,
      ],
      run: async (inv) => {
        if (inv.args.length < 1) {
          inv.io.out(inv.command.helpString());
          return;
        }
        const f = inv.flags;
        const opts = await verifyOptions(inv, f.strings('annotations'));
        if (opts.ignoreTlog)
          inv.io.err(
            'WARNING: Skipping tlog verification is an insecure practice that lacks transparency and auditability verification for the signature.\n',
          );
        for (const arg of inv.args) {
          const ref = parseRef(arg);
          const image = await imageOf(ref, inv, env);
          let result;
          try {
            result = await verifyImage({ ...opts, image, displayName: ggcrName(ref), newBundleFormat: f.bool('new-bundle-format') });
          } catch (err) {
            if (isDctError(err) && VERIFY_EXIT_CODES[err.code] !== undefined)
              throw new CliFailure(err.message, { exitCode: VERIFY_EXIT_CODES[err.code] as number, code: err.code, cause: err });
            throw err;
          }
          inv.io.err(
            verificationHeader(ggcrName(ref), {
              claims: f.bool('check-claims'),
              annotations: opts.annotations !== undefined,
              tlog: result.tlogVerified,
              key: opts.policy.kind === 'key',
            }),
          );
          inv.io.out(formatVerifiedPayloads(result.verified, f.string('output')));
        }
      },
    },
    {
      use: 'verify-attestation',
      short: 'Verify an attestation on the supplied container image',
      long: 'Verify an attestation on an image by checking the claims\nagainst the transparency log.',
      flags: [
        { name: 'key', kind: 'string', usage: 'path to the public key file, KMS URI or Kubernetes Secret' },
        {
          name: 'type',
          kind: 'string',
          def: 'custom',
          usage:
            'specify a predicate type (slsaprovenance|slsaprovenance02|slsaprovenance1|link|spdx|spdxjson|cyclonedx|vuln|openvex|custom) or an URI',
        },
        { name: 'output', short: 'o', kind: 'string', def: 'json', usage: 'output format for the signing image information (json|text)' },
        ...IDENTITY_FLAGS,
        ...REGISTRY_FLAGS,
      ],
      run: async (inv) => {
        if (inv.args.length < 1) {
          inv.io.out(inv.command.helpString());
          return;
        }
        const f = inv.flags;
        const type = f.string('type');
        const predicateType = PREDICATE_TYPES[type] ?? (/^[a-z][a-z0-9+.-]*:\/?\/?[^\s]*$/i.test(type) ? type : undefined);
        if (predicateType === undefined) throw new Error(`invalid predicate type: ${type}`);
        const opts = await verifyOptions(inv, undefined);
        if (opts.ignoreTlog)
          inv.io.err(
            'WARNING: Skipping tlog verification is an insecure practice that lacks transparency and auditability verification for the attestation.\n',
          );
        for (const arg of inv.args) {
          const ref = parseRef(arg);
          const image = await imageOf(ref, inv, env);
          const result = await verifyAttestation({ ...opts, image, predicateType, newBundleFormat: f.bool('new-bundle-format') });
          inv.io.err(
            verificationHeader(arg, {
              claims: f.bool('check-claims'),
              annotations: false,
              tlog: result.tlogVerified,
              key: opts.policy.kind === 'key',
            }),
          );
          for (const a of result.verified) inv.io.out(`${a.envelopeJson}\n`);
        }
      },
    },
  ];

  async function verifyOptions(inv: Invocation, annotations: string[] | undefined): Promise<CosignVerifyOptions> {
    const f = inv.flags;
    const key = f.string('key');
    const identity = matcher(f.string('certificate-identity'), f.string('certificate-identity-regexp'));
    if (key && identity)
      throw new Error(
        "exactly one of: key reference (--key) or certificate identity (--certificate-identity or --certificate-identity-regexp), must be provided. To determine which to use, inspect the bundle's 'verificationMaterial' field: if 'publicKey' is present, use key reference; if 'certificate' or 'x509CertificateChain' is present, use certificate identity",
      );
    let policy: CosignPolicy;
    if (key) {
      let publicKey: KeyObject;
      try {
        publicKey = cosignKeyCodec.readPublic(await readFile(key));
      } catch (err) {
        throw prefixed('loading verifier from key opts: loading public key', err);
      }
      policy = { kind: 'key', publicKey };
    } else {
      if (!identity)
        throw new Error('--certificate-identity or --certificate-identity-regexp is required for verification in keyless mode');
      const issuer = matcher(f.string('certificate-oidc-issuer'), f.string('certificate-oidc-issuer-regexp'));
      if (!issuer)
        throw new Error('--certificate-oidc-issuer or --certificate-oidc-issuer-regexp is required for verification in keyless mode');
      policy = { kind: 'identity', identity, issuer };
    }
    const trustedRootPath = f.string('trusted-root');
    let trustedRoot: unknown;
    if (trustedRootPath) {
      try {
        trustedRoot = JSON.parse(await readFile(trustedRootPath, 'utf8')) as unknown;
      } catch (err) {
        throw prefixed('setting trusted material: loading trusted root', err);
      }
    }
    const wanted = annotations !== undefined ? annotationsOf(annotations) : undefined;
    return {
      policy,
      bundleVerifier: new KeyedBundleVerifier(new SigstoreBundleVerifier()),
      ignoreTlog: f.bool('insecure-ignore-tlog'),
      ...(f.bool('check-claims') ? {} : { checkClaims: false }),
      ...(trustedRoot !== undefined ? { trustedRoot } : {}),
      ...(wanted !== undefined && Object.keys(wanted).length > 0 ? { annotations: wanted } : {}),
    };
  }
}

function parseRef(arg: string): ImageReference {
  try {
    return parseImageReference(arg);
  } catch (err) {
    throw prefixed('parsing reference', err);
  }
}

/** the reference as go-containerregistry names it (`index.docker.io/library/alpine:latest`) */
function ggcrName(ref: ImageReference): string {
  const host = ref.domain === 'docker.io' ? 'index.docker.io' : ref.domain;
  const tag = ref.digest === undefined ? `:${ref.tag ?? 'latest'}` : '';
  return `${host}/${ref.path}${tag}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** `forWrite`: `sign` reads the image with a push token, as a publisher (a pull gate serves it unsigned) */
async function imageOf(
  ref: ImageReference,
  inv: Invocation,
  env: Record<string, string | undefined>,
  forWrite = false,
): Promise<CosignImage> {
  const access = await openSignatureRegistry(ref, env, (m) => inv.io.err(`${m}\n`), {
    allowHttp: inv.flags.bool('allow-http-registry'),
    allowInsecure: inv.flags.bool('allow-insecure-registry'),
    forWrite,
  });
  const host = ref.domain === 'docker.io' ? 'index.docker.io' : ref.domain;
  return {
    registry: access.registry,
    registryHost: ref.domain,
    repo: access.repo,
    repository: `${host}/${ref.path}`,
    reference: ref.digest ?? ref.tag ?? 'latest',
  };
}

async function signerFor(
  inv: Invocation,
  env: Record<string, string | undefined>,
  stdin: PasswordInput,
): Promise<{ signer: CosignKeySigner | KeylessSigner; publicKeyPem?: string }> {
  const f = inv.flags;
  const rekorUrl = f.string('rekor-url');
  if (f.string('key')) {
    let key: KeyObject;
    try {
      key = await loadPrivateKey(cosignKeyCodec, await readFile(f.string('key')), cosignPasswordSource({ env, input: stdin }));
    } catch (err) {
      throw prefixed('getting keypair and token: reading key', err);
    }
    const signer = new CosignKeySigner(key, { rekorUrl });
    return { signer, publicKeyPem: signer.publicKeyPem };
  }
  let token = f.string('identity-token') || env['SIGSTORE_ID_TOKEN'] || '';
  if (token && !token.includes('.')) token = (await readFile(token, 'utf8').catch(() => token)).trim();
  return { signer: new KeylessSigner({ ...(token ? { identityToken: token } : {}), fulcioUrl: f.string('fulcio-url'), rekorUrl }) };
}

function annotationsOf(list: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of list ?? []) {
    const i = a.indexOf('=');
    if (i < 0) throw new Error(`unable to parse annotation: ${a}`);
    out[a.slice(0, i)] = a.slice(i + 1);
  }
  return out;
}

function matcher(exact: string, regexp: string): StringMatcher | undefined {
  if (exact) return { exact };
  if (regexp) return { regexp };
  return undefined;
}

/** keeps the error (its code) and prefixes its message as cosign wraps errors */
function prefixed(prefix: string, err: unknown): unknown {
  if (err instanceof Error) err.message = `${prefix}: ${err.message}`;
  return err;
}
