/**
 * The manifest a registry holds for a tag: what `dct trust sign` signs when no
 * `--digest`/`--size` is given (docker signs the manifest its engine pushed).
 * Credentials are docker's for the registry; TLS files from `$DOCKER_CONFIG/tls/`
 * and `/etc/docker/certs.d/`; loopback and the dct config's insecure registries
 * may be reached over unverified https or plain http.
 */
import { join } from 'node:path';
import { RegistryAuth } from '../../../adapters/http/registry-auth.js';
import { ManifestResolver } from '../../../adapters/registry/manifest-resolver.js';
import { DctError } from '../../../core/errors.js';
import { dockerDirs, USER_AGENT, type TrustContext } from './context.js';
import type { TrustIo } from './io.js';

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
  const resolver = new ManifestResolver({
    auth,
    actions: loggedIn ? ['pull', 'push'] : ['pull'],
    insecureRegistries: ctx.insecureRegistries,
    certDirs: [join(dockerDirs(io).configDir, 'tls'), '/etc/docker/certs.d'],
    userAgent: USER_AGENT,
  });
  const found = await resolver.resolve(ctx.ref);
  const m = /^sha256:([0-9a-f]{64})$/.exec(found.digest);
  if (!m) throw new DctError('REGISTRY_BAD_RESPONSE', `the registry's manifest digest ${found.digest} is not a sha256 digest`);
  return { sha256: m[1] as string, size: found.size };
}
