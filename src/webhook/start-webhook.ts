/**
 * Composition root of the Kubernetes admission webhook (`dct admission`): an HTTPS server whose
 * certificate and key are reloaded when their files change (cert-manager renews them in place),
 * the admission use case over the policy, and the policy file watched: a changed file is
 * reloaded, a broken one logged and the policy in force kept. The server listens at once
 * (`/healthz`); it is ready (`/readyz`) once a policy has loaded.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createSecureContext } from 'node:tls';
import { destination, pino, type Logger } from 'pino';
import { AdmissionController, type AdmissionRecord, type AdmissionSettings } from '../app/admission/admission-controller.js';
import { DctError } from '../core/errors.js';
import type { ImageDecider } from '../core/policy/decision.js';
import type { PullSecretSource } from '../core/policy/pull-credentials.js';
import { watchContent, type ContentWatcher } from '../adapters/fs-watch/content-watcher.js';
import { createWebhookHandler } from './webhook-handler.js';
import { WebhookMetrics } from './webhook-metrics.js';

/** A loaded policy: its decider, and how to load the file again (throws, keeping the policy, when the new file is bad). */
export interface PolicyHandle {
  decider: ImageDecider;
  reload(): Promise<void>;
}

export interface WebhookOptions {
  host: string;
  port: number;
  tlsCertFile: string;
  tlsKeyFile: string;
  /** the policy file, watched for changes */
  policyFile: string;
  /** loads the policy file (the first time, and again while no load has succeeded) */
  loadPolicy(): Promise<PolicyHandle>;
  settings: AdmissionSettings;
  log?: Logger;
  /** polling interval of the file watch fallback (ms, default 2000) */
  pollMs?: number;
  /** the audit feed: every review that is not a dry run */
  audit?: (record: AdmissionRecord) => void;
  /** the cluster's image pull secrets (absent: the webhook's own registry credentials only) */
  pullSecrets?: PullSecretSource;
}

export interface RunningWebhook {
  url: string;
  port: number;
  metrics: WebhookMetrics;
  /** resolves once the first policy load has been tried: true when it loaded */
  policyLoaded: Promise<boolean>;
  ready(): boolean;
  close(): Promise<void>;
}

async function readTls(certFile: string, keyFile: string): Promise<{ cert: Buffer; key: Buffer }> {
  let cert: Buffer;
  let key: Buffer;
  try {
    [cert, key] = await Promise.all([readFile(certFile), readFile(keyFile)]);
  } catch (err) {
    throw new DctError('ADMISSION_TLS_INVALID', `cannot read the TLS certificate or key: ${(err as Error).message}`, { cause: err });
  }
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new DctError(
      'ADMISSION_TLS_INVALID',
      `the TLS certificate ${certFile} and key ${keyFile} do not make a pair: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return { cert, key };
}

export async function startWebhook(opts: WebhookOptions): Promise<RunningWebhook> {
  const log = opts.log ?? pino({ name: 'dct-admission' }, destination(2));
  const pollMs = opts.pollMs ?? 2000;
  const metrics = new WebhookMetrics();
  const tls = await readTls(opts.tlsCertFile, opts.tlsKeyFile);

  let policy: PolicyHandle | undefined;
  let notReady = 'the policy is loading';
  const controller = new AdmissionController(
    () => policy?.decider,
    opts.settings,
    {
      cache: (o) => metrics.cacheOutcome(o),
      image: (o) => metrics.image(o),
      reviewed: (r) =>
        log.info(
          {
            uid: r.uid,
            endpoint: r.endpoint,
            kind: r.kind,
            namespace: r.namespace,
            name: r.name,
            operation: r.operation,
            user: r.user,
            dryRun: r.dryRun,
            allowed: r.allowed,
            exempt: r.exempt,
            patched: r.patched,
            pullSecretProblems: r.pullSecretProblems,
            images: r.images.map((i) => ({
              image: i.image,
              verdict: i.verdict,
              cache: i.cache,
              ms: Math.round(i.ms),
              error: i.error?.message,
            })),
          },
          'admission review',
        ),
      ...(opts.audit ? { audit: opts.audit } : {}),
      revalidateError: (image, err) =>
        log.warn({ image, err }, 'admission: revalidating a cached decision failed; the stale one is served until it expires'),
    },
    Date.now,
    opts.pullSecrets,
  );

  const loadOrReload = async (): Promise<void> => {
    try {
      if (policy) await policy.reload();
      else policy = await opts.loadPolicy();
      controller.invalidate();
      metrics.policyLoad(true, true);
      log.info({ policy: opts.policyFile }, 'admission: policy loaded');
    } catch (err) {
      metrics.policyLoad(false, policy !== undefined);
      const message = err instanceof Error ? err.message : String(err);
      if (!policy) notReady = `the policy ${opts.policyFile} did not load: ${message}`;
      log.error(
        { policy: opts.policyFile, err },
        policy ? `admission: the changed policy did not load; the previous policy stays in force: ${message}` : `admission: ${notReady}`,
      );
    }
  };

  // one load at a time: the first and a change seen meanwhile do not both load
  let loads = Promise.resolve();
  const load = (): Promise<void> => (loads = loads.then(loadOrReload));

  const server: Server = createServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 65_000;
  server.on(
    'request',
    createWebhookHandler({
      controller,
      metrics,
      log,
      maxBodyBytes: opts.settings.maxReviewBytes,
      readiness: { ready: () => policy !== undefined, reason: () => notReady },
    }),
  );
  server.on('tlsClientError', (err) => log.debug({ err }, 'admission: TLS handshake failed'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  const watchers: ContentWatcher[] = [];
  const closeAll = async (): Promise<void> => {
    for (const w of watchers) w.close();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  };
  try {
    watchers.push(
      await watchContent([opts.policyFile], load, { pollMs, onError: (err) => log.warn({ err }, 'admission: watching the policy file') }),
      await watchContent(
        [opts.tlsCertFile, opts.tlsKeyFile],
        async () => {
          try {
            server.setSecureContext(await readTls(opts.tlsCertFile, opts.tlsKeyFile));
            log.info({ cert: opts.tlsCertFile }, 'admission: TLS certificate reloaded');
          } catch (err) {
            log.error(
              { err },
              `admission: the changed TLS certificate did not load; the previous one stays in use: ${(err as Error).message}`,
            );
          }
        },
        { pollMs, onError: (err) => log.warn({ err }, 'admission: watching the TLS files') },
      ),
    );
  } catch (err) {
    await closeAll();
    throw err;
  }

  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const policyLoaded = load().then(() => policy !== undefined);
  log.info({ url: `https://${host}:${address.port}` }, 'admission webhook listening');
  return {
    url: `https://${host}:${address.port}`,
    port: address.port,
    metrics,
    policyLoaded,
    ready: () => policy !== undefined,
    close: closeAll,
  };
}
