/**
 * DCT (Docker Content Trust / Notary v1) as one of `dct verify`'s formats: the signatures
 * of a digest are the targets roles of the repository's verified trust data that hold a
 * tag for it — one report per role, with the tags it signs the digest as.
 *
 * - The trust data is read and verified as every dct command reads it (the trust
 *   resolution of `src/app/images/trust-resolver.ts`: root, timestamp, snapshot, targets
 *   and delegations to threshold, expiry, pins), so a role listed here *is* verified.
 * - Roles are walked as notary walks them (`targets`, then delegations, each within the
 *   paths delegated to it); a target outside its role's paths is not a signature.
 * - The signer is the role (`targets`, `targets/releases`: the repository's owner, docker's
 *   "Repo Admin"; `targets/<name>`: signer `<name>`), with the key IDs of the role's keys
 *   that signed its file. `details.released` says whether docker's resolution of a tag would
 *   use it (`targets/releases` or `targets`); a delegation's signature counts as a
 *   signature either way.
 * - TUF metadata records no signing time: `signedAt` is left out; `details` carry the
 *   role file's version and expiry instead.
 * - No trust data for the repository: no DCT signatures (`[]`). Trust data that does not
 *   verify: one failed report with the verification's code. Trust data that cannot be
 *   had (server unreachable): thrown, as the FormatVerifier port says.
 * - Aborted (`signal`): rejects with ABORTED at once. The signal is handed to the trust source;
 *   a read it shares with other verifications (TrustResolver reads a GUN once) goes on for them.
 */
import { CORE_ERROR_CODES, DctError, isDctError } from '../../core/errors.js';
import type { FormatVerifier, ImageSubject, SignatureReport } from '../../core/signatures/signature-report.js';
import { parentRole, pathsAllow } from '../../core/tuf/roles.js';
import type { TrustedSet } from '../../core/trust/trusted-set.js';
import { isReleasedRole, signerNameOf } from '../docker-trust/roles.js';
import { ResolutionFailure } from '../images/trust-resolver.js';
import { checkAborted, untilAborted } from './abortable-registry.js';

/** Where the verified trust data comes from (a TrustResolver is one). */
export interface DctTrustSource {
  /**
   * the verified trust data of a GUN (`registry/repository`); throws when it cannot be had or does not verify.
   * `signal`: the caller gave up (a source may stop a read that is this caller's alone)
   */
  trusted(gun: string, opts?: { signal?: AbortSignal }): Promise<TrustedSet>;
}

export interface DctFormatVerifierOptions {
  /** where a GUN's trust data is read from, for the reports' `foundAt` (default: the GUN) */
  location?(gun: string): string | undefined;
}

/** Codes of trust data that does not verify (the pure core's checks, and stored metadata that fails them). */
const VERIFICATION_CODES: ReadonlySet<string> = new Set<string>([...CORE_ERROR_CODES, 'STORED_METADATA_INVALID', 'MISSING_METADATA']);

export class DctFormatVerifier implements FormatVerifier {
  readonly format = 'dct' as const;

  constructor(
    private readonly source: DctTrustSource,
    private readonly opts: DctFormatVerifierOptions = {},
  ) {}

  async verify(subject: ImageSubject, opts: { signal?: AbortSignal } = {}): Promise<SignatureReport[]> {
    const signal = opts.signal;
    checkAborted(signal);
    const gun = `${subject.registry}/${subject.repository}`;
    const foundAt = { via: 'tuf' as const, reference: this.opts.location?.(gun) ?? gun };
    let set: TrustedSet;
    try {
      set = await untilAborted(this.source.trusted(gun, signal ? { signal } : {}), signal);
    } catch (err) {
      checkAborted(signal);
      const cause = err instanceof ResolutionFailure ? err.cause : err;
      if (isDctError(cause, 'REPOSITORY_NOT_FOUND')) return [];
      if (isDctError(cause) && VERIFICATION_CODES.has(cause.code)) {
        return [
          {
            format: 'dct',
            subject: subject.digest,
            verdict: 'failed',
            code: cause.code,
            reason: `the trust data of ${gun} does not verify: ${cause.message}`,
            foundAt,
          },
        ];
      }
      if (isDctError(cause)) throw cause;
      throw new DctError('NETWORK_ERROR', `the trust data of ${gun} could not be read: ${(cause as Error)?.message ?? String(cause)}`, {
        cause,
      });
    }
    return dctSignatures(set, subject.digest, foundAt);
  }
}

/** The roles of verified trust data that sign `digest` (`sha256:<hex>`), one report each. */
export function dctSignatures(set: TrustedSet, digest: string, foundAt: SignatureReport['foundAt']): SignatureReport[] {
  const hex = digest.startsWith('sha256:') ? digest.slice('sha256:'.length) : '';
  if (!/^[0-9a-f]{64}$/.test(hex)) return [];
  const base64 = Buffer.from(hex, 'hex').toString('base64');
  const reports: SignatureReport[] = [];
  for (const role of set.walkRoles(['targets'])) {
    const md = set.targets(role);
    if (!md) continue;
    const paths = set.pathsOf(role) ?? [];
    const { names, digests } = md.signed.targets.summaries();
    const tags: string[] = [];
    for (let i = 0; i < names.length; i++) {
      if (digests[i] === base64 && pathsAllow(paths, names[i] as string)) tags.push(names[i] as string);
    }
    if (tags.length === 0) continue;
    const keyIds = signingKeyIds(set, role);
    const name = signerNameOf(role);
    reports.push({
      format: 'dct',
      subject: digest,
      verdict: 'verified',
      signer: { kind: 'role', role, name, ...(keyIds[0] !== undefined ? { keyId: keyIds[0] } : {}) },
      foundAt,
      details: {
        tags,
        released: isReleasedRole(role),
        keyIds,
        roleVersion: md.signed.version,
        roleExpires: md.signed.expires.format(),
      },
    });
  }
  return reports;
}

/** The key IDs of the role's own keys among the signatures on its file. */
function signingKeyIds(set: TrustedSet, role: string): string[] {
  const md = set.targets(role);
  if (!md) return [];
  const authorised =
    role === 'targets'
      ? (set.root.signed.roles['targets']?.keyids ?? [])
      : (set.childRoles(parentRole(role)).find((c) => c.name === role)?.keyids ?? []);
  const ids = md.signatures.map((s) => s.keyid).filter((id) => authorised.includes(id));
  return [...new Set(ids)];
}
