/**
 * The pull gate's decision for one rule and one manifest request, over a
 * source of verified trust data and the registry's index → manifest edges (no
 * storage, no HTTP: the PullGate front turns a refusal into the registry's
 * DENIED error).
 *
 * - By tag: the tag must be released as docker resolves it (`signedTarget`:
 *   `targets/releases`, else `targets`; a tag only another delegation holds is
 *   not released), for exactly the digest and size the registry holds.
 * - By digest: a released tag (`releasedTags`, the same rule) must point at it
 *   with the registry's size, or at an index listing it (index → manifest edges
 *   only, up to four levels; a manifest using the digest as its config or a
 *   layer does not count).
 * - With `signers`, the tag must also be held, for the same digest and size, by
 *   one of the signers' roles within the paths delegated to it.
 */
import { releasedTags, signedTarget, type ReleasedTag } from '../../app/images/signed-reference.js';
import { isDctError } from '../../core/errors.js';
import { targetsInAllRoles } from '../../core/trust/repository-view.js';
import type { TrustedSet } from '../../core/trust/trusted-set.js';
import type { TrustLookup } from './server-trust.js';

/** What a rule asks of a gated repository. */
export interface GateRule {
  /** signer names (`alice` → `targets/alice`) or role names (`targets`, `targets/…`); empty = any valid signature */
  signers: readonly string[];
  /** serve manifests fetched by digest without a signed tag pointing at them */
  allowDigests: boolean;
}

export interface GateRequest {
  /** `<registry name>/<repository>` */
  gun: string;
  /** the registry's repository name */
  repository: string;
  /** set when the manifest was asked for by tag */
  tag?: string;
  /** the manifest served: `sha256:<hex>` and its size */
  digest: string;
  size: number;
}

/** What the decision reads. */
export interface GateSource {
  /** the verified trust data of a GUN, or why there is none */
  trust(gun: string): Promise<TrustLookup>;
  /** the indexes of `repository` listing `digest` among their manifests, with their sizes (not manifests using it as a blob) */
  indexesListing(repository: string, digest: string): Promise<Array<{ digest: string; size: number }>>;
}

export type GateVerdict = { allowed: true } | { allowed: false; reason: string };

const ALLOWED: GateVerdict = { allowed: true };
const refused = (reason: string): GateVerdict => ({ allowed: false, reason });
const MAX_PARENT_DEPTH = 4;

/** The role a configured signer stands for. */
export function signerRoleName(signer: string): string {
  return signer === 'targets' || signer.startsWith('targets/') ? signer : `targets/${signer}`;
}

export class PullGateDecision {
  /** per verified repository: sha256 hex → the released tags pointing at it */
  private readonly releasedIndex = new WeakMap<TrustedSet, Map<string, ReleasedTag[]>>();

  constructor(private readonly source: GateSource) {}

  /** Whether the manifest may be served under `rule`, and why not. */
  async decide(rule: GateRule, req: GateRequest): Promise<GateVerdict> {
    if (req.tag === undefined && rule.allowDigests) return ALLOWED;
    const lookup = await this.source.trust(req.gun);
    if (lookup.state === 'absent') return refused(`no trust data for ${req.gun}`);
    if (lookup.state === 'invalid') return refused(`the trust data of ${req.gun} does not verify: ${lookup.reason}`);
    const set = lookup.trusted;
    const hex = req.digest.startsWith('sha256:') ? req.digest.slice('sha256:'.length) : '';
    const roles = rule.signers.map(signerRoleName);
    const signerText = rule.signers.length === 1 ? `signer ${rule.signers[0]}` : `any of the signers ${rule.signers.join(', ')}`;
    const signed = (tag: string, digestHex: string, size: number): boolean =>
      roles.length === 0 || heldByAny(set, roles, tag, digestHex, size);

    if (req.tag !== undefined) {
      let released;
      try {
        released = signedTarget(set, req.tag);
      } catch (err) {
        if (isDctError(err, 'TAG_NOT_SIGNED') || isDctError(err, 'NO_VALID_HASH')) return refused(err.message);
        throw err;
      }
      if (released.sha256Hex !== hex || released.size !== req.size) {
        return refused(
          `the tag is signed for sha256:${released.sha256Hex} (${released.size} bytes), but the registry holds ${req.digest} (${req.size} bytes)`,
        );
      }
      return signed(req.tag, hex, req.size) ? ALLOWED : refused(`tag ${req.tag} is not signed by ${signerText}`);
    }

    // by digest: a released tag must point at it, or at an index listing it
    const approved = (digestHex: string, size: number): boolean =>
      (this.released(set).get(digestHex) ?? []).some((t) => t.size === size && signed(t.tag, digestHex, size));
    if (approved(hex, req.size)) return ALLOWED;
    const seen = new Set<string>([req.digest]);
    let frontier = [req.digest];
    for (let depth = 0; depth < MAX_PARENT_DEPTH && frontier.length > 0; depth++) {
      const next: string[] = [];
      for (const child of frontier) {
        for (const index of await this.source.indexesListing(req.repository, child)) {
          if (seen.has(index.digest)) continue;
          seen.add(index.digest);
          if (index.digest.startsWith('sha256:') && approved(index.digest.slice('sha256:'.length), index.size)) return ALLOWED;
          next.push(index.digest);
        }
      }
      frontier = next;
    }
    return refused(
      roles.length > 0
        ? `no tag signed by ${signerText} points at this digest (pull by a signed tag, or allow digests in the rule)`
        : 'no signed tag points at this digest (pull by a signed tag, or allow digests in the rule)',
    );
  }

  private released(set: TrustedSet): Map<string, ReleasedTag[]> {
    let index = this.releasedIndex.get(set);
    if (!index) {
      index = new Map();
      for (const t of releasedTags(set)) {
        const list = index.get(t.sha256Hex) ?? [];
        list.push(t);
        index.set(t.sha256Hex, list);
      }
      this.releasedIndex.set(set, index);
    }
    return index;
  }
}

/** Whether one of `roles` holds `tag` for exactly this digest and size, within the paths delegated to it (notary's walk). */
function heldByAny(set: TrustedSet, roles: readonly string[], tag: string, hex: string, size: number): boolean {
  return targetsInAllRoles(set, tag).some((t) => roles.includes(t.role) && t.sha256Hex === hex && t.meta.length === size);
}
