/**
 * The admission bench's processes and clients: `dct admission` run as installed (the bundled
 * CLI `npm run build` makes) in a child process pinned to one core (`taskset -c CORE`), its
 * stderr log written to a file as a container runtime would; a keep-alive HTTPS client timing
 * one review at a time; wrk POSTing one AdmissionReview over and over (a Lua script), on
 * another core; and a TCP proxy that puts a network's round trip between the webhook and the
 * registry.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { connect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort, onPath, run } from './server/processes.js';
import { parseWrk, type WrkResult } from './server/wrk.js';

export interface AdmissionProcess {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export interface AdmissionProcessOptions {
  bin: string;
  policy: string;
  tlsCert: string;
  tlsKey: string;
  env: Record<string, string>;
  /** `--cache-ttl` (`0`: every review decides again) */
  cacheTtl: string;
  /** `--log-level` */
  logLevel: string;
  /** the core to pin it to (`taskset -c`); undefined: not pinned */
  core?: number;
  /** its JSON log (stderr) */
  logFile: string;
  /** `node --cpu-prof` into this folder */
  cpuProfDir?: string;
}

/** Whether processes can be pinned to a core here (taskset, and a second core for the load). */
export const canPin = (): boolean => onPath('taskset');

export async function startAdmission(opts: AdmissionProcessOptions): Promise<AdmissionProcess> {
  const port = await freePort();
  const node = [process.execPath, ...(opts.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', opts.cpuProfDir] : []), opts.bin];
  const args = [
    'admission',
    '--listen',
    `127.0.0.1:${port}`,
    '--policy',
    opts.policy,
    '--tls-cert',
    opts.tlsCert,
    '--tls-key',
    opts.tlsKey,
    '--cache-ttl',
    opts.cacheTtl,
    '--log-level',
    opts.logLevel,
  ];
  const argv = opts.core !== undefined ? ['taskset', '-c', String(opts.core), ...node, ...args] : [...node, ...args];
  const logFd = openSync(opts.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(argv[0] as string, argv.slice(1), { env: opts.env, stdio: ['ignore', 'pipe', logFd] });
  } finally {
    closeSync(logFd);
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = () => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL');
  process.once('exit', kill);
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM'); // the CLI closes the server and exits (a --cpu-prof profile is written then)
    const timer = setTimeout(kill, 10_000);
    await exited;
    clearTimeout(timer);
  };
  let stdout = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dct admission did not start within 30 s: ${stdout} (log: ${opts.logFile})`)), 30_000);
    child.stdout?.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
      const m = /dct admission listening on (\S+)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`dct admission exited before listening: ${stdout} (log: ${opts.logFile})`));
    });
  });
  return { url, pid: child.pid as number, stop };
}

/** CPU time (user + system) process `pid` has used so far, ms (Linux /proc; clock ticks of 10 ms). */
export function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of the line)
  return ticks * 10;
}

export interface Reply {
  status: number;
  body: string;
  ms: number;
}

/** One keep-alive connection's client of a webhook (trusting its certificate). */
export class ReviewClient {
  private readonly agent: Agent;

  constructor(
    private readonly base: string,
    ca: Buffer,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: 1, ca });
  }

  send(path: string, body: string, method = 'POST'): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const t0 = performance.now();
      const req = request(
        `${this.base}${path}`,
        { method, agent: this.agent, headers: method === 'POST' ? { 'Content-Type': 'application/json' } : {} },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - t0 }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(method === 'POST' ? body : undefined);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export interface WrkPostOptions {
  url: string;
  body: string;
  dir: string;
  threads: number;
  connections: number;
  durationS: number;
  /** the core wrk runs on (`taskset -c`) */
  core?: number;
}

/** wrk POSTing `body` as JSON to `url` (a Lua script reads it from a file), with its latency percentiles. */
export async function wrkPost(opts: WrkPostOptions): Promise<WrkResult & { stdout: string }> {
  const bodyFile = join(opts.dir, 'review.json');
  const script = join(opts.dir, 'post-review.lua');
  writeFileSync(bodyFile, opts.body);
  writeFileSync(
    script,
    [
      'wrk.method = "POST"',
      'wrk.headers["Content-Type"] = "application/json"',
      `local f = assert(io.open(${JSON.stringify(bodyFile)}, "rb"))`,
      'wrk.body = f:read("*a")',
      'f:close()',
      '',
    ].join('\n'),
  );
  const wrk = ['wrk', `-t${opts.threads}`, `-c${opts.connections}`, `-d${opts.durationS}s`, '--latency', '-s', script, opts.url];
  const argv = opts.core !== undefined ? ['taskset', '-c', String(opts.core), ...wrk] : wrk;
  const { stdout } = await run(argv[0] as string, argv.slice(1), { timeoutMs: (opts.durationS + 30) * 1000 });
  return { ...parseWrk(stdout), stdout };
}

export interface DelayProxy {
  /** `127.0.0.1:<port>`: the registry as reached through the proxy */
  host: string;
  close(): Promise<void>;
}

/**
 * A TCP proxy to `target` (`host:port`) that holds every chunk `oneWayMs` in each direction: a
 * registry `2 × oneWayMs` of round trip away, as a real one is, TLS passed through untouched.
 */
export async function startDelayProxy(target: string, oneWayMs: number): Promise<DelayProxy> {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const sockets = new Set<Socket>();
  // timers of one duration fire in the order they were set: each direction stays in order
  const pipe = (from: Socket, to: Socket) => {
    from.on('data', (chunk) => void setTimeout(() => to.destroyed || to.write(chunk), oneWayMs));
    from.on('end', () => void setTimeout(() => to.end(), oneWayMs));
    from.on('error', () => to.destroy());
    from.on('close', () => void setTimeout(() => to.destroy(), oneWayMs + 1));
  };
  const server = createNetServer((client) => {
    const upstream = connect(port, host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    pipe(client, upstream);
    pipe(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
