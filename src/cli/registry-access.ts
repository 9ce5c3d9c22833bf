/**
 * A registry client for an image reference, wired as docker wires its own:
 * credentials from `$DOCKER_CONFIG/config.json` (and credential helpers), TLS
 * folders `$DOCKER_CONFIG/tls/<host>/` and `/etc/docker/certs.d/<host>/`, plain
 * HTTP for loopback registries and those dct's config names insecure; and
 * docker's content-trust switch.
 */
import { join } from 'node:path';
import { dctConfigFile, loadDctConfig } from '../adapters/client-config/dct-config.js';
import { dockerConfigDir } from '../adapters/client-config/docker-config-file.js';
import { dockerCredentials } from '../adapters/client-config/docker-credentials.js';
import { RegistryAuth, type RegistryCredentials } from '../adapters/http/registry-auth.js';
import { RegistryClient } from '../adapters/registry/registry-client.js';
import type { ImageReference } from '../core/image-reference.js';

export const USER_AGENT = 'dct';

export interface RegistryAccess {
  client: RegistryClient;
  /** the repository path on the registry (`library/alpine` for `alpine`) */
  repo: string;
}

export async function openRegistry(
  ref: ImageReference,
  env: Readonly<Record<string, string | undefined>>,
  warn: (message: string) => void,
  /**
   * `insecure`: hosts to treat as insecure for this run only (plain HTTP, or TLS without
   * verification), besides the dct config's; `credentials`: a username and password given on
   * the command line (notation's `-u`/`-p`) or a Pod's pull secret, used instead of docker's
   */
  extra: { insecure?: readonly string[]; credentials?: RegistryCredentials } = {},
): Promise<RegistryAccess> {
  const configDir = dockerConfigDir(env);
  const dctConfig = await loadDctConfig(dctConfigFile(env));
  const auth = new RegistryAuth({
    credentials: () => extra.credentials ?? dockerCredentials(ref.domain, { env, configDir, onWarning: (m) => warn(`WARNING: ${m}`) }),
    clientId: 'docker',
    userAgent: USER_AGENT,
  });
  const client = new RegistryClient(ref.domain, {
    auth,
    insecureRegistries: [...dctConfig.insecureRegistries, ...(extra.insecure ?? [])],
    certDirs: [join(configDir, 'tls'), '/etc/docker/certs.d'],
    userAgent: USER_AGENT,
  });
  return { client, repo: ref.path };
}

/**
 * docker's `trust.Enabled`: DOCKER_CONTENT_TRUST set, non-empty and not false as Go's
 * strconv.ParseBool reads it (an unparsable value counts as on).
 */
export function contentTrustEnabled(env: Readonly<Record<string, string | undefined>>): boolean {
  const v = env['DOCKER_CONTENT_TRUST'];
  if (v === undefined || v === '') return false;
  return !['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v);
}
