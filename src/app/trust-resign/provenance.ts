/**
 * The DCT provenance of a re-signed tag, recorded as annotations of the new signature
 * (cosign's `-a key=value`, notation's user metadata) under `dev.dct.provenance.`: the
 * repository and tag, the signer names and TUF roles that signed it, their key IDs, the
 * version of the top-level targets metadata, and where the trust data came from (the trust
 * server, or the bundle and the server it was exported from). Deterministic for the same
 * trust data, so a re-run annotates the same.
 */
import type { BundleRepository, BundleTag } from '../../core/trust-bundle/manifest.js';
import { isReleasedRole, REPO_ADMIN, signerNameOf } from '../docker-trust/roles.js';

export const PROVENANCE_PREFIX = 'dev.dct.provenance.';

/** Where the trust data was read: a trust server, or a bundle (and the source it was exported from). */
export type TrustDataOrigin = { kind: 'server'; url: string } | { kind: 'bundle'; path: string; exportedAt: string };

/** The version of the repository's top-level targets metadata (0 when the repository lists no targets file). */
export function targetsVersion(repository: BundleRepository): number {
  return repository.files.find((f) => f.role === 'targets')?.version ?? 0;
}

function originOf(repository: BundleRepository, origin: TrustDataOrigin): Record<string, string> {
  const source = repository.source.kind === 'server' ? repository.source.url : `cache ${repository.source.path}`;
  if (origin.kind === 'server') return { trustServer: origin.url };
  return { bundle: origin.path, bundleExportedAt: origin.exportedAt, trustServer: source };
}

/**
 * docker trust inspect's signers of a released tag (`matchReleasedSignatures`): the names of
 * the other delegations that sign the same digest, sorted; "Repo Admin" when none does (the
 * tag is only in `targets` and/or `targets/releases`).
 */
function signerNames(roles: readonly string[]): string[] {
  const named = [...new Set(roles.filter((r) => !isReleasedRole(r)).map(signerNameOf))].sort();
  return named.length > 0 ? named : [REPO_ADMIN];
}

/** The annotations recording where a tag's DCT signature came from. */
export function provenanceAnnotations(repository: BundleRepository, tag: BundleTag, origin: TrustDataOrigin): Record<string, string> {
  const fields: Record<string, string> = {
    gun: repository.gun,
    tag: tag.name,
    digest: tag.digest,
    signers: signerNames(tag.roles.map((r) => r.role)).join(','),
    roles: tag.roles.map((r) => r.role).join(','),
    keyIds: [...new Set(tag.roles.flatMap((r) => r.keyIds))].sort().join(','),
    targetsVersion: String(targetsVersion(repository)),
    ...originOf(repository, origin),
  };
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [`${PROVENANCE_PREFIX}${k}`, v]));
}
