/**
 * `dct server --workers N`: N processes serve one listening socket (node
 * cluster, connections spread by the kernel). They share the storage; each
 * keeps its own read cache, so every local write is relayed through the
 * primary to the other workers, which drop their cached answers for that
 * repository (PostgreSQL replicas on other machines learn through NOTIFY).
 */
import cluster, { type Worker } from 'node:cluster';
import { mkdir } from 'node:fs/promises';
import type { Logger } from 'pino';
import { openStore } from '../adapters/storage/open-store.js';
import { ensureSelfSignedTls } from '../adapters/tls/self-signed.js';
import { parseListen, type ServerConfig } from './config.js';
import { keyPassphrase, startServer, type RunningServer } from './start-server.js';

interface Message {
  type: 'invalidate' | 'listening';
  gun?: string;
  url?: string;
  caFile?: string;
}

export const isClusterWorker = (): boolean => cluster.isWorker;

/** In a worker: the server, wired to its peers through the primary. */
export function startClusterWorker(config: ServerConfig, env: Record<string, string | undefined>, log: Logger): Promise<RunningServer> {
  const send = (m: Message) => process.send?.(m);
  return startServer(config, env, log, {
    publish: (gun) => send({ type: 'invalidate', gun }),
    subscribe: (listener) =>
      process.on('message', (m: Message) => {
        if (m?.type === 'invalidate' && typeof m.gun === 'string') listener(m.gun);
      }),
  }).then((running) => {
    send({ type: 'listening', url: running.url, ...(running.caFile ? { caFile: running.caFile } : {}) });
    return running;
  });
}

/**
 * In the primary: makes what workers must not race to create (data folder,
 * TLS files, key passphrase, schema), forks the workers and relays changes.
 * Resolves with the address once the first worker listens.
 */
export async function startClusterPrimary(
  config: ServerConfig,
  env: Record<string, string | undefined>,
  log: Logger,
): Promise<RunningServer> {
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  if (config.tlsSelfSigned && !config.tlsCert) {
    const { host } = parseListen(config.listen);
    await ensureSelfSignedTls(config.dataDir, [
      ...new Set(['localhost', '127.0.0.1', '::1', ...(host && host !== '0.0.0.0' && host !== '::' ? [host] : [])]),
    ]);
  }
  if (!config.signerUrl) await keyPassphrase(config, env, log);
  await (await openStore(config.storage)).close(); // migrations run once, here

  cluster.schedulingPolicy = cluster.SCHED_NONE; // the kernel spreads connections
  const workers: Worker[] = [];
  let stopping = false;
  let firstListening: (m: Message) => void = () => undefined;
  const listening = new Promise<Message>((resolve) => (firstListening = resolve));
  const fork = () => {
    const worker = cluster.fork();
    workers.push(worker);
    worker.on('message', (m: Message) => {
      if (m?.type === 'listening') firstListening(m);
      if (m?.type === 'invalidate') for (const other of workers) if (other !== worker && other.isConnected()) other.send(m);
    });
    worker.on('exit', (code, signal) => {
      workers.splice(workers.indexOf(worker), 1);
      if (stopping) return;
      log.error({ code, signal }, 'a server worker exited: starting another');
      fork();
    });
  };
  for (let i = 0; i < config.workers; i++) fork();
  const first = await listening;
  log.info({ url: first.url, workers: config.workers }, 'dct server workers listening');
  return {
    url: first.url as string,
    ...(first.caFile ? { caFile: first.caFile } : {}),
    close: async () => {
      stopping = true;
      await Promise.all(
        workers.map(
          (w) =>
            new Promise<void>((resolve) => {
              w.once('exit', () => resolve());
              w.process.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}
