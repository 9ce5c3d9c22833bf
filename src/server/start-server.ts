/**
 * Composition root of the trust server: storage, key custody, TLS, HTTP.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { destination, pino, type Logger } from 'pino';
import { StoreAuditSink } from '../adapters/audit/store-audit-sink.js';
import { FsBlobStore } from '../adapters/blob-store/fs-blob-store.js';
import { openStore } from '../adapters/storage/open-store.js';
import { EmbeddedKeyService } from '../adapters/key-service/embedded-key-service.js';
import { RemoteKeyService } from '../adapters/key-service/remote-key-service.js';
import { ensureSelfSignedTls } from '../adapters/tls/self-signed.js';
import { DctError } from '../core/errors.js';
import type { AuditSink } from '../core/policy/audit-record.js';
import type { KeyService } from '../core/ports.js';
import { DashboardViews } from '../app/dashboard/dashboard-views.js';
import { SignatureFormats } from '../app/dashboard/signature-formats.js';
import { AuditApi } from './audit-api.js';
import { registerAuditMetrics } from './audit-metrics.js';
import { authConfigured, createServerAuth, type ServerAuth } from './auth/server-auth.js';
import { isLoopback, parseListen, type ServerConfig } from './config.js';
import { registryPolicy } from './registry-config.js';
import { DashboardHttp } from './dashboard/dashboard-http.js';
import { registerDashboardMetrics } from './dashboard/dashboard-metrics.js';
import { RegistrySignatureCertificates } from './dashboard/signature-certificates.js';
import { UiAssets } from './dashboard/ui-assets.js';
import { createTrustHttpServer } from './http-server.js';
import { KeyCreationGate } from './key-creation-limit.js';
import { createEmbeddedRegistry, registryDataDir, type RegistryHttp } from './registry/embedded-registry.js';
import { ResponseCache } from './response-cache.js';
import { metadataCaching } from './responses.js';
import { UnauthenticatedWriteGuard } from './unauthenticated-writes.js';

export interface RunningServer {
  url: string;
  /** the CA clients must trust, when the server made its own */
  caFile?: string;
  /** token auth: the realm clients are sent to when none is configured is `<url>/auth/token` */
  auth?: { realm: string; service: string; tokenCertFile?: string };
  /** the embedded registry, when on: its public name (GUNs of its images are `<name>/<repository>`) */
  registry?: { name: string };
  /**
   * the server's own audit sink (its records' source is `server`; the embedded registry's pull gate
   * writes to it); absent in a cluster primary
   */
  audit?: AuditSink;
  close(): Promise<void>;
}

/** Other processes serving the same storage (workers of one `dct server`): they hear of each local change. */
export interface ServerPeers {
  publish(gun: string): void;
  subscribe(listener: (gun: string) => void): void;
}

export async function startServer(
  config: ServerConfig,
  env: Record<string, string | undefined>,
  log: Logger = pino({ level: config.logLevel }, destination(2)),
  peers?: ServerPeers,
): Promise<RunningServer> {
  const { host, port } = parseListen(config.listen);
  // without auth, writes are accepted only from this machine
  if (!isLoopback(host) && !authConfigured(config) && !config.insecureNoAuth) {
    throw new DctError(
      'AUTH_REQUIRED',
      `refusing to listen on ${host || 'all addresses'} without authentication: configure token auth (--auth-htpasswd FILE), listen on 127.0.0.1, or pass --insecure-no-auth to accept unauthenticated writes from the network`,
    );
  }
  // a proxy in front makes the "loopback only" rule meaningless: everything the proxy serves could write
  if (config.trustedProxies.length > 0 && !authConfigured(config) && !config.insecureNoAuth) {
    throw new DctError(
      'AUTH_REQUIRED',
      'refusing to run behind a trusted proxy (--trusted-proxy) without authentication: whoever reaches the proxy could write trust data; configure token auth (--auth-htpasswd FILE), or pass --insecure-no-auth to accept unauthenticated writes through the proxy',
    );
  }
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  // (before the store opens: a bad user file or key stops the start without anything to clean up)
  let auth: ServerAuth | undefined;
  if (authConfigured(config)) auth = await createServerAuth(config, { secure: !config.plainHttp, log });
  else if (config.insecureNoAuth && !isLoopback(host))
    log.warn({ listen: config.listen }, 'no authentication: anyone who reaches this address can write trust data');
  const store = await openStore(config.storage, { auditRetention: config.auditRetention });
  // the server's own audit records (its pull gate's decisions), written in the background
  const audit = new StoreAuditSink(store.audit, { onError: (message) => log.warn({ audit: 'lost' }, message) });
  let keys: KeyService;
  if (config.signerUrl) {
    if (!config.signerCert || !config.signerKey || !config.signerCa) {
      throw new DctError('INVALID_CONFIG', 'a remote signer needs --signer-cert, --signer-key and --signer-ca (mutual TLS)');
    }
    keys = new RemoteKeyService({
      url: config.signerUrl,
      tls: { cert: await readFile(config.signerCert), key: await readFile(config.signerKey), ca: await readFile(config.signerCa) },
    });
  } else {
    keys = new EmbeddedKeyService({ store, passphrase: await keyPassphrase(config, env, log), now: () => new Date() });
  }

  let tls: { cert: Buffer; key: Buffer } | undefined;
  let caFile: string | undefined;
  if (config.tlsCert && config.tlsKey) {
    tls = { cert: await readFile(config.tlsCert), key: await readFile(config.tlsKey) };
  } else if (config.tlsSelfSigned) {
    const hosts = [...new Set(['localhost', '127.0.0.1', '::1', ...(host && host !== '0.0.0.0' && host !== '::' ? [host] : [])])];
    const made = await ensureSelfSignedTls(config.dataDir, hosts);
    tls = { cert: made.cert, key: made.key };
    caFile = resolve(made.caFile);
  }

  // the registry's name is known once the server listens (port 0 → the port it got), unless configured
  let registryName = config.registryName ?? '';
  let registry: RegistryHttp | undefined;
  if (config.registry) {
    registry = await createEmbeddedRegistry({
      dataDir: config.dataDir,
      store: store.registry,
      tuf: store,
      keys,
      pullGate: config.pullGate,
      ...registryPolicy(config),
      registryName: () => registryName,
      log,
      audit,
      idleTimeoutMs: config.requestTimeoutMs,
      maxBlobBytes: config.maxBlobBytes,
      uploads: {
        maxPerRepository: config.maxUploadsPerRepository,
        maxPerClient: config.maxUploadsPerClient,
        expiryMs: config.uploadExpiryMs,
      },
    });
  }
  const cache = new ResponseCache(config.readCacheMaxBytes);
  const unwatch = await store.watch((gun: string) => {
    cache.invalidate(gun);
    registry?.trustChanged(gun);
    peers?.publish(gun);
  });
  peers?.subscribe((gun) => {
    cache.invalidate(gun);
    registry?.trustChanged(gun);
  });
  // heartbeats of live audit streams come well within the idle timeout that would close them
  const auditApi = new AuditApi(store.audit, { streams: { heartbeatMs: Math.min(15_000, Math.floor(config.idleTimeoutMs / 2)) } });
  // the dashboard reads nothing until first used (its index is built then)
  const dashboardViews = new DashboardViews({
    store,
    warnDays: config.dashboardWarnDays,
    serverHolds: async (keyId) => (await keys.getKey(keyId)) !== undefined,
    ...(registry
      ? {
          formats: new SignatureFormats(
            store.registry,
            () => registryName,
            new RegistrySignatureCertificates(await FsBlobStore.open(registryDataDir(config.dataDir))),
          ),
        }
      : {}),
  });
  // (workers of one SQLite file hear each other's changes only as peers)
  peers?.subscribe((gun) => dashboardViews.index.changed(gun));
  const dashboard = new DashboardHttp({
    views: dashboardViews,
    service: config.authService,
    audit: auditApi,
    assets: new UiAssets(),
    log,
    ...(auth ? { auth } : {}),
  });
  const { server, metrics } = createTrustHttpServer(
    {
      store,
      keys,
      now: () => new Date(),
      cache,
      gunPrefixes: config.gunPrefixes,
      limits: { maxRoleBytes: config.maxRoleBytes, maxParts: 1000 },
      caching: metadataCaching(config.cacheMaxAgeCurrent, config.cacheMaxAgeConsistent),
      keyCreations: new KeyCreationGate(),
    },
    {
      ...(tls ? { tls } : {}),
      maxBodyBytes: config.maxBodyBytes,
      writeRate: { perSecond: config.writesPerSecond, burst: config.writeBurst },
      loginRate: { perSecond: config.loginsPerSecond, burst: config.loginBurst },
      ...(auth
        ? {}
        : {
            writeGuard: new UnauthenticatedWriteGuard(
              [
                ...(['', '0.0.0.0', '::'].includes(host) ? [] : [host]),
                ...(config.registryName ? [config.registryName] : []),
                ...config.allowedHosts,
              ],
              { proxied: config.insecureNoAuth },
            ),
          }),
      trustedProxies: config.trustedProxies,
      requestTimeoutMs: config.requestTimeoutMs,
      connections: {
        idleTimeoutMs: config.idleTimeoutMs,
        maxConnections: config.maxConnections,
        maxConnectionsPerClient: config.maxConnectionsPerClient,
      },
      ...(auth ? { auth } : {}),
      ...(registry ? { registry } : {}),
      audit: auditApi,
      dashboard,
    },
    log,
  );
  registerAuditMetrics(metrics, audit, auditApi);
  registerDashboardMetrics(metrics, dashboardViews);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${tls ? 'https' : 'http'}://${shownHost}:${address.port}`;
  auth?.bearer.setOrigin(url);
  if (registry && !config.registryName) {
    const wildcard = host === '' || host === '0.0.0.0' || host === '::';
    registryName = `${wildcard ? 'localhost' : host.includes(':') ? `[${host}]` : host}:${address.port}`;
    if (wildcard && (config.pullGate.length > 0 || config.policy !== undefined)) {
      log.warn(
        { registryName },
        'listening on all addresses without registryName: GUNs of this registry are taken to be localhost:<port>/<name>; set registryName to the host clients use',
      );
    }
  }
  log.info(
    {
      url,
      storage: redact(config.storage),
      signer: config.signerUrl ? 'remote' : 'embedded',
      auth: auth ? 'token' : 'none',
      registry: registry ? registryName : 'off',
      pullGate: config.pullGate.length,
    },
    'dct server listening',
  );

  let closing: Promise<void> | undefined;
  return {
    url,
    ...(caFile ? { caFile } : {}),
    ...(auth
      ? {
          auth: {
            realm: config.authRealm ?? `${url}/auth/token`,
            service: config.authService,
            ...(auth.tokenCertFile ? { tokenCertFile: auth.tokenCertFile } : {}),
          },
        }
      : {}),
    ...(registry ? { registry: { name: registryName } } : {}),
    audit,
    close() {
      closing ??= (async () => {
        // logins waiting for a password check are answered 503 instead of being waited for
        await auth?.passwordChecks?.close();
        // live audit streams end first: the server closes once its connections have
        await auditApi.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        await registry?.close();
        await dashboardViews.close();
        await audit.flush();
        await unwatch();
        await store.close();
      })();
      return closing;
    },
  };
}

/** The server keys' passphrase: from the environment, else one generated once into the data folder (0600). */
export async function keyPassphrase(config: ServerConfig, env: Record<string, string | undefined>, log: Logger): Promise<string> {
  const fromEnv = env[config.keyPassphraseEnv];
  if (fromEnv) return fromEnv;
  const file = join(config.dataDir, 'server-keys.passphrase');
  if (!existsSync(file)) {
    await writeFile(file, randomBytes(32).toString('base64url') + '\n', { mode: 0o600 });
    await chmod(file, 0o600);
    log.warn(
      { file },
      `no ${config.keyPassphraseEnv} set: generated a passphrase for the server keys in the data folder; set ${config.keyPassphraseEnv} to keep keys and passphrase apart`,
    );
  }
  return (await readFile(file, 'utf8')).trim();
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
