/**
 * The report of `dct trust resign`: per repository, every tag with its outcome (migrated,
 * would-sign in a dry run, skipped, failed) and why, the key that signs, the TUF targets
 * version and where the trust data came from; a summary; text for people, the same object
 * as JSON for scripts.
 */
import type { TrustDataOrigin } from '../../../app/trust-resign/provenance.js';
import type { RepositoryResign, TagReport } from '../../../app/trust-resign/resign-repository.js';
import type { TrustedRepository } from '../../../app/trust-resign/trusted-repositories.js';
import type { ResignKeyOptions } from './resign-signers.js';

export type RepositoryReport =
  ({ verified: true } & RepositoryResign) | { gun: string; verified: false; code: string; message: string; tags: TagReport[] };

export interface ResignReport {
  as: 'cosign' | 'notation';
  /** cosign: "bundle" (referrer) or "legacy" (.sig tag); notation: "jws" */
  layout: string;
  dryRun: boolean;
  source: TrustDataOrigin;
  /** no tag failed and every repository's trust data verified */
  complete: boolean;
  summary: { migrated: number; wouldSign: number; skipped: number; failed: number };
  repositories: RepositoryReport[];
}

export function resignReport(
  source: TrustDataOrigin,
  o: ResignKeyOptions,
  dryRun: boolean,
  done: ReadonlyArray<RepositoryResign | TrustedRepository>,
): ResignReport {
  const repositories: RepositoryReport[] = done.map((r) =>
    'refusal' in r && r.refusal
      ? { gun: r.gun, verified: false, code: r.refusal.code, message: r.refusal.message, tags: [] }
      : { verified: true, ...(r as RepositoryResign) },
  );
  const tags = repositories.flatMap((r) => r.tags);
  const count = (o: TagReport['outcome']) => tags.filter((t) => t.outcome === o).length;
  const summary = { migrated: count('migrated'), wouldSign: count('would-sign'), skipped: count('skipped'), failed: count('failed') };
  return {
    as: o.format,
    layout: o.format === 'notation' ? 'jws' : o.newBundleFormat ? 'bundle' : 'legacy',
    dryRun,
    source,
    complete: summary.failed === 0 && repositories.every((r) => r.verified),
    summary,
    repositories,
  };
}

function sourceText(s: TrustDataOrigin): string {
  return s.kind === 'server' ? `trust server ${s.url}` : `trust bundle ${s.path} (exported ${s.exportedAt})`;
}

function tagLine(t: TagReport, width: number): string {
  const digest = t.digest === '' ? '-'.padEnd(71) : t.digest;
  const why =
    t.outcome === 'migrated'
      ? `signed by ${t.roles.join(', ')} → ${t.stored ?? ''}`
      : t.outcome === 'would-sign'
        ? `signed by ${t.roles.join(', ')}`
        : `${t.reason ?? ''}${t.code ? ` [${t.code}]` : ''}`;
  return `  ${t.outcome.padEnd(10)}  ${t.tag.padEnd(width)}  ${digest}  ${why}\n`;
}

export function reportText(r: ResignReport): string {
  let out = `Re-signing as ${r.as} (${r.layout}) from the ${sourceText(r.source)}${r.dryRun ? ' — dry run, nothing is signed' : ''}\n`;
  for (const repo of r.repositories) {
    if (!repo.verified) {
      out += `${repo.gun}: nothing re-signed: ${repo.message} [${repo.code}]\n`;
      continue;
    }
    out += `${repo.gun}: targets v${repo.targetsVersion}, key ${repo.keyId}\n`;
    const width = Math.max(3, ...repo.tags.map((t) => t.tag.length));
    for (const t of repo.tags) out += tagLine(t, width);
    for (const w of repo.warnings) out += `  warning: ${w}\n`;
  }
  const s = r.summary;
  out += r.dryRun
    ? `Would sign ${s.wouldSign}, skipped ${s.skipped}, failed ${s.failed}\n`
    : `Migrated ${s.migrated}, skipped ${s.skipped}, failed ${s.failed}\n`;
  out +=
    'DCT signatures are left as they are: keep signing with DCT in parallel (dct push --sign-format dct,' +
    r.as +
    ') for the grace period.\n';
  return out;
}
