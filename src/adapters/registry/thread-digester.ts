/**
 * Hashing a large blob on a worker thread. A download spends about a third of its main
 * thread's time in sha256 (bench:images, CPU profile); on a thread of its own the hash
 * runs beside the HTTP parsing and the file writes instead of between them. The bytes are
 * copied into 256 KiB batches (a memcpy costs a tenth of the hash) and the batch buffers
 * are transferred to the thread and back, so they are reused, not reallocated.
 *
 * One thread per process, shared by every download (a hash at ~1.5 GB/s outruns any
 * one download). It keeps the process alive only while it has work; a thread that dies
 * fails the digests it was computing (HASH_FAILED) and the next one starts a new thread.
 */
import { Worker } from 'node:worker_threads';
import { DctError } from '../../core/errors.js';
import type { DigestAlgorithm } from '../../core/oci/digest.js';

/** What `getBlob` needs of a digester: the core `Digester` is one, `ThreadDigester` another. */
export interface BlobDigester {
  readonly algorithm: DigestAlgorithm;
  /** bytes hashed so far */
  readonly size: number;
  /** a promise when the caller should wait before giving more (too many bytes not yet hashed) */
  update(chunk: Uint8Array): unknown;
  digest(): string | Promise<string>;
}

/** The thread's code (CommonJS: the bundled CLI has no worker file to point at). */
const THREAD_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const jobs = new Map();
parentPort.on('message', (m) => {
  if (m.op === 'update') {
    let h = jobs.get(m.id);
    if (h === undefined) jobs.set(m.id, (h = createHash(m.algorithm)));
    if (m.length > 0) h.update(new Uint8Array(m.buffer, 0, m.length));
    if (m.last) {
      jobs.delete(m.id);
      parentPort.postMessage({ id: m.id, hex: h.digest('hex'), buffer: m.buffer }, [m.buffer]);
    } else {
      parentPort.postMessage({ id: m.id, buffer: m.buffer }, [m.buffer]);
    }
  } else if (m.op === 'drop') {
    jobs.delete(m.id);
  }
});
`;

const BATCH_BYTES = 256 * 1024;
/** batches a job may have on the thread before `update` asks its caller to wait */
const MAX_IN_FLIGHT = 4;
/** spare batch buffers kept for reuse */
const MAX_SPARE = 8;

interface Reply {
  id: number;
  buffer: ArrayBuffer;
  hex?: string;
}

class HashThread {
  readonly worker: Worker;
  readonly jobs = new Map<number, ThreadDigester>();
  /** messages posted and not yet answered: the thread is ref'ed while there are any */
  private pending = 0;
  dead: DctError | undefined;

  constructor(private readonly onGone: (t: HashThread) => void) {
    this.worker = new Worker(THREAD_SOURCE, { eval: true, execArgv: [], env: {}, stdout: false, stderr: false });
    this.worker.unref();
    this.worker.on('message', (r: Reply) => {
      if (--this.pending === 0) this.worker.unref();
      spare(r.buffer);
      this.jobs.get(r.id)?.answered(r.hex);
    });
    const gone = (err: unknown) => {
      if (this.dead) return;
      this.dead = new DctError('HASH_FAILED', `the hashing thread stopped: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
      this.worker.unref();
      this.onGone(this);
      for (const job of this.jobs.values()) job.failed(this.dead);
      this.jobs.clear();
    };
    this.worker.on('error', gone);
    this.worker.on('exit', (code) => gone(new Error(`exit code ${code}`)));
  }

  post(
    message:
      | { op: 'update'; id: number; algorithm: DigestAlgorithm; buffer: ArrayBuffer; length: number; last: boolean }
      | { op: 'drop'; id: number },
  ): void {
    if (message.op === 'update') {
      if (this.pending++ === 0) this.worker.ref();
      this.worker.postMessage(message, [message.buffer]);
    } else {
      this.worker.postMessage(message);
    }
  }
}

let thread: HashThread | undefined;
let nextId = 1;
const spares: ArrayBuffer[] = [];

function spare(buffer: ArrayBuffer): void {
  if (buffer.byteLength === BATCH_BYTES && spares.length < MAX_SPARE) spares.push(buffer);
}

function batchBuffer(): Uint8Array {
  return new Uint8Array(spares.pop() ?? new ArrayBuffer(BATCH_BYTES));
}

function hashThread(): HashThread {
  thread ??= new HashThread((t) => {
    if (thread === t) thread = undefined;
  });
  return thread;
}

/**
 * A digester whose hashing happens on the shared hashing thread. `digest()` is asynchronous
 * and final: it sends what is left and resolves with `algorithm:hex` once the thread has
 * hashed everything (HASH_FAILED if the thread died). `drop()` forgets an unfinished hash.
 */
export class ThreadDigester implements BlobDigester {
  private readonly id = nextId++;
  private readonly thread = hashThread();
  private batch = batchBuffer();
  private fill = 0;
  private count = 0;
  private inFlight = 0;
  private finished = false;
  private error: DctError | undefined;
  private waiter: { resolve(): void; reject(err: unknown): void } | undefined;
  private result: { resolve(hex: string): void; reject(err: unknown): void } | undefined;

  constructor(readonly algorithm: DigestAlgorithm) {
    this.error = this.thread.dead;
    if (!this.error) this.thread.jobs.set(this.id, this);
  }

  get size(): number {
    return this.count;
  }

  update(chunk: Uint8Array): Promise<void> | undefined {
    if (this.finished) throw new DctError('INVALID_ARGUMENT', 'the digest was already taken');
    if (this.error) throw this.error;
    let at = 0;
    while (at < chunk.length) {
      const n = Math.min(chunk.length - at, BATCH_BYTES - this.fill);
      this.batch.set(at === 0 && n === chunk.length ? chunk : chunk.subarray(at, at + n), this.fill);
      this.fill += n;
      at += n;
      if (this.fill === BATCH_BYTES) this.send(false);
    }
    this.count += chunk.length;
    if (this.inFlight < MAX_IN_FLIGHT) return undefined;
    return new Promise<void>((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  digest(): Promise<string> {
    if (this.finished) return Promise.reject(new DctError('INVALID_ARGUMENT', 'the digest was already taken'));
    if (this.error) return Promise.reject(this.error);
    this.finished = true;
    const hex = new Promise<string>((resolve, reject) => (this.result = { resolve, reject }));
    this.send(true);
    return hex.then((h) => `${this.algorithm}:${h}`);
  }

  /** Forgets the hash (a download that failed); the digester is unusable afterwards. */
  drop(): void {
    if (this.finished) return;
    this.finished = true;
    this.thread.jobs.delete(this.id);
    if (!this.thread.dead) this.thread.post({ op: 'drop', id: this.id });
    spare(this.batch.buffer as ArrayBuffer);
  }

  private send(last: boolean): void {
    const buffer = this.batch.buffer as ArrayBuffer;
    const length = this.fill;
    this.batch = last ? new Uint8Array(0) : batchBuffer();
    this.fill = 0;
    this.inFlight++;
    this.thread.post({ op: 'update', id: this.id, algorithm: this.algorithm, buffer, length, last });
  }

  /** @internal the thread hashed a batch (and, for the last one, gave the digest) */
  answered(hex: string | undefined): void {
    this.inFlight--;
    if (hex !== undefined) {
      this.thread.jobs.delete(this.id);
      this.result?.resolve(hex);
    }
    if (this.waiter && this.inFlight < MAX_IN_FLIGHT) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve();
    }
  }

  /** @internal the thread died */
  failed(err: DctError): void {
    this.error = err;
    this.result?.reject(err);
    this.result = undefined;
    this.waiter?.reject(err);
    this.waiter = undefined;
  }
}
