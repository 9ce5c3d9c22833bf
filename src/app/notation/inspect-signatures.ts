/**
 * `notation inspect`: every signature of an artifact (at most `maxSignatures`), its envelope
 * read without verifying it. A signature that cannot be fetched or parsed is skipped with a
 * warning, and the command then fails (`at least one signature was skipped and not displayed`).
 */
import { DctError } from '../../core/errors.js';
import type { ImageReference } from '../../core/image-reference.js';
import type { Descriptor } from '../../core/oci/descriptor.js';
import { digestReference } from './artifact-reference.js';
import type { NotationRepository } from './notation-repository.js';
import type { EnvelopeInspector, InspectedEnvelope } from './ports.js';
import { checkMaxSignatures, DEFAULT_MAX_SIGNATURES } from './verify-artifact.js';

export interface InspectedSignature {
  /** the signature manifest's digest */
  digest: string;
  envelopeMediaType: string;
  envelope: InspectedEnvelope;
}

export interface Inspection {
  reference: string;
  artifact: Descriptor;
  fromTag: boolean;
  signatures: InspectedSignature[];
  /** `Warning: …` lines for signatures that were skipped */
  skipped: string[];
  exceeded: boolean;
  maxSignatures: number;
}

export async function inspectSignatures(
  repository: NotationRepository,
  reference: ImageReference,
  inspector: EnvelopeInspector,
  maxSignatures = DEFAULT_MAX_SIGNATURES,
): Promise<Inspection> {
  checkMaxSignatures(maxSignatures);
  const artifact = await repository.resolve(reference);
  const list = await repository.signatures(artifact, maxSignatures);
  const signatures: InspectedSignature[] = [];
  const skipped: string[] = [];
  for (const manifest of list.manifests) {
    let fetched;
    try {
      fetched = await repository.envelope(manifest);
    } catch (err) {
      if (!(err instanceof DctError)) throw err;
      skipped.push(`Warning: unable to fetch signature ${manifest.digest} due to error: ${err.message}`);
      continue;
    }
    try {
      signatures.push({
        digest: manifest.digest,
        envelopeMediaType: fetched.mediaType,
        envelope: inspector.inspect(fetched.bytes, fetched.mediaType),
      });
    } catch (err) {
      if (!(err instanceof Error)) throw err;
      skipped.push(`Warning: Skipping signature ${manifest.digest} because of error: ${err.message}`);
    }
  }
  return {
    reference: digestReference(reference, artifact.digest),
    artifact,
    fromTag: reference.digest === undefined,
    signatures,
    skipped,
    exceeded: list.exceeded,
    maxSignatures,
  };
}

export const SKIPPED_SIGNATURES_MESSAGE = 'at least one signature was skipped and not displayed';
