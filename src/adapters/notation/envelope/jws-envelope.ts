/**
 * The JWS envelope (`application/jose+json`, signature-envelope-jws.md): a flattened JWS JSON
 * serialization whose protected header carries the signed attributes and whose unprotected
 * header carries `x5c`, the signing agent and the RFC 3161 countersignature. Read strictly;
 * written byte for byte as notation-core-go writes it (protected header keys sorted, `crit`
 * as signing scheme, extended critical keys, expiry).
 */
import type { KeyObject, X509Certificate } from 'node:crypto';
import type { Descriptor } from '../../../core/oci/descriptor.js';
import { Base64Error, decodeBase64Std, decodeBase64Url } from './base64.js';
import { cachedCertificate, cachedCertificateOf } from './certificate-cache.js';
import { goJson, sortKeys } from './go-json.js';
import { parsePayload, payloadBytes } from './payload.js';
import { isSignatureAlgorithm, signBytes, type SignatureAlgorithm } from './signature-algorithm.js';
import { parseRfc3339, readSignedAttributes } from './signed-attributes.js';
import {
  HEADER,
  JWS_MEDIA_TYPE,
  MAX_CHAIN_LENGTH,
  NOTARY_PAYLOAD_CONTENT_TYPE,
  envelopeError,
  malformed,
  type EnvelopeContent,
} from './signer-info.js';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function part(envelope: Json, name: string): Buffer {
  const text = envelope[name];
  if (typeof text !== 'string') throw malformed(`the JWS envelope has no "${name}"`);
  try {
    return decodeBase64Url(text);
  } catch (err) {
    if (err instanceof Base64Error) throw envelopeError('NOTATION_SIGNATURE_INVALID', `signature is invalid. Error: ${err.message}`, err);
    throw err;
  }
}

/** Go reads the unprotected header's fields case-insensitively (`io.cncf.notary.SigningAgent` too). */
function unprotectedField(header: Json, name: string): unknown {
  const key = Object.keys(header).find((k) => k === name) ?? Object.keys(header).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : header[key];
}

export function parseCertificateDer(der: Uint8Array, where: string, key = Buffer.from(der).toString('base64')): X509Certificate {
  try {
    return cachedCertificate(der, key);
  } catch (err) {
    throw malformed(`${where} is not an X.509 certificate: ${(err as Error).message}`, err);
  }
}

export function parseJwsEnvelope(bytes: Uint8Array): EnvelopeContent {
  let envelope: unknown;
  try {
    envelope = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw malformed('the JWS envelope is not JSON', err);
  }
  if (!isObject(envelope)) throw malformed('the JWS envelope is not a JSON object (flattened JWS JSON serialization)');
  if ('signatures' in envelope) throw malformed('the JWS envelope uses the general serialization: notation uses the flattened one');
  const protectedText = envelope['protected'];
  const payloadText = envelope['payload'];
  if (typeof protectedText !== 'string' || protectedText === '') throw malformed('the JWS envelope has no protected header');
  if (typeof payloadText !== 'string') throw malformed('the JWS envelope has no payload');
  const protectedBytes = part(envelope, 'protected');
  const payload = part(envelope, 'payload');
  const signature = part(envelope, 'signature');
  if (signature.length === 0) throw malformed('the JWS envelope has an empty signature');

  let header: unknown;
  try {
    header = JSON.parse(protectedBytes.toString('utf8'));
  } catch (err) {
    throw malformed('the JWS protected header is not JSON', err);
  }
  if (!isObject(header)) throw malformed('the JWS protected header is not a JSON object');
  const alg = header['alg'];
  if (!isSignatureAlgorithm(alg))
    throw envelopeError(
      'NOTATION_ENVELOPE_UNSUPPORTED',
      `signature algorithm ${JSON.stringify(alg ?? null)} is not supported (PS256/384/512, ES256/384/512)`,
    );
  const cty = header['cty'];
  if (cty !== NOTARY_PAYLOAD_CONTENT_TYPE)
    throw malformed(`payload content type ${JSON.stringify(cty ?? '')} not supported: it must be "${NOTARY_PAYLOAD_CONTENT_TYPE}"`);

  const headers = new Map<string, unknown>();
  const times = { [HEADER.signingTime]: '', [HEADER.authenticSigningTime]: '', [HEADER.expiry]: '' } as Record<string, string>;
  for (const [key, value] of Object.entries(header)) {
    if (key === 'alg' || key === 'cty' || key === 'crit') continue;
    if (Object.hasOwn(times, key)) {
      const t = parseRfc3339(value);
      if (t === undefined) throw malformed(`the protected header's "${key}" is not an RFC 3339 time`);
      times[key] = value as string;
      headers.set(key, t);
    } else headers.set(key, value);
  }
  const attrs = readSignedAttributes({ crit: header['crit'], headers }, { crit: 'crit' });

  const unprotected = envelope['header'];
  if (!isObject(unprotected)) throw malformed('the JWS envelope has no unprotected header (it carries x5c)');
  const x5c = unprotectedField(unprotected, 'x5c');
  if (!Array.isArray(x5c) || x5c.length === 0) throw malformed('the JWS unprotected header has no x5c certificate chain');
  if (x5c.length > MAX_CHAIN_LENGTH)
    throw malformed(`the x5c certificate chain has ${x5c.length} certificates (at most ${MAX_CHAIN_LENGTH})`);
  const chain = x5c.map((c, i) => {
    if (typeof c !== 'string') throw malformed(`x5c[${i}] is not a base64 string`);
    try {
      return cachedCertificateOf(c) ?? parseCertificateDer(decodeBase64Std(c), `x5c[${i}]`, c);
    } catch (err) {
      if (err instanceof Base64Error) throw malformed(`x5c[${i}] is not base64: ${err.message}`, err);
      throw err;
    }
  });
  const signingAgent = unprotectedField(unprotected, HEADER.signingAgent);
  if (signingAgent !== undefined && typeof signingAgent !== 'string') throw malformed('the signing agent is not a string');
  const timestamp = unprotectedField(unprotected, HEADER.timestampSignature);
  let timestampSignature: Buffer | undefined;
  if (timestamp !== undefined) {
    if (typeof timestamp !== 'string') throw malformed('the timestamp signature is not a base64 string');
    try {
      timestampSignature = decodeBase64Std(timestamp);
    } catch (err) {
      throw malformed(`the timestamp signature is not base64: ${(err as Error).message}`, err);
    }
  }

  const timeText = attrs.signingScheme === 'notary.x509' ? times[HEADER.signingTime] : times[HEADER.authenticSigningTime];
  return {
    format: 'jws',
    mediaType: JWS_MEDIA_TYPE,
    payload,
    contentType: cty,
    targetArtifact: parsePayload(payload),
    signatureAlgorithm: alg,
    ...attrs,
    ...(timeText !== undefined && timeText !== '' ? { signingTimeText: timeText } : {}),
    ...(attrs.expiry !== undefined ? { expiryText: times[HEADER.expiry] } : {}),
    chain,
    ...(signingAgent !== undefined ? { signingAgent } : {}),
    ...(timestampSignature !== undefined ? { timestampSignature } : {}),
    signature,
    signedBytes: Buffer.from(`${protectedText}.${payloadText}`, 'ascii'),
  };
}

/** RFC 3339 in UTC, whole seconds (as notation writes its times). */
export function rfc3339Seconds(t: Date): string {
  return new Date(Math.floor(t.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export interface JwsSignRequest {
  targetArtifact: Descriptor;
  algorithm: SignatureAlgorithm;
  key: KeyObject;
  chain: X509Certificate[];
  signingTime: Date;
  expiry?: Date;
  signingAgent?: string;
}

/**
 * The protected header notation-core-go writes: keys sorted, `crit` = signing scheme, the
 * extended critical keys, then expiry.
 */
export function encodeJwsProtectedHeader(
  algorithm: SignatureAlgorithm,
  signingTime: Date,
  expiry?: Date,
  extended: ReadonlyMap<string, unknown> = new Map(),
  extendedCritical: readonly string[] = [],
): string {
  const crit = [HEADER.signingScheme, ...extendedCritical, ...(expiry !== undefined ? [HEADER.expiry] : [])];
  return goJson(
    sortKeys({
      alg: algorithm,
      crit,
      cty: NOTARY_PAYLOAD_CONTENT_TYPE,
      ...Object.fromEntries(extended),
      [HEADER.signingScheme]: 'notary.x509',
      [HEADER.signingTime]: rfc3339Seconds(signingTime),
      ...(expiry !== undefined ? { [HEADER.expiry]: rfc3339Seconds(expiry) } : {}),
    }),
  );
}

export function buildJwsEnvelope(req: JwsSignRequest): Buffer {
  const protectedHeader = encodeJwsProtectedHeader(req.algorithm, req.signingTime, req.expiry);
  const protectedText = Buffer.from(protectedHeader, 'utf8').toString('base64url');
  const payloadText = payloadBytes(req.targetArtifact, 'jws').toString('base64url');
  const signature = signBytes(req.algorithm, req.key, Buffer.from(`${protectedText}.${payloadText}`, 'ascii'));
  const envelope = {
    payload: payloadText,
    protected: protectedText,
    header: {
      x5c: req.chain.map((c) => c.raw.toString('base64')),
      ...(req.signingAgent !== undefined && req.signingAgent !== '' ? { [HEADER.signingAgent]: req.signingAgent } : {}),
    },
    signature: signature.toString('base64url'),
  };
  return Buffer.from(goJson(envelope), 'utf8');
}
