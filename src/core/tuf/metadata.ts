/**
 * The signed envelope `{"signed":…,"signatures":[…]}` (notary `data.Signed`).
 *
 * Parsing keeps the original bytes; signatures are verified over the canonical
 * JSON of the parsed `signed` value, exactly as notary does — taken from the
 * file's text only when a validating check proves the two identical. Serialising writes the bytes Go would
 * write for the typed model, so a re-serialised notary file is byte-identical.
 */
import { canonicalBytes, canonicalize, goJsonString, htmlEscape, parseJson } from '../canonical-json.js';
import { canonicalSignedText, SIGNED_TEXT_OFFSET } from '../canonical-text.js';
import { decodeBase64 } from '../encoding.js';
import type { Signer } from '../keys/signer.js';
import type { Signature } from '../keys/signature.js';
import { asArray, asObject, asString, invalid } from './json-reader.js';
import { Root } from './root.js';
import { Snapshot, Timestamp } from './snapshot.js';
import { Targets } from './targets.js';
import type { RoleKind } from './common.js';
import { isBaseRole, isDelegationRole } from './roles.js';

export type RoleMetadata = Root | Targets | Snapshot | Timestamp;

interface Parsed {
  raw: Buffer;
  /** the `signed` text of the file when it is provably canonical already (the common case) */
  canonicalText?: string;
  /** otherwise the parsed generic `signed` value, to re-derive the canonical bytes from */
  signedValue?: unknown;
}

export class Metadata<T extends RoleMetadata = RoleMetadata> {
  private cachedSignedBytes: Buffer | undefined;

  constructor(
    readonly signed: T,
    readonly signatures: readonly Signature[],
    private readonly parsed?: Parsed,
  ) {}

  /** The bytes this metadata was parsed from, if it was. */
  get raw(): Buffer | undefined {
    return this.parsed?.raw;
  }

  /** The canonical bytes signatures are made and checked over. */
  signedBytes(): Buffer {
    if (this.cachedSignedBytes) return this.cachedSignedBytes;
    const parsed = this.parsed;
    const text = parsed?.canonicalText;
    if (parsed && text !== undefined) {
      // ASCII text (the usual case) is its own bytes, which the file holds as they are: no copy
      this.cachedSignedBytes =
        Buffer.byteLength(text, 'utf8') === text.length
          ? parsed.raw.subarray(SIGNED_TEXT_OFFSET, SIGNED_TEXT_OFFSET + text.length)
          : Buffer.from(text, 'utf8');
    } else this.cachedSignedBytes = canonicalBytes(parsed ? parsed.signedValue : this.signed.toJSON());
    return this.cachedSignedBytes;
  }

  /** The file bytes notary (Go) writes for this metadata. */
  serialize(): Buffer {
    const signed = htmlEscape(canonicalize(this.signed.toJSON()));
    const sigs = this.signatures
      .map((s) => `{"keyid":${goJsonString(s.keyid)},"method":${goJsonString(s.method)},"sig":"${s.sig.toString('base64')}"}`)
      .join(',');
    return Buffer.from(`{"signed":${signed},"signatures":[${sigs}]}`, 'utf8');
  }

  /** Signs the current content with every signer (notary signs with all keys it has), keeping `keep` signatures. */
  async sign(signers: readonly Signer[], keep: readonly Signature[] = []): Promise<Metadata<T>> {
    const bytes = canonicalBytes(this.signed.toJSON());
    const fresh = await Promise.all(signers.map((s) => s.sign(bytes)));
    const freshIds = new Set(fresh.map((s) => s.keyid));
    return new Metadata(this.signed, [...keep.filter((s) => !freshIds.has(s.keyid)), ...fresh]);
  }
}

export function roleKind(roleName: string): RoleKind {
  if (isBaseRole(roleName)) return roleName;
  if (isDelegationRole(roleName)) return 'targets';
  throw invalid(roleName, `${JSON.stringify(roleName)} is not a valid role`);
}

/** JSON text already parsed (by a caller that had to look inside first), so it is parsed once. */
export interface JsonDocument {
  text: string;
  value: unknown;
}

/** Decodes (UTF-8) and parses a file once; MALFORMED_JSON when it is not JSON. */
export function readJsonDocument(bytes: Buffer, what: string): JsonDocument {
  const text = bytes.toString('utf8');
  return { text, value: parseJson(text, what) };
}

/**
 * Parses envelope and signatures; the `signed` value stays generic.
 * `canonicalText` is set when the file's `signed` text already is the canonical
 * JSON of that value (checked, not assumed), which spares re-deriving it.
 * `doc` must be `readJsonDocument(bytes)`: the parse of these same bytes.
 */
export function parseEnvelope(
  bytes: Buffer,
  roleName: string,
  doc: JsonDocument = readJsonDocument(bytes, `${roleName} metadata`),
): { signedValue: unknown; signatures: Signature[]; canonicalText: string | undefined } {
  const envelope = asObject(doc.value, roleName);
  if (envelope['signed'] === undefined) throw invalid(roleName, 'missing "signed"');
  const sigList = envelope['signatures'] === null || envelope['signatures'] === undefined ? [] : asArray(envelope['signatures'], `${roleName}.signatures`);
  const signatures = sigList.map((s, i): Signature => {
    const where = `${roleName}.signatures[${i}]`;
    const obj = asObject(s, where);
    return {
      keyid: asString(obj['keyid'], `${where}.keyid`),
      method: asString(obj['method'], `${where}.method`).toLowerCase(),
      sig: decodeBase64(asString(obj['sig'], `${where}.sig`), `${where}.sig`),
    };
  });
  return { signedValue: envelope['signed'], signatures, canonicalText: canonicalSignedText(doc.text) };
}

export function parseMetadata(bytes: Buffer, roleName: 'root', doc?: JsonDocument): Metadata<Root>;
export function parseMetadata(bytes: Buffer, roleName: 'snapshot', doc?: JsonDocument): Metadata<Snapshot>;
export function parseMetadata(bytes: Buffer, roleName: 'timestamp', doc?: JsonDocument): Metadata<Timestamp>;
export function parseMetadata(bytes: Buffer, roleName: string, doc?: JsonDocument): Metadata;
export function parseMetadata(bytes: Buffer, roleName: string, doc?: JsonDocument): Metadata {
  const { signedValue, signatures, canonicalText } = parseEnvelope(bytes, roleName, doc);
  const kind = roleKind(roleName);
  const signed =
    kind === 'root'
      ? Root.fromJSON(signedValue)
      : kind === 'snapshot'
        ? Snapshot.fromJSON(signedValue)
        : kind === 'timestamp'
          ? Timestamp.fromJSON(signedValue)
          : Targets.fromJSON(signedValue, roleName);
  return new Metadata(signed, signatures, canonicalText !== undefined ? { raw: bytes, canonicalText } : { raw: bytes, signedValue });
}

export function parseTargets(bytes: Buffer, roleName: string, doc?: JsonDocument): Metadata<Targets> {
  return parseMetadata(bytes, roleName, doc) as Metadata<Targets>;
}
