/**
 * Every signature of an image in every format (`dct verify`): the image reference is
 * already resolved to a digest; when that digest is an index, each manifest it lists
 * (multi-arch: one per platform) is a subject too. Every FormatVerifier runs on every
 * subject, all in parallel; their reports come back grouped per digest, with the formats
 * that could not look (a registry that does not answer) beside them.
 *
 * The verdict (what `dct verify` exits on):
 * - **verified** when the image's own digest has at least one `verified` signature in any
 *   format (DCT, cosign, Notation), or — for an index — when every platform manifest it
 *   lists has one (signing an index covers its manifests: its digest binds theirs; signing
 *   only some platforms leaves the others unsigned, which is not enough);
 * - else **unverified** (NO_VERIFIED_SIGNATURE). Failed reports and formats that could not
 *   look never turn a verified image into an unverified one: they are reported beside it,
 *   for the policy (issue 13) to weigh.
 *
 * Reports are checked on the way out: one claiming another digest than the one its format
 * was asked about is turned into a failure (SIGNATURE_SUBJECT_MISMATCH), whatever it says.
 */
import { DctError, isDctError } from '../../core/errors.js';
import type { Descriptor } from '../../core/oci/descriptor.js';
import { parseManifest } from '../../core/oci/manifest.js';
import { DOCKER_MEDIA_TYPES, OCI_MEDIA_TYPES } from '../../core/oci/media-types.js';
import type { FormatVerifier, ImageSubject, SignatureFormat, SignatureReport } from '../../core/signatures/signature-report.js';
import type { SignatureRegistry } from './signature-registry.js';

/** What the use case reads from the registry: the image's manifest, to find an index's manifests. */
export type ManifestReader = Pick<SignatureRegistry, 'getManifest'>;

/** A format that could not look for signatures on a digest (or a manifest that could not be read). */
export interface VerificationFailure {
  format?: SignatureFormat;
  code: string;
  message: string;
}

export interface DigestSignatures {
  digest: string;
  /**
   * `image`: the reference's digest (a single manifest); `index`: the reference's digest, an index;
   * `platform`: a manifest the index lists
   */
  kind: 'image' | 'index' | 'platform';
  /** for a platform manifest: `os/architecture[/variant]` as the index gives it */
  platform?: string;
  reports: SignatureReport[];
  /** formats that could not look here */
  failures: VerificationFailure[];
}

export type ImageVerdict = 'verified' | 'unverified';

export interface ImageSignatures {
  subject: ImageSubject;
  /** the reference's digest first, then the index's manifests in index order */
  digests: DigestSignatures[];
  verdict: ImageVerdict;
  /** when unverified: NO_VERIFIED_SIGNATURE and why */
  code?: string;
  reason?: string;
  /** the image's manifest could not be read: only its own digest was checked */
  manifestFailure?: VerificationFailure;
}

export interface VerifyImageSignaturesOptions {
  verifiers: readonly FormatVerifier[];
  /** to read the image's manifest (an index's platforms); absent: only the digest itself is checked */
  manifests?: ManifestReader;
  /** most manifests of an index checked one by one (default 64); more is INDEX_TOO_LARGE */
  maxPlatforms?: number;
  signal?: AbortSignal;
}

const MANIFEST_ACCEPT = [OCI_MEDIA_TYPES.index, DOCKER_MEDIA_TYPES.manifestList, OCI_MEDIA_TYPES.manifest, DOCKER_MEDIA_TYPES.manifest];
const DEFAULT_MAX_PLATFORMS = 64;

export async function verifyImageSignatures(subject: ImageSubject, opts: VerifyImageSignaturesOptions): Promise<ImageSignatures> {
  const top: DigestSignatures = { digest: subject.digest, kind: 'image', reports: [], failures: [] };
  const digests: DigestSignatures[] = [top];
  let manifestFailure: VerificationFailure | undefined;
  if (opts.manifests) {
    try {
      const platforms = await platformManifests(opts.manifests, subject, opts.maxPlatforms ?? DEFAULT_MAX_PLATFORMS, opts.signal);
      if (platforms !== undefined) {
        top.kind = 'index';
        for (const d of platforms) {
          const platform = platformOf(d);
          digests.push({ digest: d.digest, kind: 'platform', ...(platform ? { platform } : {}), reports: [], failures: [] });
        }
      }
    } catch (err) {
      manifestFailure = failureOf(err);
    }
  }
  await Promise.all(
    digests.flatMap((entry) =>
      opts.verifiers.map(async (verifier) => {
        const at: ImageSubject = { ...subject, digest: entry.digest };
        if (entry.kind === 'platform') delete at.tag;
        try {
          const reports = await verifier.verify(at, opts.signal ? { signal: opts.signal } : {});
          entry.reports.push(...reports.map((r) => checkedReport(r, entry.digest)));
        } catch (err) {
          entry.failures.push({ format: verifier.format, ...failureOf(err) });
        }
      }),
    ),
  );
  // reports in a stable order: by format as the verifiers were given, each format's own order kept
  const order = new Map(opts.verifiers.map((v, i) => [v.format, i]));
  for (const entry of digests) {
    entry.reports = stableSortBy(entry.reports, (r) => order.get(r.format) ?? order.size);
    entry.failures = stableSortBy(entry.failures, (f) => (f.format ? (order.get(f.format) ?? order.size) : -1));
  }
  const result: ImageSignatures = { subject, digests, verdict: 'unverified', ...(manifestFailure ? { manifestFailure } : {}) };
  return { ...result, ...verdictOf(digests) };
}

/** The verdict rule (see the module comment). */
export function verdictOf(digests: readonly DigestSignatures[]): { verdict: ImageVerdict; code?: string; reason?: string } {
  const verified = (d: DigestSignatures) => d.reports.some((r) => r.verdict === 'verified');
  const top = digests[0];
  if (!top) return { verdict: 'unverified', code: 'NO_VERIFIED_SIGNATURE', reason: 'nothing was checked' };
  if (verified(top)) return { verdict: 'verified' };
  const platforms = digests.filter((d) => d.kind === 'platform');
  if (top.kind === 'index' && platforms.length > 0 && platforms.every(verified)) return { verdict: 'verified' };
  const unsigned = platforms.filter((d) => !verified(d));
  const reason =
    top.kind === 'index' && platforms.length > 0 && unsigned.length < platforms.length
      ? `no verified signature of the index ${top.digest}, and none of ${unsigned.map((d) => d.platform ?? d.digest).join(', ')}`
      : `no verified signature of ${top.digest} in any format`;
  return { verdict: 'unverified', code: 'NO_VERIFIED_SIGNATURE', reason };
}

/** A report as its format gave it, unless it claims another digest than the one asked about. */
function checkedReport(r: SignatureReport, digest: string): SignatureReport {
  if (r.subject === digest) return r;
  const reason = `the ${r.format} signature is for ${r.subject}, not for ${digest}`;
  return { ...r, verdict: 'failed', code: 'SIGNATURE_SUBJECT_MISMATCH', reason };
}

/** The manifests an index lists (attestation manifests of buildx left out), or undefined for a single manifest. */
async function platformManifests(
  reader: ManifestReader,
  subject: ImageSubject,
  max: number,
  signal: AbortSignal | undefined,
): Promise<Descriptor[] | undefined> {
  const got = await reader.getManifest(subject.repository, subject.digest, MANIFEST_ACCEPT, signal ? { signal } : {});
  if (!got) throw new DctError('MANIFEST_NOT_FOUND', `${subject.registry}/${subject.repository}@${subject.digest} is not in the registry`);
  const manifest = parseManifest(got.bytes, { contentType: got.mediaType, expected: { digest: subject.digest } });
  if (manifest.kind !== 'index') return undefined;
  const listed = manifest.manifests.filter((d) => d.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest');
  if (listed.length > max) {
    throw new DctError(
      'INDEX_TOO_LARGE',
      `the index ${subject.digest} lists ${listed.length} manifests, more than the ${max} dct verify checks one by one: verify a platform's manifest by its digest`,
    );
  }
  return listed;
}

function platformOf(d: Descriptor): string | undefined {
  const p = d.platform;
  if (!p) return undefined;
  return [p.os, p.architecture, ...(p.variant ? [p.variant] : [])].join('/');
}

function failureOf(err: unknown): { code: string; message: string } {
  if (isDctError(err)) return { code: err.code, message: err.message };
  return { code: 'ERROR', message: err instanceof Error ? err.message : String(err) };
}

function stableSortBy<T>(items: readonly T[], key: (t: T) => number): T[] {
  return items
    .map((item, i) => ({ item, i, k: key(item) }))
    .sort((a, b) => a.k - b.k || a.i - b.i)
    .map((x) => x.item);
}
