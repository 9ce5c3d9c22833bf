/**
 * Runs a synchronous function of a module in a worker thread and stops it after a time limit:
 * the guard of tests that hostile input does not hang dct. A test's own `timeout` cannot stop
 * synchronous code (its timer waits for the code to return, and the test then passes), so the
 * work runs where it can be stopped. A liveness check, not a timing assertion: the limit is
 * tens of times what the work takes on a loaded machine.
 */
import { Worker } from 'node:worker_threads';

export type GuardedResult = { returned: unknown } | { threw: { name: string; code?: string; message: string } };

/** `fn` exported by `module` (a file URL), called with `args` (structured-cloneable) in a worker. */
export function runWithin(limitMs: number, module: URL, fn: string, args: unknown[]): Promise<GuardedResult> {
  const worker = new Worker(new URL('./hang-guard-worker.mjs', import.meta.url), {
    workerData: { module: module.href, fn, args },
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new Error(`${fn} did not finish within ${limitMs} ms: it hangs on this input`));
    }, limitMs);
    worker.once('message', (result: GuardedResult) => {
      clearTimeout(timer);
      void worker.terminate();
      resolve(result);
    });
    worker.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
