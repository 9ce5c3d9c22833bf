/**
 * One verification's view of a registry, bound to the verification's signal: every read
 * carries the signal (a request in flight is aborted with it), and once the signal is
 * aborted no read starts: it rejects at once with `abortedError`. A format verifier asks the
 * registry through this view, so that a decision its caller gave up on (the admission
 * webhook's deadline) stops making requests instead of holding the shared client's connections.
 */
import { DctError } from '../../core/errors.js';
import type { Descriptor } from '../../core/oci/descriptor.js';
import type { ReadOptions, SignatureRegistry } from '../../core/signatures/signature-registry.js';

/** How an aborted verification ends, whatever step it was at: ABORTED, as an aborted registry request is. */
export function abortedError(signal: AbortSignal): DctError {
  const why = signal.reason instanceof Error ? `: ${signal.reason.message}` : '';
  return new DctError('ABORTED', `the signature verification was aborted${why}`, { cause: signal.reason });
}

/** Throws `abortedError` when the signal is aborted (between the steps of a verification). */
export function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortedError(signal);
}

/**
 * `work()` (not started when the signal is already aborted); once the signal is aborted,
 * whatever it rejects with is `abortedError`: an aborted verification ends as one, whichever
 * step noticed it (a read, a bounded map, a check between steps).
 */
export async function abortable<T>(signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
  try {
    checkAborted(signal);
    return await work();
  } catch (err) {
    if (signal?.aborted) throw abortedError(signal);
    throw err;
  }
}

/**
 * `work`, or `abortedError` as soon as the signal is aborted, whichever comes first. For work
 * that cannot be cancelled (a read others share): its outcome after the abort is dropped, not
 * left unhandled.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(abortedError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortedError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** The registry's reads bound to `signal` (the registry itself when there is none). */
export function abortableRegistry(registry: SignatureRegistry, signal: AbortSignal | undefined): SignatureRegistry {
  if (!signal) return registry;
  const bound =
    <A extends unknown[], R>(read: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      checkAborted(signal);
      return read(...args);
    };
  const opts: ReadOptions = { signal };
  return {
    getManifest: bound((repo: string, reference: string, accept?: readonly string[]) =>
      registry.getManifest(repo, reference, accept, opts),
    ),
    readBlob: bound((repo: string, descriptor: Descriptor, maxBytes: number) => registry.readBlob(repo, descriptor, maxBytes, opts)),
    referrers: bound((repo: string, digest: string, o: { artifactType?: string; max?: number } = {}) =>
      registry.referrers(repo, digest, { ...o, signal }),
    ),
    supportsReferrersApi: bound((repo: string, digest: string) => registry.supportsReferrersApi(repo, digest, opts)),
    putManifest: bound((repo: string, reference: string, bytes: Uint8Array, mediaType: string) =>
      registry.putManifest(repo, reference, bytes, mediaType),
    ),
    writeBlob: bound((repo: string, descriptor: Descriptor, bytes: Uint8Array) => registry.writeBlob(repo, descriptor, bytes)),
  };
}
