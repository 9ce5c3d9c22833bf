/**
 * Everything a docker-trust use case needs for one image reference, chosen the way
 * docker chooses it (`C:cli/trust/trust.go` `GetNotaryRepository`, spec §7.1): the
 * GUN, the trust server (DOCKER_CONTENT_TRUST_SERVER, the dct config, notary.docker.io
 * for Docker Hub, else https://<registry>), a ping first, the repository over the
 * host's cache and keys. The machine (docker config, TLS files, trust dir, HTTP
 * clients) comes in through the `DockerTrustHost` port; the CLI wires it from the
 * docker config, a server or webhook from its own settings.
 */
import { parseImageReference, type ImageReference } from '../../core/image-reference.js';
import type { KeyRing, MetadataCache, RemoteRepository } from '../../core/ports.js';
import { TrustRepository } from '../client/trust-repository.js';
import { trustServerFor, type TrustServer } from '../trust-server-url.js';

/** Registry credentials as docker keeps them (config.json, credential helpers). */
export type RegistryLogin = { username: string; password: string } | { identityToken: string };

/** A connection to one trust server. */
export interface TrustServerConnection {
  /** docker pings `<server>/v2/` first, noting an auth challenge; a failure only means offline */
  ping(): Promise<unknown>;
  repository(gun: string): RemoteRepository;
  close(): void;
}

/** The port: what a docker-trust use case needs from the machine it runs on. */
export interface DockerTrustHost {
  readonly env: Readonly<Record<string, string | undefined>>;
  now(): Date;
  /** the dct config: trust servers per registry, registries reachable over plain http */
  clientConfig(): Promise<{ trustServers: Readonly<Record<string, string>>; insecureRegistries: readonly string[] }>;
  /** the registry credentials docker would use for `registry` (a domain), if any */
  credentials(registry: string): Promise<RegistryLogin | undefined>;
  /** a client of `server` (TLS settings for its `tlsHost`, docker's skip-verify rule) that logs in with `credentials` */
  connect(server: TrustServer, credentials: () => Promise<RegistryLogin | undefined>): Promise<TrustServerConnection>;
  /** the verified metadata kept for a GUN (`<trust dir>/tuf/<gun>/metadata`) */
  metadataCache(gun: string): MetadataCache;
  /** the GUN's staged notary changes (`<trust dir>/tuf/<gun>/changelist`) */
  changelist(gun: string): { clear(): Promise<void> };
  /** the private keys (`<trust dir>/private`) */
  keyRing(): KeyRing;
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
  credentials(): Promise<RegistryLogin | undefined>;
  /** the dct config's registries reachable over plain http / unverified TLS */
  insecureRegistries: readonly string[];
  /** docker clears the GUN's staged notary changes before and after sign/revoke/inspect */
  clearChangelist(): Promise<void>;
  close(): void;
}

export interface TrustContextOptions {
  /** text to show as is (docker's DCT deprecation notice for notary.docker.io) */
  onWarning?(text: string): void;
}

/** docker's `GetImageReferencesAndAuth` + `GetNotaryRepository`. Throws the reference's parse error as docker words it. */
export async function openTrustContext(host: DockerTrustHost, original: string, opts: TrustContextOptions = {}): Promise<TrustContext> {
  const ref = parseImageReference(original);
  const gun = ref.name;
  const config = await host.clientConfig();
  const server = trustServerFor({ registry: ref.domain, env: host.env, servers: config.trustServers });
  if (server.warning) opts.onWarning?.(server.warning);
  let creds: Promise<RegistryLogin | undefined> | undefined;
  const credentials = () => (creds ??= host.credentials(ref.domain));
  const connection = await host.connect(server, credentials);
  await connection.ping();
  const keyRing = host.keyRing();
  const repo = new TrustRepository({
    gun,
    cache: host.metadataCache(gun),
    keyRing,
    remote: connection.repository(gun),
    now: () => host.now(),
  });
  const changelist = host.changelist(gun);
  return {
    original,
    ref,
    gun,
    server,
    repo,
    heldKeyIds: async () => new Set((await keyRing.list()).map((k) => k.keyId)),
    credentials,
    insecureRegistries: config.insecureRegistries,
    clearChangelist: () => changelist.clear(),
    close: () => connection.close(),
  };
}
