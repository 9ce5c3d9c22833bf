/**
 * Stale keep-alive connections: a server may close an idle pooled connection just as a
 * request is written on it, which fails with ECONNRESET or EPIPE before any answer. Such
 * a request is sent once more (on a new connection), as Go's transport does. Only for
 * requests that are safe to repeat: this wrapper goes only on transports whose every
 * request is.
 */
import type { Wrapper } from './round-tripper.js';
import { isStaleConnection } from './send.js';

export function reconnect(): Wrapper {
  return (inner) => async (req) => {
    try {
      return await inner(req);
    } catch (err) {
      if (!isStaleConnection(err)) throw err;
      return inner(req);
    }
  };
}
