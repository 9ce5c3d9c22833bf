/**
 * Everything a `dct trust` command needs for one image reference, wired the way
 * docker wires its notary client (`C:cli/trust/trust.go` `GetNotaryRepository`,
 * spec §7.1): the GUN, the trust server (DOCKER_CONTENT_TRUST_SERVER, the dct
 * config, notary.docker.io for Docker Hub, else https://<registry>), TLS files
 * from `$DOCKER_CONFIG/tls/<host:port>/` with docker's skip-verify rule for
 * loopback registries, registry credentials from the docker config, the trust
 * dir `$DOCKER_CONFIG/trust` and docker's passphrase variables.
 */
import { join } from 'node:path';
import { FileChangelist } from '../../../adapters/changelist/file-changelist.js';
import {
  dctConfigFile,
  dockerConfigDir,
  dockerCredentials,
  loadDctConfig,
  tlsFilesForHost,
  tlsSettingsFrom,
} from '../../../adapters/docker-config.js';
import { RegistryAuth, type RegistryCredentials } from '../../../adapters/http/registry-auth.js';
import type { FileKeyStore } from '../../../adapters/keystore/file-keystore.js';
import { FileMetadataCache, repositoryDir } from '../../../adapters/metadata-cache.js';
import { NotaryClient } from '../../../adapters/notary-http/notary-client.js';
import { NotaryRemoteRepository } from '../../../adapters/notary-http/remote-repository.js';
import type { PassphraseSource } from '../../../adapters/passphrase.js';
import { TrustRepository } from '../../../app/client/trust-repository.js';
import { trustServerFor, type TrustServer } from '../../../app/trust-server-url.js';
import { parseImageReference, type ImageReference } from '../../../core/image-reference.js';
import type { HeldKey, KeyRing } from '../../../core/ports.js';
import type { TrustIo } from '../../docker-trust/io.js';

export const USER_AGENT = 'dct (docker trust compatible)';

/** The docker config folder and trust dir of a command. */
export function dockerDirs(io: TrustIo): { configDir: string; trustDir: string } {
  const configDir = dockerConfigDir(io.env);
  return { configDir, trustDir: join(configDir, 'trust') };
}

export async function keyStoreOf(io: TrustIo): Promise<FileKeyStore> {
  const { FileKeyStore } = await import('../../../adapters/keystore/file-keystore.js');
  return new FileKeyStore(dockerDirs(io).trustDir);
}

export async function passphrasesOf(io: TrustIo): Promise<PassphraseSource> {
  const { createPassphraseSource } = await import('../../../adapters/passphrase.js');
  return createPassphraseSource({ mode: 'docker', env: io.env });
}

/** The trust dir's key ring, loaded when first used (reading trust data needs no keys). */
class LazyKeyRing implements KeyRing {
  private ring: Promise<KeyRing> | undefined;

  constructor(private readonly io: TrustIo) {}

  private get(): Promise<KeyRing> {
    return (this.ring ??= (async () => {
      const [{ FileKeyRing }, keyStore, passphrases] = await Promise.all([
        import('../../../adapters/keystore/file-key-ring.js'),
        keyStoreOf(this.io),
        passphrasesOf(this.io),
      ]);
      return new FileKeyRing(keyStore, passphrases);
    })());
  }

  async list(): Promise<HeldKey[]> {
    return (await this.get()).list();
  }
  async has(keyId: string): Promise<boolean> {
    return (await this.get()).has(keyId);
  }
  async unlock(keyId: string) {
    return (await this.get()).unlock(keyId);
  }
  async generate(role: string, gun?: string) {
    return (await this.get()).generate(role, gun);
  }
}

export interface TrustContext {
  /** the argument as typed */
  original: string;
  ref: ImageReference;
  /** the repository name without tag or digest: the GUN */
  gun: string;
  server: TrustServer;
  repo: TrustRepository;
  /** canonical IDs of every private key held (docker's `ListAllKeys`) */
  heldKeyIds(): Promise<Set<string>>;
  /** the registry credentials docker would use (config.json), if any */
  credentials(): Promise<RegistryCredentials | undefined>;
  /** the dct config's registries reachable over plain http / unverified TLS */
  insecureRegistries: readonly string[];
  /** docker clears the GUN's staged notary changes before and after sign/revoke/inspect */
  clearChangelist(): Promise<void>;
  close(): void;
}

/** docker's `GetImageReferencesAndAuth` + `GetNotaryRepository`. Throws the reference's parse error as docker words it. */
export async function openTrustContext(io: TrustIo, original: string): Promise<TrustContext> {
  const ref = parseImageReference(original);
  const gun = ref.name;
  const { configDir, trustDir } = dockerDirs(io);
  const dctConfig = await loadDctConfig(dctConfigFile(io.env));
  const server = trustServerFor({ registry: ref.domain, env: io.env, servers: dctConfig.trustServers });
  if (server.warning) io.err(server.warning);
  const tls = tlsSettingsFrom(await tlsFilesForHost(configDir, server.tlsHost), { rejectUnauthorized: !server.skipTlsVerify });
  let creds: Promise<RegistryCredentials | undefined> | undefined;
  const credentials = () =>
    (creds ??= dockerCredentials(ref.domain, { env: io.env, configDir, onWarning: (m) => io.err(`WARNING: ${m}\n`) }));
  const auth = new RegistryAuth({ credentials: () => credentials(), clientId: 'docker', userAgent: USER_AGENT });
  const client = new NotaryClient({ baseUrl: server.url, ...tls, auth, userAgent: USER_AGENT, timeoutMs: 30_000 });
  // docker pings `<server>/v2/` first, noting an auth challenge; a failure only means offline
  await client.ping();
  const keyRing = new LazyKeyRing(io);
  const repo = new TrustRepository({
    gun,
    cache: new FileMetadataCache(trustDir, gun),
    keyRing,
    remote: new NotaryRemoteRepository(client, gun, server.url),
    now: () => io.now(),
  });
  const changelist = new FileChangelist(join(repositoryDir(trustDir, gun), 'changelist'));
  return {
    original,
    ref,
    gun,
    server,
    repo,
    heldKeyIds: async () => new Set((await keyRing.list()).map((k) => k.keyId)),
    credentials,
    insecureRegistries: dctConfig.insecureRegistries,
    clearChangelist: () => changelist.clear(),
    close: () => client.close(),
  };
}
