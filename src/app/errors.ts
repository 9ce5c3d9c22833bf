/**
 * The error codes the use cases raise; the union joins `DctErrorCode` (see core/errors.ts).
 * The README's table of error codes is tested against this list.
 */

export const APP_ERROR_CODES = [
  'INVALID_ARGUMENT',
  'INVALID_CONFIG',
  'INVALID_REFERENCE',
  'INVALID_TRUST_SERVER',
  // the client: update, draft, notary's changes, publish
  'REPOSITORY_NOT_FOUND',
  'REPOSITORY_NOT_INITIALIZED',
  'MISSING_METADATA',
  'OFFLINE',
  'KEY_NOT_FOUND',
  // keys: import, export, rotate, passphrases (app/keys)
  'KEY_IMPORT_FAILED',
  'KEY_ROTATION_REFUSED',
  'PASSPHRASE_ATTEMPTS_EXCEEDED',
  'EMPTY_PASSPHRASE',
  'KEY_STEP_FAILED',
  'INVALID_ROLE',
  'INVALID_CHANGE',
  'CHANGE_REJECTED',
  // docker trust: signers and tags
  'RESERVED_SIGNER',
  'SIGNER_NOT_FOUND',
  'RELEASES_UNSIGNED',
  'NO_SIGNING_KEYS',
  'NO_SIGNED_TAGS',
  'TAG_NOT_SIGNED',
  'DIGEST_NOT_SIGNED',
  'NO_VALID_HASH',
  'INVALID_DIGEST',
  'INVALID_SIZE',
  // images: push, pull, pin
  'PUSH_SOURCE_MISSING',
  'DIGEST_MISMATCH',
  'SIZE_MISMATCH',
  'UNSUPPORTED_MANIFEST',
  // the notary server's update validation and server signing
  'INVALID_UPDATE',
  'MALFORMED_JSON',
  'VERSION_CONFLICT',
  'STORED_METADATA_INVALID',
  // the dashboard's API: a refused query, a repository not there (or not the user's to see)
  'DASHBOARD_BAD_QUERY',
  'DASHBOARD_NOT_FOUND',
] as const;

export type AppErrorCode = (typeof APP_ERROR_CODES)[number];

declare module '../core/errors.js' {
  interface ErrorCodesByModule {
    app: AppErrorCode;
  }
}
