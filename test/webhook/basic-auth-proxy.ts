/**
 * A private registry for the pull-secret tests: a reverse proxy on loopback that answers 401
 * with `WWW-Authenticate: Basic realm=…` unless the request carries the one user and password,
 * and otherwise forwards it to a real registry (docker-registry), rewriting the upload
 * `Location`s that registry hands out to the proxy's own address.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BasicAuthProxy {
  /** `127.0.0.1:<port>` */
  host: string;
  /** requests refused for want of the right credentials */
  refused: number;
  close(): Promise<void>;
}

export async function startBasicAuthProxy(backend: string, username: string, password: string): Promise<BasicAuthProxy> {
  const expected = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  let host = '';
  const state = { refused: 0 };
  const server: Server = createServer((req, res) => {
    if (req.headers.authorization !== expected) {
      state.refused++;
      req.resume();
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="private registry"', 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
      return;
    }
    const headers = { ...req.headers, host: backend };
    delete headers.authorization;
    const upstream = request(`http://${backend}${req.url ?? '/'}`, { method: req.method, headers }, (up) => {
      const out = { ...up.headers };
      if (typeof out.location === 'string') out.location = out.location.replace(backend, host);
      res.writeHead(up.statusCode ?? 502, out);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host,
    get refused() {
      return state.refused;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
