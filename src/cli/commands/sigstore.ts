/**
 * `dct sigstore verify-bundle …` / `sign-bundle …`: the Sigstore client conformance
 * suite's client protocol, so that the suite's own harness can drive dct (entrypoint
 * `dct sigstore`), and `dct sigstore update-trusted-root` to refresh the production
 * trusted root through Sigstore's TUF repository.
 *
 * Exit status is the verdict: 0 verified (or signed), non-zero refused, with the reason and
 * its code on stderr (`dct: … [SIGSTORE_…]`, printed by main).
 */
import type { Command } from 'commander';
import { readFile, writeFile } from 'node:fs/promises';
import { signBundle } from '../../adapters/sigstore/bundle-signer.js';
import { readBundleFile, verifyBundleFiles } from '../../adapters/sigstore/conformance-client.js';
import { loadTrustedRoot, PUBLIC_GOOD_TUF_MIRROR, refreshTrustedRoot } from '../../adapters/sigstore/trusted-root.js';
import { DctError } from '../../core/errors.js';

interface VerifyOptions {
  staging?: boolean;
  bundle: string;
  key?: string;
  certificateIdentity?: string;
  certificateOidcIssuer?: string;
  trustedRoot?: string;
}

interface SignOptions {
  staging?: boolean;
  inToto?: boolean;
  identityToken: string;
  bundle: string;
  trustedRoot?: string;
  signingConfig?: string;
}

async function readInput(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new DctError('FILE_NOT_READABLE', `cannot read ${what} ${path}: ${(err as Error).message}`);
  }
}

export function registerSigstoreCommand(program: Command): void {
  const sigstore = program
    .command('sigstore')
    .description("the Sigstore conformance suite's client protocol (verify-bundle, sign-bundle) and the trusted root");

  sigstore
    .command('verify-bundle')
    .description('verify a Sigstore bundle for an artifact file or a sha256:<hex> digest; exit 0 when verified')
    .requiredOption('--bundle <file>', 'the Sigstore bundle (JSON)')
    .option('--key <file>', 'PEM public key the bundle must be signed with (instead of an identity)')
    .option('--certificate-identity <identity>', "the Fulcio certificate's SAN, exactly")
    .option('--certificate-oidc-issuer <issuer>', "the certificate's OIDC issuer, exactly")
    .option('--trusted-root <file>', 'trusted_root.json to verify against (default: the production root)')
    .option('--staging', "Sigstore's staging instance (needs --trusted-root)")
    .argument('<artifact>', 'the artifact file, or sha256:<64 hex> (a digest unless such a file exists)')
    .action(async (artifact: string, opts: VerifyOptions) => {
      const result = await verifyBundleFiles({
        bundlePath: opts.bundle,
        artifact,
        ...(opts.key !== undefined ? { keyPath: opts.key } : {}),
        ...(opts.certificateIdentity !== undefined ? { identity: opts.certificateIdentity } : {}),
        ...(opts.certificateOidcIssuer !== undefined ? { issuer: opts.certificateOidcIssuer } : {}),
        ...(opts.trustedRoot !== undefined ? { trustedRootPath: opts.trustedRoot } : {}),
        ...(opts.staging ? { staging: true } : {}),
      });
      const who = result.signer.san ? `${result.signer.san} (${result.signer.issuer ?? 'no issuer'})` : result.signer.keyId;
      const when = result.signedAt
        ? `, signed ${result.signedAt} (${result.timeSource === 'tsa' ? 'RFC 3161 timestamp' : 'transparency log'})`
        : '';
      process.stderr.write(`Verified OK: ${who}${when}\n`);
    });

  sigstore
    .command('sign-bundle')
    .description('sign a file keylessly (Fulcio, Rekor, TSA) and write its Sigstore bundle; needs the network')
    .requiredOption('--identity-token <token>', 'the OIDC identity token (JWT)')
    .requiredOption('--bundle <file>', 'where to write the bundle')
    .option('--in-toto', 'the file is an in-toto statement: sign it as a DSSE envelope')
    .option('--signing-config <file>', 'signing config naming Fulcio, Rekor and TSA (default: the public-good services)')
    .option('--trusted-root <file>', 'trusted root of the instance (checked to load; the signing services come from the signing config)')
    .option('--staging', "Sigstore's staging services")
    .argument('<file>', 'the file to sign')
    .action(async (file: string, opts: SignOptions) => {
      if (opts.trustedRoot !== undefined) await loadTrustedRoot(opts.trustedRoot);
      const signingConfig = opts.signingConfig !== undefined ? await readBundleFileAsConfig(opts.signingConfig) : undefined;
      const bundle = await signBundle({
        content: await readInput(file, 'the file to sign'),
        inTotoStatement: opts.inToto ?? false,
        identityToken: opts.identityToken,
        ...(signingConfig !== undefined ? { signingConfig } : {}),
        ...(opts.staging ? { staging: true } : {}),
      });
      await writeFile(opts.bundle, JSON.stringify(bundle) + '\n');
      process.stderr.write(`Wrote bundle to ${opts.bundle}\n`);
    });

  sigstore
    .command('update-trusted-root')
    .description("refresh the production trusted root through Sigstore's TUF repository (online) into dct's cache")
    .option('--mirror <url>', 'TUF repository', PUBLIC_GOOD_TUF_MIRROR)
    .option('--tuf-root <file>', 'TUF root.json to start from (default: the one dct ships)')
    .action(async (opts: { mirror: string; tufRoot?: string }) => {
      const { path } = await refreshTrustedRoot({
        mirrorURL: opts.mirror,
        ...(opts.tufRoot !== undefined ? { tufRootPath: opts.tufRoot } : {}),
      });
      process.stdout.write(`trusted root updated from ${opts.mirror}: ${path}\n`);
    });
}

async function readBundleFileAsConfig(path: string): Promise<unknown> {
  try {
    return await readBundleFile(path);
  } catch (err) {
    throw new DctError('SIGSTORE_SIGNING_CONFIG_INVALID', `the signing config ${path} is not usable: ${(err as Error).message}`);
  }
}
