/**
 * Trust-server connections shared by the decisions of a long-running enforcement point (the
 * admission webhook under a policy naming DCT): one connection per trust server and docker
 * login, pinged once, instead of a new client (TLS context, handshake, ping) for every image.
 * A connection is only shared between decisions that would log in with the same credentials
 * (the key holds a fingerprint of them, never the secret). `close()` (a policy reload, or the
 * wiring's age) stops sharing at once and closes the connections a grace period later, so
 * decisions in flight finish on them.
 */
import { createHash } from 'node:crypto';
import type { DockerTrustHost, RegistryLogin, TrustServerConnection } from '../../app/docker-trust/trust-context.js';
import { openTrustContext as openContext } from '../../app/docker-trust/trust-context.js';
import type { TrustServer } from '../../app/trust-server-url.js';
import type { TrustIo } from './io.js';
import { dockerTrustHost } from './trust-context.js';
import { trustBundlePath, trustDataOpener, type LocatedTrustData } from './trust-data.js';

/** How long closed connections stay open for the decisions still using them (a decision is bounded well below it). */
const DEFAULT_GRACE_MS = 60_000;

interface Shared {
  connection: TrustServerConnection;
  pinged?: Promise<unknown>;
}

export class SharedTrustConnections {
  private connections = new Map<string, Promise<Shared>>();
  private readonly host: DockerTrustHost;

  constructor(
    private readonly io: TrustIo,
    private readonly graceMs = DEFAULT_GRACE_MS,
  ) {
    const base = dockerTrustHost(io);
    this.host = { ...base, connect: (server, credentials) => this.connect(base, server, credentials) };
  }

  /** Opens a GUN's trust data over the shared connections (a trust bundle, when the io names one, is read as usual). */
  opener(): (gun: string) => Promise<LocatedTrustData> {
    if (trustBundlePath(this.io) !== undefined) return trustDataOpener(this.io);
    return async (gun) => {
      const ctx = await openContext(this.host, gun, { onWarning: (text) => this.io.err(text) });
      return { repo: ctx.repo, close: () => undefined, location: ctx.server.url };
    };
  }

  /** Stops sharing; the connections are closed after the grace period. */
  close(): void {
    const retired = [...this.connections.values()];
    this.connections = new Map();
    if (retired.length === 0) return;
    setTimeout(() => {
      for (const s of retired) s.then((x) => x.connection.close()).catch(() => undefined);
    }, this.graceMs).unref();
  }

  private async connect(
    base: DockerTrustHost,
    server: TrustServer,
    credentials: () => Promise<RegistryLogin | undefined>,
  ): Promise<TrustServerConnection> {
    const login = await credentials();
    const key = [server.url, server.tlsHost, String(server.skipTlsVerify), fingerprint(login)].join('\n');
    let shared = this.connections.get(key);
    if (!shared) {
      shared = base.connect(server, () => Promise.resolve(login)).then((connection) => ({ connection }));
      this.connections.set(key, shared);
      shared.catch(() => this.connections.get(key) === shared && this.connections.delete(key));
    }
    const s = await shared;
    return {
      // pinged once while it answers; an unreachable server is pinged again by the next decision
      ping: () =>
        (s.pinged ??= s.connection.ping().then((result) => {
          if ((result as { reachable?: boolean } | undefined)?.reachable === false) s.pinged = undefined;
          return result;
        })),
      repository: (gun) => s.connection.repository(gun),
      close: () => undefined, // the decisions share it: closed by close()
    };
  }
}

function fingerprint(login: RegistryLogin | undefined): string {
  return login === undefined ? 'none' : createHash('sha256').update(JSON.stringify(login)).digest('hex');
}
