/**
 * Memory of the server benchmark: a dct server on a database of many small
 * repositories after one GET of each repository's timestamp.json (VmRSS from
 * /proc), with its read cache's size from /metrics.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { NotaryClient } from '../../src/adapters/notary-http/notary-client.js';
import { SqliteStore } from '../../src/adapters/storage/sqlite-store.js';
import { log, memoryOf, startDct, type DctBuild } from './processes.js';
import { populateRepositories } from './repos.js';
import type { Options } from './options.js';
import { MB } from './stats.js';

export interface RssResult {
  repositories: number;
  populateSeconds: number;
  getSeconds: number;
  idleMB: number;
  rssMB: number;
  peakMB: number;
  /** the server's read cache when measured (its /metrics) */
  readCache: { entries: number; mb: number; maxMB: number; evictions: number };
}

export async function rssWithRepositories(
  build: DctBuild,
  tls: { cert: string; key: string; ca: string },
  opts: Options,
  cleanups: Array<() => Promise<void> | void>,
): Promise<RssResult> {
  // on tmpfs when there is one: the writes need no fsync there, and where the file lives does not change the RSS
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'dct-bench-rss-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const gunOf = (i: number) => `bench/rss/repo-${String(i).padStart(6, '0')}`;
  log(`writing ${opts.repos} repositories into a new SQLite database …`);
  let t0 = performance.now();
  const store = await SqliteStore.open(join(dir, 'dct.db'));
  try {
    await populateRepositories(store, gunOf, opts.repos, (n) => log(`  ${n} repositories`));
  } finally {
    await store.close();
  }
  const populateSeconds = (performance.now() - t0) / 1000;
  const server = await startDct({
    main: build.main,
    storage: `sqlite:${join(dir, 'dct.db')}`,
    dataDir: dir,
    tlsCert: tls.cert,
    tlsKey: tls.key,
    passphrase: 'bench-server-keys',
  });
  cleanups.push(() => server.stop());
  await new Promise((r) => setTimeout(r, 500));
  const idle = memoryOf(server.pid);
  log(`GET timestamp.json of each of the ${opts.repos} repositories (16 at a time) …`);
  const client = new NotaryClient({ baseUrl: server.url, caFile: tls.ca, timeoutMs: 30_000 });
  t0 = performance.now();
  let nextIndex = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (nextIndex < opts.repos) {
        const i = nextIndex++;
        await client.getMetadata(gunOf(i), 'timestamp');
      }
    }),
  );
  const getSeconds = (performance.now() - t0) / 1000;
  client.close();
  await new Promise((r) => setTimeout(r, 500));
  const after = memoryOf(server.pid);
  const metrics = await httpsText(`${server.url}/metrics`, readFileSync(tls.ca));
  const gauge = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN);
  const readCache = {
    entries: gauge('dct_read_cache_entries'),
    mb: MB(gauge('dct_read_cache_bytes') / 1024 / 1024),
    maxMB: MB(gauge('dct_read_cache_max_bytes') / 1024 / 1024),
    evictions: gauge('dct_read_cache_evictions_total'),
  };
  await server.stop();
  return {
    repositories: opts.repos,
    populateSeconds,
    getSeconds,
    idleMB: MB(idle.rssMiB),
    rssMB: MB(after.rssMiB),
    peakMB: MB(after.peakMiB),
    readCache,
  };
}

export function httpsText(url: string, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    httpsGet(url, { ca }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve(text));
      res.on('error', reject);
    }).on('error', reject);
  });
}
