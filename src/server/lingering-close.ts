/**
 * Closing a connection whose request body was refused part-way, as Go's
 * net/http does: the answer goes out, then the write side closes while what
 * the client still sends is read and dropped for a moment. Closing a socket
 * with unread bytes sends a TCP reset, and a reset can discard the answer
 * before the client has read it (it would see ECONNRESET instead of, say,
 * 413 SIZE_INVALID).
 */
import type { Socket } from 'node:net';

/** After the answer to the current request, `socket` half-closes and is destroyed `ms` later (or when the client closes). */
export function lingerOnClose(socket: Socket, ms = 500): void {
  // node's HTTP server ends a `Connection: close` exchange with destroySoon()
  socket.destroySoon = function lingeringDestroySoon(this: Socket): void {
    this.end();
    setTimeout(() => this.destroy(), ms).unref();
  };
}
