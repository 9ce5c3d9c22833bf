/**
 * The audit feed as a dct server (`--audit https://host:port`): records are posted in batches to
 * its `POST /_dct/audit` through the project's HTTP transport — TLS as docker talks to that host
 * (`$DOCKER_CONFIG/tls/<host:port>/`: extra CAs, a client certificate), token auth with the
 * credentials docker holds for it (`DOCKER_AUTH_CONFIG`, helpers, config.json), asking for
 * `repository:_dct/audit:push`.
 *
 * `record` never blocks: records wait in a bounded queue (the oldest dropped, counted as lost,
 * while the server is away), a batch that fails for a transient reason (network, 408, 429, 5xx,
 * a 401 that a new token may cure) is sent again with exponential back-off, one the server refuses
 * (400, 403, 413) is lost. `flush()` waits for the queue up to a timeout and reports what is left.
 */
import { DctError } from '../../core/errors.js';
import type { AuditRecord, AuditSink } from '../../core/policy/audit-record.js';
import { dockerCredentials } from '../client-config/docker-credentials.js';
import { dockerConfigDir, type Env } from '../client-config/docker-config-file.js';
import { tlsFilesForHost, tlsSettingsFrom } from '../client-config/docker-tls-files.js';
import { RegistryAuth, repositoryScope, type CredentialSource } from '../http/registry-auth.js';
import type { TlsSettings } from '../http/tls-settings.js';
import { errorBodyMessage, MAX_ERROR_BODY } from '../http/transport/error-body.js';
import type { RoundTripper } from '../http/transport/round-tripper.js';
import { readBody } from '../http/transport/send.js';
import { createTransport } from '../http/transport/transport.js';
import { LossReporter } from './loss-reporter.js';

/** The pseudo-repository a poster needs `push` on (the server's AUDIT_REPOSITORY). */
export const AUDIT_PUSH_SCOPE = repositoryScope('_dct/audit', 'push');

export interface HttpAuditSinkOptions {
  onError?: (message: string) => void;
  /** DOCKER_CONFIG, DOCKER_AUTH_CONFIG (default process.env) */
  env?: Env;
  /** TLS settings instead of docker's folder for the host */
  tls?: TlsSettings;
  /** credentials instead of docker's for the host */
  credentials?: CredentialSource;
  /** records waiting beyond this are dropped, oldest first (default 10,000) */
  maxQueued?: number;
  /** records per post (default 500, the server takes 1,000) and bytes per post (default 1 MiB, the server takes 4) */
  batchSize?: number;
  maxBatchBytes?: number;
  /** back-off after a failed post: first and longest wait (default 500 ms, 30 s) */
  retryMs?: number;
  maxRetryMs?: number;
  /** how long `flush()` waits (default 10 s) */
  flushTimeoutMs?: number;
  /** deadline of one post (default 10 s) */
  timeoutMs?: number;
  /** the transport's bottom (tests) */
  bottom?: RoundTripper;
}

/** A failure sending again does not cure: the batch is lost. */
class Refused extends Error {}

/** Failures of getting a token that are the configuration's (wrong credentials, none, a bad realm), not the network's. */
const AUTH_REFUSALS = new Set(['AUTH_FAILED', 'AUTH_REQUIRED', 'AUTH_CHALLENGE_INVALID', 'INSECURE_AUTH_REALM']);

async function refusedOnAuthFailure(rt: RoundTripper, req: Parameters<RoundTripper>[0]): Promise<Awaited<ReturnType<RoundTripper>>> {
  try {
    return await rt(req);
  } catch (err) {
    if (err instanceof DctError && AUTH_REFUSALS.has(err.code))
      throw new Refused(`the audit server refused the credentials: ${err.message}`);
    throw err;
  }
}

export class HttpAuditSink implements AuditSink {
  private queue: string[] = [];
  private draining: Promise<void> | undefined;
  private transport: Promise<{ rt: RoundTripper; tls: TlsSettings }> | undefined;
  private wake: (() => void) | undefined;
  /** why the last post failed, while posts fail */
  private lastFailure: string | undefined;
  /** records the server stored */
  delivered = 0;
  private readonly losses: LossReporter;

  /** records dropped: store or server failures and refusals, queue overflow, left at a flush timeout */
  get lost(): number {
    return this.losses.lost;
  }
  private readonly url: URL;

  constructor(
    server: string,
    private readonly opts: HttpAuditSinkOptions = {},
  ) {
    let base: URL;
    try {
      base = new URL(server);
    } catch (err) {
      throw new DctError('AUDIT_FEED_UNAVAILABLE', `the audit feed ${JSON.stringify(server)} is not a URL`, { cause: err });
    }
    if (base.protocol !== 'https:' && base.protocol !== 'http:') {
      throw new DctError('AUDIT_FEED_UNAVAILABLE', `the audit feed ${server} must be an https:// (or http://) URL`);
    }
    this.url = new URL('/_dct/audit', base);
    this.losses = new LossReporter(opts.onError ?? (() => {}));
  }

  record(record: AuditRecord): void {
    const { id: _id, source: _source, ...rest } = record;
    this.queue.push(JSON.stringify(rest));
    const max = this.opts.maxQueued ?? 10_000;
    if (this.queue.length > max) {
      const dropped = this.queue.length - max;
      this.queue.splice(0, dropped);
      this.lose(dropped, `the audit queue for ${this.url.origin} is full (the server is slow or away)`);
    }
    this.draining ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.drain());
  }

  async flush(): Promise<void> {
    try {
      await this.waitForQueue();
    } finally {
      this.losses.report();
    }
  }

  private async waitForQueue(): Promise<void> {
    if (!this.draining) return;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.draining.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), this.opts.flushTimeoutMs ?? 10_000))),
    ]);
    clearTimeout(timer);
    if (timedOut && this.queue.length > 0) {
      const left = this.queue.length;
      this.queue = [];
      this.wake?.();
      const why = this.lastFailure ? ` (last failure: ${this.lastFailure})` : '';
      this.lose(left, `the audit server ${this.url.origin} did not take the records in time${why}`);
    }
  }

  private async drain(): Promise<void> {
    let delay = this.opts.retryMs ?? 500;
    try {
      while (this.queue.length > 0) {
        const batch = this.takeBatch();
        try {
          await this.post(batch);
          this.delivered += batch.length;
          this.lastFailure = undefined;
          delay = this.opts.retryMs ?? 500;
        } catch (err) {
          if (err instanceof Refused) {
            this.lose(batch.length, err.message);
            continue;
          }
          // back in front, in order, unless newer records pushed them out meanwhile
          this.lastFailure = (err as Error).message;
          this.queue.unshift(...batch);
          const max = this.opts.maxQueued ?? 10_000;
          if (this.queue.length > max) {
            const dropped = this.queue.length - max;
            this.queue.splice(0, dropped);
            this.lose(dropped, `the audit server ${this.url.origin} is away (${(err as Error).message})`);
          }
          await new Promise<void>((resolve) => {
            this.wake = resolve;
            setTimeout(resolve, delay).unref();
          });
          this.wake = undefined;
          delay = Math.min(delay * 2, this.opts.maxRetryMs ?? 30_000);
        }
      }
    } finally {
      this.draining = undefined;
    }
  }

  private takeBatch(): string[] {
    const maxRecords = this.opts.batchSize ?? 500;
    const maxBytes = this.opts.maxBatchBytes ?? 1024 * 1024;
    let n = 0;
    let bytes = 0;
    while (n < this.queue.length && n < maxRecords) {
      bytes += (this.queue[n] as string).length + 1;
      if (n > 0 && bytes > maxBytes) break;
      n++;
    }
    return this.queue.splice(0, n);
  }

  private async post(batch: readonly string[]): Promise<void> {
    const { rt, tls } = await this.connect();
    const res = await refusedOnAuthFailure(rt, {
      method: 'POST',
      url: this.url,
      headers: { 'Content-Type': 'application/json' },
      body: Buffer.from(`{"records":[${batch.join(',')}]}`),
      tls,
      scopes: [AUDIT_PUSH_SCOPE],
      timeoutMs: this.opts.timeoutMs ?? 10_000,
      deadlineMs: (this.opts.timeoutMs ?? 10_000) * 2,
    });
    const body = await readBody(res, MAX_ERROR_BODY, () => new DctError('AUDIT_FEED_UNAVAILABLE', 'the answer is too large'), {
      truncateAt: MAX_ERROR_BODY,
    });
    if (res.status === 201 || res.status === 202 || res.status === 200) return;
    const why = `${this.url.origin} answered ${res.status}${errorBodyMessage(body) ? ` (${errorBodyMessage(body)})` : ''}`;
    // 401 here: even a fresh token lacks the scope (the user may not post)
    if (res.status === 400 || res.status === 401 || res.status === 403 || res.status === 404 || res.status === 413) {
      throw new Refused(`the audit server refused ${batch.length} record(s): ${why}`);
    }
    throw new Error(why);
  }

  private connect(): Promise<{ rt: RoundTripper; tls: TlsSettings }> {
    this.transport ??= (async () => {
      const env = this.opts.env ?? process.env;
      const tls = this.opts.tls ?? tlsSettingsFrom(await tlsFilesForHost(dockerConfigDir(env), this.url.host));
      const credentials = this.opts.credentials ?? (() => dockerCredentials(this.url.host, { env }));
      const auth = new RegistryAuth({ credentials, clientId: 'dct', userAgent: 'dct' });
      const rt = createTransport({
        userAgent: 'dct',
        auth: { auth, tls },
        ...(this.opts.bottom ? { bottom: this.opts.bottom } : {}),
      });
      return { rt, tls };
    })().catch((err: unknown) => {
      this.transport = undefined;
      throw err;
    });
    return this.transport;
  }

  private lose(count: number, why: string): void {
    this.losses.lose(count, why);
  }
}
