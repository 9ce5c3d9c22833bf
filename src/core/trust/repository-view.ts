/**
 * Read-only questions about a verified repository, answered as notary's client
 * answers them (`client/reader.go`): which roles hold a target, which roles and
 * delegations exist and with which keys.
 */
import type { PublicKey } from '../keys/public-key.js';
import type { Signature } from '../keys/signature.js';
import type { FileMeta } from '../tuf/file-meta.js';
import type { TargetFiles } from '../tuf/target-files.js';
import { getOwn } from '../tuf/json-reader.js';
import type { TrustedSet } from './trusted-set.js';

export interface TargetInRole {
  name: string;
  role: string;
  /** the entry (decoded when first read) */
  readonly meta: FileMeta;
  /** hex sha256 of the target, without decoding the whole entry */
  readonly sha256Hex: string | undefined;
  /** the signatures on the role's file (docker shows who signed) */
  signatures: readonly Signature[];
}

class TargetEntry implements TargetInRole {
  constructor(
    readonly name: string,
    readonly role: string,
    private readonly files: TargetFiles,
    readonly signatures: readonly Signature[],
  ) {}

  get meta(): FileMeta {
    return this.files.get(this.name) as FileMeta;
  }

  get sha256Hex(): string | undefined {
    return this.files.hashHex(this.name, 'sha256');
  }
}

export interface RoleSummary {
  name: string;
  keys: PublicKey[];
  threshold: number;
  /** delegations only: the role's own paths as listed */
  paths?: string[];
}

/**
 * notary `GetAllTargetMetadataByName`: one entry per loaded role holding `name`
 * (every target of every role when `name` is ''), in walk order; only roles
 * whose paths allow the name are visited.
 */
export function targetsInAllRoles(set: TrustedSet, name = ''): TargetInRole[] {
  const out: TargetInRole[] = [];
  for (const role of set.walkRoles(['targets'], name === '' ? undefined : name)) {
    const md = set.targets(role)!;
    const files = md.signed.targets;
    if (name === '') {
      for (const n of files.names()) out.push(new TargetEntry(n, role, files, md.signatures));
    } else if (files.has(name)) {
      out.push(new TargetEntry(name, role, files, md.signatures));
    }
  }
  return out;
}

/** notary `ListRoles`: the base roles of root (root, targets, snapshot, timestamp order of root), then every delegation. */
export function listRoles(set: TrustedSet): RoleSummary[] {
  const root = set.root.signed;
  const base = Object.entries(root.roles).map(([name, spec]) => ({
    name,
    keys: spec.keyids.map((id) => getOwn(root.keys, id)).filter((k): k is PublicKey => !!k),
    threshold: spec.threshold,
  }));
  return [...base, ...delegationRoles(set)];
}

/** notary `GetDelegationRoles`: every delegation declared by a loaded targets role, in walk order. */
export function delegationRoles(set: TrustedSet): RoleSummary[] {
  const out: RoleSummary[] = [];
  for (const role of set.walkRoles(['targets'])) {
    const { keys, roles } = set.targets(role)!.signed.delegations;
    for (const d of roles) {
      out.push({
        name: d.name,
        keys: d.keyids.map((id) => getOwn(keys, id)).filter((k): k is PublicKey => !!k),
        threshold: d.threshold,
        paths: d.paths,
      });
    }
  }
  return out;
}
