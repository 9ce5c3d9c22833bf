/**
 * dct's one error type. Every error carries a stable UPPER_SNAKE `code` that callers
 * (CLI, server, tests) match on; the message is for humans.
 *
 * Codes are closed unions, one per module, each derived from an `as const` list in
 * that module's errors file (core here, `core/oci/errors.ts`, `adapters/errors.ts`,
 * `app/errors.ts`, `server/errors.ts`, `signer/errors.ts`). A module adds its union to
 * `ErrorCodesByModule` below by interface merging, so the pure core names no outer layer
 * and `DctErrorCode` is still the union of them all: the compiler checks the code of
 * every `new DctError(…)`, every `isDctError(err, …)` and every `err.code === …`.
 * The README's table of error codes is tested against these lists
 * (`test/error-codes.test.ts`).
 */
import type { NotationPolicyErrorCode } from './notation/errors.js';
import type { OciErrorCode } from './oci/errors.js';
import type { PolicyErrorCode } from './policy/errors.js';
import type { SignatureErrorCode } from './signatures/errors.js';
import type { TrustBundleErrorCode } from './trust-bundle/errors.js';

/** The codes the pure core raises (CoreError, and DctError for image references). */
export const CORE_ERROR_CODES = [
  // canonical JSON and encodings
  'CANONICAL_JSON_UNSUPPORTED_VALUE',
  'MALFORMED_JSON',
  'MALFORMED_ENCODING',
  'MALFORMED_PEM',
  'MALFORMED_DER',
  'MALFORMED_TIME',
  // keys and signatures
  'UNSUPPORTED_KEY_TYPE',
  'INVALID_KEY',
  'UNSUPPORTED_SIGNATURE_METHOD',
  'KEY_ID_MISMATCH',
  'KEY_MISMATCH',
  'INVALID_CERTIFICATE',
  'WRONG_PASSPHRASE',
  'UNSUPPORTED_KEY_FILE',
  // metadata structure
  'INVALID_METADATA',
  'INVALID_ROLE_NAME',
  // trust decisions
  'NO_SIGNATURES',
  'THRESHOLD_NOT_MET',
  'EXPIRED',
  'VERSION_ROLLBACK',
  'HASH_MISMATCH',
  'LENGTH_MISMATCH',
  'SIZE_LIMIT_EXCEEDED',
  'ROOT_ROTATION_FAILED',
  'CERTIFICATE_VALIDATION_FAILED',
  'MISSING_METADATA',
  'DELEGATION_NOT_ALLOWED',
  'SIGNING_KEYS_UNAVAILABLE',
  // image references (docker's grammar)
  'INVALID_REFERENCE',
] as const;

export type CoreErrorCode = (typeof CORE_ERROR_CODES)[number];

/**
 * Each module's code union under the module's name. Outer modules add theirs with
 * `declare module '../core/errors.js' { interface ErrorCodesByModule { app: AppErrorCode } }`.
 */
export interface ErrorCodesByModule {
  core: CoreErrorCode;
  oci: OciErrorCode;
  signatures: SignatureErrorCode;
  notationPolicy: NotationPolicyErrorCode;
  policy: PolicyErrorCode;
  trustBundle: TrustBundleErrorCode;
}

/** Every code a DctError may carry. */
export type DctErrorCode = ErrorCodesByModule[keyof ErrorCodesByModule];

/**
 * What `isDctError` accepts: a `DctErrorCode`, checked at every call. An argument typed as plain
 * `string` (a test helper's) still passes (`C` is then `string`): a wrong one can only make a
 * match fail, never raise a code outside the unions. Codes read from the wire are checked at
 * run time before they become a DctError's code: the Notary client's against its list, the remote
 * key service's (any code `dct signer` answers with) by their shape only.
 */
type CheckedCode<C extends string> = string extends C ? string : C extends DctErrorCode ? C : DctErrorCode;

export class DctError extends Error {
  readonly code: DctErrorCode;

  constructor(code: DctErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

export class CoreError extends DctError {
  declare readonly code: CoreErrorCode;

  constructor(code: CoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** Whether `err` is a DctError (with this code, when one is given). */
export function isDctError<C extends string = DctErrorCode>(err: unknown, code?: CheckedCode<C>): err is DctError & { readonly code: C } {
  return err instanceof DctError && (code === undefined || err.code === code);
}
