/**
 * A task over each of a list's items, at most `limit` at a time, with the outcome a loop
 * awaiting them one after another would have had: results in the items' order, and the
 * error of the first item (in that order) that failed. Items start in their order, and once
 * one fails no further item starts (a loop would have stopped there); the items already
 * started are waited for, so none is left running and no rejection is left unhandled.
 * Once `signal` is aborted no item starts either; after those started have settled, the
 * whole rejects with the signal's reason.
 */

/**
 * The outcome of each item started, in the items' order. When a task rejects with a reason
 * `stopOn` accepts (by default: any), no further item starts: the outcomes are then those
 * of a prefix of the items, which holds that rejection. Without such a rejection, every item's.
 */
export async function settleBounded<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
  stopOn: (reason: unknown) => boolean = () => true,
  signal?: AbortSignal,
): Promise<Array<PromiseSettledResult<R>>> {
  const outcomes: Array<PromiseSettledResult<R>> = [];
  let next = 0;
  let stopped = false;
  const worker = async (): Promise<void> => {
    while (!stopped && !signal?.aborted && next < items.length) {
      const index = next++;
      try {
        outcomes[index] = { status: 'fulfilled', value: await task(items[index] as T, index) };
      } catch (reason) {
        outcomes[index] = { status: 'rejected', reason };
        if (stopOn(reason)) stopped = true;
      }
    }
  };
  const workers = Math.max(1, Math.min(Math.floor(limit) || 1, items.length));
  await Promise.all(Array.from({ length: workers }, worker));
  signal?.throwIfAborted();
  return outcomes;
}

/** The results of `task` over `items`, at most `limit` at a time, in the items' order; else the first failure's error, in that order. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
  signal?: AbortSignal,
): Promise<R[]> {
  const outcomes = await settleBounded(items, limit, task, () => true, signal);
  return outcomes.map((o) => {
    if (o.status === 'rejected') throw o.reason;
    return o.value;
  });
}
