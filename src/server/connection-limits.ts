/**
 * Limits on the connections of the trust server's port: an idle timeout (a
 * connection that neither sends nor takes bytes for that long is closed — a
 * client that stops reading a blob, or one that never sends its request),
 * the most open connections of the process (node's `maxConnections`: any
 * beyond are closed as they arrive), and the most of one client address.
 * Trusted proxies are exempt from the per-client cap: every client behind
 * them shares their address (their X-Forwarded-For names clients only per
 * request, once a connection is open).
 *
 * The idle timeout is a sweep over the open connections, not node's socket
 * timer (`server.timeout`): on a keep-alive connection node swaps that timer
 * for the keep-alive timer and back on every request (two timers made, two
 * dropped, and the timer refreshed on each read and write), a cost that
 * showed on every cached GET (bench:server). The sweep runs every quarter of
 * the timeout and closes a connection whose byte counts have not moved for
 * the timeout: it is closed between 1 and 1.25 times the timeout after its
 * last byte.
 */
import type { Server, Socket } from 'node:net';
import type { Logger } from 'pino';
import type { ClientAddresses } from './client-address.js';
import { clientBucket } from './rate-limiter.js';

export interface ConnectionLimits {
  /** nothing sent or received for this long: the connection is closed */
  idleTimeoutMs: number;
  /** open connections of this process */
  maxConnections: number;
  /** open connections of one client address */
  maxConnectionsPerClient: number;
}

export function applyConnectionLimits(
  server: Server & { timeout: number },
  limits: ConnectionLimits,
  clients: ClientAddresses,
  log: Logger,
): void {
  closeIdleConnections(server, limits.idleTimeoutMs);
  server.maxConnections = limits.maxConnections;
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = clients.of(socket.remoteAddress, undefined);
    if (clients.isTrustedProxy(address)) return;
    // counted per IPv4 address and IPv6 /64, as the rate limits count
    const client = clientBucket(address);
    const n = open.get(client) ?? 0;
    if (n >= limits.maxConnectionsPerClient) {
      log.debug({ client, open: n }, 'connection refused: the client has the most connections allowed');
      socket.destroy();
      return;
    }
    open.set(client, n + 1);
    socket.once('close', () => {
      const left = (open.get(client) ?? 1) - 1;
      if (left > 0) open.set(client, left);
      else open.delete(client);
    });
  });
}

/** Closes connections that neither sent nor took a byte for `idleMs` (checked every quarter of it). */
function closeIdleConnections(server: Server, idleMs: number): void {
  const open = new Map<Socket, { bytes: number; since: number }>();
  // (behind TLS, the TCP socket: its byte counts move with the TLS records, the handshake's included)
  server.on('connection', (socket: Socket) => {
    open.set(socket, { bytes: 0, since: Date.now() });
    socket.once('close', () => open.delete(socket));
  });
  const sweep = setInterval(
    () => {
      const now = Date.now();
      for (const [socket, seen] of open) {
        // bytesWritten counts what is queued too: a reader that stopped leaves it still once the queue is full
        const bytes = socket.bytesRead + (socket.bytesWritten ?? 0);
        if (bytes !== seen.bytes) {
          seen.bytes = bytes;
          seen.since = now;
        } else if (now - seen.since >= idleMs) {
          open.delete(socket);
          socket.destroy();
        }
      }
    },
    Math.max(10, Math.floor(idleMs / 4)),
  );
  sweep.unref();
  server.once('close', () => clearInterval(sweep));
}
