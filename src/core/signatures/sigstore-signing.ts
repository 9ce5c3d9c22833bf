/**
 * The port through which cosign's use cases sign (implemented in `src/adapters/sigstore/`):
 * with a key loaded from a cosign key file, or keyless (Fulcio certificate for an OIDC
 * token), uploading to Rekor unless told not to (`--tlog-upload=false`).
 */

/** What is signed: raw bytes (a blob, a simple-signing payload) or a DSSE payload (an in-toto statement). */
export type SigningContent = { kind: 'message'; bytes: Uint8Array } | { kind: 'dsse'; payload: Uint8Array; payloadType: string };

export interface SigningOptions {
  /** upload to the transparency log (cosign's default); false: `--tlog-upload=false` */
  tlogUpload: boolean;
  signal?: AbortSignal;
}

export interface SigstoreSignature {
  /** the Sigstore bundle (v0.3 JSON) of this signature */
  bundle: unknown;
  /** the raw signature bytes (for DSSE: over the PAE) */
  signature: Uint8Array;
  /** keyless: the Fulcio leaf, PEM; and the chain above it */
  certificatePem?: string;
  chainPem?: string;
  /** the signer's public key, PEM SubjectPublicKeyInfo (keyed signing) */
  publicKeyPem?: string;
}

export interface SigstoreSigner {
  sign(content: SigningContent, opts: SigningOptions): Promise<SigstoreSignature>;
}
