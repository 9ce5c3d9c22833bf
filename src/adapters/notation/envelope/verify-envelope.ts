/**
 * Verifies one Notation signature envelope under the trust policy statement that applies
 * (trust policy specification, "Signature verification details"): integrity, authenticity,
 * authentic timestamp, expiry and revocation, each run with the action the policy gives it
 * (`enforce` fails the signature, `log` records a warning, `skip` does not run). An enforced
 * failure stops the checks after it, as notation does. Every failure carries its code.
 */
import { DctError } from '../../../core/errors.js';
import type {
  CheckAction,
  CheckOutcome,
  EnvelopeVerificationInput,
  EnvelopeVerificationOutcome,
  NotationCheck,
} from '../../../core/notation/verification-types.js';
import type { NotationEnvelopeErrorCode } from '../errors.js';
import { checkAuthenticTimestamp } from './authentic-timestamp.js';
import { checkTrustedChain, checkTrustedIdentity } from './authenticity.js';
import { formatRfc1123z, offsetOf } from './go-time.js';
import { checkCriticalHeaders, checkIntegrity } from './integrity.js';
import { checkRevocation } from './revocation.js';
import { envelopeError, type EnvelopeContent } from './signer-info.js';

/**
 * A check's outcome with the stable code of its failure. A passed revocation check carries a
 * note in `error` (offline, nothing was checked): informational, not a failure.
 */
export interface EnvelopeCheckOutcome extends CheckOutcome {
  code?: NotationEnvelopeErrorCode;
}

function failureOf(err: unknown): { code: NotationEnvelopeErrorCode; error: string } {
  if (err instanceof DctError) return { code: err.code as NotationEnvelopeErrorCode, error: err.message };
  return { code: 'NOTATION_ENVELOPE_MALFORMED', error: `the signature envelope could not be verified: ${(err as Error).message}` };
}

function checkSubject(content: EnvelopeContent, input: EnvelopeVerificationInput): void {
  const want = input.expectedSubject;
  if (want === undefined) return;
  const got = content.targetArtifact;
  if (got.digest !== want.digest || got.size !== want.size || got.mediaType !== want.mediaType)
    throw envelopeError(
      'NOTATION_SUBJECT_MISMATCH',
      `the signature is for ${got.mediaType} ${got.digest} (${got.size} bytes), not for the artifact ${want.mediaType} ${want.digest} (${want.size} bytes): signature payload doesn't match artifact descriptor`,
    );
}

export function verifyEnvelope(input: EnvelopeVerificationInput): Promise<EnvelopeVerificationOutcome> {
  return Promise.resolve(verifyEnvelopeSync(input));
}

export function verifyEnvelopeSync(input: EnvelopeVerificationInput): EnvelopeVerificationOutcome {
  const checks: EnvelopeCheckOutcome[] = [];
  const actions = input.actions;
  const outcome = (
    verdict: EnvelopeVerificationOutcome['verdict'],
    content?: EnvelopeContent,
    timestamp?: Date,
  ): EnvelopeVerificationOutcome => ({
    verdict,
    checks,
    chain: content?.chain ?? [],
    ...(content !== undefined
      ? {
          targetArtifact: content.targetArtifact,
          signingScheme: content.signingScheme,
          signingTime: content.signingTime.toISOString(),
          ...(content.expiry !== undefined ? { expiry: content.expiry.toISOString() } : {}),
          ...(content.targetArtifact.annotations !== undefined ? { userMetadata: { ...content.targetArtifact.annotations } } : {}),
        }
      : {}),
    ...(timestamp !== undefined ? { timestamp: timestamp.toISOString() } : {}),
  });
  if (actions.integrity === 'skip') {
    for (const check of ['integrity', 'authenticity', 'authenticTimestamp', 'expiry', 'revocation'] as const)
      checks.push({ check, action: 'skip', ok: true });
    return outcome('skipped');
  }

  /** Runs one check; false when an enforced failure ends verification. */
  const run = (check: NotationCheck, action: CheckAction, body: () => string | void): boolean => {
    if (action === 'skip') {
      checks.push({ check, action, ok: true });
      return true;
    }
    try {
      const note = body();
      checks.push({ check, action, ok: true, ...(typeof note === 'string' ? { error: note } : {}) });
      return true;
    } catch (err) {
      checks.push({ check, action, ok: false, ...failureOf(err) });
      return action !== 'enforce';
    }
  };

  let content: EnvelopeContent | undefined;
  // integrity cannot be relaxed (trust policy specification): anything but skip enforces it
  const integrityOk = run('integrity', 'enforce', () => {
    content = checkIntegrity(input.envelope, input.mediaType);
    checkCriticalHeaders(content);
    checkSubject(content, input);
  });
  if (!integrityOk || content === undefined) return outcome('failed', content);
  const c: EnvelopeContent = content;
  let timestamp: Date | undefined;
  const steps: [NotationCheck, () => string | void][] = [
    [
      'authenticity',
      () => {
        checkTrustedChain(c.chain, c.signingScheme, input.anchors);
        checkTrustedIdentity(c.chain[0]!, input.trustedIdentities);
      },
    ],
    [
      'authenticTimestamp',
      () => {
        timestamp = checkAuthenticTimestamp(c, input);
      },
    ],
    [
      'expiry',
      () => {
        if (c.expiry !== undefined && input.now.getTime() >= c.expiry.getTime())
          throw envelopeError(
            'NOTATION_SIGNATURE_EXPIRED',
            `digital signature has expired on ${JSON.stringify(formatRfc1123z(c.expiry, offsetOf(c.expiryText)))}`,
          );
      },
    ],
    ['revocation', () => checkRevocation(c)],
  ];
  for (const [check, body] of steps) if (!run(check, actions[check], body)) return outcome('failed', c, timestamp);
  return outcome('verified', c, timestamp);
}
