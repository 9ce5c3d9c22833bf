/**
 * The contents of notary's changes as Go's `encoding/json` writes and reads them, so that
 * notary and dct read each other's changelists.
 */
import { compareCodePoints, goJsonString, type JsonValue } from '../../core/canonical-json.js';
import { DctError } from '../../core/errors.js';
import { PublicKey } from '../../core/keys/public-key.js';
import { fileMetaFromJSON, type FileMeta } from '../../core/tuf/file-meta.js';

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
