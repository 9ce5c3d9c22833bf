/**
 * The manifest a registry holds for a tag: what `dct trust sign` signs when no
 * `--digest`/`--size` is given (docker signs the manifest its engine pushed).
 * Credentials are docker's for the registry; TLS files from `$DOCKER_CONFIG/tls/`
 * and `/etc/docker/certs.d/`; loopback and the dct config's insecure registries
 * may be reached over unverified https or plain http.
 */
import { join } from 'node:path';
import { RegistryAuth } from '../../../adapters/http/registry-auth.js';
import { RegistryClient } from '../../../adapters/registry/registry-client.js';
import { DctError, isDctError } from '../../../core/errors.js';
import { dockerDirs, USER_AGENT, type TrustContext } from '../../docker-trust/trust-context.js';
import type { TrustIo } from '../../docker-trust/io.js';

const REFUSALS = ['AUTH_FAILED', 'AUTH_REQUIRED', 'REGISTRY_UNAUTHORIZED', 'REGISTRY_DENIED'];

export interface ManifestInfo {
  /** hex sha256 of the manifest bytes */
  sha256: string;
  size: number;
}

export async function resolveManifest(io: TrustIo, ctx: TrustContext): Promise<ManifestInfo> {
  const auth = new RegistryAuth({ credentials: () => ctx.credentials(), clientId: 'docker', userAgent: USER_AGENT });
  // logged in: ask for push too (as docker's push before its signing does); a registry whose pull gate
  // keeps unsigned tags from readers serves their manifests to the repository's publishers
  const loggedIn = (await ctx.credentials()) !== undefined;
  const ref = ctx.ref;
  if (ref.domain === '')
    throw new DctError(
      'INVALID_REFERENCE',
      `${ref.toString()} names no registry: write the registry host in front (e.g. registry.example.com/team/app)`,
    );
  const client = new RegistryClient(ref.domain, {
    auth,
    insecureRegistries: ctx.insecureRegistries,
    certDirs: [join(dockerDirs(io).configDir, 'tls'), '/etc/docker/certs.d'],
    userAgent: USER_AGENT,
  });
  const resolve = (actions: string[]) => client.resolveManifest(ref.path, ref.digest ?? ref.tag ?? 'latest', { actions });
  let found;
  try {
    found = await resolve(loggedIn ? ['pull', 'push'] : ['pull']);
  } catch (err) {
    // a registry whose token service refuses the push scope outright (rather than granting pull only): read as a consumer
    if (!loggedIn || !REFUSALS.some((code) => isDctError(err, code))) throw err;
    found = await resolve(['pull']);
  } finally {
    client.close();
  }
  const m = /^sha256:([0-9a-f]{64})$/.exec(found.digest);
  if (!m) throw new DctError('REGISTRY_BAD_RESPONSE', `the registry's manifest digest ${found.digest} is not a sha256 digest`);
  return { sha256: m[1] as string, size: found.size };
}
