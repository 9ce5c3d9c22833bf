/**
 * Single flight: while a call of `run` is under way, further calls share its promise instead of
 * starting another; once it settles (fulfilled or rejected), the next call starts a new one.
 */
export function singleFlight<T>(run: () => Promise<T>): () => Promise<T> {
  let flight: Promise<T> | undefined;
  return () => {
    if (!flight) {
      // cleared when settled, before any sharer sees the outcome: a sharer that calls again gets a new flight
      flight = run().finally(() => {
        flight = undefined;
      });
    }
    return flight;
  };
}
