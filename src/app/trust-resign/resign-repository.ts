/**
 * `dct trust resign`'s use case for one repository: every tag its verified DCT trust data
 * releases (docker's rule: from targets/releases or targets) is signed again, digest by
 * digest, in the new format with the DCT provenance as annotations. A tag is skipped when
 * the registry already holds a signature of its digest in that format by the same key (so a
 * re-run signs nothing new), when DCT does not release it, or when the registry lists it
 * but DCT does not sign it; a signing error fails that tag only. `dryRun` signs nothing and
 * reports what would be signed.
 */
import { isDctError } from '../../core/errors.js';
import type { BundleRepository, BundleTag } from '../../core/trust-bundle/manifest.js';
import type { RegistryTagLister, ResignSigner } from './ports.js';
import { provenanceAnnotations, targetsVersion, type TrustDataOrigin } from './provenance.js';

export type TagOutcome = 'migrated' | 'would-sign' | 'skipped' | 'failed';

export interface TagReport {
  tag: string;
  /** '' for a registry tag DCT does not sign */
  digest: string;
  outcome: TagOutcome;
  /** why it was skipped or failed */
  reason?: string;
  /** the stable code of a failure */
  code?: string;
  /** where the new signature went (referrer digest or signature tag) */
  stored?: string;
  /** the DCT roles that signed it */
  roles: string[];
  annotations?: Record<string, string>;
}

export interface RepositoryResign {
  gun: string;
  format: 'cosign' | 'notation';
  keyId: string;
  targetsVersion: number;
  tags: TagReport[];
  /** what could not be done but did not stop the run (e.g. the registry's tag list) */
  warnings: string[];
}

export interface ResignRepositoryInput {
  repository: BundleRepository;
  origin: TrustDataOrigin;
  signer: ResignSigner;
  /** the registry's tags, to report the unsigned ones (absent: not listed) */
  tags?: RegistryTagLister;
  dryRun: boolean;
  onTag?: (tag: string, state: string) => void;
}

/** cosign's legacy signature tags and the referrers tag-schema fallback tags are signatures, not images */
const SIGNATURE_TAG = /^sha256-[0-9a-f]{64}(\.[a-z]+)?$/;

async function unsignedTags(input: ResignRepositoryInput, signed: ReadonlySet<string>, warnings: string[]): Promise<TagReport[]> {
  if (!input.tags) return [];
  let listed: string[];
  try {
    listed = await input.tags.list();
  } catch (err) {
    warnings.push(`the registry's tag list could not be read, unsigned tags are not reported: ${(err as Error).message}`);
    return [];
  }
  return listed
    .filter((t) => !signed.has(t) && !SIGNATURE_TAG.test(t))
    .map((tag) => ({
      tag,
      digest: '',
      outcome: 'skipped' as const,
      reason: 'not signed through DCT (no trust data for this tag: never signed, or revoked)',
      roles: [],
    }));
}

async function resignTag(input: ResignRepositoryInput, tag: BundleTag): Promise<TagReport> {
  const roles = tag.roles.map((r) => r.role);
  const base = { tag: tag.name, digest: tag.digest, roles };
  if (tag.digest === '') return { ...base, outcome: 'skipped', reason: 'the DCT target has no sha256 digest' };
  if (!tag.released) {
    return { ...base, outcome: 'skipped', reason: `not verifying through DCT: only signed by ${roles.join(', ')}, not released` };
  }
  const { signer } = input;
  try {
    if (await signer.alreadySigned(tag.digest)) {
      return { ...base, outcome: 'skipped', reason: `already signed in the ${signer.format} format with key ${signer.keyId}` };
    }
    const annotations = provenanceAnnotations(input.repository, tag, input.origin);
    if (input.dryRun) return { ...base, outcome: 'would-sign', annotations };
    const stored = await signer.sign(tag.digest, annotations);
    return { ...base, outcome: 'migrated', stored, annotations };
  } catch (err) {
    return { ...base, outcome: 'failed', reason: (err as Error).message, code: isDctError(err) ? err.code : 'ERROR' };
  }
}

/** Re-signs every tag of one repository; never throws for one tag's failure. */
export async function resignRepository(input: ResignRepositoryInput): Promise<RepositoryResign> {
  const warnings: string[] = [];
  const reports: TagReport[] = [];
  for (const tag of input.repository.tags) {
    input.onTag?.(tag.name, input.dryRun ? 'checking' : 'signing');
    const report = await resignTag(input, tag);
    input.onTag?.(tag.name, report.outcome);
    reports.push(report);
  }
  reports.push(...(await unsignedTags(input, new Set(input.repository.tags.map((t) => t.name)), warnings)));
  reports.sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
  return {
    gun: input.repository.gun,
    format: input.signer.format,
    keyId: input.signer.keyId,
    targetsVersion: targetsVersion(input.repository),
    tags: reports,
    warnings,
  };
}
