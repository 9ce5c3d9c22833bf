/**
 * One cosign signature checked as cosign checks it, in either layout: the signature (with
 * the key, or the Fulcio certificate against the trusted root), the transparency log unless
 * ignored, then the claims (the payload or statement names this digest and carries the
 * wanted annotations). Each failure is a DctError with its own code.
 */
import {
  parseDsseEnvelope,
  parseStatement,
  subjectFor,
  IN_TOTO_PAYLOAD_TYPE,
  type InTotoStatement,
} from '../../core/cosign/intoto-statement.js';
import { verifyBundleWithKey } from '../../core/cosign/keyed-bundle.js';
import { publicKeyId, verifyWithKey } from '../../core/cosign/key-signature.js';
import { legacySignatureBundle, parseRekorBundle, type RekorBundle } from '../../core/cosign/legacy-bundle.js';
import type { LegacySignature } from '../../core/cosign/legacy-signatures.js';
import { hasAnnotations, parseSimpleSigningPayload, type SimpleSigningPayload } from '../../core/cosign/simple-signing.js';
import { DctError } from '../../core/errors.js';
import type { SignerIdentity } from '../../core/signatures/signature-report.js';
import type { BundleVerification } from '../../core/signatures/sigstore-verification.js';
import { bundleOptions, sigstorePolicy, type CosignVerifyOptions } from './cosign-policy.js';

export interface SignatureFacts {
  signer: SignerIdentity;
  signedAt?: string;
  timeSource?: 'tlog' | 'tsa';
  /** whether a transparency log entry was verified */
  tlogVerified: boolean;
  certificatePem?: string;
}

export interface CheckedBundle extends SignatureFacts {
  statement: InTotoStatement;
  /** the statement's subject annotations */
  annotations: Record<string, unknown>;
  /** the DSSE envelope of the bundle (as stored) */
  envelope: { payloadBase64: string; payloadType: string; signatures: Array<{ sig: string; keyid?: string }> };
}

function facts(v: BundleVerification): SignatureFacts {
  return {
    signer: v.signer,
    ...(v.signedAt !== undefined ? { signedAt: v.signedAt } : {}),
    ...(v.timeSource !== undefined ? { timeSource: v.timeSource } : {}),
    tlogVerified: v.tlog.length > 0,
  };
}

/** A Sigstore bundle attached to `digest`: verified, its DSSE statement naming `digest`. */
export async function checkBundle(bundle: unknown, digest: string, opts: CosignVerifyOptions): Promise<CheckedBundle> {
  const v = await opts.bundleVerifier.verify(bundle, { digest }, sigstorePolicy(opts.policy), bundleOptions(opts));
  if (v.content !== 'dsse-envelope' || v.payload === undefined)
    throw new DctError('COSIGN_INVALID_STATEMENT', 'bundle does not contain a DSSE envelope');
  if (v.payload.type !== IN_TOTO_PAYLOAD_TYPE)
    throw new DctError('COSIGN_INVALID_STATEMENT', `unable to understand payload type ${v.payload.type}`);
  const statement = parseStatement(v.payload.bytes);
  const subject = subjectFor(statement, digest);
  if (subject === undefined && opts.checkClaims !== false)
    throw new DctError('COSIGN_DIGEST_MISMATCH', `no matching subject digest found: the statement does not name ${digest}`);
  const annotations = subject?.annotations ?? {};
  if (opts.checkClaims !== false && opts.annotations && !hasAnnotations(annotations, opts.annotations))
    throw new DctError('COSIGN_ANNOTATION_MISMATCH', 'missing or incorrect annotation');
  const raw = (bundle as { dsseEnvelope?: unknown }).dsseEnvelope;
  const envelope = parseDsseEnvelope(Buffer.from(JSON.stringify(raw ?? {})));
  return { ...facts(v), statement, annotations, envelope };
}

export interface CheckedLegacy extends SignatureFacts {
  claims: SimpleSigningPayload;
  rekorBundle?: RekorBundle;
}

/** The signature (and log entry) of a legacy layer over `payload`. */
async function checkLegacyCrypto(
  sig: LegacySignature,
  payload: Buffer,
  opts: CosignVerifyOptions,
  dsseEnvelope?: unknown,
): Promise<SignatureFacts & { rekorBundle?: RekorBundle }> {
  const rekorBundle = sig.bundle !== undefined ? parseRekorBundle(sig.bundle) : undefined;
  if (opts.policy.kind === 'identity' && sig.certificatePem === undefined)
    throw new DctError('COSIGN_NO_CERTIFICATE', 'no certificate found on signature');
  if (opts.policy.kind === 'key' && opts.ignoreTlog) {
    // the key alone (cosign's --key … --insecure-ignore-tlog)
    const key = opts.policy.publicKey;
    if (dsseEnvelope !== undefined) verifyBundleWithKey({ dsseEnvelope }, key, { digest: '' });
    else if (!verifyWithKey(key, payload, Buffer.from(sig.signature, 'base64')))
      throw new DctError('COSIGN_SIGNATURE_INVALID', 'invalid signature when validating ASN.1 encoded signature');
    return { signer: { kind: 'key', keyId: publicKeyId(key) }, tlogVerified: false, ...(rekorBundle ? { rekorBundle } : {}) };
  }
  if (!opts.ignoreTlog && rekorBundle === undefined)
    throw new DctError(
      'COSIGN_TLOG_REQUIRED',
      'signature has no transparency log bundle (dev.sigstore.cosign/bundle) and dct does not search Rekor online; ' +
        'sign with the log, or pass --insecure-ignore-tlog=true to verify without it',
    );
  const bundle = legacySignatureBundle({
    payload,
    signature: sig.signature,
    ...(sig.certificatePem !== undefined ? { certificatePem: sig.certificatePem } : {}),
    ...(sig.chainPem !== undefined ? { chainPem: sig.chainPem } : {}),
    ...(rekorBundle !== undefined ? { rekorBundle } : {}),
    ...(dsseEnvelope !== undefined ? { dsseEnvelope } : {}),
  });
  const v = await opts.bundleVerifier.verify(bundle, { bytes: payload }, sigstorePolicy(opts.policy), bundleOptions(opts));
  return {
    ...facts(v),
    ...(sig.certificatePem !== undefined ? { certificatePem: sig.certificatePem } : {}),
    ...(rekorBundle ? { rekorBundle } : {}),
  };
}

/** A legacy `.sig` layer: signature, log, then the simple-signing claims for `digest`. */
export async function checkLegacySignature(
  sig: LegacySignature,
  payload: Buffer,
  digest: string,
  opts: CosignVerifyOptions,
): Promise<CheckedLegacy> {
  const checked = await checkLegacyCrypto(sig, payload, opts);
  const claims = parseSimpleSigningPayload(payload);
  if (opts.checkClaims === false) return { ...checked, claims };
  if (claims.digest !== digest) throw new DctError('COSIGN_DIGEST_MISMATCH', `invalid or missing digest in claim: ${claims.digest}`);
  if (opts.annotations && !hasAnnotations(claims.optional, opts.annotations))
    throw new DctError('COSIGN_ANNOTATION_MISMATCH', 'missing or incorrect annotation');
  return { ...checked, claims };
}

export interface CheckedLegacyAttestation extends SignatureFacts {
  statement: InTotoStatement;
}

/** A legacy `.att` layer (a DSSE envelope): signature, log, then the statement names `digest`. */
export async function checkLegacyAttestation(
  sig: LegacySignature,
  payload: Buffer,
  digest: string,
  opts: CosignVerifyOptions,
): Promise<CheckedLegacyAttestation> {
  const envelope = parseDsseEnvelope(payload);
  const raw = JSON.parse(payload.toString('utf8')) as unknown;
  const checked = await checkLegacyCrypto(sig, payload, opts, raw);
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE)
    throw new DctError('COSIGN_INVALID_STATEMENT', `unable to understand payload type ${envelope.payloadType}`);
  const statement = parseStatement(envelope.payload);
  if (opts.checkClaims === false) return { ...checked, statement };
  const subject = subjectFor(statement, digest);
  if (subject === undefined)
    throw new DctError('COSIGN_DIGEST_MISMATCH', `no matching subject digest found: the statement does not name ${digest}`);
  if (opts.annotations && !hasAnnotations(subject.annotations ?? {}, opts.annotations))
    throw new DctError('COSIGN_ANNOTATION_MISMATCH', 'missing or incorrect annotation');
  return { ...checked, statement };
}
