/**
 * `npm run bench:dashboard`: the dashboard's repositories page with 10,000 repositories, in
 * headless Chromium (test/browser/chromium.ts) against a real `dct server` process.
 *
 * - the repositories are written straight into the server's SQLite database before it starts
 *   (bench/server/repos.ts, as bench:server makes its 100,000), each a small valid repository;
 * - the dashboard's first use after the start is timed alone: the index is lazy, the first use
 *   reads every repository once (pages answer meanwhile with what is read so far, `indexing`);
 *   the first answer, and the time until the index is complete;
 * - time to first render, per round in a new browser context (cold: no cache, no cookies): from
 *   navigation start to the first repository row in the page and painted (a MutationObserver in
 *   the page, then the next animation frame), with the API request's own time from the page's
 *   Resource Timing; then the same page reloaded in that context (warm: the assets cached);
 * - the API's time per page from node (one keep-alive connection): the first page, the 100th
 *   page (its cursor; the last when there are fewer), a search, a sort by expiry.
 *
 * Medians and p95 of the rounds; RESULT lines; the machine's conditions. Nothing is asserted.
 *   npm run bench:dashboard [-- --repos N] [-- --rounds N]
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SqliteStore } from '../src/adapters/storage/sqlite-store.js';
import { CHROMIUM, chromiumMissing, launchChromium } from '../test/browser/chromium.js';
import { freePort, startDashboardServer } from '../test/browser/dashboard-server.js';
import { ensureUiBuilt } from '../test/browser/dashboard-world.js';
import { run } from '../test/support/reference-stack.js';
import { populateRepositories } from './server/repos.js';

const log = (m: string) => process.stderr.write(`[bench:dashboard] ${m}\n`);

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a whole number from 1`);
  return v;
}

function quantile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] as number;
}
const stats = (v: readonly number[]) => ({ median: quantile(v, 0.5), p95: quantile(v, 0.95), min: Math.min(...v), max: Math.max(...v) });
const fmt = (s: ReturnType<typeof stats>) =>
  `median ${s.median.toFixed(1)} ms, p95 ${s.p95.toFixed(1)} ms (min ${s.min.toFixed(1)}, max ${s.max.toFixed(1)})`;

/**
 * Run in the page before its scripts (a string: bench and tests are not compiled with the DOM's
 * types): the moment the first repository row is in the document, then painted (next frame).
 */
const FIRST_ROW = `
  window.__firstRow = new Promise((resolve) => {
    const check = () => {
      if (!document.querySelector('[data-testid="repo-row"]')) return false;
      requestAnimationFrame(() => resolve(performance.now()));
      return true;
    };
    const observer = new MutationObserver(() => check() && observer.disconnect());
    observer.observe(document, { subtree: true, childList: true });
  });
`;
/** what the page reports after the row appeared: first row, and the repositories request's timing */
const MEASURES = `(async () => {
  const firstRowMs = await window.__firstRow;
  const api = performance.getEntriesByType('resource').find((e) => e.name.includes('/ui/api/repositories'));
  const nav = performance.getEntriesByType('navigation')[0];
  return { firstRowMs, apiMs: api ? api.responseEnd - api.requestStart : -1, domContentLoadedMs: nav ? nav.domContentLoadedEventEnd : -1 };
})()`;

interface Round {
  firstRowMs: number;
  apiMs: number;
  domContentLoadedMs: number;
}

async function main(): Promise<void> {
  const repos = option('repos', 10_000);
  const rounds = option('rounds', 15);
  const missing = await chromiumMissing();
  if (missing) throw new Error(`bench:dashboard needs Chromium: ${missing}`);
  await ensureUiBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'dct-bench-dashboard-'));
  const cleanups: Array<() => Promise<void> | void> = [() => rmSync(dir, { recursive: true, force: true })];
  try {
    const dataDir = join(dir, 'server-data');
    mkdirSync(dataDir, { recursive: true });
    log(`writing ${repos} repositories into a new SQLite database …`);
    let t0 = performance.now();
    const store = await SqliteStore.open(join(dataDir, 'dct.db'));
    try {
      await populateRepositories(
        store,
        (i) => `bench/dashboard/repo-${String(i).padStart(6, '0')}`,
        repos,
        (n) => {
          if (n % 2000 === 0) log(`  ${n}`);
        },
      );
    } finally {
      await store.close();
    }
    const populateS = (performance.now() - t0) / 1000;
    const server = await startDashboardServer({ dir, port: await freePort() });
    cleanups.push(() => server.stop());
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: readFileSync(server.caFile) });
    cleanups.push(() => agent.destroy());
    const get = (path: string) =>
      new Promise<{ ms: number; body: string }>((resolve, reject) => {
        const start = performance.now();
        request(new URL(path, server.url), { agent }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () =>
            res.statusCode === 200
              ? resolve({ ms: performance.now() - start, body })
              : reject(new Error(`${path}: ${res.statusCode} ${body}`)),
          );
        })
          .on('error', reject)
          .end();
      });

    // the index is built on first use; meanwhile pages answer with `indexing` (what is read so far)
    t0 = performance.now();
    const firstAnswer = await get('/ui/api/repositories?limit=50');
    let page = JSON.parse(firstAnswer.body) as { total: number; indexing?: unknown };
    while (page.indexing !== undefined) {
      await new Promise((r) => setTimeout(r, 50));
      page = JSON.parse((await get('/ui/api/repositories?limit=50')).body) as typeof page;
    }
    const indexMs = performance.now() - t0;
    if (page.total !== repos) throw new Error(`the API counts ${page.total} repositories, ${repos} were written`);
    log(
      `first API answer ${firstAnswer.ms.toFixed(0)} ms; the index of ${page.total} repositories complete after ${indexMs.toFixed(0)} ms`,
    );

    // the 100th page's cursor, by following `next` (not timed)
    let cursor: string | undefined;
    let deep = 1;
    for (; deep < 100 && deep * 50 < repos; deep++) {
      const page = JSON.parse((await get(`/ui/api/repositories?limit=50${cursor ? `&cursor=${cursor}` : ''}`)).body) as {
        next?: string;
      };
      cursor = page.next ? encodeURIComponent(page.next) : undefined;
    }
    const apiCases = [
      { key: 'first-page', label: 'first page', path: '/ui/api/repositories?limit=50' },
      ...(cursor
        ? [{ key: `page-${deep}`, label: `page ${deep} (its cursor)`, path: `/ui/api/repositories?limit=50&cursor=${cursor}` }]
        : []),
      { key: 'search', label: 'search (q=repo-0042)', path: '/ui/api/repositories?limit=50&q=repo-0042' },
      { key: 'sort-expires', label: 'sorted by expiry, descending', path: '/ui/api/repositories?limit=50&sort=expires&order=desc' },
    ].map((c) => ({ ...c, ms: [] as number[] }));
    for (let r = 0; r < Math.max(30, rounds); r++) for (const c of apiCases) c.ms.push((await get(c.path)).ms);

    const chromium = await launchChromium();
    cleanups.push(() => chromium.close());
    const cold: Round[] = [];
    const warm: Round[] = [];
    log(`${rounds} rounds in Chromium …`);
    for (let r = 0; r < rounds + 1; r++) {
      const w = await chromium.open('desktop');
      try {
        await w.context.addInitScript(FIRST_ROW);
        await w.page.goto(`${server.url}/ui/repositories`, { waitUntil: 'commit' });
        const c = await w.page.evaluate<Round>(MEASURES);
        await w.page.reload({ waitUntil: 'commit' });
        const h = await w.page.evaluate<Round>(MEASURES);
        const problems = w.problems();
        if (problems.length > 0) throw new Error(`the page ran with problems: ${problems.join('; ')}`);
        if (r === 0) continue; // the first round warms the server's code paths and Chromium
        cold.push(c);
        warm.push(h);
      } finally {
        await w.close();
      }
    }
    const chromiumVersion = (await run(CHROMIUM, ['--version']).catch(() => ({ stdout: '?' }))).stdout.trim();
    const lines = [
      `bench:dashboard  ${repos} repositories (written in ${populateS.toFixed(1)} s), ${rounds} rounds; ${cpus().length} cores, ` +
        `load average ${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}, node ${process.version}, ${chromiumVersion}, ${new Date().toISOString()}`,
      '',
      `the dashboard's first use after the start: first API answer ${firstAnswer.ms.toFixed(0)} ms, index of every repository complete after ${indexMs.toFixed(0)} ms`,
      '',
      'time to first render of the repositories page (navigation start → first row painted):',
      `  cold (new context, nothing cached): ${fmt(stats(cold.map((r) => r.firstRowMs)))}`,
      `  warm (reload, assets cached):       ${fmt(stats(warm.map((r) => r.firstRowMs)))}`,
      `  its /ui/api/repositories request, in the page (cold): ${fmt(stats(cold.map((r) => r.apiMs)))}`,
      `  DOMContentLoaded (cold): ${fmt(stats(cold.map((r) => r.domContentLoadedMs)))}`,
      '',
      'API time per page (limit 50, node, one keep-alive connection):',
      ...apiCases.map((c) => `  ${c.label}: ${fmt(stats(c.ms))}`),
      '',
      `RESULT dashboard.first-render.cold median_ms=${stats(cold.map((r) => r.firstRowMs)).median.toFixed(1)} p95_ms=${stats(cold.map((r) => r.firstRowMs)).p95.toFixed(1)}`,
      `RESULT dashboard.first-render.warm median_ms=${stats(warm.map((r) => r.firstRowMs)).median.toFixed(1)} p95_ms=${stats(warm.map((r) => r.firstRowMs)).p95.toFixed(1)}`,
      ...apiCases.map(
        (c) => `RESULT dashboard.api.${c.key} median_ms=${stats(c.ms).median.toFixed(2)} p95_ms=${stats(c.ms).p95.toFixed(2)}`,
      ),
      `RESULT dashboard.index-build ms=${indexMs.toFixed(0)}`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    for (const c of cleanups.reverse()) await c();
  }
}

await main();
