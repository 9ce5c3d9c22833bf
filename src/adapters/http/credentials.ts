/**
 * What a user has for a registry or trust server, where it comes from, and the token
 * scopes it is asked for.
 */
import { DctError } from '../../core/errors.js';

/** What a user has for a registry: a user name and password, or an identity (refresh) token. */
export type RegistryCredentials = { username: string; password: string } | { identityToken: string };

export interface CredentialRequest {
  /** `host[:port]` of the server that asked (a registry or a trust server) */
  host: string;
  scheme: 'basic' | 'bearer';
  realm?: string;
  service?: string;
}

/** Where credentials come from: docker's config.json, `NOTARY_AUTH`, a prompt… (undefined = anonymous) */
export type CredentialSource = (request: CredentialRequest) => RegistryCredentials | undefined | Promise<RegistryCredentials | undefined>;

/**
 * notary's `NOTARY_AUTH`: base64 of `user:password` (the password trimmed of
 * surrounding white space, as notary does). Refuses what notary would ignore.
 */
export function notaryAuthCredentials(value: string): { username: string; password: string } {
  const v = value.trim();
  if (v.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) {
    throw new DctError(
      'INVALID_NOTARY_AUTH',
      'Could not base64-decode authentication string in NOTARY_AUTH: set it to base64("<username>:<password>")',
    );
  }
  const plain = Buffer.from(v, 'base64').toString('utf8');
  const colon = plain.indexOf(':');
  if (colon === 0)
    throw new DctError(
      'INVALID_NOTARY_AUTH',
      'Authentication string with zero-length username in NOTARY_AUTH: set it to base64("<username>:<password>")',
    );
  if (colon < 0)
    throw new DctError(
      'INVALID_NOTARY_AUTH',
      'Malformatted authentication string in NOTARY_AUTH; format must be <username>:<password> (base64-encoded)',
    );
  return { username: plain.slice(0, colon), password: plain.slice(colon + 1).trim() };
}

/** `repository:<name>:<actions>`; docker asks `pull` or `pull,push`, notary `pull`, `push,pull` or `*`. */
export function repositoryScope(name: string, actions: string | readonly string[]): string {
  return `repository:${name}:${typeof actions === 'string' ? actions : actions.join(',')}`;
}
