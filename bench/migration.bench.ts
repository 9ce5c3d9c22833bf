/**
 * `npm run bench:migration` (issue 14): `dct trust export` of a 10,000-tag repository with two
 * delegations and `dct trust verify-bundle` of the bundle (offline), whole process, against
 * `notary list` of the same repository on the same server, in one run on this machine.
 *
 * The repository is made docker's way (server-managed snapshot; `targets/releases` and
 * `targets/alice`, every tag signed into both) by dct's client library in one publish, on the
 * real notary-server (the reference stack) and on `dct server` (the compiled CLI, SQLite).
 * Each round runs, order rotating: `notary list` with an empty trust dir (cold: everything
 * downloaded and verified), `dct trust export GUN -o NEW.tar` (the bundled CLI, as installed;
 * a fresh docker config), `dct trust verify-bundle` of that round's bundle. Medians of the
 * per-round ratios are printed, with RESULT lines.
 *
 * Usage: npm run bench:migration [-- --json] [-- --rounds N] [-- --tags N] [-- --servers notary,dct]
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ensureReferenceTools, startReferenceStack, type ReferenceStack } from '../test/support/reference-stack.js';
import { makeDockerStyleRepository } from './docker-style-repository.js';
import { median, parseBenchFlags } from './shared/command-line.js';
import { buildDct, run, startDct, type DctBuild, type DctProcess } from './server/processes.js';

type ServerName = 'notary' | 'dct';

interface Options {
  json: boolean;
  rounds: number;
  tags: number;
  servers: ServerName[];
}

const USAGE = 'usage: npm run bench:migration -- [--json] [--rounds N (5)] [--tags N (10000)] [--servers notary,dct]';

function parseArgs(argv: string[]): Options {
  const flags = parseBenchFlags(argv, { count: ['rounds', 'tags'], text: ['servers'], switch: ['json'] }, USAGE);
  const servers = (flags.texts.get('servers') ?? 'notary,dct').split(',');
  if (servers.some((s) => s !== 'notary' && s !== 'dct')) throw new Error(`--servers takes notary,dct\n${USAGE}`);
  return {
    json: flags.switches.has('json'),
    rounds: flags.counts.get('rounds') ?? 5,
    tags: flags.counts.get('tags') ?? 10_000,
    servers: servers as ServerName[],
  };
}

function log(message: string): void {
  process.stderr.write(`[bench:migration] ${message}\n`);
}

const PASS = 'bench-migration-pass';

interface TrustServer {
  name: ServerName;
  url: string;
  caFile: string;
}

interface Row {
  server: ServerName;
  notaryListMs: number;
  exportMs: number;
  verifyMs: number;
  exportRatio: number;
  verifyRatio: number;
  bundleBytes: number;
}

/** Every round: notary list (cold), dct trust export, dct trust verify-bundle; order rotating. */
async function measure(server: TrustServer, gun: string, build: DctBuild, opts: Options, work: string): Promise<Row> {
  const host = new URL(server.url).host;
  const env = (dir: string) => ({ PATH: process.env['PATH'] ?? '', HOME: dir, DOCKER_CONFIG: join(dir, 'docker') });
  const fresh = (name: string) => {
    const dir = join(work, name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, 'docker', 'tls', host), { recursive: true });
    cpSync(server.caFile, join(dir, 'docker', 'tls', host, 'ca.crt'));
    return dir;
  };
  const bundleOf = (round: number) => join(work, `${server.name}-${round}.tar`);
  const ops: Record<string, (round: number) => Promise<void>> = {
    'notary list': async () => {
      const dir = fresh('notary');
      const r = await run('notary', ['-s', server.url, '--tlscacert', server.caFile, '-d', join(dir, 'notary'), 'list', gun], {
        env: env(dir),
        timeoutMs: 300_000,
      });
      const rows = r.stdout.split('\n').filter((l) => /^v\d+\s/.test(l)).length;
      if (rows !== opts.tags) throw new Error(`notary list printed ${rows} tags, not ${opts.tags}`);
    },
    'dct trust export': async (round) => {
      const dir = fresh('export');
      const args = [build.bin, 'trust', 'export', gun, '--server', server.url, '-o', bundleOf(round)];
      const r = await run(process.execPath, args, { env: env(dir), timeoutMs: 300_000 });
      if (!r.stdout.includes(`${opts.tags} tags`)) throw new Error(`dct trust export said:\n${r.stdout}`);
    },
    'dct trust verify-bundle': async (round) => {
      const dir = fresh('verify');
      const r = await run(process.execPath, [build.bin, 'trust', 'verify-bundle', bundleOf(round)], { env: env(dir), timeoutMs: 300_000 });
      if (!r.stdout.includes(`${opts.tags} tags`) || !r.stdout.includes('Verified: 1 repository')) {
        throw new Error(`dct trust verify-bundle said:\n${r.stdout}`);
      }
    },
  };
  // verify needs the round's bundle: export always runs before verify, notary list rotates around them
  const orders = [
    ['notary list', 'dct trust export', 'dct trust verify-bundle'],
    ['dct trust export', 'notary list', 'dct trust verify-bundle'],
    ['dct trust export', 'dct trust verify-bundle', 'notary list'],
  ];
  const times: Record<string, number[]> = { 'notary list': [], 'dct trust export': [], 'dct trust verify-bundle': [] };
  for (let round = 0; round < opts.rounds; round++) {
    for (const name of orders[round % orders.length]!) {
      const t0 = performance.now();
      await ops[name]!(round);
      times[name]!.push(performance.now() - t0);
    }
    log(`${server.name}: round ${round + 1}/${opts.rounds} done`);
  }
  const ratios = (a: string) => median(times[a]!.map((x, i) => x / times['notary list']![i]!));
  return {
    server: server.name,
    notaryListMs: median(times['notary list']!),
    exportMs: median(times['dct trust export']!),
    verifyMs: median(times['dct trust verify-bundle']!),
    exportRatio: ratios('dct trust export'),
    verifyRatio: ratios('dct trust verify-bundle'),
    bundleBytes: statSync(bundleOf(0)).size,
  };
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const missing = await ensureReferenceTools();
  if (missing) throw new Error(`the reference tools are needed: ${missing}`);
  log('building dct…');
  const build = await buildDct();
  const work = mkdtempSync(join(tmpdir(), 'dct-bench-migration-'));
  let stack: ReferenceStack | undefined;
  let dct: DctProcess | undefined;
  try {
    log('starting the real notary-server…');
    stack = await startReferenceStack({ logLevel: 'error' });
    const servers: TrustServer[] = [];
    if (opts.servers.includes('notary')) servers.push({ name: 'notary', url: stack.serverUrl, caFile: stack.caFile });
    if (opts.servers.includes('dct')) {
      log('starting dct server (SQLite)…');
      const dataDir = join(work, 'dct-server');
      mkdirSync(dataDir, { recursive: true });
      dct = await startDct({
        main: build.main,
        storage: `sqlite:${join(dataDir, 'dct.db')}`,
        dataDir,
        // notary-server's certificate from the reference CA (for 127.0.0.1) serves dct server too
        tlsCert: join(stack.stateDir, 'tls', 'notary-server.crt'),
        tlsKey: join(stack.stateDir, 'tls', 'notary-server.key'),
        passphrase: 'bench-migration-keys',
      });
      servers.push({ name: 'dct', url: dct.url, caFile: stack.caFile });
    }
    const rows: Row[] = [];
    for (const server of servers) {
      const gun = `127.0.0.1:${stack.registryPort}/bench/migration-${process.pid}`;
      log(`${server.name}: signing ${opts.tags} tags into ${gun} (targets/releases + targets/alice)…`);
      await makeDockerStyleRepository({
        serverUrl: server.url,
        caFile: server.caFile,
        gun,
        count: opts.tags,
        passphrase: PASS,
        timeoutMs: 120_000,
      });
      rows.push(await measure(server, gun, build, opts, work));
    }
    if (opts.json) {
      process.stdout.write(JSON.stringify({ tags: opts.tags, rounds: opts.rounds, rows }, null, 2) + '\n');
      return;
    }
    process.stdout.write(`\n${opts.tags} tags, 2 delegations, ${opts.rounds} rounds, whole process, medians\n\n`);
    process.stdout.write('server   notary list   dct trust export (ratio)   dct trust verify-bundle (ratio)   bundle\n');
    for (const r of rows) {
      process.stdout.write(
        `${r.server.padEnd(9)}${r.notaryListMs.toFixed(0).padStart(8)} ms   ${r.exportMs.toFixed(0).padStart(8)} ms (${r.exportRatio.toFixed(2)}×)` +
          `        ${r.verifyMs.toFixed(0).padStart(8)} ms (${r.verifyRatio.toFixed(2)}×)          ${(r.bundleBytes / 1024 / 1024).toFixed(1)} MiB\n`,
      );
    }
    process.stdout.write('\n');
    for (const r of rows) {
      process.stdout.write(`RESULT migration.${r.server}.export.vs-notary-list ratio=${r.exportRatio.toFixed(3)}\n`);
      process.stdout.write(`RESULT migration.${r.server}.verify-bundle.vs-notary-list ratio=${r.verifyRatio.toFixed(3)}\n`);
    }
  } finally {
    await dct?.stop();
    await stack?.stop();
    build.cleanup();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:migration failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
