/** Targets and delegated targets roles (notary `tuf/data/targets.go`, `roles.go`). */
import type { JsonObject } from '../canonical-json.js';
import type { GoTime } from '../go-time.js';
import type { PublicKey } from '../keys/public-key.js';
import { commonFromJSON, type SignedCommon } from './common.js';
import type { FileMeta } from './file-meta.js';
import { TargetFiles } from './target-files.js';
import { asArray, asObject, asString, getOwn, invalid, unrecognized, type JsonRecord } from './json-reader.js';
import { keysFromJSON, keysToJSON, roleKeysFromJSON } from './root.js';
import { isDelegationRole, isTargetsRole, parentRole } from './roles.js';

export interface DelegatedRole {
  name: string;
  keyids: string[];
  threshold: number;
  /** empty = the role may sign nothing; `[""]` = everything */
  paths: string[];
  /** the file had `"keyids":null` (Go's nil slice: docker removed the role's last key); written back so while still empty */
  nullKeyids?: boolean;
}

export interface Delegations {
  keys: Record<string, PublicKey>;
  /** in file order (notary keeps insertion order) */
  roles: DelegatedRole[];
}

const KNOWN = ['_type', 'version', 'expires', 'targets', 'delegations'] as const;

export class Targets implements SignedCommon {
  readonly kind = 'targets';

  constructor(
    /** which role this file is: `targets` or `targets/…` */
    readonly roleName: string,
    public version: number,
    public expires: GoTime,
    targets: TargetFiles | Record<string, FileMeta> = {},
    public delegations: Delegations = { keys: {}, roles: [] },
    readonly unrecognized: JsonRecord = {},
  ) {
    this.targets = targets instanceof TargetFiles ? targets : new TargetFiles(targets);
  }

  /** target name → file meta */
  targets: TargetFiles;

  /**
   * `files`: the `targets` map when it was already read and checked (by the reader of
   * canonical text, `targets-text.ts`); `v.targets` is then not read.
   */
  static fromJSON(v: unknown, roleName = 'targets', files?: TargetFiles): Targets {
    if (!isTargetsRole(roleName)) throw invalid(roleName, `${JSON.stringify(roleName)} is not a targets role`);
    const { version, expires, obj } = commonFromJSON(v, 'targets', roleName);
    const targets = files ?? TargetFiles.fromJSON(obj['targets'], `${roleName}.targets`);
    let delegations: Delegations = { keys: {}, roles: [] };
    if (obj['delegations'] !== undefined && obj['delegations'] !== null) {
      const d = asObject(obj['delegations'], `${roleName}.delegations`);
      delegations = {
        keys: d['keys'] === undefined || d['keys'] === null ? {} : keysFromJSON(d['keys'], `${roleName}.delegations.keys`),
        roles:
          d['roles'] === undefined || d['roles'] === null
            ? []
            : asArray(d['roles'], `${roleName}.delegations.roles`).map((r, i) =>
                delegatedRoleFromJSON(r, `${roleName}.delegations.roles[${i}]`),
              ),
      };
    }
    const t = new Targets(roleName, version, expires, targets, delegations, unrecognized(obj, KNOWN));
    t.assertValidStructure();
    return t;
  }

  /** notary isValidTargetsStructure: delegations are valid direct children with known keys. */
  assertValidStructure(): void {
    for (const role of this.delegations.roles) {
      const bad = (why: string) => invalid(this.roleName, `delegation role ${role.name} invalid: ${why}`);
      if (!isDelegationRole(role.name)) throw bad('not a valid delegation name');
      if (parentRole(role.name) !== this.roleName) throw bad(`not a direct child of ${this.roleName}`);
      if (role.threshold < 1) throw bad('threshold must be at least 1');
      for (const id of role.keyids) if (!getOwn(this.delegations.keys, id)) throw bad(`key ID ${id} has no key`);
    }
  }

  delegation(name: string): DelegatedRole | undefined {
    return this.delegations.roles.find((r) => r.name === name);
  }

  toJSON(): JsonObject {
    return {
      _type: 'Targets',
      delegations: {
        keys: keysToJSON(this.delegations.keys),
        roles: this.delegations.roles.map((r) => {
          const out: JsonObject = { keyids: r.nullKeyids && r.keyids.length === 0 ? null : r.keyids, name: r.name, threshold: r.threshold };
          if (r.paths.length > 0) out['paths'] = r.paths; // Go: `paths,omitempty`
          return out;
        }),
      },
      expires: this.expires.format(),
      targets: this.targets.toJSON(),
      version: this.version,
    };
  }
}

function delegatedRoleFromJSON(v: unknown, where: string): DelegatedRole {
  const obj = asObject(v, where);
  // Go writes a nil slice as null: a delegation whose last key was removed
  const nullKeyids = obj['keyids'] === null;
  const { keyids, threshold } = roleKeysFromJSON(nullKeyids ? { ...obj, keyids: [] } : obj, where);
  const paths =
    obj['paths'] === undefined || obj['paths'] === null
      ? []
      : asArray(obj['paths'], `${where}.paths`).map((p, i) => asString(p, `${where}.paths[${i}]`));
  const role: DelegatedRole = { name: asString(obj['name'], `${where}.name`), keyids, threshold, paths };
  if (nullKeyids) role.nullKeyids = true;
  return role;
}
