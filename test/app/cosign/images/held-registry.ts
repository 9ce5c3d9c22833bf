/**
 * A SignatureRegistry for the tests of how cosign's lookups overlap: it answers from an
 * in-memory registry, but holds every answer until the test releases it, records the order
 * of the requests and the most held at once, can answer a request with an error instead,
 * and can list referrers of its own (a referrer that does not exist, a chosen order). A read
 * given a signal is answered with ABORTED when the signal aborts, as the registry client's are.
 */
import { DctError } from '../../../../src/core/errors.js';
import type { Descriptor } from '../../../../src/core/oci/descriptor.js';
import type { ReadOptions, RegistryManifest, SignatureRegistry } from '../../../../src/core/signatures/signature-registry.js';

interface Held {
  label: string;
  release(): void;
}

export class HeldRegistry implements SignatureRegistry {
  /** every request, in the order it was made: `referrers`, `manifest <reference>`, `blob <digest>` */
  readonly requests: string[] = [];
  /** the requests not answered yet, oldest first */
  readonly held: Held[] = [];
  /** the signal each request was made with (undefined: none), by request, in the order of `requests` */
  readonly signals: Array<AbortSignal | undefined> = [];
  /** errors to answer requests with, by label */
  readonly failures = new Map<string, Error>();
  /** the referrers to list instead of the inner registry's */
  referrerList: Descriptor[] | undefined;
  private readonly onHold: Array<() => void> = [];
  private readonly kinds = new Map<string, (label: string) => boolean>();
  private readonly most = new Map<string, number>();

  constructor(private readonly inner: SignatureRegistry) {}

  /** the most requests held at once whose label `kind` accepts */
  mostHeld(kind: string): number {
    return this.most.get(kind) ?? 0;
  }

  /** counts requests held at once for `kind` (a name, and which labels it takes) from now on */
  track(kind: string, accepts: (label: string) => boolean): void {
    this.kinds.set(kind, accepts);
  }
  isHeld(label: string): boolean {
    return this.held.some((h) => h.label === label);
  }

  /** Releases the oldest (or newest) held request. False when none is held. */
  releaseOne(which: 'oldest' | 'newest' = 'oldest'): boolean {
    const h = which === 'oldest' ? this.held.shift() : this.held.pop();
    h?.release();
    return h !== undefined;
  }

  /** Releases the held request `label`. */
  release(label: string): void {
    const i = this.held.findIndex((h) => h.label === label);
    if (i < 0) throw new Error(`${label} is not held (held: ${this.held.map((h) => h.label).join(', ')})`);
    this.held.splice(i, 1)[0]?.release();
  }

  /**
   * Answers held requests one at a time (after the code has made every request it makes
   * meanwhile) until `work` settles; its outcome.
   */
  async answerAll<T>(work: Promise<T>, which: 'oldest' | 'newest' = 'oldest'): Promise<PromiseSettledResult<T>> {
    const outcome: Promise<PromiseSettledResult<T>> = work.then(
      (value) => ({ status: 'fulfilled', value }),
      (reason: unknown) => ({ status: 'rejected', reason }),
    );
    let done: PromiseSettledResult<T> | undefined;
    void outcome.then((o) => (done = o));
    for (;;) {
      await settled();
      if (done) return done;
      // nothing held: the code is busy (checking a signature) until it asks again or is done
      if (this.held.length === 0) await Promise.race([outcome, new Promise<void>((resolve) => this.onHold.push(resolve))]);
      else this.releaseOne(which);
    }
  }

  private hold<T>(label: string, answer: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    this.requests.push(label);
    this.signals.push(signal);
    for (const wake of this.onHold.splice(0)) wake();
    return new Promise<T>((resolve, reject) => {
      if (signal?.aborted) return reject(new DctError('ABORTED', `${label}: aborted`));
      const held: Held = {
        label,
        release: () => {
          signal?.removeEventListener('abort', onAbort);
          const failure = this.failures.get(label);
          if (failure) reject(failure);
          else answer().then(resolve, reject);
        },
      };
      const onAbort = () => {
        const i = this.held.indexOf(held);
        if (i >= 0) this.held.splice(i, 1);
        reject(new DctError('ABORTED', `${label}: aborted`));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.held.push(held);
      for (const [kind, accepts] of this.kinds) {
        const n = this.held.filter((h) => accepts(h.label)).length;
        if (n > (this.most.get(kind) ?? 0)) this.most.set(kind, n);
      }
    });
  }

  getManifest(repo: string, reference: string, accept?: readonly string[], opts?: ReadOptions): Promise<RegistryManifest | undefined> {
    return this.hold(`manifest ${reference}`, () => this.inner.getManifest(repo, reference, accept), opts?.signal);
  }

  readBlob(repo: string, descriptor: Descriptor, maxBytes: number, opts?: ReadOptions): Promise<Buffer> {
    return this.hold(`blob ${descriptor.digest}`, () => this.inner.readBlob(repo, descriptor, maxBytes), opts?.signal);
  }

  referrers(repo: string, digest: string, opts: ReadOptions & { artifactType?: string; max?: number } = {}) {
    const { signal, ...rest } = opts;
    return this.hold(
      'referrers',
      async () => (this.referrerList ? { manifests: this.referrerList, via: 'api' as const } : this.inner.referrers(repo, digest, rest)),
      signal,
    );
  }

  putManifest(repo: string, reference: string, bytes: Uint8Array, mediaType: string) {
    return this.inner.putManifest(repo, reference, bytes, mediaType);
  }

  writeBlob(repo: string, descriptor: Descriptor, bytes: Uint8Array): Promise<void> {
    return this.inner.writeBlob(repo, descriptor, bytes);
  }

  supportsReferrersApi(repo: string, digest: string): Promise<boolean> {
    return this.inner.supportsReferrersApi(repo, digest);
  }
}

/** Lets the event loop turn `turns` times: whatever the code does without waiting for an answer is done by then. */
export async function settled(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
