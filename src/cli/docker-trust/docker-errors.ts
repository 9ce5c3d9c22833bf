/**
 * docker's `trust.NotaryError` (`C:cli/trust/trust.go`, spec §7.1): how docker words
 * a notary failure for a repository. Applied only where docker applies it; elsewhere
 * docker shows the notary error as it is (wrapped with its own prefix).
 */
import { isDctError } from '../../core/errors.js';

export function notaryErrorMessage(repoName: string, err: unknown): string {
  const message = (err as Error)?.message ?? String(err);
  if (!isDctError(err)) return message;
  switch (err.code) {
    case 'MALFORMED_JSON':
    case 'INVALID_RESPONSE':
      return `Error: no trust data available for remote repository ${repoName}. Try running notary server and setting DOCKER_CONTENT_TRUST_SERVER to its HTTPS address?`;
    case 'EXPIRED':
      return `Error: remote repository ${repoName} out-of-date: ${message}`;
    case 'KEY_NOT_FOUND':
      return `Error: signing keys for remote repository ${repoName} not found: ${message}`;
    case 'NETWORK_ERROR':
    case 'TIMEOUT':
      return `Error: error contacting notary server: ${message}`;
    case 'MISSING_METADATA':
    case 'METADATA_NOT_FOUND':
      return `Error: trust data missing for remote repository ${repoName} or remote repository not found: ${message}`;
    case 'ROOT_ROTATION_FAILED':
    case 'CERTIFICATE_VALIDATION_FAILED':
    case 'UNSUPPORTED_KEY_TYPE':
      return `Warning: potential malicious behavior - trust data mismatch for remote repository ${repoName}: ${message}`;
    case 'VERSION_ROLLBACK':
      return `Warning: potential malicious behavior - trust data version is lower than expected for remote repository ${repoName}: ${message}`;
    case 'THRESHOLD_NOT_MET':
      return `Warning: potential malicious behavior - trust data has insufficient signatures for remote repository ${repoName}: ${message}`;
    case 'REPOSITORY_NOT_FOUND':
      return `Error: remote trust data does not exist for ${repoName}: ${message}`;
    case 'SIGNING_KEYS_UNAVAILABLE':
      return `Error: could not produce valid signature for ${repoName}.  If Yubikey was used, was touch input provided?: ${message}`;
    default:
      return message;
  }
}

/** What dct adds (on a terminal, or in JSON) to say how to fix a failure; undefined when the message says enough. */
export function hintFor(err: unknown, gun: string): string | undefined {
  if (!isDctError(err)) return undefined;
  switch (err.code) {
    case 'REPOSITORY_NOT_FOUND':
      return `${gun} has no trust data on its trust server yet: sign a tag with \`dct trust sign ${gun}:<tag>\` or add a signer with \`dct trust signer add\``;
    case 'NO_SIGNED_TAGS':
      return `the repository has trust data but no tag is signed; sign one with \`dct trust sign ${gun}:<tag>\``;
    case 'NETWORK_ERROR':
    case 'TIMEOUT':
    case 'SERVER_UNAVAILABLE':
      return "the trust server could not be reached: check DOCKER_CONTENT_TRUST_SERVER (or the dct config's trust.servers) and the network";
    case 'UNAUTHORIZED':
    case 'AUTH_REQUIRED':
      return `the trust server wants credentials: log in with \`docker login\` for the registry of ${gun}`;
    case 'SIGNING_KEYS_UNAVAILABLE':
    case 'NO_SIGNING_KEYS':
      return 'none of the keys this needs is in $DOCKER_CONFIG/trust/private: load one with `dct trust key load`, or ask the repository owner to add yours with `dct trust signer add`';
    case 'WRONG_PASSPHRASE':
    case 'PASSPHRASE_REQUIRED':
      return 'set DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE / DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE, or run on a terminal to be asked';
    case 'CERTIFICATE_VALIDATION_FAILED':
    case 'ROOT_ROTATION_FAILED':
    case 'THRESHOLD_NOT_MET':
    case 'VERSION_ROLLBACK':
    case 'HASH_MISMATCH':
    case 'LENGTH_MISMATCH':
      return `the trust data of ${gun} does not verify against what this machine trusted before: do not use it; if the repository was legitimately re-created, remove $DOCKER_CONFIG/trust/tuf/${gun} and look again`;
    case 'EXPIRED':
      return 'the trust data has expired: its owner must re-sign it (e.g. `dct trust sign` again)';
    default:
      return undefined;
  }
}

/** A failure as `--format json` shows it. */
export function errorJson(err: unknown, message: string, gun: string): { code: string; message: string; hint?: string } {
  const hint = hintFor(err, gun);
  return { code: isDctError(err) ? err.code : 'ERROR', message, ...(hint ? { hint } : {}) };
}
