/**
 * `notation list`: the digests of the signature manifests of an artifact, at most
 * `maxSignatures`, and notation's tree of them.
 */
import type { ImageReference } from '../../core/image-reference.js';
import type { Descriptor } from '../../core/oci/descriptor.js';
import { digestReference } from './artifact-reference.js';
import type { NotationRepository } from './notation-repository.js';
import { NOTATION_ARTIFACT_TYPE } from './signature-manifest.js';
import { checkMaxSignatures, DEFAULT_MAX_SIGNATURES } from './verify-artifact.js';

export interface SignatureListing {
  reference: string;
  artifact: Descriptor;
  fromTag: boolean;
  signatures: Descriptor[];
  /** more signatures than the limit exist */
  exceeded: boolean;
  maxSignatures: number;
  via: 'api' | 'tag' | 'none';
}

export async function listSignatures(
  repository: NotationRepository,
  reference: ImageReference,
  maxSignatures = DEFAULT_MAX_SIGNATURES,
): Promise<SignatureListing> {
  checkMaxSignatures(maxSignatures);
  const artifact = await repository.resolve(reference);
  const list = await repository.signatures(artifact, maxSignatures);
  return {
    reference: digestReference(reference, artifact.digest),
    artifact,
    fromTag: reference.digest === undefined,
    signatures: list.manifests,
    exceeded: list.exceeded,
    maxSignatures,
    via: list.via,
  };
}

/** notation's output: the reference, the signature artifact type, one branch per signature manifest digest */
export function formatSignatureListing(listing: SignatureListing): string {
  if (listing.signatures.length === 0) return `${listing.reference} has no associated signature\n`;
  let out = `${listing.reference}\n└── ${NOTATION_ARTIFACT_TYPE}\n`;
  listing.signatures.forEach((s, i) => {
    out += `    ${i === listing.signatures.length - 1 ? '└──' : '├──'} ${s.digest}\n`;
  });
  if (listing.exceeded) out += `Warning: exceeded configured limit of max signatures ${listing.maxSignatures} to examine\n`;
  return out;
}
