/**
 * The pull gate: per repository pattern (matched against the GUN,
 * `<registry name>/<repository>`), manifests are served only when signed.
 *
 *   "pullGate": [{ "repositories": "registry.example.com/prod/*", "signers": ["alice"], "allowDigests": false }]
 *
 * The first rule whose pattern matches the GUN applies (none: no gate).
 * - By tag: the tag must be signed as docker resolves it (`targets/releases`,
 *   then `targets`, with their delegations), for exactly the digest and size
 *   the registry holds; with `signers`, one of the signers' roles
 *   (`targets/<name>`; `targets` names the repository owner's own role) must
 *   also hold that tag for the same digest.
 * - By digest: only when `allowDigests` is set, or a signed tag (as above, with
 *   a required signer when `signers` are named) points at it, or at a manifest
 *   that references it (an index's platform manifests).
 *
 * Trust data is verified through the trusted set (ServerTrust), never just
 * looked up. A refusal is a registry DENIED error whose message and detail
 * name the rule.
 */
import { DctError } from '../../core/errors.js';
import type { RegistryStore } from '../../core/ports.js';
import type { TrustedSet } from '../../core/trust/trusted-set.js';
import { pathsAllow } from '../../core/tuf/roles.js';
import type { FileMeta } from '../../core/tuf/file-meta.js';
import { globMatch } from '../auth/access-rules.js';
import { RegistryError } from './errors.js';
import type { ServerTrust } from './server-trust.js';

export interface PullGateRule {
  /** a GUN glob (`*` matches any characters, `/` included) */
  repositories: string;
  /** signer names (`alice` → `targets/alice`) or role names (`targets`, `targets/…`); empty = any valid signature */
  signers: string[];
  /** serve manifests fetched by digest without a signed tag pointing at them */
  allowDigests: boolean;
}

const RELEASE_ROLES = ['targets/releases', 'targets'] as const;
const MAX_PARENT_DEPTH = 4;

/** Validates the `pullGate` setting (JSON already parsed); throws INVALID_CONFIG. */
export function parsePullGate(value: unknown, source = 'pullGate'): PullGateRule[] {
  if (!Array.isArray(value)) throw new DctError('INVALID_CONFIG', `${source} must be a list of {"repositories","signers","allowDigests"} rules`);
  return value.map((raw: unknown, i) => {
    const where = `${source}[${i}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new DctError('INVALID_CONFIG', `${where} must be an object`);
    const r = raw as Record<string, unknown>;
    for (const k of Object.keys(r)) {
      if (!['repositories', 'signers', 'allowDigests'].includes(k)) throw new DctError('INVALID_CONFIG', `${where}: unknown field ${JSON.stringify(k)}`);
    }
    if (typeof r['repositories'] !== 'string' || r['repositories'] === '') {
      throw new DctError('INVALID_CONFIG', `${where}.repositories must be a GUN pattern such as "registry.example.com/prod/*"`);
    }
    const signers = r['signers'] ?? [];
    if (!Array.isArray(signers) || !signers.every((s) => typeof s === 'string' && /^[A-Za-z0-9_.\-/]+$/.test(s) && !s.startsWith('/') && !s.endsWith('/'))) {
      throw new DctError('INVALID_CONFIG', `${where}.signers must be a list of signer names (as in docker trust signer add) or role names`);
    }
    const allowDigests = r['allowDigests'] ?? false;
    if (typeof allowDigests !== 'boolean') throw new DctError('INVALID_CONFIG', `${where}.allowDigests must be true or false`);
    return { repositories: r['repositories'], signers: [...new Set(signers as string[])], allowDigests };
  });
}

/** The role a configured signer stands for. */
export function signerRoleName(signer: string): string {
  return signer === 'targets' || signer.startsWith('targets/') ? signer : `targets/${signer}`;
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

export class PullGate {
  /** per verified repository: sha256 hex → the signed tags (docker's resolution) pointing at it */
  private readonly signedIndex = new WeakMap<TrustedSet, Map<string, Array<{ tag: string; meta: FileMeta }>>>();

  constructor(
    readonly rules: readonly PullGateRule[],
    private readonly trust: ServerTrust,
    private readonly store: RegistryStore,
  ) {}

  /** The rule that applies to a GUN (first match), with its position. */
  ruleFor(gun: string): { index: number; rule: PullGateRule } | undefined {
    const index = this.rules.findIndex((r) => globMatch(r.repositories, gun));
    return index < 0 ? undefined : { index, rule: this.rules[index] as PullGateRule };
  }

  /** Resolves when the manifest may be served; throws DENIED naming the rule otherwise. */
  async check(req: GateRequest): Promise<void> {
    const applies = this.ruleFor(req.gun);
    if (!applies) return;
    const { index, rule } = applies;
    const subject = req.tag !== undefined ? `${req.gun}:${req.tag}` : `${req.gun}@${req.digest}`;
    const deny = (reason: string): RegistryError =>
      new RegistryError('DENIED', `pull gate rule ${index + 1} (repositories ${JSON.stringify(rule.repositories)}) refuses ${subject}: ${reason}`, {
        rule: index + 1,
        repositories: rule.repositories,
        signers: rule.signers,
        allowDigests: rule.allowDigests,
        reason,
      });
    if (req.tag === undefined && rule.allowDigests) return;
    const lookup = await this.trust.lookup(req.gun);
    if (lookup.state === 'absent') throw deny(`no trust data for ${req.gun}`);
    if (lookup.state === 'invalid') throw deny(`the trust data of ${req.gun} does not verify: ${lookup.reason}`);
    const set = lookup.trusted;
    const hex = req.digest.startsWith('sha256:') ? req.digest.slice('sha256:'.length) : '';
    const roles = rule.signers.map(signerRoleName);
    const signerText = rule.signers.length === 1 ? `signer ${rule.signers[0]}` : `any of the signers ${rule.signers.join(', ')}`;

    if (req.tag !== undefined) {
      const found = set.findTarget(req.tag, RELEASE_ROLES);
      if (!found) throw deny(`No valid trust data for ${req.tag}`);
      const signedHex = found.meta.hashes['sha256']?.toString('hex');
      if (signedHex !== hex || found.meta.length !== req.size) {
        throw deny(
          `the tag is signed for sha256:${signedHex ?? '(none)'} (${found.meta.length} bytes), but the registry holds ${req.digest} (${req.size} bytes)`,
        );
      }
      if (roles.length > 0 && !roles.some((role) => roleHolds(set, role, req.tag as string, hex, req.size))) {
        throw deny(`tag ${req.tag} is not signed by ${signerText}`);
      }
      return;
    }

    // by digest: a signed tag must point at it, or at a manifest referencing it
    const approved = (digestHex: string, size?: number): boolean => {
      const tags = this.signedTags(set).get(digestHex) ?? [];
      return tags.some(
        ({ tag, meta }) =>
          (size === undefined || meta.length === size) && (roles.length === 0 || roles.some((role) => roleHolds(set, role, tag, digestHex, meta.length))),
      );
    };
    if (approved(hex, req.size)) return;
    const seen = new Set<string>([req.digest]);
    let frontier = [req.digest];
    for (let depth = 0; depth < MAX_PARENT_DEPTH && frontier.length > 0; depth++) {
      const next: string[] = [];
      for (const child of frontier) {
        for (const parent of await this.store.referencedBy(req.repository, child)) {
          if (seen.has(parent)) continue;
          seen.add(parent);
          if (parent.startsWith('sha256:') && approved(parent.slice('sha256:'.length))) return;
          next.push(parent);
        }
      }
      frontier = next;
    }
    throw deny(
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
