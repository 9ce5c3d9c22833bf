/**
 * The REAL reference stack (Debian notary-server + notary-signer + docker-registry)
 * for interop tests, started with shared/reference/start-reference.sh in a
 * throwaway state directory on free loopback ports, plus a runner for the
 * real `notary` CLI.
 *
 * Usage:
 *   const missing = await ensureReferenceTools();   // undefined when usable; suites use { skip: interopSkip(missing) }
 *   const stack = await startReferenceStack();      // in before()
 *   await stack.stop();                              // in after()
 */
import { execFile, type ExecFileException } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { SHARED_DIR } from './fixtures.js';

export const REFERENCE_DIR = join(SHARED_DIR, 'reference');
export const START_SCRIPT = join(REFERENCE_DIR, 'start-reference.sh');
export const STOP_SCRIPT = join(REFERENCE_DIR, 'stop-reference.sh');

/** Binaries the reference stack and the interop tests need. */
export const REFERENCE_BINARIES = ['notary', 'notary-server', 'notary-signer', 'docker-registry', 'openssl'] as const;

export interface ReferenceStack {
  stateDir: string;
  /** https://127.0.0.1:<port> */
  serverUrl: string;
  /** the throwaway CA that signed the server certificate */
  caFile: string;
  serverPort: number;
  signerPort: number;
  registryPort: number;
  /** `remote` (real notary-signer) or `local` (server-built-in ed25519 signer fallback) */
  trustService: string;
  /** process.env plus the variables of STATE/env.sh */
  env: NodeJS.ProcessEnv;
  /** stops the services (by pid file) and deletes the state directory; idempotent */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** first ports to try (a small random offset is added to avoid clashes between runs) */
  basePorts?: { server?: number; signer?: number; registry?: number };
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  trustService?: 'remote' | 'local' | 'auto';
  timeoutMs?: number;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

export class CommandError extends Error {
  constructor(
    message: string,
    readonly stdout: string,
    readonly stderr: string,
    readonly exitCode: number | string | null | undefined,
  ) {
    super(message);
  }
}

/** Runs a command; rejects with CommandError (stdout/stderr attached) on a non-zero exit or timeout. */
export function run(
  file: string,
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; input?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      {
        env: opts.env ?? process.env,
        cwd: opts.cwd,
        timeout: opts.timeoutMs ?? 60_000,
        maxBuffer: 32 * 1024 * 1024,
        killSignal: 'SIGKILL',
      },
      (err: ExecFileException | null, stdout: string, stderr: string) => {
        if (err) {
          const why = err.killed ? `timed out after ${opts.timeoutMs ?? 60_000} ms` : `exited with ${String(err.code)}`;
          reject(
            new CommandError(`${file} ${args.join(' ')} ${why}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`, stdout, stderr, err.code),
          );
        } else {
          resolve({ stdout, stderr });
        }
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

export function onPath(binary: string): boolean {
  return (process.env['PATH'] ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, binary)));
}

function missingBinaries(): string[] {
  return REFERENCE_BINARIES.filter((b) => !onPath(b));
}

/**
 * Checks that the reference binaries exist, installing the Debian packages
 * (`notary`, `docker-registry`) with apt-get when possible (root or sudo -n,
 * and NO_INSTALL not set). Returns undefined when usable, else the reason.
 */
export async function ensureReferenceTools(): Promise<string | undefined> {
  if (!existsSync(START_SCRIPT)) return `reference lab script not found: ${START_SCRIPT}`;
  let missing = missingBinaries();
  if (missing.length === 0) return undefined;
  if (process.env['NO_INSTALL'] === '1') return `missing binaries: ${missing.join(', ')} (NO_INSTALL=1)`;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot && !onPath('sudo')) return `missing binaries: ${missing.join(', ')}; not root and no sudo to install them`;
  const apt = (args: string[]) =>
    isRoot
      ? run('apt-get', args, { timeoutMs: 600_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
      : run('sudo', ['-n', 'apt-get', ...args], { timeoutMs: 600_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  const packages = ['notary', 'docker-registry', 'openssl'];
  try {
    await apt(['install', '-y', '-q', ...packages]);
  } catch {
    try {
      await apt(['update', '-q']);
      await apt(['install', '-y', '-q', ...packages]);
    } catch (err) {
      return `missing binaries: ${missing.join(', ')}; apt-get install ${packages.join(' ')} failed: ${(err as Error).message.split('\n')[0]}`;
    }
  }
  missing = missingBinaries();
  return missing.length === 0 ? undefined : `missing binaries after installing: ${missing.join(', ')}`;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

async function freePort(start: number, taken: Set<number>): Promise<number> {
  for (let port = start; port < start + 2000 && port < 65536; port++) {
    if (taken.has(port)) continue;
    if (await portFree(port)) {
      taken.add(port);
      return port;
    }
  }
  throw new Error(`no free port found from ${start}`);
}

function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^export ([A-Z_][A-Z0-9_]*)='([^']*)'/.exec(line.trim());
    if (m) out[m[1] as string] = m[2] as string;
  }
  return out;
}

/** Starts a fresh reference stack in a new temp state directory on free ports. */
export async function startReferenceStack(opts: StartOptions = {}): Promise<ReferenceStack> {
  const stateDir = mkdtempSync(join(tmpdir(), 'dct-reference-'));
  const offset = Math.floor(Math.random() * 200);
  const taken = new Set<number>();
  const serverPort = await freePort((opts.basePorts?.server ?? 24443) + offset, taken);
  const signerPort = await freePort((opts.basePorts?.signer ?? 27899) + offset, taken);
  const registryPort = await freePort((opts.basePorts?.registry ?? 25000) + offset, taken);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NOTARY_SERVER_PORT: String(serverPort),
    NOTARY_SIGNER_PORT: String(signerPort),
    REGISTRY_PORT: String(registryPort),
    LOG_LEVEL: opts.logLevel ?? 'warn',
    TRUST_SERVICE: opts.trustService ?? 'auto',
  };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      await run('bash', [STOP_SCRIPT, stateDir, '--purge'], { env, timeoutMs: 60_000 });
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  };
  try {
    await run('bash', [START_SCRIPT, stateDir], { env, timeoutMs: opts.timeoutMs ?? 180_000 });
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  const vars = parseEnvFile(readFileSync(join(stateDir, 'env.sh'), 'utf8'));
  const serverUrl = vars['NOTARY_SERVER_URL'] ?? `https://127.0.0.1:${serverPort}`;
  const caFile = vars['REFERENCE_CA'] ?? join(stateDir, 'tls', 'ca.crt');
  return {
    stateDir,
    serverUrl,
    caFile,
    serverPort,
    signerPort,
    registryPort,
    trustService: vars['NOTARY_TRUST_SERVICE'] ?? 'unknown',
    env: { ...env, ...vars },
    stop,
  };
}

/**
 * Runs the real notary CLI against the stack: `notary -s <url> --tlscacert <ca> -d <trustDir> …args`.
 * `env` is added to process.env (e.g. NOTARY_*_PASSPHRASE); the stack's own
 * variables are not passed, so nothing but the flags points notary at the server.
 */
export function notaryCli(
  stack: Pick<ReferenceStack, 'serverUrl' | 'caFile'>,
  trustDir: string,
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {},
): Promise<RunResult> {
  return run('notary', ['-s', stack.serverUrl, '--tlscacert', stack.caFile, '-d', trustDir, ...args], {
    env: { ...process.env, ...(opts.env ?? {}) },
    timeoutMs: opts.timeoutMs ?? 60_000,
    ...(opts.input !== undefined ? { input: opts.input } : {}),
  });
}

export interface NotaryListRow {
  name: string;
  /** sha256 hex */
  digest: string;
  size: number;
  role: string;
}

/** Parses `notary list` output (`NAME  DIGEST  SIZE (BYTES)  ROLE` table). */
export function parseNotaryList(stdout: string): NotaryListRow[] {
  const rows: NotaryListRow[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^(\S+)\s+([0-9a-f]{64})\s+(\d+)\s+(\S+)\s*$/.exec(line);
    if (m) rows.push({ name: m[1] as string, digest: m[2] as string, size: Number(m[3]), role: m[4] as string });
  }
  return rows;
}

export interface NotaryKeyRow {
  role: string;
  /** as printed (notary truncates long GUNs with a leading `...`); '' when none */
  gun: string;
  keyId: string;
  location: string;
}

/** Parses `notary key list` output (`ROLE  GUN  KEY ID  LOCATION` table). */
export function parseNotaryKeyList(stdout: string): NotaryKeyRow[] {
  const rows: NotaryKeyRow[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^(\S+)\s+(?:(\S+)\s+)?([0-9a-f]{64})\s+(\S.*?)\s*$/.exec(line);
    if (m) rows.push({ role: m[1] as string, gun: m[2] ?? '', keyId: m[3] as string, location: m[4] as string });
  }
  return rows;
}

/** Creates a temp directory removed by the returned cleanup function. */
export function tempDir(prefix: string): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}
