/**
 * bcrypt comparisons off the event loop: a few worker threads (bcryptjs is
 * pure JavaScript, and even its async API computes on the calling thread), at
 * most one comparison per thread at a time. Comparisons beyond the threads
 * wait in a bounded queue; beyond that a login is refused at once with 503
 * UNAVAILABLE and Retry-After, so a flood of logins costs the server a fixed
 * amount of CPU and memory and never delays other requests.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { Gauge, type Registry } from 'prom-client';
import { ApiError } from '../api-errors.js';
import { DEFAULT_PASSWORD_QUEUE, DEFAULT_PASSWORD_THREADS } from '../config.js';

/** The thread's code: CommonJS with bcryptjs' CommonJS build (the bundled CLI has no worker file to point at). */
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcryptjs);
parentPort.on('message', ({ password, hash }) => {
  let ok = false;
  try { ok = bcrypt.compareSync(password, hash); } catch { ok = false; }
  parentPort.postMessage(ok);
});
`;

interface Job {
  password: string;
  hash: string;
  resolve(ok: boolean): void;
  reject(err: unknown): void;
}

interface Thread {
  worker: Worker;
  job?: Job;
}

const busy = () => new ApiError('UNAVAILABLE', undefined, 'too many password checks waiting', { 'Retry-After': '1' });

export class PasswordCheckPool {
  private readonly threads: Thread[] = [];
  private readonly queue: Job[] = [];
  private bcryptjs?: string;
  private closed = false;

  constructor(readonly opts: { threads?: number; maxQueued?: number } = {}) {}

  get maxThreads(): number {
    return this.opts.threads ?? DEFAULT_PASSWORD_THREADS;
  }

  get maxQueued(): number {
    return this.opts.maxQueued ?? DEFAULT_PASSWORD_QUEUE;
  }

  /** comparisons running on a thread, and waiting for one */
  stats(): { running: number; queued: number } {
    return { running: this.threads.filter((t) => t.job).length, queued: this.queue.length };
  }

  /** bcrypt `password` against `hash` on a worker thread; rejects with 503 UNAVAILABLE when the queue is full. */
  compare(password: string, hash: string): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      if (this.closed) return reject(busy());
      const job: Job = { password, hash, resolve, reject };
      const idle = this.threads.find((t) => !t.job) ?? (this.threads.length < this.maxThreads ? this.spawn() : undefined);
      if (idle) this.run(idle, job);
      else if (this.queue.length < this.maxQueued) this.queue.push(job);
      else reject(busy());
    });
  }

  /** Gauges of `stats()` for /metrics. */
  registerMetrics(registry: Registry): void {
    const stats = () => this.stats();
    new Gauge({
      name: 'dct_auth_password_checks_running',
      help: 'bcrypt comparisons running on worker threads',
      registers: [registry],
      collect() {
        this.set(stats().running);
      },
    });
    new Gauge({
      name: 'dct_auth_password_checks_queued',
      help: 'bcrypt comparisons waiting for a worker thread',
      registers: [registry],
      collect() {
        this.set(stats().queued);
      },
    });
  }

  /** Refuses waiting comparisons (503) and stops the threads. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(busy());
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }

  private spawn(): Thread {
    this.bcryptjs ??= createRequire(import.meta.url).resolve('bcryptjs');
    const worker = new Worker(THREAD_SOURCE, {
      eval: true,
      workerData: { bcryptjs: this.bcryptjs },
      execArgv: [],
      env: {},
      stdout: false,
      stderr: false,
    });
    const thread: Thread = { worker };
    worker.on('message', (ok: unknown) => {
      const job = thread.job;
      thread.job = undefined;
      job?.resolve(ok === true);
      this.next(thread);
    });
    const gone = (err: unknown) => {
      const i = this.threads.indexOf(thread);
      if (i < 0) return; // 'error' and then 'exit'
      this.threads.splice(i, 1);
      const job = thread.job;
      thread.job = undefined;
      job?.reject(this.closed ? busy() : err);
      // another thread takes over what waits
      if (!this.closed && this.queue.length > 0) this.run(this.spawn(), this.queue.shift() as Job);
    };
    worker.on('error', gone);
    worker.on('exit', (code) => gone(new Error(`password check thread exited (${code})`)));
    worker.unref();
    this.threads.push(thread);
    return thread;
  }

  private run(thread: Thread, job: Job): void {
    thread.job = job;
    // a thread with work keeps the process alive; an idle one does not
    thread.worker.ref();
    thread.worker.postMessage({ password: job.password, hash: job.hash });
  }

  private next(thread: Thread): void {
    const job = this.queue.shift();
    if (job) this.run(thread, job);
    else thread.worker.unref();
  }
}

let shared: PasswordCheckPool | undefined;
/** A process-wide pool with the default sizes (for user tables made without one). */
export function sharedPasswordCheckPool(): PasswordCheckPool {
  return (shared ??= new PasswordCheckPool());
}
