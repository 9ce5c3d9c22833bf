/**
 * notation's `signingkeys.json`: the signing keys by name — a local key pair (`keyPath`,
 * `certPath`) or a plugin key (`id`, `pluginName`, `pluginConfig`) — and the default one. Decoded
 * and checked as notation does (names non-empty and unique, the default one of them), changed as
 * its `key` and `cert generate-test` commands change it, and written back as Go writes it
 * (4-space indented JSON, fields in struct order, empty ones left out).
 */
import { DctError } from '../errors.js';
import { MAX_CONFIG_FILE_BYTES } from './trust-policy.js';

export interface KeySuite {
  name: string;
  keyPath?: string;
  certPath?: string;
  id?: string;
  pluginName?: string;
  pluginConfig?: Record<string, string>;
}

export interface SigningKeys {
  default?: string;
  keys: KeySuite[];
}

const FILE = 'signingkeys.json';

function malformed(message: string): never {
  throw new DctError('NOTATION_SIGNING_KEYS_MALFORMED', message);
}

/** Decodes and checks `signingkeys.json` (NOTATION_SIGNING_KEYS_MALFORMED with notation's message). */
export function parseSigningKeys(bytes: Uint8Array): SigningKeys {
  if (bytes.length > MAX_CONFIG_FILE_BYTES) {
    throw new DctError('NOTATION_CONFIG_TOO_LARGE', `${FILE} is ${bytes.length} bytes, more than the ${MAX_CONFIG_FILE_BYTES} dct reads`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    return malformed(`malformed ${FILE}: ${(err as Error).message}`);
  }
  const top = object(raw, 'SigningKeys');
  const out: SigningKeys = { keys: [] };
  const def = get(top, 'default');
  if (def !== undefined && def !== null) out.default = string(def, 'default');
  const keys = get(top, 'keys');
  if (keys !== undefined && keys !== null) {
    if (!Array.isArray(keys))
      malformed(`malformed ${FILE}: json: cannot unmarshal ${typeof keys} into Go struct field SigningKeys.keys of type []config.KeySuite`);
    for (const k of keys as unknown[]) {
      const o = object(k, 'KeySuite');
      const suite: KeySuite = { name: string(get(o, 'name'), 'name') };
      for (const f of ['keyPath', 'certPath', 'id', 'pluginName'] as const) {
        const v = get(o, f);
        if (v !== undefined && v !== null && v !== '') suite[f] = string(v, f);
      }
      const pc = get(o, 'pluginConfig');
      if (pc !== undefined && pc !== null) {
        const map = object(pc, 'pluginConfig');
        suite.pluginConfig = Object.fromEntries(Object.entries(map).map(([key, v]) => [key, string(v, 'pluginConfig')]));
      }
      out.keys.push(suite);
    }
  }
  validateSigningKeys(out);
  return out;
}

/** notation's validateKeys. */
export function validateSigningKeys(config: SigningKeys): void {
  const names = new Set<string>();
  for (const key of config.keys) {
    if (key.name.length === 0) malformed(`malformed ${FILE}: key name cannot be empty`);
    if (names.has(key.name)) malformed(`malformed ${FILE}: multiple keys with name '${key.name}' found`);
    names.add(key.name);
  }
  if (config.default !== undefined) {
    if (config.default.length === 0) malformed(`malformed ${FILE}: default key name cannot be empty`);
    if (!names.has(config.default)) malformed(`malformed ${FILE}: default key '${config.default}' not found`);
  }
}

/** The file's bytes as Go's json.Encoder with a 4-space indent writes them. */
export function serializeSigningKeys(config: SigningKeys): Buffer {
  const ordered = {
    ...(config.default !== undefined ? { default: config.default } : {}),
    keys: config.keys.map((k) => ({
      name: k.name,
      ...(k.keyPath ? { keyPath: k.keyPath } : {}),
      ...(k.certPath ? { certPath: k.certPath } : {}),
      ...(k.id ? { id: k.id } : {}),
      ...(k.pluginName ? { pluginName: k.pluginName } : {}),
      ...(k.pluginConfig && Object.keys(k.pluginConfig).length > 0 ? { pluginConfig: sortKeys(k.pluginConfig) } : {}),
    })),
  };
  const json = JSON.stringify(ordered, null, 4).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return Buffer.from(json + '\n', 'utf8');
}

function sortKeys(m: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.keys(m)
      .sort()
      .map((k) => [k, m[k] as string]),
  );
}

function keyNotFound(name: string): never {
  throw new DctError('NOTATION_SIGNING_KEY_NOT_FOUND', name ? `signing key ${name} not found` : 'signing key not found');
}

function requireName(name: string): void {
  if (name === '') throw new DctError('NOTATION_SIGNING_KEY_NOT_FOUND', 'key name cannot be empty');
}

/** The key named `name`, else the default one. */
export function getSigningKey(config: SigningKeys, name?: string): KeySuite {
  if (name === undefined || name === '') {
    if (config.default === undefined) {
      throw new DctError(
        'NOTATION_DEFAULT_KEY_NOT_SET',
        'default signing key not set. Please set default signing key or specify a key name',
      );
    }
    name = config.default;
  }
  return config.keys.find((k) => k.name === name) ?? keyNotFound(name);
}

/** Adds a key (notation's `SigningKeys.add`): a new name only; optionally the new default. */
export function addSigningKey(config: SigningKeys, key: KeySuite, markDefault: boolean): SigningKeys {
  requireName(key.name);
  if (config.keys.some((k) => k.name === key.name)) {
    throw new DctError('NOTATION_SIGNING_KEY_EXISTS', `signing key with name ${JSON.stringify(key.name)} already exists`);
  }
  return {
    ...(markDefault ? { default: key.name } : config.default !== undefined ? { default: config.default } : {}),
    keys: [...config.keys, key],
  };
}

/** Makes `name` the default key. */
export function setDefaultSigningKey(config: SigningKeys, name: string): SigningKeys {
  requireName(name);
  if (!config.keys.some((k) => k.name === name)) keyNotFound(name);
  return { default: name, keys: config.keys };
}

/**
 * Removes keys by name, in order (notation's `SigningKeys.Remove`): stops at the first unknown
 * name, reporting the ones removed so far with the error (nothing is saved then).
 */
export function removeSigningKeys(config: SigningKeys, names: readonly string[]): { config: SigningKeys; removed: string[] } {
  let keys = [...config.keys];
  let def = config.default;
  const removed: string[] = [];
  for (const name of names) {
    requireName(name);
    const i = keys.findIndex((k) => k.name === name);
    if (i < 0) keyNotFound(name);
    keys = [...keys.slice(0, i), ...keys.slice(i + 1)];
    removed.push(name);
    if (def === name) def = undefined;
  }
  return { config: { ...(def !== undefined ? { default: def } : {}), keys }, removed };
}

function get(o: Record<string, unknown>, name: string): unknown {
  if (Object.prototype.hasOwnProperty.call(o, name)) return o[name];
  for (const k of Object.keys(o)) if (k.toLowerCase() === name.toLowerCase()) return o[k];
  return undefined;
}

function object(v: unknown, what: string): Record<string, unknown> {
  if (v === null || v === undefined) return {};
  if (typeof v !== 'object' || Array.isArray(v)) malformed(`malformed ${FILE}: ${what} must be a JSON object`);
  return v as Record<string, unknown>;
}

function string(v: unknown, what: string): string {
  if (v === null || v === undefined) return '';
  if (typeof v !== 'string') malformed(`malformed ${FILE}: ${what} must be a string`);
  return v;
}
