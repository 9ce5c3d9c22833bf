/**
 * `dct server` against the real notary-server, with nginx (static files) as the
 * ceiling, in one run on this machine: same TLS certificate and key for all
 * three, same load generator, measured alternately; only ratios are compared.
 *
 *   GET timestamp.json / targets.json (100 targets): wrk -t1 -c16, loopback TLS,
 *     rounds of dct, notary, nginx (order rotating); median of the paired ratios
 *   publish latency: sequential uploads of pre-signed targets versions through
 *     NotaryClient (server-managed snapshot: the server signs snapshot and timestamp)
 *   RSS: a dct server on a database of 100,000 small repositories after one GET of
 *     each repository's timestamp.json (VmRSS from /proc; the read cache is bounded)
 *   node floor: a bare node:https server with the same bytes, in every GET round
 *     (--no-node-floor leaves it out): how much of the gap is node's own stack
 *
 * Usage: npm run bench:server [-- --json] [-- --rounds N] [-- --duration S] …  (see bench/README.md)
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { NotaryClient } from '../src/adapters/notary-http/notary-client.js';
import { ensureReferenceTools, startReferenceStack, type ReferenceStack } from '../test/support/reference-stack.js';
import {
  buildDct,
  ensureDebianTools,
  log,
  memoryOf,
  startDct,
  startNginx,
  startNodeFloor,
  type DctProcess,
  type NginxProcess,
} from './server/processes.js';
import { presignTargetsChain, publishRepository, type PublishedRepository } from './server/repos.js';
import { parseArgs } from './server/options.js';
import { publishLatency, type PublishResult, type PublishTarget } from './server/publish-latency.js';
import { report } from './server/report.js';
import { rssWithRepositories, type RssResult } from './server/rss.js';
import { throughput, type Target, type ThroughputRow } from './server/throughput.js';

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const cleanups: Array<() => Promise<void> | void> = [];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch((err: unknown) => log(`cleanup: ${(err as Error).message}`));
    cleanups.length = 0;
  };
  const onSignal = () => void cleanup().then(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    await ensureDebianTools({ wrk: 'wrk', nginx: 'nginx' });
    const missing = await ensureReferenceTools();
    if (missing) throw new Error(`the reference notary-server is needed: ${missing}`);

    log('compiling dct (tsconfig.build.json) into a temp folder …');
    const build = await buildDct();
    cleanups.push(() => build.cleanup());

    log('starting the reference notary-server (LOG_LEVEL=warn) …');
    const stack: ReferenceStack = await startReferenceStack({ logLevel: 'warn' });
    cleanups.push(() => stack.stop());
    // one certificate and key for all three servers: notary-server's own, from the reference CA
    const tls = {
      cert: join(stack.stateDir, 'tls', 'notary-server.crt'),
      key: join(stack.stateDir, 'tls', 'notary-server.key'),
      ca: stack.caFile,
    };

    const dctDir = mkdtempSync(join(tmpdir(), 'dct-bench-server-'));
    cleanups.push(() => rmSync(dctDir, { recursive: true, force: true }));
    log('starting dct server (SQLite, --log-level warn) …');
    const dct: DctProcess = await startDct({
      main: build.main,
      storage: `sqlite:${join(dctDir, 'dct.db')}`,
      dataDir: dctDir,
      tlsCert: tls.cert,
      tlsKey: tls.key,
      passphrase: 'bench-server-keys',
      workers: opts.dctWorkers,
    });
    cleanups.push(() => dct.stop());

    const clients = {
      dct: new NotaryClient({ baseUrl: dct.url, caFile: tls.ca, timeoutMs: 30_000 }),
      notary: new NotaryClient({ baseUrl: stack.serverUrl, caFile: tls.ca, timeoutMs: 30_000 }),
    };
    cleanups.push(() => {
      clients.dct.close();
      clients.notary.close();
    });

    const gun = `bench/server-${randomBytes(4).toString('hex')}/hundred`;
    log(`publishing ${gun} (100 targets, server-managed snapshot) to both servers …`);
    const repos = { dct: await publishRepository(clients.dct, gun, 100), notary: await publishRepository(clients.notary, gun, 100) };
    const served = {
      dct: { ts: await clients.dct.getMetadata(gun, 'timestamp'), targets: await clients.dct.getMetadata(gun, 'targets') },
      notary: { ts: await clients.notary.getMetadata(gun, 'timestamp'), targets: await clients.notary.getMetadata(gun, 'targets') },
    };

    log(`starting nginx (${opts.nginxWorkers} worker) with copies of dct's files …`);
    const staticFiles = {
      [`/v2/${gun}/_trust/tuf/timestamp.json`]: served.dct.ts,
      [`/v2/${gun}/_trust/tuf/targets.json`]: served.dct.targets,
    };
    const nginx: NginxProcess = await startNginx({
      files: staticFiles,
      tlsCert: tls.cert,
      tlsKey: tls.key,
      workers: opts.nginxWorkers,
    });
    cleanups.push(() => nginx.stop());
    const viaNginx = new NotaryClient({ baseUrl: nginx.url, caFile: tls.ca });
    if (!(await viaNginx.getMetadata(gun, 'timestamp')).equals(served.dct.ts))
      throw new Error('nginx does not serve the copied timestamp.json');
    viaNginx.close();

    const targets: Target[] = [
      { name: 'dct', url: dct.url },
      { name: 'notary', url: stack.serverUrl },
      { name: 'nginx', url: nginx.url },
    ];
    if (opts.nodeFloor) {
      log('starting the node floor (bare node:https, same bytes) …');
      // the same response as dct's: its headers (the ones notary-server sends), not only the bytes
      const headers = Object.fromEntries(
        await Promise.all(Object.keys(staticFiles).map(async (path) => [path, await responseHeaders(dct.url + path, tls.ca)] as const)),
      );
      const floor = await startNodeFloor({ files: staticFiles, headers, tlsCert: tls.cert, tlsKey: tls.key });
      cleanups.push(() => floor.cleanup());
      cleanups.push(() => floor.stop());
      targets.push({ name: 'node', url: floor.url });
    }
    const wrkSeconds = 2 * targets.length * (opts.warmupS + opts.rounds * opts.durationS);
    const rows: ThroughputRow[] = [];
    if (!opts.skipGet) {
      log(`GET throughput: wrk -t1 -c${opts.connections} -d${opts.durationS}s, ${opts.rounds} rounds (~${Math.round(wrkSeconds)} s) …`);
      rows.push(await throughput('timestamp.json', gun, targets, { dct: served.dct.ts.length, notary: served.notary.ts.length }, opts));
      rows.push(
        await throughput('targets.json', gun, targets, { dct: served.dct.targets.length, notary: served.notary.targets.length }, opts),
      );
    }

    async function publishRounds(): Promise<PublishResult> {
      // notary-server keeps its data in memory; dct commits each publish to SQLite with an fsync.
      // A second dct on tmpfs shows what the publish costs without the disk (informational).
      const publishClients: Partial<Record<PublishTarget, NotaryClient>> = { dct: clients.dct, notary: clients.notary };
      const publishRepos = { dct: repos.dct, notary: repos.notary } as Partial<Record<PublishTarget, PublishedRepository>>;
      if (existsSync('/dev/shm')) {
        const shmDir = mkdtempSync(join('/dev/shm', 'dct-bench-publish-'));
        cleanups.push(() => rmSync(shmDir, { recursive: true, force: true }));
        const dctTmpfs = await startDct({
          main: build.main,
          storage: `sqlite:${join(shmDir, 'dct.db')}`,
          dataDir: shmDir,
          tlsCert: tls.cert,
          tlsKey: tls.key,
          passphrase: 'bench-server-keys',
        });
        cleanups.push(() => dctTmpfs.stop());
        const client = new NotaryClient({ baseUrl: dctTmpfs.url, caFile: tls.ca, timeoutMs: 30_000 });
        cleanups.push(() => client.close());
        publishClients['dct-tmpfs'] = client;
        publishRepos['dct-tmpfs'] = await publishRepository(client, gun, 100);
      }
      // a server runs for long: latency is measured once the JIT has compiled the publish path (Go has no warm-up)
      const warmupPublishes = opts.publishWarmup;
      const chainLength = warmupPublishes + opts.rounds * opts.publishes;
      log(`publish latency: signing ${chainLength} targets versions per server ahead …`);
      const chains: Partial<Record<PublishTarget, Array<Array<{ role: string; bytes: Buffer }>>>> = {};
      for (const [name, repo] of Object.entries(publishRepos) as Array<[PublishTarget, PublishedRepository]>)
        chains[name] = await presignTargetsChain(repo, chainLength);
      return publishLatency(publishClients, chains, gun, opts, warmupPublishes);
    }

    let publish: PublishResult | undefined;
    if (!opts.skipPublish) publish = await publishRounds();
    const dctAfterLoad = memoryOf(dct.pid);
    let rss: RssResult | undefined;
    if (!opts.skipRss) rss = await rssWithRepositories(build, tls, opts, cleanups);

    report({
      opts,
      elapsedS: (performance.now() - started) / 1000,
      trustService: stack.trustService,
      targets,
      rows,
      publish,
      dctAfterLoad,
      rss,
    });
  } finally {
    await cleanup();
  }
}

/** The headers of a GET as the server wrote them (names as sent), but those node writes by itself (Date, Connection, Keep-Alive). */
function responseHeaders(url: string, caFile: string): Promise<Record<string, string | number>> {
  return new Promise((resolve, reject) => {
    get(url, { ca: readFileSync(caFile) }, (res) => {
      res.resume();
      const out: Record<string, string | number> = {};
      const raw = res.rawHeaders;
      for (let i = 0; i + 1 < raw.length; i += 2) {
        const [name, value] = [raw[i] as string, raw[i + 1] as string];
        if (['date', 'connection', 'keep-alive'].includes(name.toLowerCase())) continue;
        // (a number, as dct passes it)
        out[name] = name.toLowerCase() === 'content-length' ? Number(value) : value;
      }
      if (res.statusCode !== 200) reject(new Error(`GET ${url}: ${res.statusCode}`));
      else resolve(out);
    }).on('error', reject);
  });
}

try {
  await main();
} catch (err) {
  process.stderr.write(`bench:server failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
}
