/**
 * Connection limits of the trust server's port: a client that stops reading
 * (a blob response it never takes) is disconnected after the idle timeout,
 * and connections are capped per client address and in all. The HTTP edge
 * is composed here as `startServer` composes it, so the test sees node's
 * server (its open connections).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { connect as connectTls } from 'node:tls';
import { pino } from 'pino';
import { EmbeddedKeyService } from '../../src/adapters/key-service/embedded-key-service.js';
import { SqliteStore } from '../../src/adapters/storage/sqlite-store.js';
import { ensureSelfSignedTls } from '../../src/adapters/tls/self-signed.js';
import type { ConnectionLimits } from '../../src/server/connection-limits.js';
import { createTrustHttpServer } from '../../src/server/http-server.js';
import { createEmbeddedRegistry } from '../../src/server/registry/embedded-registry.js';
import { ResponseCache } from '../../src/server/response-cache.js';
import { Raw } from './registry/support.js';

const log = pino({ level: 'silent' });

interface Edge {
  server: Server;
  url: string;
  port: number;
  close(): Promise<void>;
}

async function startEdge(connections: ConnectionLimits, tls?: { cert: Buffer; key: Buffer }): Promise<Edge> {
  const dir = mkdtempSync(join(tmpdir(), 'dct-connections-'));
  const store = await SqliteStore.open(':memory:');
  const now = () => new Date();
  const keys = new EmbeddedKeyService({ store, passphrase: 'connection-limits', now });
  const registry = await createEmbeddedRegistry({
    dataDir: dir,
    store: store.registry,
    tuf: store,
    keys,
    pullGate: [],
    registryName: () => 'localhost',
    log,
  });
  const { server } = createTrustHttpServer(
    { store, keys, now, cache: new ResponseCache(), gunPrefixes: [], limits: { maxRoleBytes: 1024 * 1024, maxParts: 1000 } },
    {
      maxBodyBytes: 1024 * 1024,
      writeRate: { perSecond: 1000, burst: 1000 },
      requestTimeoutMs: 30_000,
      registry,
      connections,
      ...(tls ? { tls } : {}),
    },
    log,
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    port,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const openConnections = (server: Server): Promise<number> =>
  new Promise((resolve, reject) => server.getConnections((err, n) => (err ? reject(err) : resolve(n))));

/** Waits (polling the server, no deadline of its own: the test's timeout ends a wait that never succeeds). */
async function until(what: () => Promise<boolean>): Promise<void> {
  while (!(await what())) await new Promise((r) => setTimeout(r, 20));
}

function open(port: number, localAddress = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', localAddress }, () => resolve(s));
    s.on('error', reject);
  });
}

function openTls(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connectTls({ port, host: '127.0.0.1', rejectUnauthorized: false }, () => resolve(s));
    s.on('error', reject);
  });
}

/** A health check on a socket: its status line, or 'closed' when the server closes the connection unanswered. */
function health(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (text.includes('\r\n')) resolve(text.slice(0, text.indexOf('\r\n')));
    });
    socket.on('error', () => resolve('closed'));
    socket.on('close', () => resolve(text ? text.slice(0, text.indexOf('\r\n')) : 'closed'));
    socket.write('GET /_notary_server/health HTTP/1.1\r\nHost: localhost\r\n\r\n');
  });
}

describe('connection limits', { timeout: 60_000 }, () => {
  const edges: Edge[] = [];
  after(async () => {
    for (const e of edges) await e.close();
  });

  it('a client that stops reading a blob is disconnected after the idle timeout', async () => {
    const edge = await startEdge({ idleTimeoutMs: 300, maxConnections: 100, maxConnectionsPerClient: 100 });
    edges.push(edge);
    // larger than what the socket buffers on both sides can hold
    const blob = Buffer.alloc(48 * 1024 * 1024, 1);
    const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
    await new Raw(edge.url).pushBlob('slow/reader', blob);
    await until(async () => (await openConnections(edge.server)) === 0);

    const reader = await open(edge.port);
    let received = 0;
    let reading = false;
    reader.on('data', (d: Buffer) => {
      received += d.length;
      if (!reading) reader.pause(); // reads the first bytes, then stops reading
    });
    const ended = new Promise<void>((resolve) => {
      reader.on('close', () => resolve());
      reader.on('error', () => resolve());
    });
    reader.write(`GET /v2/slow/reader/blobs/${digest} HTTP/1.1\r\nHost: localhost\r\n\r\n`);
    await until(async () => received > 0);
    // the server gives up on the stalled connection
    await until(async () => (await openConnections(edge.server)) === 0);
    // what the kernel still held arrives, then the connection ends short of the blob
    reading = true;
    reader.resume();
    await ended;
    assert.ok(received < blob.length, `the connection ended after ${received} of ${blob.length} bytes`);
  });

  it('a connection that stops sending in the middle of its request headers is closed after the idle timeout, plain and over TLS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dct-connections-tls-'));
    const made = await ensureSelfSignedTls(dir, ['127.0.0.1']);
    rmSync(dir, { recursive: true, force: true });
    for (const tls of [undefined, { cert: made.cert, key: made.key }]) {
      const edge = await startEdge({ idleTimeoutMs: 300, maxConnections: 100, maxConnectionsPerClient: 100 }, tls);
      edges.push(edge);
      const socket = tls ? await openTls(edge.port) : await open(edge.port);
      const closed = new Promise<void>((resolve) => {
        socket.on('close', () => resolve());
        socket.on('error', () => resolve());
      });
      const sent = Date.now();
      socket.write('GET /_notary_server/health HTTP/1.1\r\nHost: loc');
      await closed;
      // node's own deadline for the headers is 30 s here (the request timeout); the idle timeout comes first
      const waited = Date.now() - sent;
      assert.ok(waited >= 250 && waited < 5_000, `${tls ? 'TLS' : 'plain'}: closed ${waited} ms after the last byte`);
      // a connection in use stays open well past the idle timeout: ten requests, 100 ms apart, on one connection
      const busy = tls ? await openTls(edge.port) : await open(edge.port);
      for (let i = 0; i < 10; i++) {
        assert.equal(await health(busy), 'HTTP/1.1 200 OK', `${tls ? 'TLS' : 'plain'}: request ${i + 1} on a busy connection`);
        busy.removeAllListeners('data').removeAllListeners('close');
        await new Promise((r) => setTimeout(r, 100));
      }
      busy.destroy();
    }
  });

  it('connections beyond the per-client cap and beyond the total are closed unanswered; a freed place can be used', async () => {
    const edge = await startEdge({ idleTimeoutMs: 60_000, maxConnections: 3, maxConnectionsPerClient: 2 });
    edges.push(edge);
    const a1 = await open(edge.port);
    const a2 = await open(edge.port);
    await until(async () => (await openConnections(edge.server)) === 2);
    assert.equal(await health(await open(edge.port)), 'closed');
    // another client address still gets in, up to the total
    const b1 = await open(edge.port, '127.0.0.2');
    assert.equal(await health(b1), 'HTTP/1.1 200 OK');
    assert.equal(await health(await open(edge.port, '127.0.0.3')), 'closed');
    assert.equal(await health(a1), 'HTTP/1.1 200 OK');
    a2.destroy();
    await until(async () => (await openConnections(edge.server)) === 2);
    assert.equal(await health(await open(edge.port)), 'HTTP/1.1 200 OK');
    a1.destroy();
    b1.destroy();
  });
});
