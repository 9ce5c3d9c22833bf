/**
 * Errors raised by the pure core. Every error carries a stable string `code`
 * that callers (CLI, server, tests) match on; the message is for humans.
 */
export type CoreErrorCode =
  // canonical JSON and encodings
  | 'CANONICAL_JSON_UNSUPPORTED_VALUE'
  | 'MALFORMED_JSON'
  | 'MALFORMED_ENCODING'
  | 'MALFORMED_PEM'
  | 'MALFORMED_DER'
  | 'MALFORMED_TIME'
  // keys and signatures
  | 'UNSUPPORTED_KEY_TYPE'
  | 'INVALID_KEY'
  | 'UNSUPPORTED_SIGNATURE_METHOD'
  | 'KEY_ID_MISMATCH'
  | 'KEY_MISMATCH'
  | 'INVALID_CERTIFICATE'
  | 'WRONG_PASSPHRASE'
  | 'UNSUPPORTED_KEY_FILE'
  // metadata structure
  | 'INVALID_METADATA'
  | 'INVALID_ROLE_NAME'
  // trust decisions
  | 'NO_SIGNATURES'
  | 'THRESHOLD_NOT_MET'
  | 'EXPIRED'
  | 'VERSION_ROLLBACK'
  | 'HASH_MISMATCH'
  | 'LENGTH_MISMATCH'
  | 'SIZE_LIMIT_EXCEEDED'
  | 'ROOT_ROTATION_FAILED'
  | 'CERTIFICATE_VALIDATION_FAILED'
  | 'MISSING_METADATA'
  | 'DELEGATION_NOT_ALLOWED'
  | 'SIGNING_KEYS_UNAVAILABLE';

export class DctError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
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

export function isDctError(err: unknown, code?: string): err is DctError {
  return err instanceof DctError && (code === undefined || err.code === code);
}
