/**
 * The policy use case's SignatureSources on the server, in process: an image of the embedded
 * registry (`<registry name>/<repository>`) with
 * - DCT over the server's own verified trust data (ServerTrust: the trusted set over the TUF
 *   store, as a client verifies it), one report per targets role signing the digest;
 * - cosign and Notation over the registry's own store (StoreSignatureRegistry), as the rule
 *   needs them checked (`policyVerifierFactories`);
 * - the digest: for a tag, the one docker's resolution signs (`targets/releases`, else
 *   `targets`), else the one the registry's tag points at; for a digest, that digest.
 * An image of another registry is not this server's to judge: opening it throws.
 */
import { signedTarget } from '../../app/images/signed-reference.js';
import type { PolicyVerifierFactory } from '../../app/policy/policy-verifiers.js';
import type { ImageSources, SignatureNeeds, SignatureSources } from '../../app/policy/signature-sources.js';
import { DctFormatVerifier } from '../../app/signatures/dct-format-verifier.js';
import { DctError } from '../../core/errors.js';
import type { ImageReference } from '../../core/image-reference.js';
import type { RegistryStore } from '../../core/ports.js';
import type { SignatureRegistry } from '../../core/signatures/signature-registry.js';
import type { TrustedSet } from '../../core/trust/trusted-set.js';
import type { ServerTrust } from './server-trust.js';

export interface ServerSignatureSourcesOptions {
  /** the registry's public name: the first part of its images' GUNs */
  registryName: () => string;
  store: RegistryStore;
  /** the registry's content as the signature formats read it */
  registry: SignatureRegistry;
  trust: ServerTrust;
  /** the cosign and Notation verifiers a rule's needs call for */
  verifiers(needs: SignatureNeeds): PolicyVerifierFactory[];
}

/** The verified trust data of a GUN as DctFormatVerifier asks for it (no data: REPOSITORY_NOT_FOUND). */
function trustSource(trust: ServerTrust): { trusted(gun: string): Promise<TrustedSet> } {
  return {
    async trusted(gun) {
      const lookup = await trust.lookup(gun);
      if (lookup.state === 'verified') return lookup.trusted;
      if (lookup.state === 'absent') throw new DctError('REPOSITORY_NOT_FOUND', `no trust data for ${gun}`);
      throw new DctError(lookup.code ?? 'STORED_METADATA_INVALID', lookup.reason);
    },
  };
}

export function serverSignatureSources(opts: ServerSignatureSourcesOptions): SignatureSources {
  const dctSource = trustSource(opts.trust);
  const dct = new DctFormatVerifier(dctSource, { location: (gun) => `dct server ${gun}` });
  return {
    async open(ref: ImageReference, needs: SignatureNeeds): Promise<ImageSources> {
      const gun = `${ref.domain}/${ref.path}`;
      if (ref.domain !== opts.registryName())
        throw new DctError('REPOSITORY_NOT_FOUND', `${gun} is not an image of this registry (${opts.registryName()})`);
      const notes: string[] = [];
      const tag = ref.digest === undefined ? (ref.tag ?? 'latest') : ref.tag;
      let digest = ref.digest;
      if (digest === undefined && tag !== undefined) {
        try {
          const released = signedTarget(await dctSource.trusted(gun), tag);
          digest = `sha256:${released.sha256Hex}`;
        } catch (err) {
          notes.push(`dct: ${(err as Error).message}`);
        }
        digest ??= await opts.store.resolveTag(ref.path, tag);
      }
      if (digest === undefined) throw new DctError('MANIFEST_NOT_FOUND', `the registry holds no ${gun}:${tag ?? 'latest'}`);
      const verifiers = [dct, ...(await Promise.all(opts.verifiers(needs).map(async (f) => f(opts.registry))))];
      return {
        ...(tag !== undefined ? { tag } : {}),
        digest,
        verifiers,
        manifests: opts.registry,
        notes,
        close() {},
      };
    },
  };
}
