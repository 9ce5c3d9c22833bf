/**
 * `@sigstore/verify` and `@sigstore/bundle` failures in dct's words: each library error
 * code becomes one of dct's stable `SIGSTORE_*` codes, with a message that says which part
 * of the bundle failed and the library's own reason. Anything else the libraries throw on
 * hostile input (a TypeError on a missing field, a RangeError on a bad length) is a
 * malformed bundle, never a crash.
 */
import { DctError, isDctError } from '../../core/errors.js';
import type { SigstoreErrorCode } from './errors.js';

const BY_LIBRARY_CODE: Record<string, [SigstoreErrorCode, string]> = {
  TLOG_INCLUSION_PROMISE_ERROR: ['SIGSTORE_TLOG_INVALID', 'the transparency log promise (SET) does not verify'],
  TLOG_INCLUSION_PROOF_ERROR: ['SIGSTORE_TLOG_INVALID', 'the transparency log inclusion proof does not verify'],
  TLOG_MISSING_INCLUSION_ERROR: ['SIGSTORE_TLOG_INVALID', 'the transparency log entry has neither an inclusion promise nor a proof'],
  TLOG_BODY_ERROR: ['SIGSTORE_TLOG_INVALID', 'the transparency log entry does not match the bundle'],
  TLOG_ERROR: ['SIGSTORE_TLOG_INVALID', 'transparency log check failed'],
  CERTIFICATE_ERROR: ['SIGSTORE_CERTIFICATE_INVALID', 'the signing certificate is not trusted'],
  SIGNATURE_ERROR: ['SIGSTORE_SIGNATURE_INVALID', 'the signature does not verify'],
  TIMESTAMP_ERROR: ['SIGSTORE_TIMESTAMP_INVALID', 'the signing time could not be established'],
  PUBLIC_KEY_ERROR: ['SIGSTORE_KEY_MISMATCH', 'the public key does not apply'],
  UNTRUSTED_SIGNER_ERROR: ['SIGSTORE_IDENTITY_MISMATCH', 'the signer is not the expected identity'],
};

const libraryCode = (err: unknown): string | undefined => {
  const code = err instanceof Error ? (err as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
};

/** A verification failure as a DctError (a DctError passes through unchanged). */
export function verificationFailure(err: unknown): DctError {
  if (isDctError(err)) return err;
  const code = libraryCode(err);
  const reason = err instanceof Error ? err.message : String(err);
  const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
  if (code === 'TLOG_ERROR' && /expected \d+ tlog entries/.test(reason))
    return new DctError(
      'SIGSTORE_TLOG_MISSING',
      `the bundle has no transparency log entry (${reason}); cosign's --insecure-ignore-tlog accepts that`,
    );
  if (code === 'TIMESTAMP_ERROR' && /expected \d+ timestamps/.test(reason))
    return new DctError(
      'SIGSTORE_TIMESTAMP_INVALID',
      `the bundle has no verifiable signing time: no log integrated time and no RFC 3161 timestamp (${reason})`,
    );
  const mapped = code ? BY_LIBRARY_CODE[code] : undefined;
  if (mapped) return new DctError(mapped[0], `${mapped[1]}: ${reason}${cause} (${code})`, { cause: err });
  if (err instanceof Error && err.name === 'ValidationError')
    return new DctError('SIGSTORE_BUNDLE_MALFORMED', `the Sigstore bundle is malformed: ${reason}`, { cause: err });
  return new DctError('SIGSTORE_BUNDLE_MALFORMED', `the Sigstore bundle could not be processed: ${reason}`, { cause: err });
}
