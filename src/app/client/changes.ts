/**
 * notary's staged changes (`client/changelist`) and how publishing applies them
 * to a repository (`client/helpers.go` `applyChangelist`, `tuf/tuf.go`).
 *
 * A change is `{action, scope, type, path, content}`; `content` is the JSON the
 * notary CLI stores base64-encoded in the change file's `data` member, written
 * here exactly as Go's `encoding/json` writes it so that notary and dct read each
 * other's changelists:
 * - target (`create`): `{"length":N,"hashes":{"sha256":"<b64>",…},"custom":<raw>}`;
 * - delegation: `{"new_name","threshold","add_keys","remove_keys","add_paths","remove_paths","clear_paths"}`
 *   (every member omitted when empty);
 * - root key rotation (`scope root`, `type role`): `{"keys":[…],"role":"<base role>"}`;
 * - removals and witnesses: no content.
 *
 * Applying them follows notary 0.7 rule by rule, with its error texts: a target is
 * added only where the delegation tree lets the role sign its name, and only when
 * one of the role's keys is held; delegations are created, changed or deleted in
 * their parent (whose key must be held); `targets/*` purges keys from every
 * delegation that can be re-signed; a witness re-signs a role unchanged; a root
 * change replaces a base role's keys.
 */
import { canonicalize, compareCodePoints, goJsonString, type JsonValue } from '../../core/canonical-json.js';
import { DctError } from '../../core/errors.js';
import { PublicKey } from '../../core/keys/public-key.js';
import { fileMetaFromJSON, type FileMeta } from '../../core/tuf/file-meta.js';
import { isBaseRole, isDelegationRole, parentRole, pathsAllow, restrictPaths } from '../../core/tuf/roles.js';
import type { RepositoryDraft } from './repository-draft.js';

// ---------------------------------------------------------------------------
// the change records
// ---------------------------------------------------------------------------

export const CHANGE_ACTIONS = { create: 'create', update: 'update', delete: 'delete' } as const;
export const CHANGE_TYPES = { target: 'target', delegation: 'delegation', role: 'role', witness: 'witness' } as const;

export interface NotaryChange {
  /** create, update or delete */
  action: string;
  /** the role the change is about (`targets`, `targets/…`, `targets/*`, `root`) */
  scope: string;
  /** target, delegation, role or witness */
  type: string;
  /** the target name ('' for the other types) */
  path: string;
  /** the change's JSON content, or null */
  content: Buffer | null;
}

/** Where changes are staged (notary's file changelist `<trust dir>/tuf/<gun>/changelist/`). */
export interface Changelist {
  /** the staged changes, oldest first */
  list(): Promise<NotaryChange[]>;
  add(change: NotaryChange): Promise<void>;
  clear(): Promise<void>;
}

/** A delegation change's content (notary `changelist.TUFDelegation`). */
export interface DelegationContent {
  newName?: string;
  threshold?: number;
  addKeys?: PublicKey[];
  /** canonical key IDs */
  removeKeys?: string[];
  addPaths?: string[];
  removePaths?: string[];
  clearPaths?: boolean;
}

/** A root change's content (notary `changelist.TUFRootData`): the new keys of a base role. */
export interface RootRoleContent {
  role: string;
  keys: PublicKey[];
}

/** notary AddTarget: one change per role (default `targets`). */
export function addTargetChanges(name: string, meta: FileMeta, roles: readonly string[], customJson?: Buffer): NotaryChange[] {
  const content = Buffer.from(encodeFileMetaJson(meta, customJson), 'utf8');
  return changesForRoles(roles).map((scope) => ({ action: 'create', scope, type: 'target', path: name, content }));
}

/** notary RemoveTarget: one change per role (default `targets`). */
export function removeTargetChanges(name: string, roles: readonly string[]): NotaryChange[] {
  return changesForRoles(roles).map((scope) => ({ action: 'delete', scope, type: 'target', path: name, content: null }));
}

/** A delegation change (`create` adds keys/paths, `update` changes, `delete` removes the role). */
export function delegationChange(action: 'create' | 'update' | 'delete', scope: string, content?: DelegationContent): NotaryChange {
  return { action, scope, type: 'delegation', path: '', content: content ? Buffer.from(encodeDelegationJson(content), 'utf8') : null };
}

/** notary Witness: re-sign a role on the next publish. */
export function witnessChange(scope: string): NotaryChange {
  return { action: 'update', scope, type: 'witness', path: '', content: null };
}

/** notary rootFileKeyChange: replace the keys of a base role. */
export function rootRoleChange(role: string, keys: readonly PublicKey[]): NotaryChange {
  return {
    action: 'create',
    scope: 'root',
    type: 'role',
    path: role,
    content: Buffer.from(encodeRootRoleJson({ role, keys: [...keys] }), 'utf8'),
  };
}

function changesForRoles(roles: readonly string[]): string[] {
  const scopes = roles.length === 0 ? ['targets'] : [...roles];
  for (const role of scopes) {
    if (role !== 'targets' && !isDelegationRole(role) && !isWildDelegation(role)) {
      throw new DctError('INVALID_ROLE', invalidRole(role, 'cannot add targets to this role'));
    }
  }
  return scopes;
}

/** `targets/*`, `targets/a/*`: a wildcard over the delegations below a role. */
export function isWildDelegation(role: string): boolean {
  if (!role.endsWith('/*')) return false;
  const base = role.slice(0, -2);
  return base === 'targets' || isDelegationRole(base);
}

// ---------------------------------------------------------------------------
// Go encoding/json of the contents
// ---------------------------------------------------------------------------

/** `data.FileMeta` as Go's json.Marshal writes it; `customJson` is the raw custom JSON (compacted here). */
export function encodeFileMetaJson(meta: FileMeta, customJson?: Buffer): string {
  const hashes = Object.keys(meta.hashes)
    .sort(byteOrder)
    .map((alg) => `${goJsonString(alg)}:${goJsonString((meta.hashes[alg] as Buffer).toString('base64'))}`)
    .join(',');
  let custom = '';
  if (customJson !== undefined) custom = `,"custom":${goCompactJson(customJson.toString('utf8'))}`;
  else if (meta.custom !== undefined && meta.custom !== null) custom = `,"custom":${goJsonValue(meta.custom)}`;
  return `{"length":${meta.length},"hashes":{${hashes}}${custom}}`;
}

export function decodeFileMetaJson(content: Buffer | null): FileMeta {
  if (!content) throw new DctError('INVALID_CHANGE', 'unexpected end of JSON input');
  return fileMetaFromJSON(parseGoJson(content), 'target change');
}

function encodeKeyJson(key: PublicKey): string {
  return `{"keytype":${goJsonString(key.keyType)},"keyval":{"public":${goJsonString(key.publicBytes.toString('base64'))},"private":null}}`;
}

export function encodeDelegationJson(d: DelegationContent): string {
  const parts: string[] = [];
  if (d.newName) parts.push(`"new_name":${goJsonString(d.newName)}`);
  if (d.threshold) parts.push(`"threshold":${d.threshold}`);
  if (d.addKeys?.length) parts.push(`"add_keys":[${d.addKeys.map(encodeKeyJson).join(',')}]`);
  if (d.removeKeys?.length) parts.push(`"remove_keys":[${d.removeKeys.map(goJsonString).join(',')}]`);
  if (d.addPaths?.length) parts.push(`"add_paths":[${d.addPaths.map(goJsonString).join(',')}]`);
  if (d.removePaths?.length) parts.push(`"remove_paths":[${d.removePaths.map(goJsonString).join(',')}]`);
  if (d.clearPaths) parts.push(`"clear_paths":true`);
  return `{${parts.join(',')}}`;
}

export function decodeDelegationJson(content: Buffer | null): DelegationContent {
  if (!content) throw new DctError('INVALID_CHANGE', 'unexpected end of JSON input');
  const obj = asRecord(parseGoJson(content), 'delegation change');
  const out: DelegationContent = {};
  const newName = field(obj, 'new_name');
  if (typeof newName === 'string' && newName !== '') out.newName = newName;
  const threshold = field(obj, 'threshold');
  if (typeof threshold === 'number' && Number.isInteger(threshold)) out.threshold = threshold;
  const addKeys = field(obj, 'add_keys');
  if (Array.isArray(addKeys)) out.addKeys = addKeys.map((k, i) => PublicKey.fromJSON(k, `delegation change add_keys[${i}]`));
  const strings = (name: string): string[] | undefined => {
    const v = field(obj, name);
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string'))
      throw new DctError('INVALID_CHANGE', `delegation change: ${name} must be a list of strings`);
    return v as string[];
  };
  const removeKeys = strings('remove_keys');
  if (removeKeys) out.removeKeys = removeKeys;
  const addPaths = strings('add_paths');
  if (addPaths) out.addPaths = addPaths;
  const removePaths = strings('remove_paths');
  if (removePaths) out.removePaths = removePaths;
  if (field(obj, 'clear_paths') === true) out.clearPaths = true;
  return out;
}

export function encodeRootRoleJson(r: RootRoleContent): string {
  const keys = r.keys.length === 0 ? 'null' : `[${r.keys.map(encodeKeyJson).join(',')}]`;
  return `{"keys":${keys},"role":${goJsonString(r.role)}}`;
}

export function decodeRootRoleJson(content: Buffer | null): RootRoleContent {
  if (!content) throw new DctError('INVALID_CHANGE', 'unexpected end of JSON input');
  const obj = asRecord(parseGoJson(content), 'root change');
  const role = field(obj, 'role');
  const keys = field(obj, 'keys');
  return {
    role: typeof role === 'string' ? role : '',
    keys: Array.isArray(keys) ? keys.map((k, i) => PublicKey.fromJSON(k, `root change keys[${i}]`)) : [],
  };
}

/** Go's json.Unmarshal matches member names case-insensitively (exact match first). */
function field(obj: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(obj, name)) return obj[name];
  const lower = name.toLowerCase();
  for (const k of Object.keys(obj)) if (k.toLowerCase() === lower) return obj[k];
  return undefined;
}

function asRecord(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new DctError('INVALID_CHANGE', `${what} is not a JSON object`);
  return v as Record<string, unknown>;
}

function parseGoJson(content: Buffer): unknown {
  try {
    return JSON.parse(content.toString('utf8')) as unknown;
  } catch (err) {
    throw new DctError('INVALID_CHANGE', `invalid change content: ${(err as Error).message}`, { cause: err });
  }
}

/** A JSON value as Go's json.Marshal writes an `interface{}`: members sorted, HTML-safe strings. */
export function goJsonValue(v: JsonValue): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return goJsonString(v);
  if (typeof v === 'number' || typeof v === 'boolean') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(goJsonValue).join(',')}]`;
  return `{${Object.keys(v)
    .sort(byteOrder)
    .map((k) => `${goJsonString(k)}:${goJsonValue(v[k] as JsonValue)}`)
    .join(',')}}`;
}

/**
 * Go's `json.Compact` plus HTML escaping, as json.Marshal applies it to a
 * `json.RawMessage`: insignificant white space goes, member order and number
 * spelling stay, `<`, `>`, `&`, U+2028 and U+2029 become `\u…` escapes.
 * The input must be valid JSON.
 */
export function goCompactJson(text: string): string {
  JSON.parse(text); // validity (Go refuses invalid raw JSON)
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (inString) {
      if (c === '\\') {
        out += c + (text[i + 1] ?? '');
        i++;
        continue;
      }
      if (c === '"') inString = false;
      out += HTML_ESCAPES[c] ?? c;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
    } else if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') {
      out += c;
    }
  }
  return out;
}

const HTML_ESCAPES: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };

/** Go string order (UTF-8 bytes). */
export function byteOrder(a: string, b: string): number {
  // UTF-8 byte order is code point order: compared on the strings, nothing encoded
  const c = compareCodePoints(a, b);
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

// ---------------------------------------------------------------------------
// applying changes (notary applyChangelist)
// ---------------------------------------------------------------------------

export interface ApplyOptions {
  /** whether the client holds the private key of one of these keys (notary VerifyCanSign) */
  holdsKeyOf(keys: readonly PublicKey[]): Promise<boolean>;
  /** notary's logrus warnings and errors (printed by the CLI) */
  warn?(message: string): void;
  error?(message: string): void;
}

export interface ApplyResult {
  /** canonical IDs of base-role keys a rotation took out of root: notary deletes those private keys */
  retiredKeyIds: string[];
}

/** An error with notary's text, raised while applying a change. */
export class ChangeError extends DctError {
  declare readonly code: 'CHANGE_REJECTED';

  constructor(message: string) {
    super('CHANGE_REJECTED', message);
  }
}

function invalidRole(role: string, reason = ''): string {
  return reason ? `tuf: invalid role ${role}. ${reason}` : `tuf: invalid role ${role}.`;
}

/**
 * Applies staged changes to a draft, in order, as notary's publish does; the
 * first failing change stops everything (nothing is published then).
 */
export async function applyChanges(draft: RepositoryDraft, changes: readonly NotaryChange[], options: ApplyOptions): Promise<ApplyResult> {
  const applier = new ChangeApplier(draft, options);
  for (const change of changes) await applier.apply(change);
  return { retiredKeyIds: applier.retired };
}

class ChangeApplier {
  readonly retired: string[] = [];

  constructor(
    private readonly draft: RepositoryDraft,
    private readonly o: ApplyOptions,
  ) {}

  async apply(c: NotaryChange): Promise<void> {
    const isDelegation = isDelegationRole(c.scope) || isWildDelegation(c.scope);
    if (c.scope === 'targets' || isDelegation) {
      switch (c.type) {
        case 'target':
          return this.targetChange(c);
        case 'delegation':
          return this.delegationChange(c);
        case 'witness':
          return this.witness(c.scope);
        default:
          throw new ChangeError('only target meta and delegations changes supported');
      }
    }
    if (c.scope === 'root') {
      if (c.type !== 'role') throw new ChangeError(`type of root change not yet supported: ${c.type}`);
      if (c.action !== 'create') throw new ChangeError(`action not yet supported for root: ${c.action}`);
      return this.replaceBaseKeys(decodeRootRoleJson(c.content));
    }
    throw new ChangeError(`scope not supported: ${c.scope}`);
  }

  // ---- targets ------------------------------------------------------------

  private async targetChange(c: NotaryChange): Promise<void> {
    if (c.action === 'create') {
      const meta = decodeFileMetaJson(c.content);
      try {
        await this.addTarget(c.scope, c.path, meta);
      } catch (err) {
        this.o.error?.(`couldn't add target to ${c.scope}: ${(err as Error).message}`);
        throw err;
      }
    } else if (c.action === 'delete') {
      try {
        await this.removeTarget(c.scope, c.path);
      } catch (err) {
        this.o.error?.(`couldn't remove target from ${c.scope}: ${(err as Error).message}`);
        throw err;
      }
    } else {
      throw new ChangeError(`action not yet supported: ${c.action}`);
    }
  }

  /** notary Repo.AddTargets for one target */
  private async addTarget(role: string, name: string, meta: FileMeta): Promise<void> {
    const cannotSign = await this.verifyCanSign(role);
    if (cannotSign?.invalidRole) throw cannotSign.error;
    if (!this.reachable(role) || !pathsAllow(this.draft.effectivePaths(role), name)) {
      throw new ChangeError('Could not add all targets');
    }
    const current = this.draft.role(role)?.targets.get(name);
    if (current && sameFileMeta(current, meta)) return;
    if (cannotSign) throw cannotSign.error;
    this.draft.addTarget(role, name, meta);
  }

  /** notary Repo.RemoveTargets for one target */
  private async removeTarget(role: string, name: string): Promise<void> {
    const cannotSign = await this.verifyCanSign(role);
    if (cannotSign?.invalidRole) throw cannotSign.error;
    const current = this.draft.role(role);
    if (!current || !this.reachable(role) || !current.targets.has(name)) return;
    if (cannotSign) throw cannotSign.error;
    this.draft.removeTarget(role, name);
  }

  // ---- delegations ----------------------------------------------------------

  private async delegationChange(c: NotaryChange): Promise<void> {
    const scope = c.scope;
    switch (c.action) {
      case 'create': {
        const td = decodeDelegationJson(c.content);
        await this.updateDelegationKeys(scope, td.addKeys ?? [], [], td.threshold ?? 0);
        await this.updateDelegationPaths(scope, td.addPaths ?? [], [], false);
        return;
      }
      case 'update': {
        const td = decodeDelegationJson(c.content);
        if (isWildDelegation(scope)) return this.purgeKeys(scope, td.removeKeys ?? []);
        const existing = this.delegationRole(scope);
        // canonical IDs (what people see) to the IDs the metadata uses
        const byCanonical = new Map(existing.keys.map((k) => [k.canonicalId, k.id]));
        const removeIds = (td.removeKeys ?? []).map((id) => byCanonical.get(id) ?? '');
        await this.updateDelegationKeys(scope, td.addKeys ?? [], removeIds, td.threshold ?? 0);
        await this.updateDelegationPaths(scope, td.addPaths ?? [], td.removePaths ?? [], td.clearPaths === true);
        return;
      }
      case 'delete':
        return this.deleteDelegation(scope);
      default:
        throw new ChangeError(`unsupported action against delegations: ${c.action}`);
    }
  }

  /** notary Repo.UpdateDelegationKeys */
  private async updateDelegationKeys(
    role: string,
    addKeys: readonly PublicKey[],
    removeIds: readonly string[],
    threshold: number,
  ): Promise<void> {
    if (!isDelegationRole(role)) throw new ChangeError(invalidRole(role, 'not a valid delegated role'));
    const parent = parentRole(role);
    await this.requireCanSign(parent);
    // the parent's file may not exist yet: notary creates it
    if (!this.draft.role(parent)) this.draft.witness(parent);
    this.updateDelegation(role, { addKeys, removeIds, addPaths: [], removePaths: [], clearPaths: false, threshold });
  }

  /** notary Repo.UpdateDelegationPaths */
  private async updateDelegationPaths(
    role: string,
    addPaths: readonly string[],
    removePaths: readonly string[],
    clearPaths: boolean,
  ): Promise<void> {
    if (!isDelegationRole(role)) throw new ChangeError(invalidRole(role, 'not a valid delegated role'));
    const parent = parentRole(role);
    await this.requireCanSign(parent);
    if (!this.draft.role(parent)) throw new ChangeError(invalidRole(role, 'no valid delegated role exists'));
    this.updateDelegation(role, { addKeys: [], removeIds: [], addPaths, removePaths, clearPaths, threshold: 1 });
  }

  /** notary delegationUpdateVisitor, run on the parent of `role` */
  private updateDelegation(
    role: string,
    u: {
      addKeys: readonly PublicKey[];
      removeIds: readonly string[];
      addPaths: readonly string[];
      removePaths: readonly string[];
      clearPaths: boolean;
      threshold: number;
    },
  ): void {
    const parent = parentRole(role);
    if (!this.reachable(parent)) return; // notary's walk never reaches the parent: nothing happens
    const parentPaths = this.draft.effectivePaths(parent);
    if (u.addPaths.length !== restrictPaths(parentPaths, u.addPaths).length) {
      throw new ChangeError(invalidRole(role, 'invalid paths to add to role'));
    }
    const existing = this.draft.delegation(role);
    if (!existing && u.threshold < 1) throw new ChangeError(invalidRole(role));
    const keyIds = existing ? existing.keyids.filter((id) => !u.removeIds.includes(id)) : [];
    for (const k of u.addKeys) if (!keyIds.includes(k.id)) keyIds.push(k.id);
    const threshold = existing ? existing.threshold : u.threshold;
    if (keyIds.length < threshold) {
      this.o.warn?.(`role ${role} has fewer keys than its threshold of ${threshold}; it will not be usable until keys are added to it`);
    }
    this.draft.changeDelegation(role, {
      addKeys: u.addKeys,
      removeKeyIds: u.removeIds.filter((id) => id !== ''),
      addPaths: u.addPaths,
      removePaths: u.removePaths,
      clearPaths: u.clearPaths,
      ...(existing ? {} : { threshold }),
    });
  }

  /** notary Repo.DeleteDelegation */
  private async deleteDelegation(role: string): Promise<void> {
    if (!isDelegationRole(role)) throw new ChangeError(invalidRole(role, 'not a valid delegated role'));
    await this.requireCanSign(parentRole(role));
    this.draft.removeDelegation(role);
  }

  /** notary Repo.PurgeDelegationKeys: takes keys (canonical IDs) out of every delegation below the wildcard's parent */
  private async purgeKeys(wildcard: string, canonicalIds: readonly string[]): Promise<void> {
    const start = wildcard.slice(0, -2);
    const purge = new Set(canonicalIds);
    const parents = new Map<string, Set<string>>();
    for (const d of this.draft.delegations()) {
      const parent = parentRole(d.name);
      if (parent !== start && !parent.startsWith(`${start}/`)) continue;
      const ids = parents.get(parent) ?? new Set<string>();
      for (const k of d.keys) if (purge.has(k.canonicalId)) ids.add(k.id);
      parents.set(parent, ids);
    }
    for (const [parent, ids] of parents) {
      if (ids.size === 0) continue;
      if (await this.verifyCanSign(parent)) {
        this.o.warn?.(
          `role ${parent} contains keys being purged but you do not have the necessary keys present to sign it; keys will not be purged from ${parent} or its immediate children`,
        );
        continue;
      }
      for (const d of this.draft.delegations().filter((x) => parentRole(x.name) === parent)) {
        const drop = d.keyids.filter((id) => ids.has(id));
        if (drop.length === 0) continue;
        this.draft.changeDelegation(d.name, { removeKeyIds: drop });
        if (d.keyids.length - drop.length < d.threshold) {
          this.o.warn?.(
            `role ${d.name} has fewer keys than its threshold of ${d.threshold}; it will not be usable until keys are added to it`,
          );
        }
      }
    }
  }

  // ---- witness and root ---------------------------------------------------------

  /** notary witnessTargets: a role with a file is re-signed unchanged */
  private witness(role: string): void {
    if (this.draft.role(role) && (role === 'targets' || this.draft.delegation(role))) {
      this.draft.witness(role);
      return;
    }
    throw new ChangeError(invalidRole(role, 'this role is not known'));
  }

  /** notary Repo.ReplaceBaseKeys */
  private replaceBaseKeys(change: RootRoleContent): void {
    const role = change.role;
    if (!isBaseRole(role)) throw new ChangeError(invalidRole(role, 'invalid base role name'));
    const before = this.draft.rootRole;
    const old = before.roles[role]?.keyids ?? [];
    this.draft.replaceBaseRoleKeys(role, change.keys);
    if (role === 'targets') this.draft.witness('targets'); // notary re-signs the role whose keys changed
    if (role !== 'root') {
      const stillUsed = new Set(Object.values(this.draft.rootRole.roles).flatMap((r) => r.keyids));
      for (const id of old) {
        const key = before.keys[id];
        if (!stillUsed.has(id) && key) this.retired.push(key.canonicalId);
      }
    }
  }

  // ---- helpers ------------------------------------------------------------------

  /** a delegation as notary's GetDelegationRole finds it (declared, reachable), with its keys */
  private delegationRole(role: string): { keys: PublicKey[]; threshold: number } {
    if (!isDelegationRole(role)) throw new ChangeError(invalidRole(role, 'invalid delegation name'));
    if (!this.draft.delegation(role) || !this.reachable(parentRole(role)))
      throw new ChangeError(invalidRole(role, 'delegation does not exist'));
    return this.draft.signingKeys(role);
  }

  /** notary VerifyCanSign: undefined when the role exists and one of its keys is held */
  private async verifyCanSign(role: string): Promise<{ invalidRole: boolean; error: ChangeError } | undefined> {
    let keys: PublicKey[];
    if (isDelegationRole(role)) {
      try {
        keys = this.delegationRole(role).keys;
      } catch (err) {
        return { invalidRole: true, error: err as ChangeError };
      }
    } else if (isBaseRole(role)) {
      keys = this.draft.signingKeys(role).keys;
    } else {
      return { invalidRole: true, error: new ChangeError(invalidRole(role, 'does not exist')) };
    }
    if (await this.o.holdsKeyOf(keys)) return undefined;
    return {
      invalidRole: false,
      error: new ChangeError(
        `could not find necessary signing keys, at least one of these keys must be available: ${keys.map((k) => k.canonicalId).join(', ')}`,
      ),
    };
  }

  private async requireCanSign(role: string): Promise<void> {
    const cannot = await this.verifyCanSign(role);
    if (cannot) throw cannot.error;
  }

  /** whether notary's walk from `targets` reaches the role: every ancestor declares the next one and has a file */
  private reachable(role: string): boolean {
    if (role === 'targets') return this.draft.role('targets') !== undefined;
    if (!isDelegationRole(role)) return false;
    const parent = parentRole(role);
    return this.draft.delegation(role) !== undefined && this.draft.role(parent) !== undefined && this.reachable(parent);
  }
}

/** notary FileMeta.Equals: same length, same hashes, same custom data */
function sameFileMeta(a: FileMeta, b: FileMeta): boolean {
  if (a.length !== b.length) return false;
  const ka = Object.keys(a.hashes);
  const kb = Object.keys(b.hashes);
  if (ka.length !== kb.length) return false;
  for (const alg of ka) {
    const other = b.hashes[alg];
    if (!other || !other.equals(a.hashes[alg] as Buffer)) return false;
  }
  const ca = a.custom === undefined || a.custom === null ? undefined : canonicalize(a.custom);
  const cb = b.custom === undefined || b.custom === null ? undefined : canonicalize(b.custom);
  return ca === cb;
}
