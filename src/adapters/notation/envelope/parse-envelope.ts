/**
 * Reads a Notation signature envelope of either media type, refusing an oversized one before
 * parsing and any media type notation does not know.
 */
import { DctError } from '../../../core/errors.js';
import { parseCoseEnvelope } from './cose-envelope.js';
import { parseJwsEnvelope } from './jws-envelope.js';
import { COSE_MEDIA_TYPE, JWS_MEDIA_TYPE, MAX_ENVELOPE_BYTES, envelopeError, malformed, type EnvelopeContent } from './signer-info.js';

export function parseEnvelope(bytes: Uint8Array, mediaType: string): EnvelopeContent {
  if (mediaType !== JWS_MEDIA_TYPE && mediaType !== COSE_MEDIA_TYPE)
    throw envelopeError(
      'NOTATION_ENVELOPE_UNSUPPORTED',
      `signature envelope format with media type ${JSON.stringify(mediaType)} is not supported`,
    );
  if (bytes.length > MAX_ENVELOPE_BYTES)
    throw envelopeError(
      'NOTATION_ENVELOPE_TOO_LARGE',
      `the signature envelope is ${bytes.length} bytes, over the ${MAX_ENVELOPE_BYTES}-byte limit: it is not a notation signature`,
    );
  if (bytes.length === 0) throw malformed('the signature envelope is empty');
  try {
    return mediaType === JWS_MEDIA_TYPE ? parseJwsEnvelope(bytes) : parseCoseEnvelope(bytes);
  } catch (err) {
    if (err instanceof DctError) throw err;
    throw malformed(`the signature envelope is malformed: ${(err as Error).message}`, err);
  }
}
