/**
 * Stable error codes of the OCI core (`DctError.code`). Callers match on these; the
 * messages are for humans.
 */
export const OCI_ERROR_CODES = {
  /** a digest string that is not `algorithm:encoded` as the OCI grammar allows */
  INVALID_DIGEST: 'INVALID_DIGEST',
  /** a well-formed digest whose algorithm dct cannot compute (only sha256, sha384, sha512) */
  UNSUPPORTED_DIGEST_ALGORITHM: 'UNSUPPORTED_DIGEST_ALGORITHM',
  /** bytes that do not hash to the digest they were fetched or announced by */
  DIGEST_MISMATCH: 'DIGEST_MISMATCH',
  /** bytes whose length differs from the size they were announced with */
  SIZE_MISMATCH: 'SIZE_MISMATCH',
  /** a descriptor without a valid mediaType, digest or size */
  INVALID_DESCRIPTOR: 'INVALID_DESCRIPTOR',
  /** manifest bytes that are not a valid image manifest or index */
  INVALID_MANIFEST: 'INVALID_MANIFEST',
  /** a manifest dct does not handle (docker schema 1, an unknown media type) */
  UNSUPPORTED_MANIFEST: 'UNSUPPORTED_MANIFEST',
  /** manifest bytes over the size limit (4 MiB by default) */
  MANIFEST_TOO_LARGE: 'MANIFEST_TOO_LARGE',
  /** a platform string such as `linux/arm64/v8` that does not parse */
  INVALID_PLATFORM: 'INVALID_PLATFORM',
  /** an index without a manifest for the wanted platform */
  PLATFORM_NOT_FOUND: 'PLATFORM_NOT_FOUND',
} as const;

export type OciErrorCode = (typeof OCI_ERROR_CODES)[keyof typeof OCI_ERROR_CODES];
