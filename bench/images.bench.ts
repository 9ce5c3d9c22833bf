/**
 * `dct push` and `dct pull` against skopeo 1.9 (Debian `skopeo`), whole process, on one
 * generated image (default 512 MiB in 8 layers, OCI layout, one platform) and ONE real
 * docker-registry 2.8 (the reference stack's, plain HTTP on loopback), in one run on
 * this machine; plus dct's peak RSS (GNU time's %M: the process's VmHWM).
 *
 * Each round pushes with both tools, each to a repository of its own that nothing was
 * pushed to before (`bench/dct-<round>`, `bench/skopeo-<round>`), then pulls the image
 * back with both into fresh folders, after one unmeasured pull (the first reader of a
 * freshly pushed repository was slower, whichever tool it was); the order of the two tools alternates from round to
 * round, and dirty pages are written out (`sync`) before every measured command. A push
 * only counts when the registry really received the bytes (it read at least the image's
 * size from its sockets and files while the push ran, /proc/<pid>/io) and the
 * repository links every blob; a pull when the folder holds every blob. skopeo runs with
 * an empty blob-info cache of its own, so that it cannot mount blobs from repositories
 * it saw in an earlier round instead of uploading them.
 *
 * Throughput = bytes of the image (layers, config, manifest) / wall time of the command.
 * Ratio = median over rounds of dct's throughput / skopeo's in the same round.
 * Goals: ratio ≥ 1 for push and pull; dct's peak RSS < 150 MB whatever the layer size.
 *
 * Usage: npm run bench:images [-- --json] [-- --rounds N] [-- --size-mb N] [-- --layers N]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ensureReferenceTools, startReferenceStack } from '../test/support/reference-stack.js';
import { generateTestImage } from '../test/support/test-images.js';
import { median, parseBenchFlags } from './shared/command-line.js';
import { buildDct, ensureDebianTools, log, run, type DctBuild } from './server/processes.js';

interface Options {
  json: boolean;
  rounds: number;
  sizeMb: number;
  layers: number;
}

const USAGE = 'usage: npm run bench:images -- [--json] [--rounds N (3)] [--size-mb N (512)] [--layers N (8)]';

function parseArgs(argv: string[]): Options {
  const flags = parseBenchFlags(argv, { count: ['rounds', 'size-mb', 'layers'], switch: ['json'] }, USAGE);
  return {
    json: flags.switches.has('json'),
    rounds: flags.counts.get('rounds') ?? 3,
    sizeMb: flags.counts.get('size-mb') ?? 512,
    layers: flags.counts.get('layers') ?? 8,
  };
}

const MiB = 1024 * 1024;
/** the budget of the issue for dct's peak RSS */
const RSS_BUDGET_MB = 150;

type Tool = 'dct' | 'skopeo';
type Op = 'push' | 'pull';

interface Measured {
  round: number;
  tool: Tool;
  op: Op;
  ms: number;
  /** peak RSS (GNU time %M), KiB */
  peakKiB: number;
  /** push: bytes the registry read while the command ran; pull: blob bytes in the output */
  checkedBytes: number;
}

/** children still running when the bench exits die with it */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

function findOnPath(binary: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir !== '' && existsSync(join(dir, binary))) return join(dir, binary);
  }
  return undefined;
}

/**
 * Runs `file args` under GNU time: wall time from spawn to exit (in this process) and
 * the peak RSS GNU time reports (`%M`, KiB: the largest resident set of the command).
 */
function measure(
  timeBin: string,
  rssFile: string,
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<{ ms: number; peakKiB: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(timeBin, ['-f', '%M', '-o', rssFile, file, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => void (stdout = (stdout + d).slice(-64 * 1024)));
    child.stderr.setEncoding('utf8').on('data', (d: string) => void (stderr = (stderr + d).slice(-64 * 1024)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      live.delete(child);
      reject(err);
    });
    child.once('close', (code, signal) => {
      const ms = performance.now() - t0;
      clearTimeout(timer);
      live.delete(child);
      if (code !== 0) {
        reject(
          new Error(
            `${file} ${args.join(' ')} ${signal ? `was killed (${signal}${signal === 'SIGKILL' ? `, timeout ${timeoutMs} ms?` : ''})` : `exited with ${code}`}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`,
          ),
        );
        return;
      }
      // GNU time writes its own notes first when the command fails; the last line is %M
      const lines = readFileSync(rssFile, 'utf8').trim().split('\n');
      const peakKiB = Number(lines[lines.length - 1]);
      if (!Number.isFinite(peakKiB) || peakKiB <= 0) {
        reject(new Error(`GNU time gave no peak RSS for ${file}: ${JSON.stringify(lines)}`));
        return;
      }
      resolve({ ms, peakKiB, stdout, stderr });
    });
  });
}

/** Bytes a process read so far (read(2), recv and sendfile alike: /proc/<pid>/io rchar). */
function bytesRead(pid: number): number {
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  return Number(/^rchar:\s+(\d+)/m.exec(io)?.[1] ?? NaN);
}

/** Total size of the blobs in an OCI layout folder. */
function layoutBlobBytes(dir: string): { count: number; bytes: number } {
  const blobs = join(dir, 'blobs', 'sha256');
  if (!existsSync(blobs)) return { count: 0, bytes: 0 };
  let bytes = 0;
  const names = readdirSync(blobs);
  for (const name of names) bytes += statSync(join(blobs, name)).size;
  return { count: names.length, bytes };
}

/** The blobs docker-registry has linked into a repository (its `_layers` links). */
function linkedBlobs(registryData: string, repo: string): Set<string> {
  const dir = join(registryData, 'docker', 'registry', 'v2', 'repositories', repo, '_layers', 'sha256');
  return new Set(existsSync(dir) ? readdirSync(dir).map((hex) => `sha256:${hex}`) : []);
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  if (process.platform !== 'linux') throw new Error('bench:images reads /proc: Linux only');
  const missing = await ensureReferenceTools();
  if (missing) throw new Error(`the reference tools are needed (docker-registry): ${missing}`);
  await ensureDebianTools({ skopeo: 'skopeo', time: 'time' });
  const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : (findOnPath('time') as string);
  const skopeoVersion = (await run('skopeo', ['--version'])).stdout.trim();
  if (!/version 1\.9\./.test(skopeoVersion)) log(`warning: the issue compares with skopeo 1.9; this is ${skopeoVersion}`);

  log('building dct…');
  const build: DctBuild = await buildDct();
  const work = mkdtempSync(join(tmpdir(), 'dct-bench-images-'));
  let stack: Awaited<ReturnType<typeof startReferenceStack>> | undefined;
  try {
    const layerBytes = Math.floor((opts.sizeMb * MiB) / opts.layers);
    const layoutDir = join(work, 'layout');
    const srcTag = 'bench';
    log(`generating a ${opts.sizeMb} MiB image (${opts.layers} layers of ${(layerBytes / MiB).toFixed(1)} MiB)…`);
    const t0 = performance.now();
    const image = await generateTestImage(layoutDir, {
      seed: 'bench-images',
      layers: Array.from({ length: opts.layers }, () => layerBytes),
      gzipLevel: 0,
      tag: srcTag,
    });
    const manifest = image.manifests[0]!;
    const blobDigests = [manifest.config.descriptor.digest, ...manifest.layers.map((l) => l.descriptor.digest)];
    const blobBytes = image.totalLayerBytes + manifest.config.descriptor.size;
    const imageBytes = blobBytes + manifest.descriptor.size;
    log(
      `image ${manifest.descriptor.digest}: ${(imageBytes / MiB).toFixed(1)} MiB of blobs and manifest, in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );

    log('starting the reference stack (its docker-registry 2.8)…');
    stack = await startReferenceStack({ logLevel: 'error' });
    const registry = `127.0.0.1:${stack.registryPort}`;
    const registryPid = Number(readFileSync(join(stack.stateDir, 'run', 'registry.pid'), 'utf8').trim());
    const registryData = join(stack.stateDir, 'registry-data');
    if (!Number.isInteger(registryPid) || Number.isNaN(bytesRead(registryPid)))
      throw new Error(`cannot read /proc/${registryPid}/io of docker-registry`);

    /** a fresh HOME (no docker config, no skopeo blob-info cache, no credentials) per command */
    let homes = 0;
    const freshEnv = (): NodeJS.ProcessEnv => {
      const home = join(work, `home-${homes++}`);
      mkdirSync(home, { recursive: true });
      return {
        PATH: process.env['PATH'] ?? '',
        HOME: home,
        DOCKER_CONFIG: join(home, 'docker'),
        // skopeo keeps a blob-info cache (where it saw which blob) and mounts from those
        // repositories instead of uploading; as root it is /var/lib/containers/cache, unless
        // containers/image is told it runs rootless: then $XDG_DATA_HOME/containers/cache
        XDG_DATA_HOME: join(home, 'data'),
        XDG_RUNTIME_DIR: join(home, 'run'),
        _CONTAINERS_ROOTLESS_UID: String(
          typeof process.getuid === 'function' && process.getuid() === 0 ? 65534 : (process.getuid?.() ?? 65534),
        ),
      };
    };
    const rssFile = join(work, 'rss.txt');
    const timeoutMs = Math.max(120_000, opts.sizeMb * 2_000);

    const push = async (round: number, tool: Tool): Promise<Measured> => {
      const repo = `bench/${tool}-${round}`;
      if (linkedBlobs(registryData, repo).size > 0) throw new Error(`${repo} is not new`);
      const env = freshEnv();
      const [file, args] =
        tool === 'dct'
          ? [process.execPath, [build.bin, 'push', `${layoutDir}:${srcTag}`, `${registry}/${repo}:v1`]]
          : ['skopeo', ['copy', '--dest-tls-verify=false', `oci:${layoutDir}:${srcTag}`, `docker://${registry}/${repo}:v1`]];
      await run('sync', []);
      const before = bytesRead(registryPid);
      const r = await measure(timeBin, rssFile, file, args, env, timeoutMs);
      const received = bytesRead(registryPid) - before;
      // really uploaded: the registry read the whole image while the command ran (a mount or an "exists" reads next to nothing)
      if (received < blobBytes)
        throw new Error(
          `${tool} push to ${repo}: the registry read only ${received} bytes, less than the ${blobBytes} of the blobs: it did not upload them`,
        );
      const linked = linkedBlobs(registryData, repo);
      const unlinked = blobDigests.filter((d) => !linked.has(d));
      if (unlinked.length > 0) throw new Error(`${tool} push to ${repo}: the repository lacks ${unlinked.join(', ')}`);
      if (/skipped: already exists|Mounted|already exists/i.test(r.stdout + r.stderr))
        throw new Error(`${tool} push to ${repo} reused blobs:\n${r.stdout}\n${r.stderr}`);
      return { round, tool, op: 'push', ms: r.ms, peakKiB: r.peakKiB, checkedBytes: received };
    };

    const pull = async (round: number, tool: Tool): Promise<Measured> => {
      // both pull the same repository (the one dct pushed: the source's exact bytes)
      const ref = `${registry}/bench/dct-${round}:v1`;
      const out = join(work, `pulled-${tool}-${round}`);
      const env = freshEnv();
      const [file, args] =
        tool === 'dct'
          ? [process.execPath, [build.bin, 'pull', ref, '--output', out]]
          : ['skopeo', ['copy', '--src-tls-verify=false', `docker://${ref}`, `oci:${out}:v1`]];
      await run('sync', []);
      const r = await measure(timeBin, rssFile, file, args, env, timeoutMs);
      const got = layoutBlobBytes(out);
      rmSync(out, { recursive: true, force: true });
      if (got.bytes < imageBytes)
        throw new Error(
          `${tool} pull of ${ref}: the output holds ${got.count} blobs of ${got.bytes} bytes, less than the image's ${imageBytes}`,
        );
      return { round, tool, op: 'pull', ms: r.ms, peakKiB: r.peakKiB, checkedBytes: got.bytes };
    };

    /**
     * An unmeasured pull of the round's repository: whichever tool pulls a freshly pushed repository
     * first pays for the registry's cold reads.
     */
    const warmUp = async (round: number): Promise<void> => {
      const out = join(work, `warm-up-${round}`);
      await run('skopeo', ['copy', '-q', '--src-tls-verify=false', `docker://${registry}/bench/dct-${round}:v1`, `oci:${out}:v1`], {
        env: freshEnv(),
        timeoutMs,
      });
      rmSync(out, { recursive: true, force: true });
    };

    const runs: Measured[] = [];
    for (let round = 0; round < opts.rounds; round++) {
      const order: Tool[] = round % 2 === 0 ? ['dct', 'skopeo'] : ['skopeo', 'dct'];
      for (const tool of order) runs.push(await push(round, tool));
      await warmUp(round);
      for (const tool of order) runs.push(await pull(round, tool));
      const line = runs
        .filter((m) => m.round === round)
        .map(
          (m) =>
            `${m.tool} ${m.op} ${(imageBytes / MiB / (m.ms / 1000)).toFixed(0)} MiB/s${m.tool === 'dct' ? ` (${(m.peakKiB / 1024).toFixed(0)} MB)` : ''}`,
        )
        .join(', ');
      log(`round ${round + 1}/${opts.rounds}: ${line}`);
    }

    const of = (tool: Tool, op: Op) => runs.filter((m) => m.tool === tool && m.op === op).sort((a, b) => a.round - b.round);
    const mibPerS = (m: Measured) => imageBytes / MiB / (m.ms / 1000);
    const rows = (['push', 'pull'] as const).map((op) => {
      const dct = of('dct', op);
      const skopeo = of('skopeo', op);
      const dctPeak = dct.map((m) => m.peakKiB / 1024);
      return {
        op,
        dctMiBs: median(dct.map(mibPerS)),
        skopeoMiBs: median(skopeo.map(mibPerS)),
        ratio: median(dct.map((m, i) => (skopeo[i] as Measured).ms / m.ms)),
        dctPeakMB: Math.max(...dctPeak),
        dctPeakMedianMB: median(dctPeak),
        skopeoPeakMB: Math.max(...skopeo.map((m) => m.peakKiB / 1024)),
      };
    });

    if (opts.json) {
      process.stdout.write(
        JSON.stringify(
          {
            sizeMb: opts.sizeMb,
            layers: opts.layers,
            layerBytes,
            imageBytes,
            rounds: opts.rounds,
            skopeo: skopeoVersion,
            node: process.version,
            rows,
            runs: runs.map((m) => ({ ...m, mibPerS: mibPerS(m), peakMB: m.peakKiB / 1024 })),
          },
          null,
          2,
        ) + '\n',
      );
    } else {
      process.stdout.write(
        `\n${(imageBytes / MiB).toFixed(0)} MiB image (${opts.layers} layers of ${(layerBytes / MiB).toFixed(1)} MiB), docker-registry 2.8 on loopback, ${opts.rounds} rounds, whole process, medians\n` +
          `(goals: dct/skopeo throughput ≥ 1.00, dct peak RSS < ${RSS_BUDGET_MB} MB; ${skopeoVersion})\n\n`,
      );
      process.stdout.write('op     dct            skopeo         ratio   dct peak RSS (max / median)   skopeo peak RSS\n');
      for (const r of rows) {
        process.stdout.write(
          `${r.op.padEnd(7)}${`${r.dctMiBs.toFixed(0)} MiB/s`.padEnd(15)}${`${r.skopeoMiBs.toFixed(0)} MiB/s`.padEnd(15)}${`${r.ratio.toFixed(2)}×`.padEnd(8)}${`${r.dctPeakMB.toFixed(0)} / ${r.dctPeakMedianMB.toFixed(0)} MB`.padEnd(30)}${r.skopeoPeakMB.toFixed(0)} MB\n`,
        );
      }
      for (const r of rows) process.stdout.write(`RESULT images.${r.op}.vs-skopeo ratio=${r.ratio.toFixed(3)}\n`);
      for (const r of rows)
        process.stdout.write(
          `RESULT images.${r.op}.rss-vs-budget ratio=${(r.dctPeakMB / RSS_BUDGET_MB).toFixed(3)} mb=${r.dctPeakMB.toFixed(1)}\n`,
        );
    }
  } finally {
    await stack?.stop();
    build.cleanup();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:images failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
