/**
 * `dct trust inspect` against `docker trust inspect` and `notary list`, whole
 * process (start, TLS, download, verify, print), on one repository with 10,000
 * signed tags served by the real notary-server, in one run on this machine.
 *
 * The repository is made docker's way (server-managed snapshot, `targets/releases`
 * + `targets/alice`, every tag signed into both) by dct's client against the real
 * notary-server. Each round runs every command once with an empty trust dir (cold:
 * everything is downloaded and verified) and once with the cache the cold run left
 * (warm: only timestamp.json is fetched), order rotating; medians of the paired
 * ratios are printed. Goal: dct ≤ 0.5× of both.
 *
 * Usage: npm run bench:client [-- --json] [-- --rounds N] [-- --tags N]
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ensureReferenceTools, startReferenceStack } from '../test/support/reference-stack.js';
import { makeDockerStyleRepository } from './docker-style-repository.js';
import { median, parseBenchFlags } from './shared/command-line.js';
import { buildDct, log, run, type DctBuild } from './server/processes.js';

interface Options {
  json: boolean;
  rounds: number;
  tags: number;
  /** write a V8 CPU profile of every dct run into <dir>/cold and <dir>/warm (slows dct down: times are then not comparable) */
  cpuProf: string | undefined;
}

const USAGE = 'usage: npm run bench:client -- [--json] [--rounds N (5)] [--tags N (10000)] [--cpu-prof DIR]';

function parseArgs(argv: string[]): Options {
  const flags = parseBenchFlags(argv, { count: ['rounds', 'tags'], text: ['cpu-prof'], switch: ['json'] }, USAGE);
  const cpuProf = flags.texts.get('cpu-prof');
  return {
    json: flags.switches.has('json'),
    rounds: flags.counts.get('rounds') ?? 5,
    tags: flags.counts.get('tags') ?? 10_000,
    cpuProf: cpuProf === undefined ? undefined : resolve(cpuProf),
  };
}

const PASS = 'bench-client-pass';

interface Tool {
  name: string;
  /** runs the command with the given (empty or warm) state dir; returns its stdout */
  run(stateDir: string, cache: 'cold' | 'warm'): Promise<string>;
  prepare(stateDir: string): void;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const missing = await ensureReferenceTools();
  if (missing) throw new Error(`the reference tools are needed: ${missing}`);
  log('building dct…');
  const build: DctBuild = await buildDct();
  log('starting the real notary-server…');
  const stack = await startReferenceStack({ logLevel: 'error' });
  const work = mkdtempSync(join(tmpdir(), 'dct-bench-client-'));
  const host = new URL(stack.serverUrl).host;
  try {
    const gun = `127.0.0.1:${stack.registryPort}/bench/client-${process.pid}`;
    log(`signing ${opts.tags} tags into ${gun}…`);
    await makeDockerStyleRepository({ serverUrl: stack.serverUrl, caFile: stack.caFile, gun, count: opts.tags, passphrase: PASS });

    const env = (dir: string) => ({
      PATH: process.env['PATH'] ?? '',
      HOME: dir,
      DOCKER_CONFIG: join(dir, 'docker'),
      DOCKER_CONTENT_TRUST_SERVER: stack.serverUrl,
    });
    const dockerConfig = (dir: string) => {
      mkdirSync(join(dir, 'docker', 'tls', host), { recursive: true });
      cpSync(stack.caFile, join(dir, 'docker', 'tls', host, 'ca.crt'));
    };
    const tools: Tool[] = [
      {
        name: 'dct trust inspect',
        prepare: dockerConfig,
        run: async (dir, cache) => {
          const prof = opts.cpuProf === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', join(opts.cpuProf, cache)];
          return (await run(process.execPath, [...prof, build.bin, 'trust', 'inspect', gun], { env: env(dir), timeoutMs: 120_000 })).stdout;
        },
      },
      {
        name: 'docker trust inspect',
        prepare: dockerConfig,
        run: async (dir) => (await run('docker', ['trust', 'inspect', gun], { env: env(dir), timeoutMs: 120_000 })).stdout,
      },
      {
        name: 'notary list',
        prepare: () => undefined,
        run: async (dir) =>
          (
            await run('notary', ['-s', stack.serverUrl, '--tlscacert', stack.caFile, '-d', join(dir, 'notary'), 'list', gun], {
              env: env(dir),
              timeoutMs: 120_000,
            })
          ).stdout,
      },
    ];

    // sanity: dct and docker print the same JSON
    const probe = tools.map((t, i) => {
      const dir = join(work, `probe-${i}`);
      mkdirSync(dir, { recursive: true });
      t.prepare(dir);
      return dir;
    });
    const [dctOut, dockerOut] = await Promise.all([tools[0]!.run(probe[0]!, 'cold'), tools[1]!.run(probe[1]!, 'cold')]);
    if (dctOut !== dockerOut) log('warning: dct trust inspect and docker trust inspect printed different output');

    const times: Record<string, { cold: number[]; warm: number[] }> = {};
    for (const t of tools) times[t.name] = { cold: [], warm: [] };
    for (let round = 0; round < opts.rounds; round++) {
      const order = tools.map((_, i) => tools[(i + round) % tools.length]!);
      for (const t of order) {
        const dir = join(work, `r${round}-${t.name.replace(/\W+/g, '-')}`);
        mkdirSync(dir, { recursive: true });
        t.prepare(dir);
        let t0 = performance.now();
        await t.run(dir, 'cold');
        times[t.name]!.cold.push(performance.now() - t0);
        t0 = performance.now();
        await t.run(dir, 'warm');
        times[t.name]!.warm.push(performance.now() - t0);
        rmSync(dir, { recursive: true, force: true });
      }
      log(`round ${round + 1}/${opts.rounds} done`);
    }

    const ratio = (a: string, b: string, kind: 'cold' | 'warm') => median(times[a]![kind].map((x, i) => x / times[b]![kind][i]!));
    const rows = (['cold', 'warm'] as const).flatMap((kind) => [
      {
        case: kind,
        against: 'docker trust inspect',
        dctMs: median(times['dct trust inspect']![kind]),
        peerMs: median(times['docker trust inspect']![kind]),
        ratio: ratio('dct trust inspect', 'docker trust inspect', kind),
      },
      {
        case: kind,
        against: 'notary list',
        dctMs: median(times['dct trust inspect']![kind]),
        peerMs: median(times['notary list']![kind]),
        ratio: ratio('dct trust inspect', 'notary list', kind),
      },
    ]);
    if (opts.json) {
      process.stdout.write(
        JSON.stringify({ tags: opts.tags, rounds: opts.rounds, identicalOutput: dctOut === dockerOut, rows }, null, 2) + '\n',
      );
    } else {
      process.stdout.write(`\n${opts.tags} signed tags, ${opts.rounds} rounds, whole process, medians (goal: ratio ≤ 0.50)\n\n`);
      process.stdout.write('cache  dct trust inspect   vs                     peer       ratio\n');
      for (const r of rows) {
        process.stdout.write(
          `${r.case.padEnd(7)}${r.dctMs.toFixed(0).padStart(8)} ms         ${r.against.padEnd(22)}${r.peerMs.toFixed(0).padStart(6)} ms   ${r.ratio.toFixed(2)}×\n`,
        );
      }
      for (const r of rows) process.stdout.write(`RESULT client.${r.case}.vs-${r.against.split(' ')[0]} ratio=${r.ratio.toFixed(3)}\n`);
    }
  } finally {
    await stack.stop();
    build.cleanup();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:client failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
