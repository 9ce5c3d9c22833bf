/**
 * `cosign sign-blob`: the blob signed through the SigstoreSigner port (a key or keyless),
 * and what cosign writes of it: the Sigstore bundle (`--new-bundle-format`, cosign 3's
 * default), or the legacy bundle `{base64Signature, cert, rekorBundle}` and the bare
 * base64 signature.
 */
import type { SigstoreSignature, SigstoreSigner } from '../../../core/signatures/sigstore-signing.js';

export interface SignBlobInput {
  signer: SigstoreSigner;
  blob: Uint8Array;
  tlogUpload: boolean;
  signal?: AbortSignal;
}

export interface SignedBlob {
  signature: SigstoreSignature;
  /** the Sigstore bundle v0.3, JSON as cosign writes it */
  bundleJson: string;
  /** cosign's legacy bundle (`--new-bundle-format=false --bundle`) */
  legacyBundleJson: string;
  /** the signature, base64 (what cosign prints and `--output-signature` holds) */
  signatureBase64: string;
}

export async function signBlob(input: SignBlobInput): Promise<SignedBlob> {
  const signature = await input.signer.sign(
    { kind: 'message', bytes: input.blob },
    { tlogUpload: input.tlogUpload, ...(input.signal ? { signal: input.signal } : {}) },
  );
  const signatureBase64 = Buffer.from(signature.signature).toString('base64');
  return {
    signature,
    bundleJson: JSON.stringify(signature.bundle),
    legacyBundleJson: JSON.stringify(legacyBundle(signature, signatureBase64)),
    signatureBase64,
  };
}

interface TlogEntryJson {
  logIndex?: string;
  logId?: { keyId?: string };
  integratedTime?: string;
  inclusionPromise?: { signedEntryTimestamp?: string };
  canonicalizedBody?: string;
}

function legacyBundle(sig: SigstoreSignature, base64Signature: string): Record<string, unknown> {
  const out: Record<string, unknown> = { base64Signature };
  const certPem = sig.certificatePem ? sig.certificatePem + (sig.chainPem ?? '') : sig.publicKeyPem;
  if (certPem) out['cert'] = Buffer.from(certPem).toString('base64');
  const entry = (sig.bundle as { verificationMaterial?: { tlogEntries?: TlogEntryJson[] } }).verificationMaterial?.tlogEntries?.[0];
  if (entry)
    out['rekorBundle'] = {
      SignedEntryTimestamp: entry.inclusionPromise?.signedEntryTimestamp,
      Payload: {
        body: entry.canonicalizedBody,
        integratedTime: Number(entry.integratedTime ?? 0),
        logIndex: Number(entry.logIndex ?? 0),
        logID: Buffer.from(entry.logId?.keyId ?? '', 'base64').toString('hex'),
      },
    };
  return out;
}
