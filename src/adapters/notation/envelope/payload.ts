/**
 * The signed payload, `{"targetArtifact": <descriptor>}` (signature specification, "Payload"):
 * read strictly, and written as notation writes it — COSE with the descriptor's fields in the
 * OCI struct order, JWS with every object's keys sorted (the JWT claims map notation-core-go
 * marshals).
 */
import { parseDescriptor, type Descriptor } from '../../../core/oci/descriptor.js';
import { goJson, sortKeys } from './go-json.js';
import { malformed } from './signer-info.js';

export function parsePayload(bytes: Uint8Array): Descriptor {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw malformed('the signature payload is not JSON', err);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed('the signature payload is not a JSON object');
  const target = (value as Record<string, unknown>)['targetArtifact'];
  if (target === undefined) throw malformed('the signature payload has no targetArtifact');
  try {
    return parseDescriptor(target, 'targetArtifact');
  } catch (err) {
    throw malformed(`the signature payload's ${(err as Error).message}`, err);
  }
}

/** The descriptor notation signs: media type, digest, size and annotations (none of the rest). */
function signedDescriptor(target: Descriptor): Record<string, unknown> {
  return {
    mediaType: target.mediaType,
    digest: target.digest,
    size: target.size,
    // a Go map: keys sorted
    ...(target.annotations !== undefined && Object.keys(target.annotations).length > 0
      ? { annotations: sortKeys(target.annotations) }
      : {}),
  };
}

export function payloadBytes(target: Descriptor, format: 'jws' | 'cose'): Buffer {
  const body = { targetArtifact: signedDescriptor(target) };
  return Buffer.from(goJson(format === 'jws' ? sortKeys(body) : body), 'utf8');
}
