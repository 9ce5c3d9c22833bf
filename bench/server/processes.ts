/**
 * The processes of the server benchmark: Debian tools (wrk, nginx) installed on
 * demand, dct server compiled once and run as `node dist/cli/main.js server`
 * (as `npm start` does: no TypeScript loader in the measured process), nginx
 * in a throw-away prefix, and the RSS of a process.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { freePort } from '../../test/support/free-port.js';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function log(message: string): void {
  process.stderr.write(`[bench:server] ${message}\n`);
}

/** children still running when the bench exits (an error path that skipped clean-up) die with it */
const live = new Map<ChildProcess, NodeJS.Signals>();
process.on('exit', () => {
  for (const [child, signal] of live) child.kill(signal);
});

/** `signal` for that case: SIGTERM for nginx, whose master must stop its workers itself */
function track(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): ChildProcess {
  live.set(child, signal);
  child.once('exit', () => live.delete(child));
  return child;
}

export function onPath(binary: string): boolean {
  return (process.env['PATH'] ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, binary)));
}

export function run(
  file: string,
  args: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { cwd: opts.cwd, env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${file} ${args.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`));
        else resolve({ stdout, stderr });
      },
    );
  });
}

/**
 * Makes sure each binary is on PATH, installing its Debian package with apt-get
 * when missing (`apt-get update` first if the install fails). Throws with a clear
 * message when that is not possible.
 */
export async function ensureDebianTools(tools: Record<string, string>): Promise<void> {
  const missing = Object.entries(tools).filter(([binary]) => !onPath(binary));
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map(([, pkg]) => pkg))];
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const want = `${missing.map(([b]) => b).join(', ')} (Debian packages: ${packages.join(' ')})`;
  if (process.env['NO_INSTALL'] === '1') throw new Error(`bench:server needs ${want}; NO_INSTALL=1 forbids installing them`);
  if (!isRoot && !onPath('sudo')) throw new Error(`bench:server needs ${want}; install them (not root, no sudo)`);
  const apt = (args: string[]) =>
    run(isRoot ? 'apt-get' : 'sudo', isRoot ? args : ['-n', 'apt-get', ...args], {
      timeoutMs: 600_000,
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  log(`installing ${want} with apt-get …`);
  try {
    await apt(['install', '-y', '-q', '--no-install-recommends', ...packages]);
  } catch {
    log('apt-get install failed; running apt-get update and trying again …');
    await apt(['update', '-q']);
    await apt(['install', '-y', '-q', '--no-install-recommends', ...packages]);
  }
  const still = missing.filter(([binary]) => !onPath(binary)).map(([b]) => b);
  if (still.length > 0) throw new Error(`bench:server: still missing after apt-get install: ${still.join(', ')}`);
}

export { freePort };

/** VmRSS and VmHWM of a process, in MiB (Linux). */
export function memoryOf(pid: number): { rssMiB: number; peakMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 };
}

// ---------------------------------------------------------------------------
// dct server

/** A compiled copy of src (tsconfig.build.json) in a temp folder; `main` runs like `dist/cli/main.js`. */
export interface DctBuild {
  /** tsc's output, module by module */
  main: string;
  /** the bundled CLI, as `npm run build` makes it for the `dct` bin */
  bin: string;
  cleanup(): void;
}

export async function buildDct(): Promise<DctBuild> {
  const dir = mkdtempSync(join(tmpdir(), 'dct-bench-build-'));
  const main = join(dir, 'dist', 'cli', 'main.js');
  try {
    try {
      await run(
        process.execPath,
        [
          join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
          '-p',
          join(PROJECT_ROOT, 'tsconfig.build.json'),
          '--outDir',
          join(dir, 'dist'),
          '--sourceMap',
          'false',
          '--declaration',
          'false',
        ],
        {
          cwd: PROJECT_ROOT,
          timeoutMs: 300_000,
        },
      );
    } catch (err) {
      // tsc still emits on type errors (a tree being edited): go on with what it wrote, say so
      if (!existsSync(main)) throw err;
      log(
        `warning: the dct build has type errors; measuring the JavaScript tsc emitted anyway:\n${(err as Error).message
          .split('\n')
          .filter((l) => l.includes('error TS'))
          .join('\n')}`,
      );
    }
    // the CLI as installed: the bundles npm run build makes into dist/bin
    await run(process.execPath, [join(PROJECT_ROOT, 'scripts', 'bundle-cli.mjs'), join(dir, 'dist', 'bin')], {
      cwd: PROJECT_ROOT,
      timeoutMs: 120_000,
    });
    // main.js reads ../../package.json (version) and needs "type": "module"; packages resolve through node_modules
    copyFileSync(join(PROJECT_ROOT, 'package.json'), join(dir, 'package.json'));
    symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    // what the package ships beside dist/: the policy's JSON schema, the Sigstore roots
    for (const shipped of ['schema', 'assets']) cpSync(join(PROJECT_ROOT, shipped), join(dir, shipped), { recursive: true });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return { main, bin: join(dir, 'dist', 'bin', 'main.js'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface DctProcess {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startDct(opts: {
  main: string;
  storage: string;
  dataDir: string;
  tlsCert: string;
  tlsKey: string;
  passphrase: string;
  /** `dct server --workers` (default 1) */
  workers?: number;
}): Promise<DctProcess> {
  const port = await freePort();
  const child = track(
    spawn(
      process.execPath,
      [
        opts.main,
        'server',
        '--storage',
        opts.storage,
        '--data-dir',
        opts.dataDir,
        '--listen',
        `127.0.0.1:${port}`,
        '--tls-cert',
        opts.tlsCert,
        '--tls-key',
        opts.tlsKey,
        '--log-level',
        'warn',
        // the publish benchmark writes faster than the default per-client limit (20/s)
        '--writes-per-second',
        '1000000',
        ...(opts.workers && opts.workers > 1 ? ['--workers', String(opts.workers)] : []),
      ],
      { env: { ...process.env, DCT_SERVER_KEY_PASSPHRASE: opts.passphrase }, stdio: ['ignore', 'pipe', 'pipe'] },
    ),
  );
  return awaitListening(child, 'dct server', (out) => /dct server listening on (\S+)/.exec(out)?.[1]);
}

function awaitListening(child: ChildProcess, name: string, ready: (stdout: string) => string | undefined): Promise<DctProcess> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
    if (stderr.length > 64 * 1024) stderr = stderr.slice(-32 * 1024);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${name} did not start within 30 s\n${stdout}\n${stderr}`));
    }, 30_000);
    const check = () => {
      const url = ready(stdout);
      if (url) {
        clearTimeout(timer);
        child.stdout?.off('data', check);
        resolve({ url, pid: child.pid as number, stop });
      }
    };
    child.stdout?.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${name} exited before listening\n${stdout}\n${stderr}`));
    });
  });
}

// ---------------------------------------------------------------------------
// nginx

export interface NginxProcess {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * nginx serving `files` (URL path → bytes) as static files over TLS with the
 * given certificate: own prefix, config, pid file and temp paths, access log
 * off, errors to a file in the prefix, `daemon off` so it is our child.
 */
export async function startNginx(opts: {
  files: Record<string, Buffer>;
  tlsCert: string;
  tlsKey: string;
  workers: number;
}): Promise<NginxProcess> {
  const prefix = mkdtempSync(join(tmpdir(), 'dct-bench-nginx-'));
  const root = join(prefix, 'www');
  for (const [path, bytes] of Object.entries(opts.files)) {
    const file = join(root, ...path.split('/').filter((s) => s !== ''));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, bytes);
  }
  // worker processes run as an unprivileged user when started as root: the files must be readable
  chmodSync(prefix, 0o755);
  for (const path of Object.keys(opts.files)) {
    let p = join(root, ...path.split('/').filter((s) => s !== ''));
    chmodSync(p, 0o644);
    while ((p = dirname(p)).startsWith(root)) chmodSync(p, 0o755);
  }
  for (const t of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(prefix, 'tmp', t), { recursive: true });
  const port = await freePort();
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(
    conf,
    `# dct bench:server: static copies of the metadata, the ceiling for the trust servers
worker_processes ${opts.workers};
daemon off;
pid ${join(prefix, 'nginx.pid')};
error_log ${join(prefix, 'error.log')} error;
events { worker_connections 1024; }
http {
  access_log off;
  default_type application/json;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  open_file_cache max=64 inactive=60s;
  open_file_cache_valid 60s;
  # as node and Go: no cap on requests per keep-alive connection
  keepalive_requests 100000000;
  keepalive_timeout 65s;
  client_body_temp_path ${join(prefix, 'tmp', 'body')};
  proxy_temp_path ${join(prefix, 'tmp', 'proxy')};
  fastcgi_temp_path ${join(prefix, 'tmp', 'fastcgi')};
  uwsgi_temp_path ${join(prefix, 'tmp', 'uwsgi')};
  scgi_temp_path ${join(prefix, 'tmp', 'scgi')};
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${opts.tlsCert};
    ssl_certificate_key ${opts.tlsKey};
    ssl_protocols TLSv1.2 TLSv1.3;
    root ${root};
    location / { }
  }
}
`,
  );
  try {
    await run('nginx', ['-t', '-q', '-p', prefix, '-c', conf, '-e', join(prefix, 'error.log')]);
  } catch (err) {
    rmSync(prefix, { recursive: true, force: true });
    throw err;
  }
  const child = track(
    spawn('nginx', ['-p', prefix, '-c', conf, '-e', join(prefix, 'error.log')], { stdio: ['ignore', 'pipe', 'pipe'] }),
    'SIGTERM',
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(prefix, { recursive: true, force: true });
  };
  // ready when the port accepts connections
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) {
      const errors = existsSync(join(prefix, 'error.log')) ? readFileSync(join(prefix, 'error.log'), 'utf8') : '';
      await stop();
      throw new Error(`nginx exited at start:\n${errors}`);
    }
    if (await accepts(port)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error('nginx did not listen within 15 s');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: `https://127.0.0.1:${port}`, pid: child.pid as number, stop };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

// ---------------------------------------------------------------------------
// node floor: the least any node:https server can do per request

const NODE_FLOOR_SCRIPT = `
import { createServer } from 'node:https';
import { readFileSync } from 'node:fs';
const [cert, key, files] = process.argv.slice(1);
const answers = new Map(
  Object.entries(JSON.parse(readFileSync(files, 'utf8'))).map(([p, f]) => [p, { headers: f.headers, body: readFileSync(f.file) }]),
);
const notFound = Buffer.from('{}');
const server = createServer({ cert: readFileSync(cert), key: readFileSync(key), minVersion: 'TLSv1.2' }, (req, res) => {
  const answer = answers.get(req.url);
  if (answer) {
    res.writeHead(200, answer.headers);
    res.end(answer.body);
    return;
  }
  res.writeHead(404, { 'Content-Type': 'application/json', 'Content-Length': notFound.length });
  res.end(notFound);
});
server.keepAliveTimeout = 30000;
server.listen(0, '127.0.0.1', () => process.stdout.write('node floor listening on https://127.0.0.1:' + server.address().port + '\\n'));
`;

/**
 * A bare node:https server answering fixed bytes per URL path (a Map lookup, one
 * writeHead, one end): what node's HTTP and TLS stack costs per request, with
 * nothing of dct in it. Informational (`--node-floor`). `headers`: per path, the
 * headers to send (dct's own, so that both write the same response; node adds
 * Date, Connection and Keep-Alive to both); without, Content-Type and -Length.
 */
export async function startNodeFloor(opts: {
  files: Record<string, Buffer>;
  headers?: Record<string, Record<string, string | number>>;
  tlsCert: string;
  tlsKey: string;
}): Promise<DctProcess & { cleanup(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'dct-bench-node-floor-'));
  const map: Record<string, { file: string; headers: Record<string, string | number> }> = {};
  Object.entries(opts.files).forEach(([path, bytes], i) => {
    const file = join(dir, `${i}.json`);
    writeFileSync(file, bytes);
    map[path] = { file, headers: opts.headers?.[path] ?? { 'Content-Type': 'application/json', 'Content-Length': bytes.length } };
  });
  writeFileSync(join(dir, 'files.json'), JSON.stringify(map));
  const child = track(
    spawn(process.execPath, ['--input-type=module', '-e', NODE_FLOOR_SCRIPT, opts.tlsCert, opts.tlsKey, join(dir, 'files.json')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  try {
    const running = await awaitListening(child, 'node floor', (out) => /node floor listening on (\S+)/.exec(out)?.[1]);
    return { ...running, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
