/**
 * A loopback HTTP service that counts what reaches it: the fake behind tests that a client gives
 * up after one attempt (no retries against a service that is down) without timing the client.
 * `reset`: every connection is cut at once (the client sees a reset, as from a dead service);
 * `silent`: requests are taken and never answered; a function answers them. Pass the test's
 * `signal` so that a test stopped at its own time limit (the client hangs) closes the server and
 * the test file ends instead of waiting on it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface CountingServer {
  readonly url: string;
  readonly port: number;
  /** TCP connections accepted */
  readonly connections: number;
  /** HTTP requests whose head arrived */
  readonly requests: number;
  close(): Promise<void>;
}

export async function countingServer(
  behaviour: 'reset' | 'silent' | ((req: IncomingMessage, res: ServerResponse) => void),
  signal?: AbortSignal,
): Promise<CountingServer> {
  let connections = 0;
  let requests = 0;
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    requests++;
    if (typeof behaviour === 'function') behaviour(req, res);
  });
  server.on('connection', (socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    if (behaviour === 'reset') socket.resetAndDestroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  signal?.addEventListener('abort', () => void close(), { once: true });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get connections() {
      return connections;
    },
    get requests() {
      return requests;
    },
    close,
  };
}
