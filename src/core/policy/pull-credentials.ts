/**
 * Registry credentials that come with one request rather than with the process: the image
 * pull secrets of the Pod an admission review is about (its own `imagePullSecrets`, then its
 * service account's). They reach the registry client through the decision
 * (`ImageDecider.decide(image, { credentials })`) and are tried before the enforcement point's
 * own (docker's config). `source` names a credential for logs and cache keys; the secret
 * itself never leaves the login.
 */

/** What a registry accepts: a user name and password, or an identity (refresh) token. */
export type RegistryLogin = { username: string; password: string } | { identityToken: string };

export interface PullCredential {
  login: RegistryLogin;
  /** where it came from, without the secret: `secret shop/regcred (3f2a9c01)` (a fingerprint of the content) */
  source: string;
}

export interface PullCredentials {
  /** the credential for a registry (`host[:port]`, `docker.io` for Docker Hub): the first that names it, or undefined */
  forRegistry(registry: string): PullCredential | undefined;
}

/** Which pull secrets a review names: the namespace's secrets by name, and the service account whose secrets follow. */
export interface PullSecretRequest {
  namespace: string;
  secrets: readonly string[];
  /** `spec.serviceAccountName` (default `default`): its `imagePullSecrets` are tried after the Pod's */
  serviceAccount?: string;
}

export interface PullSecretLookup {
  /** absent when none of the secrets gave a credential */
  credentials?: PullCredentials;
  /** what could not be read (a missing secret, a wrong type, the API unreachable), for the denial message */
  problems: string[];
}

/** The port to the cluster's pull secrets (the webhook's service account reads them). Never throws. */
export interface PullSecretSource {
  lookup(request: PullSecretRequest, signal?: AbortSignal): Promise<PullSecretLookup>;
}
