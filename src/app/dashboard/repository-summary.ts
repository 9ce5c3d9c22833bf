/**
 * A repository's line in the dashboard's list, from its verified trust data: the released
 * tags and their signers as `docker trust inspect` counts them (signedTagsOf: released =
 * `targets/releases`, else `targets`; a tag no delegation also signs is "Repo Admin"), the
 * formats found for the tagged digests, last change, earliest expiry and health.
 */
import { signedTagsOf } from '../docker-trust/inspect.js';
import { REPO_ADMIN } from '../docker-trust/roles.js';
import type { RepositorySummary, SignatureFormat } from './dashboard-api.js';
import type { Expiring, RepositoryTrust } from './repository-trust.js';
import type { SignatureFormats } from './signature-formats.js';

const FORMAT_ORDER: readonly SignatureFormat[] = ['dct', 'cosign', 'notation'];

/** What the index keeps of a repository: its summary and what the expiry timeline needs. */
export interface IndexedRepository {
  summary: RepositorySummary;
  /** epoch ms, for sorting */
  updated: number;
  expires: number;
  /** its roles and root certificates, and the signing certificates of its cosign and Notation signatures */
  expiries: Expiring[];
}

export async function summarize(trust: RepositoryTrust, formats: SignatureFormats | undefined): Promise<IndexedRepository> {
  const { set } = trust;
  const rows = set ? signedTagsOf(set) : [];
  const tags = new Set(rows.map((r) => r.tag));
  const signers = new Set<string>();
  for (const row of rows) {
    if (row.signers.length === 0) signers.add(REPO_ADMIN);
    for (const s of row.signers) signers.add(s);
  }
  const found = new Set<SignatureFormat>(set ? ['dct'] : []);
  const expiries: Expiring[] = [...trust.expiries];
  if (formats && set && formats.repositoryOf(trust.gun) !== undefined) {
    const signatures = await formats.find(
      trust.gun,
      rows.map((r) => r.digest),
    );
    for (const list of signatures.formats.values()) for (const f of list) found.add(f);
    expiries.push(...signatures.certificates.map(({ kind, name, expires }) => ({ kind, name, expires })));
  }
  // the repository's own expiry: its roles and root certificates (a signing certificate may expire: its signatures stay),
  // but not what the server renews itself
  const expires = trust.expiries.reduce((a, e) => (e.renewedByServer ? a : Math.min(a, e.expires)), Infinity);
  const summary: RepositorySummary = {
    gun: trust.gun,
    tags: tags.size,
    signers: [...signers].sort(),
    formats: FORMAT_ORDER.filter((f) => found.has(f)),
    updated: new Date(trust.updated).toISOString(),
    ...(Number.isFinite(expires) ? { expires: new Date(expires).toISOString() } : {}),
    health: trust.health,
    ...(trust.healthReason !== undefined ? { healthReason: trust.healthReason } : {}),
  };
  return { summary, updated: trust.updated, expires, expiries };
}
