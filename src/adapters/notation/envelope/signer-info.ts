/**
 * What a Notation signature envelope (JWS or COSE) says, independent of its encoding: the
 * signed payload, the signed and unsigned attributes, the certificate chain and the bytes the
 * signature covers (notation-core-go calls this the envelope content and its signer info).
 */
import type { X509Certificate } from 'node:crypto';
import type { Descriptor } from '../../../core/oci/descriptor.js';
import type { SignatureAlgorithm } from './signature-algorithm.js';

/** The envelope's errors, still reached through this file by most of the envelope's readers. */
export { envelopeError, malformed } from './envelope-error.js';

export const JWS_MEDIA_TYPE = 'application/jose+json';
export const COSE_MEDIA_TYPE = 'application/cose';
export const NOTARY_PAYLOAD_CONTENT_TYPE = 'application/vnd.cncf.notary.payload.v1+json';

export type SigningScheme = 'notary.x509' | 'notary.x509.signingAuthority';

/** Envelope larger than this is refused before parsing (a timestamped envelope is ~10 KiB). */
export const MAX_ENVELOPE_BYTES = 4 * 1024 * 1024;
/** Certificates in `x5c` / `x5chain` beyond this are refused. */
export const MAX_CHAIN_LENGTH = 10;

/** Header names of the Notary Project's signature specification. */
export const HEADER = {
  signingScheme: 'io.cncf.notary.signingScheme',
  signingTime: 'io.cncf.notary.signingTime',
  authenticSigningTime: 'io.cncf.notary.authenticSigningTime',
  expiry: 'io.cncf.notary.expiry',
  verificationPlugin: 'io.cncf.notary.verificationPlugin',
  verificationPluginMinVersion: 'io.cncf.notary.verificationPluginMinVersion',
  signingAgent: 'io.cncf.notary.signingAgent',
  timestampSignature: 'io.cncf.notary.timestampSignature',
} as const;

/** A signed attribute that is not one of the specification's own (a "user defined" one). */
export interface ExtendedAttribute {
  key: string;
  value: unknown;
  critical: boolean;
}

export interface EnvelopeContent {
  format: 'jws' | 'cose';
  mediaType: string;
  /** the payload bytes as signed */
  payload: Uint8Array;
  contentType: string;
  targetArtifact: Descriptor;
  signatureAlgorithm: SignatureAlgorithm;
  signingScheme: SigningScheme;
  /** `io.cncf.notary.signingTime` or `authenticSigningTime`, with the text as written (JWS) */
  signingTime: Date;
  signingTimeText?: string;
  expiry?: Date;
  expiryText?: string;
  verificationPlugin?: string;
  verificationPluginMinVersion?: string;
  extendedAttributes: ExtendedAttribute[];
  /** leaf first, as in the envelope */
  chain: X509Certificate[];
  signingAgent?: string;
  /** the DER RFC 3161 token of the unsigned header, when present */
  timestampSignature?: Uint8Array;
  /** the raw signature value (ECDSA as r‖s) */
  signature: Uint8Array;
  /** the bytes the signature covers (JWS signing input, COSE Sig_structure) */
  signedBytes: Uint8Array;
}
