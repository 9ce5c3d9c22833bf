/**
 * A real `dct server` process for the browser tests and the dashboard bench: this checkout's
 * command line (`src/cli/main.ts` through tsx, or `main` when given, e.g. the built
 * `dist/bin/main.js`), TLS self-signed in its data folder, the embedded registry on, settings
 * from a JSON config file, on a port chosen before it starts (the pull gate's rules and the
 * GUNs name it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../support/fixtures.js';

export interface DashboardServer {
  /** https://127.0.0.1:PORT */
  url: string;
  /** 127.0.0.1:PORT: the registry's name, the first part of its GUNs */
  host: string;
  caFile: string;
  dataDir: string;
  pid: number;
  /** what the server wrote to stderr so far (its log) */
  log(): string;
  stop(): Promise<void>;
}

export { freePort } from '../support/free-port.js';

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export interface ServerStart {
  /** folder for the config file and the server's data */
  dir: string;
  port: number;
  /** the config file's content (JSON keys as the long flags in camelCase) */
  config?: Record<string, unknown>;
  /** a JS entry point run with plain node instead of the sources through tsx */
  main?: string;
  env?: Record<string, string>;
  logLevel?: string;
}

export async function startDashboardServer(opts: ServerStart): Promise<DashboardServer> {
  const dataDir = join(opts.dir, 'server-data');
  const configFile = join(opts.dir, 'server-config.json');
  writeFileSync(configFile, JSON.stringify(opts.config ?? {}, null, 2));
  const entry = opts.main ? [opts.main] : ['--import', 'tsx', join(PROJECT_ROOT, 'src', 'cli', 'main.ts')];
  const args = [
    ...entry,
    'server',
    '--config',
    configFile,
    '--data-dir',
    dataDir,
    '--listen',
    `127.0.0.1:${opts.port}`,
    '--tls-self-signed',
    '--log-level',
    opts.logLevel ?? 'warn',
    // the worlds publish far faster than the default per-client write limit
    '--writes-per-second',
    '100000',
  ];
  const child = spawn(process.execPath, args, {
    cwd: PROJECT_ROOT,
    env: { ...process.env, DCT_SERVER_KEY_PASSPHRASE: 'browser-test-server-keys', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve(`exited (${code ?? signal})`);
    }),
  );
  const ready = await new Promise<{ url: string; caFile: string } | string>((resolve) => {
    const timer = setTimeout(() => resolve('did not start within 60 s'), 60_000);
    const check = () => {
      const url = /dct server listening on (\S+)/.exec(stdout)?.[1];
      const caFile = /clients must trust (\S+)/.exec(stdout)?.[1];
      if (url && caFile) {
        clearTimeout(timer);
        child.stdout?.off('data', check);
        resolve({ url, caFile });
      }
    };
    child.stdout?.on('data', check);
    void exited.then((why) => {
      clearTimeout(timer);
      resolve(`${why} before listening`);
    });
  });
  if (typeof ready === 'string') {
    child.kill('SIGKILL');
    throw new Error(`dct server ${ready}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`);
  }
  return {
    ...ready,
    host: `127.0.0.1:${opts.port}`,
    dataDir,
    pid: child.pid as number,
    log: () => stderr,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
