/**
 * The offline check of a Sigstore bundle signed with a key, when the transparency log is
 * not required (cosign's `--key … --insecure-ignore-tlog`): the DSSE envelope's signature
 * over its pre-authentication encoding, or a message signature over the artifact's bytes,
 * with the given public key. Everything else (certificates, Rekor, timestamps) is the
 * Sigstore bundle verifier's.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { DctError } from '../errors.js';
import { dssePae, parseDsseEnvelope } from './intoto-statement.js';
import { verifyWithKey } from './key-signature.js';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface KeyedBundleResult {
  content: 'dsse-envelope' | 'message-signature';
  payload?: { type: string; bytes: Buffer };
}

/** Verifies the bundle's signature with `publicKey`; COSIGN_SIGNATURE_INVALID when it does not verify. */
export function verifyBundleWithKey(
  bundle: unknown,
  publicKey: KeyObject,
  artifact: { bytes: Uint8Array } | { digest: string },
): KeyedBundleResult {
  if (!isObject(bundle)) throw new DctError('COSIGN_INVALID_BUNDLE_REFERRER', 'the Sigstore bundle is not a JSON object');
  const dsse = bundle['dsseEnvelope'];
  if (isObject(dsse)) {
    const envelope = parseDsseEnvelope(Buffer.from(JSON.stringify(dsse)));
    const pae = dssePae(envelope.payloadType, envelope.payload);
    const ok = envelope.signatures.some((s) => verifyWithKey(publicKey, pae, Buffer.from(s.sig, 'base64')));
    if (!ok) throw new DctError('COSIGN_SIGNATURE_INVALID', 'invalid signature when validating ASN.1 encoded signature');
    return { content: 'dsse-envelope', payload: { type: envelope.payloadType, bytes: envelope.payload } };
  }
  const message = bundle['messageSignature'];
  if (isObject(message) && typeof message['signature'] === 'string') {
    if (!('bytes' in artifact))
      throw new DctError('COSIGN_SIGNATURE_INVALID', 'a message signature is checked against the artifact bytes, which were not given');
    const md = message['messageDigest'];
    if (isObject(md) && typeof md['digest'] === 'string' && md['digest'] !== createHash('sha256').update(artifact.bytes).digest('base64'))
      throw new DctError('COSIGN_DIGEST_MISMATCH', 'the bundle signs another artifact (message digest mismatch)');
    if (!verifyWithKey(publicKey, artifact.bytes, Buffer.from(message['signature'], 'base64')))
      throw new DctError('COSIGN_SIGNATURE_INVALID', 'invalid signature when validating ASN.1 encoded signature');
    return { content: 'message-signature' };
  }
  throw new DctError('COSIGN_INVALID_BUNDLE_REFERRER', 'the Sigstore bundle holds neither a DSSE envelope nor a message signature');
}
