/**
 * What notation's signature commands are wired to: the registry of a reference, the signing
 * key, the trust policy, the envelope verifier and inspector, the clock. `defaultNotationServices`
 * (default-services.ts) wires the real ones; tests pass doubles.
 */
import type { ImageReference } from '../../../core/image-reference.js';
import type { NotationRepository } from '../../../app/notation/notation-repository.js';
import type { EnvelopeInspector, EnvelopeSigner, EnvelopeVerifier, TrustPolicySource } from '../../../app/notation/ports.js';

export interface NotationServices {
  env: Readonly<Record<string, string | undefined>>;
  now(): Date;
  /**
   * the repository of `ref` (docker's credentials and TLS; `insecure`: notation's `--insecure-registry`;
   * `forWrite`: `sign` reads with a push token, as a publisher)
   */
  openRepository(
    ref: ImageReference,
    opts: { insecure: boolean; credentials?: { username: string; password: string }; forWrite?: boolean },
    warn: (message: string) => void,
  ): Promise<NotationRepository>;
  /** an OCI image layout folder as a repository (`--oci-layout`) */
  openLayout(path: string): Promise<NotationRepository>;
  /** the signer of `--key NAME`, else of the default key */
  signer(keyName: string | undefined): Promise<EnvelopeSigner>;
  policy(): TrustPolicySource;
  verifier: EnvelopeVerifier;
  inspector: EnvelopeInspector;
}
