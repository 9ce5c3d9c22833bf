/**
 * What `notation inspect` shows of one signature envelope: its media type and signature
 * algorithm, signed attributes, user defined attributes (the target artifact's annotations),
 * unsigned attributes (signing agent; the timestamp countersignature's time range and TSA
 * certificates, or why it does not parse), the certificates with their SHA-256 fingerprints,
 * and the signed artifact. Nothing is verified here.
 */
import { createHash, type X509Certificate } from 'node:crypto';
import type { Descriptor } from '../../../core/oci/descriptor.js';
import { certificateIssuerString, certificateSubjectString } from '../../../core/notation/distinguished-name.js';
import { parseEnvelope } from './parse-envelope.js';
import { ALGORITHMS } from './signature-algorithm.js';
import { HEADER } from './signer-info.js';
import { TimestampError, parseTimestampToken, timestampRange } from './timestamp-token.js';

export interface CertificateSummary {
  /** lower-case hex */
  sha256Fingerprint: string;
  issuedTo: string;
  issuedBy: string;
  expiry: Date;
}

export interface TimestampInspection {
  /** genTime ± accuracy */
  timestamp?: { earliest: Date; latest: Date };
  certificates?: CertificateSummary[];
  error?: string;
}

export interface EnvelopeInspection {
  mediaType: string;
  /** e.g. `RSASSA-PSS-SHA-256` */
  signatureAlgorithm: string;
  signedAttributes: {
    contentType: string;
    signingScheme: string;
    /** `signingTime` or `authenticSigningTime`, by scheme */
    signingTime?: Date;
    authenticSigningTime?: Date;
    expiry?: Date;
    /** extended attributes, values as text */
    extended: Record<string, string>;
  };
  userDefinedAttributes: Record<string, string>;
  unsignedAttributes: { signingAgent?: string; timestampSignature?: TimestampInspection };
  certificates: CertificateSummary[];
  signedArtifact: Descriptor;
}

export function summarizeCertificate(cert: X509Certificate): CertificateSummary {
  return {
    sha256Fingerprint: createHash('sha256').update(cert.raw).digest('hex'),
    issuedTo: certificateSubjectString(cert),
    issuedBy: certificateIssuerString(cert),
    expiry: new Date(cert.validTo),
  };
}

function inspectTimestamp(der: Uint8Array): TimestampInspection {
  try {
    const token = parseTimestampToken(der);
    if (token.tstInfo === undefined) return { error: `failed to parse timestamp countersignature: ${token.tstInfoError ?? 'no TSTInfo'}` };
    const range = timestampRange(token.tstInfo);
    return { timestamp: { earliest: range.earliest, latest: range.latest }, certificates: token.certificates.map(summarizeCertificate) };
  } catch (err) {
    if (err instanceof TimestampError) return { error: `failed to parse timestamp countersignature: ${err.message}` };
    return { error: `failed to parse timestamp countersignature: ${(err as Error).message}` };
  }
}

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value) ?? String(value);
}

/** Parses (without verifying) an envelope; throws a DctError when it does not parse. */
export function inspectEnvelope(bytes: Uint8Array, mediaType: string): EnvelopeInspection {
  const c = parseEnvelope(bytes, mediaType);
  const extended: Record<string, string> = {};
  for (const a of c.extendedAttributes) extended[a.key] = text(a.value);
  if (c.verificationPlugin !== undefined) extended[HEADER.verificationPlugin] = c.verificationPlugin;
  if (c.verificationPluginMinVersion !== undefined) extended[HEADER.verificationPluginMinVersion] = c.verificationPluginMinVersion;
  return {
    mediaType: c.mediaType,
    signatureAlgorithm: ALGORITHMS[c.signatureAlgorithm].display,
    signedAttributes: {
      contentType: c.contentType,
      signingScheme: c.signingScheme,
      ...(c.signingScheme === 'notary.x509' ? { signingTime: c.signingTime } : { authenticSigningTime: c.signingTime }),
      ...(c.expiry !== undefined ? { expiry: c.expiry } : {}),
      extended,
    },
    userDefinedAttributes: { ...(c.targetArtifact.annotations ?? {}) },
    unsignedAttributes: {
      ...(c.signingAgent !== undefined ? { signingAgent: c.signingAgent } : {}),
      ...(c.timestampSignature !== undefined ? { timestampSignature: inspectTimestamp(c.timestampSignature) } : {}),
    },
    certificates: c.chain.map(summarizeCertificate),
    signedArtifact: {
      mediaType: c.targetArtifact.mediaType,
      digest: c.targetArtifact.digest,
      size: c.targetArtifact.size,
    },
  };
}
