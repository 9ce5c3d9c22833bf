/**
 * The error codes the adapters raise, one list per family; each union derives from its
 * list and joins `DctErrorCode` (see core/errors.ts). The README's table of error codes
 * is tested against these lists.
 */
/** Files, configuration, keys, storage, image layouts and the remote key service. */
export const ADAPTER_ERROR_CODES = [
  // files and configuration (docker's config.json, TLS folders, trust and metadata folders)
  'INVALID_ARGUMENT',
  'INVALID_CONFIG',
  'INVALID_DOCKER_CONFIG',
  'INVALID_KEY_FILE_NAME',
  'CONFIG_UNREADABLE',
  'CREDENTIAL_HELPER_FAILED',
  'INVALID_TLS_FILES',
  'INVALID_GUN',
  'IO_ERROR',
  // the changelist
  'INVALID_CHANGE',
  // keys and passphrases
  'KEY_NOT_FOUND',
  'INVALID_KEY_ID',
  'KEY_ENCRYPTION_FAILED',
  'KEY_DECRYPTION_FAILED',
  'INVALID_STORED_KEY',
  'PASSPHRASE_REQUIRED',
  'PASSPHRASE_CANCELLED',
  'PASSPHRASE_ATTEMPTS_EXCEEDED',
  // the remote key service (a `dct signer`); its own codes pass through, see signer/errors.ts
  'SIGNER_UNAVAILABLE',
  'SIGNER_TLS_FAILED',
  'SIGNER_PROTOCOL_ERROR',
  'SIGNER_BAD_SIGNATURE',
  'SIGNER_ERROR',
  // storage (SQLite, PostgreSQL)
  'INVALID_STORAGE_URL',
  'STORAGE_UNAVAILABLE',
  'VERSION_CONFLICT',
  'INVALID_VERSION',
  'INVALID_PARAMETERS',
  'PRIVATE_KEY_EXISTS',
  // image layouts (OCI layout, docker archive, tar, compression)
  'NOT_AN_OCI_LAYOUT',
  'NOT_A_DOCKER_ARCHIVE',
  'INVALID_LAYOUT',
  'INVALID_TAR',
  'INVALID_LAYER',
  'INVALID_OFFSET',
  'INVALID_TAG',
  'INVALID_REFERENCE',
  'IMAGE_NOT_FOUND',
  'INCOMPLETE_IMAGE',
  'AMBIGUOUS_IMAGE',
  'BLOB_NOT_FOUND',
  'SOURCE_NOT_FOUND',
  'FILE_NOT_FOUND',
  'FILE_TOO_LARGE',
  'UNSUPPORTED_COMPRESSION',
  'UNSUPPORTED_MANIFEST',
  'DIGEST_MISMATCH',
  // registry token auth and NOTARY_AUTH (http/registry-auth.ts)
  'INVALID_NOTARY_AUTH',
  'INVALID_REQUEST',
  'AUTH_REQUIRED',
  'AUTH_CHALLENGE_INVALID',
  'INSECURE_AUTH_REALM',
  'AUTH_INVALID_RESPONSE',
  'AUTH_SERVER_UNREACHABLE',
  'AUTH_SERVER_ERROR',
  'AUTH_FAILED',
  'NETWORK_ERROR',
  'TIMEOUT',
  'RESPONSE_TOO_LARGE',
] as const;

export type AdapterErrorCode = (typeof ADAPTER_ERROR_CODES)[number];

/** The registry client (adapters/registry): its RegistryError and its other failures. */
export const REGISTRY_CLIENT_ERROR_CODES = [
  // no endpoint answered the ping (connection refused, TLS failure, timeout)
  'REGISTRY_UNREACHABLE',
  // a later request failed on the network, or got no answer in time, after the retries
  'NETWORK_ERROR',
  'TIMEOUT',
  'ABORTED',
  // HTTP 401 / 403
  'REGISTRY_UNAUTHORIZED',
  'REGISTRY_DENIED',
  // HTTP 404 by kind (MANIFEST_UNKNOWN, BLOB_UNKNOWN, NAME_UNKNOWN, BLOB_UPLOAD_UNKNOWN)
  'MANIFEST_NOT_FOUND',
  'BLOB_NOT_FOUND',
  'REPOSITORY_UNKNOWN',
  'UPLOAD_UNKNOWN',
  // HTTP 429 after the retries, or with a Retry-After longer than allowed
  'REGISTRY_TOO_MANY_REQUESTS',
  // other 4xx (MANIFEST_INVALID, MANIFEST_BLOB_UNKNOWN, DIGEST_INVALID, SIZE_INVALID, 413…)
  'REGISTRY_REJECTED',
  // 5xx after the retries
  'REGISTRY_SERVER_ERROR',
  // answers that break the protocol (bad headers, ranges, links, JSON)
  'REGISTRY_BAD_RESPONSE',
  'RESPONSE_TOO_LARGE',
  'MANIFEST_TOO_LARGE',
  'INVALID_MANIFEST',
  'UNSUPPORTED_MANIFEST',
  // content that is not what was asked for
  'DIGEST_MISMATCH',
  'SIZE_MISMATCH',
  // plain http to a host that is neither loopback nor in insecureRegistries; a redirect from https to http
  'INSECURE_REGISTRY',
  'INSECURE_REDIRECT',
  // the caller's sink or source failed; a hashing thread failed
  'WRITE_FAILED',
  'UPLOAD_SOURCE_FAILED',
  'HASH_FAILED',
  'INVALID_REFERENCE',
  'INVALID_ARGUMENT',
  'INVALID_REQUEST',
] as const;

export type RegistryClientErrorCode = (typeof REGISTRY_CLIENT_ERROR_CODES)[number];

/**
 * The Notary client's NotaryHttpError: its own codes, and the codes of notary-server's 400
 * answers, which pass through unchanged (server/api-errors.ts; the test keeps the two in step).
 */
export const NOTARY_CLIENT_ERROR_CODES = [
  // 404: notary's ErrMetaNotFound (whatever the body said)
  'METADATA_NOT_FOUND',
  // 400 without a recognised server code (notary's ErrInvalidOperation)
  'INVALID_OPERATION',
  'UNAUTHORIZED',
  // any other status (notary's ErrServerUnavailable)
  'SERVER_UNAVAILABLE',
  'TIMEOUT',
  'NETWORK_ERROR',
  'ABORTED',
  // a 200 response larger than allowed (notary's ErrMaliciousServer)
  'RESPONSE_TOO_LARGE',
  'INVALID_RESPONSE',
  'INVALID_REQUEST',
  // notary-server's 400 codes, passed through
  'MALFORMED_UPLOAD',
  'NO_FILENAME',
  'INVALID_ROLE',
  'MALFORMED_JSON',
  'INVALID_UPDATE',
  'VERSION',
  'INVALID_GUN',
  'INVALID_PARAMETERS',
] as const;

export type NotaryClientErrorCode = (typeof NOTARY_CLIENT_ERROR_CODES)[number];

/** The registry's blob store (blob-store/fs-blob-store.ts, BlobStoreError). */
export const BLOB_STORE_ERROR_CODES = [
  'BLOB_UPLOAD_UNKNOWN',
  'BLOB_UPLOAD_BUSY',
  'BLOB_RANGE_INVALID',
  'BLOB_DIGEST_MISMATCH',
  'BLOB_SIZE_MISMATCH',
  'BLOB_TOO_LARGE',
  'BLOB_DIGEST_UNSUPPORTED',
] as const;

export type BlobStoreErrorCode = (typeof BLOB_STORE_ERROR_CODES)[number];

declare module '../core/errors.js' {
  interface ErrorCodesByModule {
    adapters: AdapterErrorCode;
    registryClient: RegistryClientErrorCode;
    notaryClient: NotaryClientErrorCode;
    blobStore: BlobStoreErrorCode;
  }
}

/** Whether a code from the wire is one of the Notary client's (a server may send any string). */
export function isNotaryClientErrorCode(code: string): code is NotaryClientErrorCode {
  return (NOTARY_CLIENT_ERROR_CODES as readonly string[]).includes(code);
}
