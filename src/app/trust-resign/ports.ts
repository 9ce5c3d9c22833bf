/**
 * What re-signing DCT-signed tags in another format needs from the outside world (the CLI
 * wires them over the registry, cosign's and notation's signing and reading):
 * - a `ResignSigner` per format and key: has this digest a signature in the format by this
 *   key already (read from the registry), and sign it with annotations;
 * - a `RegistryTagLister`: every tag the registry holds for the repository (to report the
 *   tags DCT does not sign).
 */

export type ResignFormat = 'cosign' | 'notation';

export interface ResignSigner {
  format: ResignFormat;
  /** who signs, for the report: the cosign public key's sha256, the notation certificate's fingerprint */
  keyId: string;
  /** whether the registry already holds a signature of `digest` in this format made by this key */
  alreadySigned(digest: string): Promise<boolean>;
  /** signs `digest` with `annotations` and pushes the signature; returns where it went (referrer digest or tag) */
  sign(digest: string, annotations: Readonly<Record<string, string>>): Promise<string>;
}

export interface RegistryTagLister {
  /** the repository's tags as the registry lists them */
  list(): Promise<string[]>;
}
