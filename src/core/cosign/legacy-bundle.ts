/**
 * A legacy cosign signature (payload, base64 signature, certificate and chain annotations,
 * Rekor bundle annotation) as the Sigstore bundle (v0.1, message signature) that holds the
 * same evidence, so that one bundle verifier checks both layouts: the Rekor bundle's signed
 * entry timestamp becomes the entry's inclusion promise, its body the canonicalized body.
 */
import { createHash } from 'node:crypto';
import { DctError } from '../errors.js';
import { decodePemBlocks } from '../encoding.js';
import { goJson } from './go-json.js';

export const BUNDLE_V01_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle+json;version=0.1';

/** cosign's Rekor bundle annotation (`dev.sigstore.cosign/bundle`). */
export interface RekorBundle {
  SignedEntryTimestamp: string;
  Payload: { body: unknown; integratedTime: number; logIndex: number; logID: string };
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads the Rekor bundle annotation. COSIGN_INVALID_SIGNATURE_MANIFEST when malformed. */
export function parseRekorBundle(text: string): RekorBundle {
  const bad = (why: string) =>
    new DctError('COSIGN_INVALID_SIGNATURE_MANIFEST', `the dev.sigstore.cosign/bundle annotation is malformed: ${why}`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw bad((err as Error).message);
  }
  if (!isObject(doc)) throw bad('not a JSON object');
  const set = doc['SignedEntryTimestamp'];
  const p = doc['Payload'];
  if (typeof set !== 'string') throw bad('SignedEntryTimestamp is missing');
  if (!isObject(p)) throw bad('Payload is missing');
  const { body, integratedTime, logIndex, logID } = p;
  if (typeof body !== 'string') throw bad('Payload.body is not a string');
  if (typeof integratedTime !== 'number' || !Number.isSafeInteger(integratedTime)) throw bad('Payload.integratedTime is not a number');
  if (typeof logIndex !== 'number' || !Number.isSafeInteger(logIndex)) throw bad('Payload.logIndex is not a number');
  if (typeof logID !== 'string' || !/^[0-9a-f]+$/.test(logID)) throw bad('Payload.logID is not hex');
  return { SignedEntryTimestamp: set, Payload: { body, integratedTime, logIndex, logID } };
}

/** The Sigstore bundle (v0.1 JSON) of a legacy signature over `payload`. */
export function legacySignatureBundle(sig: {
  payload: Uint8Array;
  signature: string;
  certificatePem?: string;
  chainPem?: string;
  rekorBundle?: RekorBundle;
  /** a legacy attestation: the DSSE envelope (parsed JSON) instead of a message signature */
  dsseEnvelope?: unknown;
}): Json {
  // the leaf alone: the trusted root supplies the chain above it (a chain annotation that ends in
  // the root would be refused as a bundle carrying its own root)
  const certs = (sig.certificatePem ? decodePemBlocks(sig.certificatePem) : [])
    .filter((b) => b.type === 'CERTIFICATE')
    .slice(0, 1)
    .map((b) => ({ rawBytes: Buffer.from(b.bytes).toString('base64') }));
  const tlogEntries: Json[] = [];
  if (sig.rekorBundle) {
    const { body, integratedTime, logIndex, logID } = sig.rekorBundle.Payload;
    let kind = 'hashedrekord';
    let version = '0.0.1';
    try {
      const entry = JSON.parse(Buffer.from(body as string, 'base64').toString('utf8')) as { kind?: unknown; apiVersion?: unknown };
      if (typeof entry.kind === 'string') kind = entry.kind;
      if (typeof entry.apiVersion === 'string') version = entry.apiVersion;
    } catch {
      // the verifier refuses the body
    }
    tlogEntries.push({
      logIndex: String(logIndex),
      logId: { keyId: Buffer.from(logID, 'hex').toString('base64') },
      kindVersion: { kind, version },
      integratedTime: String(integratedTime),
      inclusionPromise: { signedEntryTimestamp: sig.rekorBundle.SignedEntryTimestamp },
      canonicalizedBody: body,
    });
  }
  return {
    mediaType: BUNDLE_V01_MEDIA_TYPE,
    verificationMaterial: {
      ...(certs.length > 0 ? { x509CertificateChain: { certificates: certs } } : { publicKey: { hint: '' } }),
      tlogEntries,
      timestampVerificationData: { rfc3161Timestamps: [] },
    },
    ...(sig.dsseEnvelope !== undefined
      ? { dsseEnvelope: sig.dsseEnvelope }
      : {
          messageSignature: {
            messageDigest: { algorithm: 'SHA2_256', digest: createHash('sha256').update(sig.payload).digest('base64') },
            signature: sig.signature,
          },
        }),
  };
}

/**
 * cosign's Rekor bundle annotation (JSON text, Go's layout) from a Sigstore bundle's first tlog
 * entry with an inclusion promise, if any.
 */
export function rekorBundleAnnotation(bundle: unknown): string | undefined {
  if (!isObject(bundle)) return undefined;
  const vm = bundle['verificationMaterial'];
  const entries = isObject(vm) ? vm['tlogEntries'] : undefined;
  if (!Array.isArray(entries)) return undefined;
  for (const e of entries as unknown[]) {
    if (!isObject(e)) continue;
    const promise = e['inclusionPromise'];
    const logId = e['logId'];
    if (!isObject(promise) || typeof promise['signedEntryTimestamp'] !== 'string' || !isObject(logId)) continue;
    if (typeof logId['keyId'] !== 'string' || typeof e['canonicalizedBody'] !== 'string') continue;
    return goJson({
      SignedEntryTimestamp: promise['signedEntryTimestamp'],
      Payload: {
        body: e['canonicalizedBody'],
        integratedTime: Number(e['integratedTime'] ?? 0),
        logIndex: Number(e['logIndex'] ?? 0),
        logID: Buffer.from(logId['keyId'], 'base64').toString('hex'),
      },
    });
  }
  return undefined;
}
