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
import { Snapshot } from './snapshot.js';
import { Timestamp } from './timestamp.js';
import { TargetFiles } from './target-files.js';
import { Targets } from './targets.js';
import { readCanonicalTargets, type CanonicalTargetsText } from './targets-text.js';
import type { RoleKind } from './common.js';
import { isBaseRole, isDelegationRole, isTargetsRole } from './roles.js';

export type RoleMetadata = Root | Targets | Snapshot | Timestamp;

interface Parsed {
  raw: Buffer;
  /** the file's text (UTF-8 decoded) */
  text: string;
  /** every byte of the file is ASCII (so `text` and `raw` have the same offsets) */
  ascii: boolean;
  /** the parsed generic `signed` value, to derive the canonical bytes from (unused when `canonicalEnd` is known) */
  signedValue: unknown;
  /** where the `signed` text ends when it was proven canonical while the file was read */
  canonicalEnd: number | undefined;
  /**
   * Where the `signed` member's text would end if the file has notary's envelope
   * shape `{"signed":…,"signatures":…}` (the last `,"signatures":`); unchecked:
   * only a signature made over exactly those bytes makes use of it.
   */
  literalEnd: number | undefined;
}

const SIGNATURES_MEMBER = ',"signatures":';

/**
 * `text[start, end)` as UTF-8 bytes, where `text` is `raw` decoded and starts with an
 * ASCII prefix of `start` characters (`{"signed":`): a view of `raw` when the stretch is
 * ASCII too (then it is its own bytes, at the same offsets), else encoded.
 */
function textBytes({ raw, text, ascii }: Parsed, start: number, end: number): Buffer {
  if (ascii) return raw.subarray(start, end);
  const slice = text.slice(start, end);
  return Buffer.byteLength(slice, 'utf8') === slice.length ? raw.subarray(start, end) : Buffer.from(slice, 'utf8');
}

export class Metadata<T extends RoleMetadata = RoleMetadata> {
  private cachedSignedBytes: Buffer | undefined;
  private cachedLiteralBytes: Buffer | null | undefined;

  constructor(
    readonly signed: T,
    readonly signatures: readonly Signature[],
    private readonly parsed?: Parsed,
  ) {}

  /** The bytes this metadata was parsed from, if it was. */
  get raw(): Buffer | undefined {
    return this.parsed?.raw;
  }

  /**
   * The canonical bytes signatures are made and checked over (notary's rule).
   * When the file's own `signed` text provably is canonical already (the usual
   * case), that text is used rather than re-derived.
   */
  signedBytes(): Buffer {
    if (this.cachedSignedBytes) return this.cachedSignedBytes;
    const parsed = this.parsed;
    if (parsed?.canonicalEnd !== undefined) {
      this.cachedSignedBytes = textBytes(parsed, SIGNED_TEXT_OFFSET, parsed.canonicalEnd);
    } else if (parsed) {
      const canonical = canonicalSignedText(parsed.text);
      this.cachedSignedBytes =
        canonical !== undefined
          ? textBytes(parsed, SIGNED_TEXT_OFFSET, SIGNED_TEXT_OFFSET + canonical.length)
          : canonicalBytes(parsed.signedValue);
    } else {
      this.cachedSignedBytes = canonicalBytes(this.signed.toJSON());
    }
    return this.cachedSignedBytes;
  }

  /**
   * The bytes of the file between `{"signed":` and its last `,"signatures":`, or
   * undefined when the file has no such shape. Unchecked: they are the `signed`
   * text only if a signature over exactly them verifies (see `verifyThreshold`).
   */
  literalSignedBytes(): Buffer | undefined {
    if (this.cachedLiteralBytes !== undefined) return this.cachedLiteralBytes ?? undefined;
    const parsed = this.parsed;
    const end = parsed?.literalEnd;
    this.cachedLiteralBytes = parsed && end !== undefined ? textBytes(parsed, SIGNED_TEXT_OFFSET, end) : null;
    return this.cachedLiteralBytes ?? undefined;
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
 * `doc` must be `readJsonDocument(bytes)`: the parse of these same bytes.
 */
export function parseEnvelope(
  bytes: Buffer,
  roleName: string,
  doc: JsonDocument = readJsonDocument(bytes, `${roleName} metadata`),
): { signedValue: unknown; signatures: Signature[]; literalEnd: number | undefined } {
  const envelope = asObject(doc.value, roleName);
  if (envelope['signed'] === undefined) throw invalid(roleName, 'missing "signed"');
  const signatures = signaturesFromJSON(envelope['signatures'], roleName);
  return { signedValue: envelope['signed'], signatures, literalEnd: literalSignedEnd(doc.text, Object.keys(envelope).length) };
}

function signaturesFromJSON(value: unknown, roleName: string): Signature[] {
  const sigList = value === null || value === undefined ? [] : asArray(value, `${roleName}.signatures`);
  return sigList.map((s, i): Signature => {
    const where = `${roleName}.signatures[${i}]`;
    const obj = asObject(s, where);
    return {
      keyid: asString(obj['keyid'], `${where}.keyid`),
      method: asString(obj['method'], `${where}.method`).toLowerCase(),
      sig: decodeBase64(asString(obj['sig'], `${where}.sig`), `${where}.sig`),
    };
  });
}

/**
 * For a file of the form `{"signed":L,"signatures":S}` (the last `,"signatures":`
 * member, S one complete JSON value, then only `}` and whitespace; the envelope
 * has exactly those two members: `memberCount` is 2), the end of L. L is then the `signed` value's
 * text unless a key holder signed something that is not one JSON value, which
 * TUF signers never do: a signature over exactly L's bytes is what proves it.
 */
function literalSignedEnd(text: string, memberCount: number): number | undefined {
  if (!text.startsWith('{"signed":') || memberCount !== 2) return undefined;
  const end = text.lastIndexOf(SIGNATURES_MEMBER);
  if (end <= SIGNED_TEXT_OFFSET) return undefined;
  let close = text.length;
  while (close > end && ' \t\r\n'.includes(text.charAt(close - 1))) close--;
  if (text.charCodeAt(close - 1) !== 0x7d) return undefined;
  try {
    JSON.parse(text.slice(end + SIGNATURES_MEMBER.length, close - 1));
  } catch {
    return undefined; // e.g. members after the signatures (a second "signed"): not notary's shape
  }
  return end;
}

/**
 * Whether every byte of `bytes` is ASCII, given `text`, its UTF-8 decoding, without a
 * pass over the bytes: decoding never yields more UTF-16 units than bytes, and yields as
 * many only when each byte is ASCII or an invalid byte that became U+FFFD; a text with no
 * character above U+00FF is answered without a search.
 */
function isAsciiDecoding(bytes: Buffer, text: string): boolean {
  return bytes.length === text.length && text.indexOf('\ufffd') < 0;
}

export function parseMetadata(bytes: Buffer, roleName: 'root', doc?: JsonDocument): Metadata<Root>;
export function parseMetadata(bytes: Buffer, roleName: 'snapshot', doc?: JsonDocument): Metadata<Snapshot>;
export function parseMetadata(bytes: Buffer, roleName: 'timestamp', doc?: JsonDocument): Metadata<Timestamp>;
export function parseMetadata(bytes: Buffer, roleName: string, doc?: JsonDocument): Metadata;
export function parseMetadata(bytes: Buffer, roleName: string, doc?: JsonDocument): Metadata {
  const text = doc?.text ?? bytes.toString('utf8');
  if (isTargetsRole(roleName)) {
    const read = readCanonicalTargets(text);
    if (read) return targetsFromCanonicalText(bytes, text, roleName, read);
  }
  return parseMetadataFromJson(bytes, roleName, doc ?? { text, value: parseJson(text, `${roleName} metadata`) });
}

/**
 * A targets file read by `readCanonicalTargets` (its `signed` text proven canonical,
 * every target checked): the rest is read as `parseMetadataFromJson` reads it, in the
 * same order, so that it refuses it with the same error.
 */
function targetsFromCanonicalText(bytes: Buffer, text: string, roleName: string, read: CanonicalTargetsText): Metadata {
  const signatures = signaturesFromJSON(read.signatures, roleName);
  const signed = Targets.fromJSON(read.signedShell, roleName, TargetFiles.fromParsedEntries(read.targets));
  return new Metadata(signed, signatures, {
    raw: bytes,
    text,
    ascii: isAsciiDecoding(bytes, text),
    signedValue: undefined,
    canonicalEnd: read.signedEnd,
    literalEnd: literalSignedEnd(text, 2),
  });
}

/**
 * `parseMetadata` by the general path: `doc` is the parse of `bytes` (`readJsonDocument`);
 * what `parseMetadata` does for every file it cannot read faster.
 */
export function parseMetadataFromJson(bytes: Buffer, roleName: string, doc: JsonDocument): Metadata {
  const { signedValue, signatures, literalEnd } = parseEnvelope(bytes, roleName, doc);
  const kind = roleKind(roleName);
  const signed =
    kind === 'root'
      ? Root.fromJSON(signedValue)
      : kind === 'snapshot'
        ? Snapshot.fromJSON(signedValue)
        : kind === 'timestamp'
          ? Timestamp.fromJSON(signedValue)
          : Targets.fromJSON(signedValue, roleName);
  return new Metadata(signed, signatures, {
    raw: bytes,
    text: doc.text,
    ascii: isAsciiDecoding(bytes, doc.text),
    signedValue,
    canonicalEnd: undefined,
    literalEnd,
  });
}

export function parseTargets(bytes: Buffer, roleName: string, doc?: JsonDocument): Metadata<Targets> {
  return parseMetadata(bytes, roleName, doc) as Metadata<Targets>;
}
