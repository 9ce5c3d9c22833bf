/**
 * The rules every envelope's signed attributes follow, whatever the encoding (signature
 * specification, "Signed attributes"): the signing scheme and its time, the critical list, the
 * expiry, the verification-plugin headers and the extended (user defined) attributes.
 */
import { HEADER, malformed, type ExtendedAttribute, type SigningScheme } from './signer-info.js';

export interface RawSignedAttributes {
  /** the `crit` list (JWS) / label 2 (COSE), absent when the header has none */
  crit: unknown;
  /** the string-labelled headers, in header order, times already read */
  headers: Map<string, unknown>;
}

export interface SignedAttributes {
  signingScheme: SigningScheme;
  signingTime: Date;
  expiry?: Date;
  verificationPlugin?: string;
  verificationPluginMinVersion?: string;
  extendedAttributes: ExtendedAttribute[];
}

const KNOWN = new Set<string>([
  HEADER.signingScheme,
  HEADER.signingTime,
  HEADER.authenticSigningTime,
  HEADER.expiry,
  HEADER.verificationPlugin,
  HEADER.verificationPluginMinVersion,
]);

/** Headers that must be listed as critical when present. */
const MUST_BE_CRITICAL = [
  HEADER.signingScheme,
  HEADER.authenticSigningTime,
  HEADER.expiry,
  HEADER.verificationPlugin,
  HEADER.verificationPluginMinVersion,
];

export function readSignedAttributes(raw: RawSignedAttributes, fieldNames: { crit: string }): SignedAttributes {
  const { headers } = raw;
  if (!Array.isArray(raw.crit) || raw.crit.length === 0 || !raw.crit.every((k) => typeof k === 'string'))
    throw malformed(`the protected header's "${fieldNames.crit}" must be a non-empty list of header names`);
  const crit: string[] = raw.crit;
  if (new Set(crit).size !== crit.length) throw malformed(`the protected header's "${fieldNames.crit}" lists a header twice`);
  for (const key of crit) if (!headers.has(key)) throw malformed(`the protected header lists "${key}" as critical but does not contain it`);
  for (const key of MUST_BE_CRITICAL)
    if (headers.has(key) && !crit.includes(key)) throw malformed(`the protected header's "${key}" must be marked critical`);

  const scheme = headers.get(HEADER.signingScheme);
  if (scheme !== 'notary.x509' && scheme !== 'notary.x509.signingAuthority')
    throw malformed(
      scheme === undefined
        ? `the protected header has no "${HEADER.signingScheme}"`
        : `signing scheme ${JSON.stringify(scheme)} is not supported: it must be "notary.x509" or "notary.x509.signingAuthority"`,
    );
  let signingTime: unknown;
  if (scheme === 'notary.x509') {
    if (headers.has(HEADER.authenticSigningTime))
      throw malformed(`"${HEADER.authenticSigningTime}" is not allowed under signing scheme "notary.x509"`);
    signingTime = headers.get(HEADER.signingTime);
    if (!(signingTime instanceof Date)) throw malformed(`the protected header has no valid "${HEADER.signingTime}"`);
  } else {
    if (headers.has(HEADER.signingTime)) throw malformed(`"${HEADER.signingTime}" is not allowed under signing scheme "${scheme}"`);
    signingTime = headers.get(HEADER.authenticSigningTime);
    if (!(signingTime instanceof Date)) throw malformed(`the protected header has no valid "${HEADER.authenticSigningTime}"`);
  }
  const out: SignedAttributes = { signingScheme: scheme, signingTime, extendedAttributes: [] };
  if (headers.has(HEADER.expiry)) {
    const expiry = headers.get(HEADER.expiry);
    if (!(expiry instanceof Date)) throw malformed(`the protected header's "${HEADER.expiry}" is not a time`);
    out.expiry = expiry;
  }
  for (const key of [HEADER.verificationPlugin, HEADER.verificationPluginMinVersion] as const) {
    if (!headers.has(key)) continue;
    const v = headers.get(key);
    if (typeof v !== 'string' || v === '') throw malformed(`the protected header's "${key}" must be a non-empty string`);
    if (key === HEADER.verificationPlugin) out.verificationPlugin = v;
    else out.verificationPluginMinVersion = v;
  }
  if (out.verificationPluginMinVersion !== undefined && out.verificationPlugin === undefined)
    throw malformed(`"${HEADER.verificationPluginMinVersion}" is set without "${HEADER.verificationPlugin}"`);
  for (const [key, value] of headers) if (!KNOWN.has(key)) out.extendedAttributes.push({ key, value, critical: crit.includes(key) });
  return out;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** An RFC 3339 time as Go's `time.Time` reads it from JSON; undefined when it is not one. */
export function parseRfc3339(text: unknown): Date | undefined {
  if (typeof text !== 'string') return undefined;
  const m = RFC3339.exec(text);
  if (m === null) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return undefined;
  if (d > new Date(Date.UTC(y, mo, 0)).getUTCDate()) return undefined;
  const t = new Date(text.toUpperCase());
  return Number.isNaN(t.getTime()) ? undefined : t;
}
