/**
 * `dct verify IMAGE… [--format text|table|json]`: every signature of every image, in every
 * format dct reads (DCT/Notary trust data, cosign, Notation), each with its verdict, signer
 * and where it was found; for an index, the index and each platform manifest it lists.
 * Exit 0 only when every image is verified — for CI.
 *
 * The image's digest comes from DCT as docker's content trust resolves it (spec §7.2,
 * §7.10), as before:
 * - `name[:tag]` (no tag = `latest`, as docker): the tag's released digest; a tag DCT does
 *   not sign is resolved through the registry when a registry-stored format is wired;
 * - `name@sha256:…`: that digest (DCT: a released tag must point at it);
 * - `name:tag@sha256:…`: that digest; when DCT signs the tag for another digest, the pin is
 *   stale and the image unverified whatever else signs the digest (only DCT signs tags).
 *
 * An image is verified when at least one signature of its digest verifies, in any format
 * (for an index: of the index, or of every platform it lists) — see
 * `src/app/signatures/verify-image-signatures.ts`. When none does, the error is DCT's, in
 * docker's words (`Error: remote trust data does not exist for <gun>: …`, `No valid trust
 * data for <tag>`), or NO_VERIFIED_SIGNATURE when DCT had nothing to say.
 */
import type { Command } from 'commander';
import { splitWritten } from '../../../app/images/pin-files.js';
import { parseReference, type Resolved } from '../../../app/images/trust-resolver.js';
import { verifyImageSignatures, type DigestSignatures, type VerificationFailure } from '../../../app/signatures/verify-image-signatures.js';
import type { ImageReference } from '../../../core/image-reference.js';
import type { SignatureReport, SignerIdentity } from '../../../core/signatures/signature-report.js';
import { CliFailure } from '../../cli-failure.js';
import { processIo, type TrustIo } from '../../docker-trust/io.js';
import { failureJson, resolutionFailure } from '../../docker-trust/trust-resolution.js';
import { registryFormatFactories, signatureFormats, type SignatureFormats } from '../../signature-formats.js';
import type { StringMatcher } from '../../../core/signatures/sigstore-verification.js';
import { tabwrite } from '../../table.js';
import { AUDIT_ENV, POLICY_ENV } from '../../policy-enforcement.js';
import { TRUST_BUNDLE_ENV, withTrustBundle } from '../../docker-trust/trust-data.js';
import { parseVerifyFormat, type VerifyFormat } from './verify-format.js';
import { verifyByPolicy } from './verify-policy.js';

export interface VerifyRow {
  /** the argument as given */
  image: string;
  /** `name:tag@sha256:<hex>` (the name as given), or `name@sha256:<hex>` for a reference by digest */
  reference: string | null;
  /** verified in at least one format (see the verdict rule) */
  signed: boolean;
  /** the digest verified */
  digest: string | null;
  /** DCT: the signed size, and the role docker resolves the tag from (`targets/releases` or `targets`) */
  size: number | null;
  role: string | null;
  /** DCT, for a reference by digest: the released tags that point at it */
  tags?: string[];
  /** why the image is not verified */
  error: { code: string; message: string; hint?: string } | null;
  /** `verified` or `unverified` */
  verdict: 'verified' | 'unverified';
  /** the signatures found, per digest: the image's (or index's) first, then each platform manifest */
  digests: DigestSignatures[];
  /** the image's manifest could not be read (its platforms were not checked) */
  manifestFailure?: VerificationFailure;
}

function referenceOf(input: string, digest: string, tag: string | undefined): string {
  const { name } = splitWritten(input);
  return tag !== undefined ? `${name}:${tag}@${digest}` : `${name}@${digest}`;
}

/** One image: DCT's resolution, the digest, then every format on it. */
async function verifyOne(image: string, formats: SignatureFormats): Promise<VerifyRow> {
  const unsigned = (error: VerifyRow['error'], digest: string | null = null): VerifyRow => ({
    image,
    reference: null,
    signed: false,
    digest,
    size: null,
    role: null,
    error,
    verdict: 'unverified',
    digests: [],
  });
  let ref: ImageReference;
  try {
    ref = parseReference(image);
  } catch (err) {
    return unsigned(failureJson(resolutionFailure(err)));
  }
  let dct: Resolved | undefined;
  let dctError: VerifyRow['error'] = null;
  try {
    dct = await formats.resolver.verify(ref);
  } catch (err) {
    dctError = failureJson(resolutionFailure(err));
  }
  let target;
  try {
    target = await formats.target(ref);
  } catch (err) {
    return unsigned(dctError ?? failureJson(resolutionFailure(err)), dct?.digest ?? null);
  }
  const tag = dct?.tag ?? (ref.digest === undefined ? (ref.tag ?? 'latest') : ref.tag);
  let digest = dct?.digest ?? ref.digest;
  if (digest === undefined && target.resolveTag !== undefined && tag !== undefined) {
    try {
      digest = await target.resolveTag(tag);
    } catch (err) {
      return unsigned(dctError ?? failureJson(resolutionFailure(err)));
    }
  }
  if (digest === undefined) return unsigned(dctError);
  const found = await verifyImageSignatures(
    { registry: ref.domain, repository: ref.path, digest, ...(tag !== undefined ? { tag } : {}) },
    { verifiers: target.verifiers, ...(target.manifests ? { manifests: target.manifests } : {}) },
  );
  // `name:tag@digest` claims the digest is the tag's: only DCT signs tags, and when it says otherwise the pin is stale
  const stalePin = dctError?.code === 'DIGEST_MISMATCH';
  const signed = found.verdict === 'verified' && !stalePin;
  return {
    image,
    reference: signed || dct ? referenceOf(image, digest, dct ? dct.tag : ref.digest === undefined ? tag : ref.tag) : null,
    signed,
    digest,
    size: dct?.size ?? null,
    role: dct?.role ?? null,
    ...(dct?.tags ? { tags: dct.tags } : {}),
    error: signed
      ? null
      : (dctError ?? { code: found.code ?? 'NO_VERIFIED_SIGNATURE', message: `${image}: ${found.reason ?? 'not signed'}` }),
    verdict: signed ? 'verified' : 'unverified',
    digests: found.digests,
    ...(found.manifestFailure ? { manifestFailure: found.manifestFailure } : {}),
  };
}

/** Verifies every image; returns the rows in argument order. */
export async function verifyImages(
  images: readonly string[],
  io: TrustIo,
  formats: SignatureFormats = signatureFormats(io),
): Promise<VerifyRow[]> {
  try {
    return await Promise.all(images.map((image) => verifyOne(image, formats)));
  } finally {
    formats.close();
  }
}

/** How a signer reads in a table. */
export function signerText(s: SignerIdentity | undefined): string {
  if (!s) return '-';
  if (s.kind === 'role') return s.name !== undefined && s.name !== s.role ? `${s.role} (${s.name})` : (s.role ?? '-');
  if (s.kind === 'certificate') {
    const who = s.san ?? s.subject ?? s.keyId ?? '-';
    return s.issuer !== undefined ? `${who} (${s.issuer})` : who;
  }
  return s.name ?? (s.keyId !== undefined ? `key ${s.keyId}` : 'key');
}

function verdictText(r: SignatureReport): string {
  return r.verdict === 'failed' && r.code !== undefined ? `failed [${r.code}]` : r.verdict;
}

/** The signature rows of one image: FORMAT, DIGEST, PLATFORM, SIGNER, VERDICT, WHERE. */
function signatureRows(row: VerifyRow): string[][] {
  const out: string[][] = [];
  for (const d of row.digests) {
    const platform = d.kind === 'platform' ? (d.platform ?? '?') : d.kind === 'index' ? 'index' : '-';
    for (const r of d.reports) {
      out.push([r.format, d.digest, platform, signerText(r.signer), verdictText(r), `${r.foundAt.via} ${r.foundAt.reference}`]);
    }
  }
  return out;
}

const HEADER = ['FORMAT', 'DIGEST', 'PLATFORM', 'SIGNER', 'VERDICT', 'WHERE'];

export async function runVerify(images: readonly string[], format: VerifyFormat, io: TrustIo, formats?: SignatureFormats): Promise<number> {
  const rows = await verifyImages(images, io, formats);
  if (format === 'json') {
    io.out(JSON.stringify(rows, null, 2) + '\n');
  } else if (format === 'table') {
    const table = [['IMAGE', ...HEADER]];
    for (const r of rows) {
      const sigs = signatureRows(r);
      if (sigs.length === 0) table.push([r.image, '-', r.digest ?? '-', '-', '-', 'unsigned', '-']);
      for (const s of sigs) table.push([r.image, ...s]);
    }
    io.out(tabwrite(table, { padding: 3 }));
  } else {
    // the verified image's pinned reference alone on its line, as before (scripts read it); its signatures below
    for (const r of rows) {
      const sigs = signatureRows(r);
      if (!r.signed && sigs.length === 0) continue;
      io.out(r.signed ? `${r.reference ?? r.image}\n` : `${r.image} (unverified)\n`);
      if (sigs.length > 0) io.out(indent(tabwrite([HEADER, ...sigs], { padding: 3 })));
    }
  }
  if (format !== 'json') {
    for (const r of rows) {
      const prefix = images.length > 1 ? `${r.image}: ` : '';
      if (r.manifestFailure) io.err(`${prefix}the platforms were not checked: ${r.manifestFailure.message}\n`);
      for (const d of r.digests) {
        for (const f of d.failures)
          io.err(`${prefix}${f.format ?? 'registry'}: could not look for signatures of ${d.digest}: ${f.message}${codeText(f.code)}\n`);
      }
      if (!r.error) continue;
      io.err(`${prefix}${r.error.message}${codeText(r.error.code)}\n`);
      if (io.hints && r.error.hint) io.err(`hint: ${r.error.hint}\n`);
    }
  }
  return rows.every((r) => r.signed) ? 0 : 1;
}

/** ` [CODE]` after a failure's message (none for a failure without a stable code). */
function codeText(code: string | undefined): string {
  return code === undefined || code === 'ERROR' ? '' : ` [${code}]`;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => (l === '' ? l : `  ${l}`))
    .join('\n');
}

interface VerifyOptions {
  format: string;
  key?: string;
  certificateIdentity?: string;
  certificateIdentityRegexp?: string;
  certificateOidcIssuer?: string;
  certificateOidcIssuerRegexp?: string;
  trustedRoot?: string;
  insecureIgnoreTlog?: boolean;
  policy?: string;
  audit?: string;
  trustBundle?: string;
}

/** cosign's flag pair: the exact value, else the regexp, else none. */
function matcher(exact: string | undefined, regexp: string | undefined): StringMatcher | undefined {
  if (exact !== undefined) return { exact };
  return regexp !== undefined ? { regexp } : undefined;
}

export function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description(
      'check that every image is signed, in any format (DCT, cosign, Notation); list every signature found (exit 0 only when all are)',
    )
    .argument('<images...>', 'IMAGE[:TAG] or IMAGE@sha256:… (no tag means :latest, as docker)')
    .option('--format <format>', 'text (each image and its signatures), table (one row per signature) or json', 'text')
    .option('--key <file>', "cosign: the signer's public key (cosign.pub); without it, keyless cosign signatures are checked")
    .option('--certificate-identity <identity>', 'cosign keyless: the certificate identity that must have signed (default: any, reported)')
    .option('--certificate-identity-regexp <regexp>', 'cosign keyless: the identity as a regular expression')
    .option('--certificate-oidc-issuer <issuer>', 'cosign keyless: the OIDC issuer of the identity (default: any, reported)')
    .option('--certificate-oidc-issuer-regexp <regexp>', 'cosign keyless: the issuer as a regular expression')
    .option('--trusted-root <file>', 'cosign: Sigstore trusted_root.json (default: the production root dct ships)')
    .option('--insecure-ignore-tlog', 'cosign: accept signatures that have no transparency log entry')
    .option('--policy <file>', `decide each image by this trust policy instead (default: $${POLICY_ENV}); exit 1 when one is denied`)
    .option('--audit <file|url>', `write every policy decision to this audit feed (default: $${AUDIT_ENV})`)
    .option(
      '--trust-bundle <file>',
      `DCT: read trust data from this trust bundle (dct trust export), not a trust server (default: $${TRUST_BUNDLE_ENV})`,
    )
    .action(async (images: string[], opts: VerifyOptions) => {
      const io = withTrustBundle(processIo(), opts.trustBundle);
      const format = parseVerifyFormat(opts.format);
      const identity = matcher(opts.certificateIdentity, opts.certificateIdentityRegexp);
      const issuer = matcher(opts.certificateOidcIssuer, opts.certificateOidcIssuerRegexp);
      const byPolicy = await verifyByPolicy(images, format, opts, io);
      if (byPolicy !== undefined) {
        if (opts.key ?? identity ?? issuer ?? opts.insecureIgnoreTlog)
          io.err(
            'warning: --key, --certificate-* and --insecure-ignore-tlog are not used with a policy: its rules name keys and identities\n',
          );
        if (byPolicy !== 0) throw CliFailure.reported(byPolicy);
        return;
      }
      const registryFormats = registryFormatFactories(io.env, {
        ...(opts.key !== undefined ? { cosignKey: opts.key } : {}),
        ...(identity ? { identity } : {}),
        ...(issuer ? { issuer } : {}),
        ...(opts.trustedRoot !== undefined ? { trustedRoot: opts.trustedRoot } : {}),
        ...(opts.insecureIgnoreTlog ? { ignoreTlog: true } : {}),
      });
      const code = await runVerify(images, format, io, signatureFormats(io, registryFormats));
      if (code !== 0) throw CliFailure.reported(code);
    });
}
