/**
 * Stable error codes of DCT trust bundles (`dct trust export`, `dct trust verify-bundle`):
 * a bundle that is not one, a file that differs from what the manifest says, a broken root
 * chain, a tag table that the verified metadata does not back. A metadata file refused by
 * the TUF rules keeps the code of the rule (HASH_MISMATCH, THRESHOLD_NOT_MET, …).
 */
export const TRUST_BUNDLE_ERROR_CODES = [
  // the bundle is not a tar file, or its manifest (dct-trust-bundle.json) is missing or malformed
  'BUNDLE_INVALID',
  // a file the manifest lists is not in the bundle
  'BUNDLE_FILE_MISSING',
  // a file's bytes differ from the sha256 or length the manifest lists
  'BUNDLE_FILE_MISMATCH',
  // the root chain (1.root.json … current) has a missing link or a root its predecessor did not sign
  'BUNDLE_ROOT_CHAIN_BROKEN',
  // the manifest's tag table differs from what the verified metadata signs
  'BUNDLE_TAGS_MISMATCH',
  // a cache-only export found no cached trust data for a repository in the trust dir
  'BUNDLE_NOT_IN_CACHE',
  // --trust-bundle: the bundle holds no trust data for the image's repository
  'BUNDLE_REPOSITORY_MISSING',
  // dct trust migrate: the root key needed to sign the rotation root is not in the trust dir
  'MIGRATE_ROOT_KEY_MISSING',
  // dct trust migrate: the destination holds the repository with other trust data; it is not overwritten
  'MIGRATE_CONFLICT',
  // dct trust migrate: after publishing, the destination does not read back as the source (tags or root chain)
  'MIGRATE_VERIFY_FAILED',
  // `dct trust resign`: a tag could not be re-signed, or a repository's trust data did not verify (the report says which)
  'RESIGN_INCOMPLETE',
] as const;

export type TrustBundleErrorCode = (typeof TRUST_BUNDLE_ERROR_CODES)[number];
