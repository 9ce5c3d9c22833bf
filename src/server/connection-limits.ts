/**
 * Limits on the connections of the trust server's port: an idle timeout (a
 * connection that neither sends nor takes bytes for that long is closed — a
 * client that stops reading a blob, or one that never sends its request),
 * the most open connections of the process (node's `maxConnections`: any
 * beyond are closed as they arrive), and the most of one client address.
 * Trusted proxies are exempt from the per-client cap: every client behind
 * them shares their address (their X-Forwarded-For names clients only per
 * request, once a connection is open).
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
  // node's HTTP server destroys a socket whose timeout fires when nothing else handles it
  server.timeout = limits.idleTimeoutMs;
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
