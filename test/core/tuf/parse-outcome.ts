/**
 * What a parse of metadata bytes gives, as plain data that `deepEqual` compares: the
 * error (code and message) it throws, or everything a caller can read from the model.
 * Used to show that `parseMetadata` (which reads canonical targets files in one pass)
 * gives exactly what the general path `parseMetadataFromJson` gives, for any input.
 */
import { canonicalize } from '../../../src/core/canonical-json.js';
import { DctError } from '../../../src/core/errors.js';
import { parseMetadata, parseMetadataFromJson, readJsonDocument, type Metadata } from '../../../src/core/tuf/metadata.js';
import { Targets } from '../../../src/core/tuf/targets.js';
import { verifyThreshold, type RoleKeySet } from '../../../src/core/tuf/verify.js';

export type Outcome = { error: string } | { model: Record<string, unknown> };

/** The general path: JSON.parse of the whole file, the typed model from the parsed value. */
export function parseGeneral(bytes: Buffer, role: string): Metadata {
  return parseMetadataFromJson(bytes, role, readJsonDocument(bytes, `${role} metadata`));
}

function attempt<T>(fn: () => T): T | { error: string } {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof DctError)) throw err;
    return { error: `${err.code}: ${err.message}` };
  }
}

const hex = (b: Buffer | undefined) => (b === undefined ? undefined : b.toString('hex'));

/** Everything readable from `md`, in an order that reads the parse-time index before any entry is decoded. */
export function describeModel(md: Metadata, keys?: RoleKeySet, role = 'targets'): Record<string, unknown> {
  const out: Record<string, unknown> = {
    signatures: md.signatures.map((s) => ({ ...s, sig: s.sig.toString('base64') })),
    signedBytes: attempt(() => hex(md.signedBytes())),
    literalSignedBytes: hex(md.literalSignedBytes()),
    serialized: attempt(() => md.serialize().toString('utf8')),
  };
  if (md.signed instanceof Targets) {
    const t = md.signed;
    const files = t.targets;
    out['roleName'] = t.roleName;
    out['version'] = t.version;
    out['expires'] = t.expires.format();
    out['delegations'] = attempt(() => canonicalize(t.toJSON().delegations));
    out['unrecognized'] = t.unrecognized;
    out['summaries'] = files.summaries();
    const names = [...files.names()];
    out['names'] = names;
    out['size'] = files.size;
    out['hashHex'] = names.map((n) => [files.hashHex(n, 'sha256'), files.hashHex(n, 'sha512'), files.hashHex(n, 'md5')]);
    out['absent'] = ['toString', '__proto__', 'constructor', 'hasOwnProperty', ''].map((n) => [
      files.has(n),
      files.hashHex(n, 'sha256'),
      files.get(n) === undefined,
    ]);
    out['json'] = attempt(() => canonicalize(files.toJSON()));
    out['entries'] = names.map((n) => {
      const m = files.get(n)!;
      return { length: m.length, hashes: Object.entries(m.hashes).map(([a, d]) => [a, d.toString('hex')]), custom: m.custom };
    });
    out['summariesAfterDecode'] = files.summaries();
    if (names.length > 0) out['one'] = files.summaries(names[names.length >> 1]);
  }
  if (keys) {
    out['verifyStrict'] = attempt(() => [...verifyThreshold(md, keys, role)]);
    out['verifyLiteral'] = attempt(() => [...verifyThreshold(md, keys, role, { literal: true })]);
  }
  return out;
}

/** The outcome of `parse(bytes, role)`: its typed error, or its model. */
export function outcome(parse: (bytes: Buffer, role: string) => Metadata, bytes: Buffer, role: string, keys?: RoleKeySet): Outcome {
  let md: Metadata;
  try {
    md = parse(bytes, role);
  } catch (err) {
    if (!(err instanceof DctError)) throw err;
    return { error: `${err.code}: ${err.message}` };
  }
  return { model: describeModel(md, keys, role) };
}

/** Both paths, for comparing. */
export function bothOutcomes(bytes: Buffer, role: string, keys?: RoleKeySet): { fast: Outcome; general: Outcome } {
  return { fast: outcome(parseMetadata, bytes, role, keys), general: outcome(parseGeneral, bytes, role, keys) };
}
