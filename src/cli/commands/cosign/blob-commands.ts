/**
 * cosign's `sign-blob` and `verify-blob` (cosign 3's flags, files, texts and exit codes):
 * keyed or keyless signing into a Sigstore bundle (or the legacy bundle and bare signature
 * with `--new-bundle-format=false`), and verification against a key or a certificate
 * identity, printing `Verified OK` on stderr.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { KeyObject } from 'node:crypto';
import { cosignKeyCodec } from '../../../adapters/cosign/cosign-key-codec.js';
import { CosignKeySigner } from '../../../adapters/cosign/key-signer.js';
import { KeyedBundleVerifier } from '../../../adapters/cosign/keyed-bundle-verifier.js';
import { KeylessSigner } from '../../../adapters/cosign/keyless-signer.js';
import { cosignPasswordSource, type PasswordInput } from '../../../adapters/cosign/password.js';
import { SigstoreBundleVerifier } from '../../../adapters/sigstore/bundle-verifier.js';
import { signBlob } from '../../../app/cosign/blobs/sign-blob.js';
import { verifyBlob } from '../../../app/cosign/blobs/verify-blob.js';
import { loadPrivateKey } from '../../../app/cosign/keys/key-pair.js';
import type { SignedArtifact, StringMatcher } from '../../../core/signatures/sigstore-verification.js';
import type { SigstoreSigner } from '../../../core/signatures/sigstore-signing.js';
import type { CommandSpec, Invocation } from '../../cobra/command.js';
import { CERTIFICATE_IDENTITY_FLAGS } from './identity-flags.js';
import { PRIVACY_CONFIRMATION, PRIVACY_STATEMENT } from './privacy-statement.js';
import { readLine, type CosignCommandEnv } from './key-commands.js';

const DEFAULT_REKOR_URL = 'https://rekor.sigstore.dev';
const DEFAULT_FULCIO_URL = 'https://fulcio.sigstore.dev';

export function cosignBlobCommands(deps: CosignCommandEnv = {}): CommandSpec[] {
  const env = deps.env ?? process.env;
  const stdin = deps.stdin ?? process.stdin;
  return [
    {
      use: 'sign-blob',
      short: 'Sign the supplied blob, outputting the base64-encoded signature to stdout.',
      flags: [
        { name: 'key', kind: 'string', usage: 'path to the private key file, KMS URI or Kubernetes Secret' },
        { name: 'bundle', kind: 'string', usage: 'write everything required to verify the blob to a FILE' },
        { name: 'output-signature', kind: 'string', usage: 'write the signature to FILE' },
        { name: 'output', kind: 'string', usage: 'write the signature to FILE', hidden: true },
        { name: 'output-certificate', kind: 'string', usage: 'write the certificate to FILE' },
        {
          name: 'new-bundle-format',
          kind: 'bool',
          def: true,
          usage: 'output bundle in new format that contains all verification material',
        },
        { name: 'tlog-upload', kind: 'bool', def: true, usage: 'whether or not to upload to the tlog' },
        { name: 'yes', short: 'y', kind: 'bool', usage: 'skip confirmation prompts for non-destructive operations' },
        { name: 'b64', kind: 'bool', def: true, usage: 'whether to base64 encode the output' },
        { name: 'rekor-url', kind: 'string', def: DEFAULT_REKOR_URL, usage: 'address of rekor STL server' },
        { name: 'fulcio-url', kind: 'string', def: DEFAULT_FULCIO_URL, usage: 'address of sigstore PKI server (or $SIGSTORE_FULCIO_URL)' },
        {
          name: 'identity-token',
          kind: 'string',
          usage: 'identity token to use for certificate from fulcio. the token or a path to a file containing the token is accepted.',
        },
      ],
      run: async (inv) => {
        if (inv.args.length < 1) throw new Error(`requires at least 1 arg(s), only received ${inv.args.length}`);
        const f = inv.flags;
        const newBundle = f.bool('new-bundle-format');
        if (newBundle && !f.string('bundle')) throw new Error('must specify --bundle with --new-bundle-format');
        const tlogUpload = f.bool('tlog-upload');
        if (tlogUpload) {
          inv.io.err(`${PRIVACY_STATEMENT}\n${PRIVACY_CONFIRMATION}\n`);
          if (!f.bool('yes')) {
            inv.io.err('Are you sure you would like to continue? [y/N] ');
            if ((await readLine(stdin)).trim().toLowerCase() !== 'y') throw new Error('upload to tlog: user declined the prompt');
          }
        }
        const signer = await signerFor(inv, env, stdin);
        const outSig = f.string('output-signature') || f.string('output');
        for (const blobPath of inv.args) {
          if (blobPath !== '-') inv.io.err(`Using payload from: ${blobPath}\n`);
          const blob = blobPath === '-' ? await readAll(stdin) : await readFile(blobPath);
          let signed;
          try {
            signed = await signBlob({ signer, blob, tlogUpload });
          } catch (err) {
            throw prefixed(`signing ${blobPath}`, err);
          }
          if (newBundle) {
            await writeFile(f.string('bundle'), signed.bundleJson, { mode: 0o600 });
            inv.io.err(`Wrote bundle to file ${f.string('bundle')}\n`);
            continue;
          }
          if (f.string('bundle')) {
            await writeFile(f.string('bundle'), signed.legacyBundleJson, { mode: 0o600 });
            inv.io.err(`Wrote bundle to file ${f.string('bundle')}\n`);
          }
          const sigOut = f.bool('b64') ? Buffer.from(signed.signatureBase64) : Buffer.from(signed.signature.signature);
          if (outSig) {
            await writeFile(outSig, sigOut, { mode: 0o600 });
            inv.io.err(`Wrote signature to file ${outSig}\n`);
          } else if (f.bool('b64')) inv.io.out(`${signed.signatureBase64}\n`);
          else if (inv.io.bytes) inv.io.bytes(sigOut);
          else inv.io.out(sigOut.toString('latin1'));
          const cert = signed.signature.certificatePem;
          if (f.string('output-certificate') && cert) {
            const certPem = cert + (signed.signature.chainPem ?? '');
            await writeFile(f.string('output-certificate'), f.bool('b64') ? Buffer.from(certPem).toString('base64') : certPem, {
              mode: 0o600,
            });
            inv.io.err(`Wrote certificate to file ${f.string('output-certificate')}\n`);
          }
        }
      },
    },
    {
      use: 'verify-blob',
      short: 'Verify a signature on the supplied blob',
      long: 'Verify a signature on the supplied blob input using the specified key reference.\nYou may specify either a key, a certificate or a kms reference to verify against.\n\tIf you use a key or a certificate, you must specify the path to them on disk.\n\nThe signature may be specified as a path to a file or a base64 encoded string.\nThe blob may be specified as a path to a file or - for stdin.',
      flags: [
        { name: 'key', kind: 'string', usage: 'path to the public key file, KMS URI or Kubernetes Secret' },
        { name: 'signature', kind: 'string', usage: 'signature content or path or remote URL' },
        { name: 'bundle', kind: 'string', usage: 'path to bundle FILE' },
        {
          name: 'certificate',
          kind: 'string',
          usage:
            'path to the public certificate. The certificate will be verified against the Fulcio roots if the --certificate-chain option is not passed.',
        },
        ...CERTIFICATE_IDENTITY_FLAGS,
        { name: 'trusted-root', kind: 'string', usage: 'Path to a Sigstore TrustedRoot JSON file' },
        {
          name: 'insecure-ignore-tlog',
          kind: 'bool',
          usage:
            'ignore transparency log verification, to be used when an artifact signature has not been uploaded to the transparency log. Artifacts cannot be publicly verified when not included in a log',
        },
        {
          name: 'new-bundle-format',
          kind: 'bool',
          def: true,
          usage: 'expect the signature/attestation to be packaged in a Sigstore bundle',
        },
        { name: 'rekor-url', kind: 'string', def: DEFAULT_REKOR_URL, usage: 'address of rekor STL server' },
      ],
      run: async (inv) => {
        if (inv.args.length !== 1) throw new Error(`accepts 1 arg(s), received ${inv.args.length}`);
        const f = inv.flags;
        if (f.string('certificate'))
          throw new Error(
            '--certificate is not supported by dct cosign verify-blob: verify the Sigstore bundle (--bundle) with --certificate-identity and --certificate-oidc-issuer',
          );
        const ignoreTlog = f.bool('insecure-ignore-tlog');
        if (ignoreTlog)
          inv.io.err(
            'WARNING: Skipping tlog verification is an insecure practice that lacks transparency and auditability verification for the blob.\n',
          );
        const trustedRootPath = f.string('trusted-root');
        await verifyBlob(
          {
            artifact: await artifactOf(inv.args[0] as string, stdin),
            ...(f.string('key') ? { key: await readFile(f.string('key')) } : {}),
            ...(f.string('bundle') ? { bundle: await readFile(f.string('bundle')) } : {}),
            ...(f.string('signature') ? { signature: await fileOrLiteral(f.string('signature')) } : {}),
            ...matcher('identity', f.string('certificate-identity'), f.string('certificate-identity-regexp')),
            ...matcher('issuer', f.string('certificate-oidc-issuer'), f.string('certificate-oidc-issuer-regexp')),
            ...(trustedRootPath ? { trustedRoot: JSON.parse(await readFile(trustedRootPath, 'utf8')) as unknown } : {}),
            ignoreTlog,
            newBundleFormat: f.bool('new-bundle-format'),
          },
          // offline keyed checks (every key type) here; tlog entries, timestamps and certificates by @sigstore/verify
          { verifier: new KeyedBundleVerifier(new SigstoreBundleVerifier()), codec: cosignKeyCodec },
        );
        inv.io.err('Verified OK\n');
      },
    },
  ];
}

async function signerFor(inv: Invocation, env: Record<string, string | undefined>, stdin: PasswordInput): Promise<SigstoreSigner> {
  const f = inv.flags;
  const rekorUrl = f.string('rekor-url');
  if (f.string('key')) {
    let key: KeyObject;
    try {
      key = await loadPrivateKey(cosignKeyCodec, await readFile(f.string('key')), cosignPasswordSource({ env, input: stdin }));
    } catch (err) {
      throw prefixed('getting keypair and token: reading key', err);
    }
    return new CosignKeySigner(key, { rekorUrl });
  }
  let token = f.string('identity-token') || env['SIGSTORE_ID_TOKEN'] || '';
  // the token itself, or a file holding it (as cosign takes it)
  if (token) token = (await readFile(token, 'utf8').catch(() => token)).trim();
  return new KeylessSigner({ ...(token ? { identityToken: token } : {}), fulcioUrl: f.string('fulcio-url'), rekorUrl });
}

/** a path, `-` (stdin) or, when no such file exists, `sha256:<hex>` */
async function artifactOf(ref: string, stdin: PasswordInput): Promise<SignedArtifact> {
  if (ref === '-') return { bytes: await readAll(stdin) };
  try {
    return { bytes: await readFile(ref) };
  } catch (err) {
    if (/^sha256:[0-9a-f]{64}$/.test(ref)) return { digest: ref };
    throw err;
  }
}

async function fileOrLiteral(ref: string): Promise<Buffer> {
  try {
    return await readFile(ref);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return Buffer.from(ref);
  }
}

function matcher(name: 'identity' | 'issuer', exact: string, regexp: string): { identity?: StringMatcher; issuer?: StringMatcher } {
  if (exact) return { [name]: { exact } };
  if (regexp) return { [name]: { regexp } };
  return {};
}

/** keeps the DctError (its code) while prefixing the message as cosign wraps errors */
function prefixed(prefix: string, err: unknown): unknown {
  if (err instanceof Error) err.message = `${prefix}: ${err.message}`;
  return err;
}

function readAll(input: PasswordInput): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    input.on('data', (c: Buffer | string) => chunks.push(Buffer.from(c)));
    input.on('end', () => resolve(Buffer.concat(chunks)));
    input.on('error', reject);
    input.resume();
  });
}
