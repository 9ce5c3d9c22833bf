/**
 * The error codes the commands raise themselves (most of their failures carry the codes of
 * the use cases and adapters below them); the union joins `DctErrorCode` (see
 * core/errors.ts). The README's table of error codes is tested against this list.
 */

export const CLI_ERROR_CODES = [
  'INVALID_ARGUMENT',
  'INVALID_REFERENCE',
  'FILE_NOT_READABLE',
  'PASSPHRASE_REQUIRED',
  'REPOSITORY_NOT_FOUND',
  'NO_SIGNED_TAGS',
  'RESERVED_SIGNER',
  'REGISTRY_BAD_RESPONSE',
  // dct verify|pull|pin|docker --policy: the trust policy denied the image (the reasons in the message)
  'POLICY_DENIED',
] as const;

export type CliErrorCode = (typeof CLI_ERROR_CODES)[number];

declare module '../core/errors.js' {
  interface ErrorCodesByModule {
    cli: CliErrorCode;
  }
}
