/** The DctError of a Notation signature envelope that cannot be read, signed or verified (`NotationEnvelopeErrorCode`). */
import { DctError } from '../../../core/errors.js';
import type { NotationEnvelopeErrorCode } from '../errors.js';

export function envelopeError(code: NotationEnvelopeErrorCode, message: string, cause?: unknown): DctError {
  return new DctError(code, message, cause === undefined ? undefined : { cause });
}

export function malformed(message: string, cause?: unknown): DctError {
  return envelopeError('NOTATION_ENVELOPE_MALFORMED', message, cause);
}
