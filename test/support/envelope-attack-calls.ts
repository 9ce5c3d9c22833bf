/**
 * What envelope-encoding.test.ts runs under the hang guard (hang-guard.ts): parseEnvelope on
 * hostile inputs, in a worker that can be stopped, each answer as plain data.
 */
import { parseEnvelope } from '../../src/adapters/notation/envelope/parse-envelope.js';
import { isDctError } from '../../src/core/errors.js';

export type EnvelopeAnswer = { parsed: true } | { code: string; message: string };

/** parseEnvelope's answer to each `[bytes, mediaType]`: its error's code and message, or that it parsed. */
export function envelopeAnswers(inputs: ReadonlyArray<readonly [Uint8Array, string]>): EnvelopeAnswer[] {
  return inputs.map(([bytes, mediaType]) => {
    try {
      parseEnvelope(bytes, mediaType);
      return { parsed: true };
    } catch (err) {
      return { code: isDctError(err) ? err.code : `not a DctError: ${String(err)}`, message: (err as Error).message };
    }
  });
}
