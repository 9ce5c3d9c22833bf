/**
 * The DCT trust data `dct trust resign` re-signs from, verified with the client's rules:
 * a repository read from its trust server (the client update `dct trust inspect` runs,
 * through the export use case, which keeps the tag table with its roles and key IDs), or
 * every repository of a trust bundle (`dct trust export`) that `verify-bundle` accepts.
 * A repository that does not verify is returned with its refusal, never re-signed.
 */
import type { RemoteRepository } from '../../core/ports.js';
import { DctError, isDctError } from '../../core/errors.js';
import { parseManifest, type BundleRepository } from '../../core/trust-bundle/manifest.js';
import type { BundleContents } from '../../core/trust-bundle/ports.js';
import { expiryLabel } from '../trust-export/expiry.js';
import { exportRepository } from '../trust-export/export-repository.js';
import { verifyBundle } from '../trust-export/verify-bundle.js';

export interface TrustedRepository {
  gun: string;
  /** the verified trust data (absent: refused, see `refusal`) */
  repository?: BundleRepository;
  refusal?: { code: string; message: string };
  /** "expired since …; verified as of …" when the data had expired */
  label?: string;
}

/** Reads and verifies `gun` from a trust server. */
export async function trustedFromServer(gun: string, url: string, remote: RemoteRepository, now: Date): Promise<TrustedRepository> {
  try {
    const { repository } = await exportRepository(gun, { kind: 'server', url, remote }, now);
    const label = expiryLabel(repository.expired, new Date(repository.verifiedAsOf));
    return { gun, repository, ...(label ? { label } : {}) };
  } catch (err) {
    return { gun, refusal: { code: isDctError(err) ? err.code : 'ERROR', message: (err as Error).message } };
  }
}

/** Verifies a bundle offline; its repositories (only `gun` when given), each with its verdict. */
export async function trustedFromBundle(contents: BundleContents, now: Date, gun?: string): Promise<TrustedRepository[]> {
  const manifest = parseManifest(contents.manifest);
  const verdict = await verifyBundle(contents, { now });
  const wanted = manifest.repositories.filter((r) => gun === undefined || r.gun === gun);
  if (wanted.length === 0) throw new DctError('REPOSITORY_NOT_FOUND', `the bundle holds no trust data for ${gun ?? 'any repository'}`);
  return wanted.map((repository) => {
    const v = verdict.repositories.find((r) => r.gun === repository.gun);
    if (!v?.verified) {
      return { gun: repository.gun, refusal: { code: v?.code ?? 'ERROR', message: v?.message ?? 'not verified' } };
    }
    return { gun: repository.gun, repository, ...(v.label ? { label: v.label } : {}) };
  });
}
