/** The root role (notary `tuf/data/root.go`). */
import type { JsonObject } from '../canonical-json.js';
import type { GoTime } from '../go-time.js';
import { PublicKey } from '../keys/public-key.js';
import { commonFromJSON, type SignedCommon } from './common.js';
import { asBoolean, asInteger, asObject, asStringArray, getOwn, invalid, setOwn, unrecognized, type JsonRecord } from './json-reader.js';
import { BASE_ROLES } from './roles.js';

export interface RoleKeys {
  keyids: string[];
  threshold: number;
}

export function roleKeysFromJSON(v: unknown, where: string): RoleKeys {
  const obj = asObject(v, where);
  return { keyids: asStringArray(obj['keyids'], `${where}.keyids`), threshold: asInteger(obj['threshold'], `${where}.threshold`) };
}

export function keysFromJSON(v: unknown, where: string): Record<string, PublicKey> {
  const out: Record<string, PublicKey> = {};
  for (const [id, key] of Object.entries(asObject(v, where))) setOwn(out, id, PublicKey.fromJSON(key, `${where}.${id}`));
  return out;
}

export function keysToJSON(keys: Record<string, PublicKey>): JsonObject {
  const out: JsonObject = {};
  for (const [id, key] of Object.entries(keys)) setOwn(out, id, key.toJSON() as unknown as JsonObject);
  return out;
}

const KNOWN = ['_type', 'version', 'expires', 'keys', 'roles', 'consistent_snapshot'] as const;

export class Root implements SignedCommon {
  readonly kind = 'root';

  constructor(
    public version: number,
    public expires: GoTime,
    public keys: Record<string, PublicKey>,
    public roles: Record<string, RoleKeys>,
    public consistentSnapshot = false,
    readonly unrecognized: JsonRecord = {},
  ) {}

  static fromJSON(v: unknown): Root {
    const { version, expires, obj } = commonFromJSON(v, 'root', 'root');
    const keys = keysFromJSON(obj['keys'], 'root.keys');
    const roles: Record<string, RoleKeys> = {};
    for (const [name, role] of Object.entries(asObject(obj['roles'], 'root.roles'))) {
      setOwn(roles, name, roleKeysFromJSON(role, `root.roles.${name}`));
    }
    const consistent = obj['consistent_snapshot'] === undefined ? false : asBoolean(obj['consistent_snapshot'], 'root.consistent_snapshot');
    const root = new Root(version, expires, keys, roles, consistent, unrecognized(obj, KNOWN));
    root.assertValidStructure();
    return root;
  }

  /** notary isValidRootStructure: all base roles, thresholds ≥ 1, every key ID listed in `keys`. */
  assertValidStructure(): void {
    for (const name of BASE_ROLES) {
      const role = this.roles[name];
      if (!role) throw invalid('root', `missing ${name} role specification`);
      if (role.threshold < 1) throw invalid('root', `invalid threshold specified for ${name}: ${role.threshold} `);
      for (const id of role.keyids) {
        if (!getOwn(this.keys, id)) throw invalid('root', `key ID ${id} specified in ${name} without corresponding key`);
      }
    }
  }

  /** The keys and threshold of a base role. */
  role(name: string): { keys: PublicKey[]; threshold: number } {
    const role = this.roles[name];
    if (!role) throw invalid('root', `missing ${name} role specification`);
    return {
      keys: role.keyids.map((id) => getOwn(this.keys, id)).filter((k): k is PublicKey => k !== undefined),
      threshold: role.threshold,
    };
  }

  toJSON(): JsonObject {
    const roles: JsonObject = {};
    for (const [name, role] of Object.entries(this.roles)) setOwn(roles, name, { keyids: role.keyids, threshold: role.threshold });
    return {
      _type: 'Root',
      consistent_snapshot: this.consistentSnapshot,
      expires: this.expires.format(),
      keys: keysToJSON(this.keys),
      roles,
      version: this.version,
    };
  }
}
