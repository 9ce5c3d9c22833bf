/**
 * The soak's processes: `dct server` replicas (each on a fixed loopback port so a
 * restarted one comes back where its clients look for it) sharing one PostgreSQL
 * schema and one data folder, and the machine's PostgreSQL, restarted through
 * pg_ctlcluster. Every process started here is stopped by its own handle.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { PROJECT_ROOT, run } from '../server/processes.js';

export interface ReplicaOptions {
  name: string;
  port: number;
  storage: string;
  dataDir: string;
  passphrase: string;
  registryName: string;
}

/** replicas still running when the soak exits (an error path that skipped clean-up) die with it */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export class Replica {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private stderrTail = '';
  private stopping = false;
  /** exits nobody asked for (not kill() or stop()): how, when, and the last of stderr */
  readonly crashes: { at: number; how: string; stderr: string }[] = [];

  constructor(readonly opts: ReplicaOptions) {}

  get url(): string {
    return `http://127.0.0.1:${this.opts.port}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the server and waits until it says it listens (30 s at most). */
  async start(): Promise<void> {
    const o = this.opts;
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(PROJECT_ROOT, 'src/cli/main.ts'),
        'server',
        '--storage',
        o.storage,
        '--data-dir',
        o.dataDir,
        '--listen',
        `127.0.0.1:${o.port}`,
        '--plain-http',
        '--registry-name',
        o.registryName,
        '--log-level',
        'warn',
        '--writes-per-second',
        '100000',
      ],
      { cwd: PROJECT_ROOT, env: { ...process.env, DCT_SERVER_KEY_PASSPHRASE: o.passphrase }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    live.add(child);
    this.stopping = false;
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        live.delete(child);
        if (!this.stopping) this.crashes.push({ at: Date.now(), how: signal ?? `exit code ${code}`, stderr: this.stderrTail.slice(-2000) });
        resolve();
      }),
    );
    child.stderr?.on('data', (c: Buffer) => {
      this.stderrTail = (this.stderrTail + c.toString('utf8')).slice(-8 * 1024);
    });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`${o.name} did not start within 30 s\n${out}\n${this.stderrTail}`)), 30_000);
      child.stdout?.on('data', (c: Buffer) => {
        out += c.toString('utf8');
        if (/dct server listening on /.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
      void this.exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`${o.name} exited before listening\n${out}\n${this.stderrTail}`));
      });
    });
  }

  /** SIGKILL: no shutdown at all, as a crash or an OOM kill. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.stopping = true;
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, then SIGKILL after 10 s. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.stopping = true;
    this.child?.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }

  get lastErrors(): string {
    return this.stderrTail;
  }
}

/** Restarts the machine's PostgreSQL cluster (Debian's pg_ctlcluster) and waits until it answers again. */
export async function restartPostgres(url: string): Promise<void> {
  const version = readdirSync('/etc/postgresql').find((v) => /^\d+$/.test(v));
  if (version === undefined) throw new Error('no PostgreSQL cluster version in /etc/postgresql');
  await run('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'restart'], { timeoutMs: 120_000 });
  for (let attempt = 0; attempt < 120; attempt++) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  throw new Error('PostgreSQL did not answer within 30 s of its restart');
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  const admin = new pg.Client({ connectionString: url });
  admin.on('error', () => undefined);
  await admin.connect();
  try {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await admin.end();
  }
}
