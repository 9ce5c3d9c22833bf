/**
 * Composition of the embedded registry for the HTTP edge: blob store, the
 * registry API, the pull gate and its view of the server's trust data. The
 * gate is either the legacy `pullGate` rules or the trust policy (`policy`),
 * never both (config.ts refuses the two together).
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import { FsBlobStore } from '../../adapters/blob-store/fs-blob-store.js';
import { NO_AUDIT, type AuditSink } from '../../core/policy/audit-record.js';
import type { KeyService, RegistryStore, TufStore } from '../../core/ports.js';
import type { RouteAccess } from '../auth/bearer-auth.js';
import type { ManifestGate } from './manifest-gate.js';
import { createPolicyGate, type RegistryPolicySettings } from './policy-gate-wiring.js';
import { PullGate, type PullGateRule } from './pull-gate.js';
import { RegistryApi } from './registry-api.js';
import { matchRegistryRoute, registryRouteAccess, type RegistryRoute } from './routes.js';
import { ServerTrust } from './server-trust.js';
import { UploadSessions, type UploadLimits } from './upload-sessions.js';

export interface EmbeddedRegistryOptions {
  dataDir: string;
  store: RegistryStore;
  tuf: TufStore;
  keys: KeyService;
  pullGate: readonly PullGateRule[];
  /** the pull gate decides with the trust policy (`dct server --policy FILE`) instead of `pullGate` rules */
  policy?: RegistryPolicySettings;
  /** where every gate decision is recorded (default: nowhere) */
  audit?: AuditSink;
  /** the registry's public name (host[:port]); may be known only once the server listens */
  registryName: () => string;
  log: Logger;
  idleTimeoutMs?: number;
  /** largest blob (bytes received over a whole upload session) */
  maxBlobBytes?: number;
  /** caps and idle expiry of upload sessions */
  uploads?: UploadLimits;
}

/** What the HTTP edge needs from the registry. */
export interface RegistryHttp {
  /** the registry route of a path (after the trust API's routes missed) */
  match(path: string): RegistryRoute | undefined;
  access(route: RegistryRoute, method: string, query: URLSearchParams): RouteAccess;
  serve: RegistryApi['serve'];
  /** trust data of a GUN changed (the pull gate re-verifies it) */
  trustChanged(gun: string): void;
  /** stops the upload sessions' expiry timer and the policy file's watch */
  close(): Promise<void>;
}

/** `<data dir>/registry`: blobs and upload sessions. */
export function registryDataDir(dataDir: string): string {
  return join(dataDir, 'registry');
}

export async function createEmbeddedRegistry(opts: EmbeddedRegistryOptions): Promise<RegistryHttp> {
  const blobs = await FsBlobStore.open(registryDataDir(opts.dataDir));
  const trust = new ServerTrust({ tuf: opts.tuf, keys: opts.keys });
  const audit = opts.audit ?? NO_AUDIT;
  let gate: ManifestGate | undefined;
  let closeGate = (): void => {};
  if (opts.policy) {
    const made = await createPolicyGate(opts.policy, {
      registryName: opts.registryName,
      store: opts.store,
      blobs,
      trust,
      audit,
      log: opts.log,
    });
    gate = made.gate;
    closeGate = made.close;
  } else if (opts.pullGate.length > 0) gate = new PullGate(opts.pullGate, trust, opts.store, audit);
  const uploads = opts.uploads ? new UploadSessions(blobs, opts.uploads, opts.log) : undefined;
  await uploads?.start();
  const api = new RegistryApi({
    store: opts.store,
    blobs,
    registryName: opts.registryName,
    ...(gate ? { gate } : {}),
    log: opts.log,
    ...(opts.idleTimeoutMs !== undefined ? { idleTimeoutMs: opts.idleTimeoutMs } : {}),
    ...(opts.maxBlobBytes !== undefined ? { maxBlobBytes: opts.maxBlobBytes } : {}),
    ...(uploads ? { uploads } : {}),
  });
  return {
    match: matchRegistryRoute,
    access: registryRouteAccess,
    serve: (req, res, route, query, client) => api.serve(req, res, route, query, client),
    trustChanged: (gun) => {
      trust.invalidate(gun);
      gate?.changed(gun);
    },
    close: async () => {
      closeGate();
      await uploads?.stop();
    },
  };
}
