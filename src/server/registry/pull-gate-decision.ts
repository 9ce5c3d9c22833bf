/**
 * The pull gate's decision for one rule and one manifest request, over a
 * source of verified trust data and registry edges (no storage, no HTTP: the
 * PullGate front turns a refusal into the registry's DENIED error).
 */
import type { TrustedSet } from '../../core/trust/trusted-set.js';
import { pathsAllow } from '../../core/tuf/roles.js';
import type { FileMeta } from '../../core/tuf/file-meta.js';
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
  /** the manifests of `repository` that reference `digest` */
  referencedBy(repository: string, digest: string): Promise<string[]>;
}

export type GateVerdict = { allowed: true } | { allowed: false; reason: string };

const ALLOWED: GateVerdict = { allowed: true };
const refused = (reason: string): GateVerdict => ({ allowed: false, reason });
const RELEASE_ROLES = ['targets/releases', 'targets'] as const;
const MAX_PARENT_DEPTH = 4;

/** The role a configured signer stands for. */
export function signerRoleName(signer: string): string {
  return signer === 'targets' || signer.startsWith('targets/') ? signer : `targets/${signer}`;
}

export class PullGateDecision {
  /** per verified repository: sha256 hex → the signed tags (docker's resolution) pointing at it */
  private readonly signedIndex = new WeakMap<TrustedSet, Map<string, Array<{ tag: string; meta: FileMeta }>>>();

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

    if (req.tag !== undefined) {
      const found = set.findTarget(req.tag, RELEASE_ROLES);
      if (!found) return refused(`No valid trust data for ${req.tag}`);
      const signedHex = found.meta.hashes['sha256']?.toString('hex');
      if (signedHex !== hex || found.meta.length !== req.size) {
        return refused(
          `the tag is signed for sha256:${signedHex ?? '(none)'} (${found.meta.length} bytes), but the registry holds ${req.digest} (${req.size} bytes)`,
        );
      }
      if (roles.length > 0 && !roles.some((role) => roleHolds(set, role, req.tag as string, hex, req.size))) {
        return refused(`tag ${req.tag} is not signed by ${signerText}`);
      }
      return ALLOWED;
    }

    // by digest: a signed tag must point at it, or at a manifest referencing it
    const approved = (digestHex: string, size?: number): boolean => {
      const tags = this.signedTags(set).get(digestHex) ?? [];
      return tags.some(
        ({ tag, meta }) =>
          (size === undefined || meta.length === size) && (roles.length === 0 || roles.some((role) => roleHolds(set, role, tag, digestHex, meta.length))),
      );
    };
    if (approved(hex, req.size)) return ALLOWED;
    const seen = new Set<string>([req.digest]);
    let frontier = [req.digest];
    for (let depth = 0; depth < MAX_PARENT_DEPTH && frontier.length > 0; depth++) {
      const next: string[] = [];
      for (const child of frontier) {
        for (const parent of await this.source.referencedBy(req.repository, child)) {
          if (seen.has(parent)) continue;
          seen.add(parent);
          if (parent.startsWith('sha256:') && approved(parent.slice('sha256:'.length))) return ALLOWED;
          next.push(parent);
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

  private signedTags(set: TrustedSet): Map<string, Array<{ tag: string; meta: FileMeta }>> {
    let index = this.signedIndex.get(set);
    if (!index) {
      index = new Map();
      for (const t of set.listTargets(RELEASE_ROLES)) {
        const hex = t.meta.hashes['sha256']?.toString('hex');
        if (!hex) continue;
        const list = index.get(hex) ?? [];
        list.push({ tag: t.name, meta: t.meta });
        index.set(hex, list);
      }
      this.signedIndex.set(set, index);
    }
    return index;
  }
}

/** Whether a loaded, verified role holds `tag` for exactly this digest and size (within its paths). */
function roleHolds(set: TrustedSet, role: string, tag: string, hex: string, size: number): boolean {
  const md = set.targets(role);
  if (!md || !pathsAllow(set.pathsOf(role) ?? [], tag)) return false;
  const meta = md.signed.targets.get(tag);
  return meta !== undefined && meta.hashes['sha256']?.toString('hex') === hex && meta.length === size;
}
