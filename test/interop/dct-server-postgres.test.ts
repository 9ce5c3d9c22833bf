/**
 * The real notary and docker CLI sessions of dct-server.test.ts against dct
 * server on PostgreSQL give the same outputs as against the real notary-server:
 *
 *   1. one dct server on a fresh PostgreSQL schema;
 *   2. two dct server replicas on one schema (same storage, same key
 *      passphrase, same TLS files), behind a TCP round-robin proxy that sends
 *      each new connection alternately to replica A and replica B. Both must
 *      have served requests (their /metrics counters and the proxy's own count).
 *
 * The reference sessions run once; all three outputs are compared with them.
 * PostgreSQL: DCT_TEST_POSTGRES_URL (default the local trust-auth server); every
 * run uses random schemas, dropped at the end. Unreachable PostgreSQL or a
 * missing reference stack: skipped locally, a failure when CI is set.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as https from 'node:https';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../../src/server/config.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { interopSkip } from '../support/interop.js';
import { ensureReferenceTools, startReferenceStack, type ReferenceStack } from '../support/reference-stack.js';
import { dockerSession, notarySession, type Step, type TrustServerUnderTest } from '../support/trust-scenarios.js';
import { dropSchemas, POSTGRES_URL, postgresUnreachable } from '../support/postgres.js';

const PASSPHRASE_ENV = { DCT_SERVER_KEY_PASSPHRASE: 'test-server-keys-postgres' };

const missingTools = await ensureReferenceTools();
const missingPostgres = await postgresUnreachable();
const unavailable = missingTools ? `reference notary stack unavailable: ${missingTools}` : missingPostgres;

function compare(reference: Step[], dct: Step[], label: string): void {
  assert.equal(dct.length, reference.length, `${label}: number of steps`);
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i] as Step;
    const d = dct[i] as Step;
    assert.deepEqual(
      { command: d.command, exitCode: d.exitCode, output: d.output },
      { command: r.command, exitCode: r.exitCode, output: r.output },
      `${label}, step ${i + 1}: ${r.command}`,
    );
  }
}

/** A TCP proxy on 127.0.0.1 handing each new connection to the next backend in turn. */
interface RoundRobinProxy {
  port: number;
  /** connections handed to each backend, in backend order */
  connections: number[];
  close(): Promise<void>;
}

async function startRoundRobinProxy(backends: ReadonlyArray<{ host: string; port: number }>): Promise<RoundRobinProxy> {
  const connections = backends.map(() => 0);
  const open = new Set<Socket>();
  let next = 0;
  const server: Server = createServer((client) => {
    const index = next;
    next = (next + 1) % backends.length;
    connections[index] = (connections[index] ?? 0) + 1;
    const target = backends[index] as { host: string; port: number };
    const upstream = connect(target.port, target.host);
    open.add(client);
    open.add(upstream);
    const done = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', done);
    upstream.on('error', done);
    client.on('close', done);
    upstream.on('close', done);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Sum of `dct_http_requests_total` over all routes but /metrics itself, read from the server's /metrics. */
function servedRequests(server: RunningServer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.get(`${server.url}/metrics`, { ca: readFileSync(server.caFile as string), agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`/metrics answered ${res.statusCode}`));
        let total = 0;
        for (const line of Buffer.concat(chunks).toString('utf8').split('\n')) {
          const m = /^dct_http_requests_total(\{[^}]*\})?\s+(\d+(?:\.\d+)?)/.exec(line);
          if (m && !(m[1] ?? '').includes('route="metrics"')) total += Number(m[2]);
        }
        resolve(total);
      });
    });
    req.on('error', reject);
  });
}

describe(
  'real notary and docker CLIs: dct server on PostgreSQL (one server, and two replicas behind a round-robin proxy)',
  { skip: interopSkip(unavailable) },
  () => {
    let reference: ReferenceStack;
    let single: RunningServer;
    let replicas: RunningServer[] = [];
    let proxy: RoundRobinProxy;
    let proxied: TrustServerUnderTest;
    const schemas: string[] = [];
    const work = mkdtempSync(join(tmpdir(), 'dct-server-pg-interop-'));

    const newSchema = () => {
      const name = `dct_interop_${randomBytes(6).toString('hex')}`;
      schemas.push(name);
      return name;
    };
    const start = (schema: string, dataDir: string) =>
      startServer(
        loadConfig({
          env: {},
          flags: { listen: '127.0.0.1:0', storage: `${POSTGRES_URL}?schema=${schema}`, dataDir, logLevel: 'warn' },
        }),
        PASSPHRASE_ENV,
        pino({ level: 'warn' }),
      );

    before(async () => {
      reference = await startReferenceStack({ logLevel: 'warn' });
      single = await start(newSchema(), join(work, 'single'));
      // the replicas share everything a real deployment shares: database schema, key
      // passphrase and TLS files (the first one makes the self-signed CA, the second reuses it)
      const shared = newSchema();
      const sharedData = join(work, 'replicas');
      replicas = [await start(shared, sharedData)];
      replicas.push(await start(shared, sharedData));
      assert.equal(replicas[0]?.caFile, replicas[1]?.caFile);
      proxy = await startRoundRobinProxy(replicas.map((r) => ({ host: '127.0.0.1', port: Number(new URL(r.url).port) })));
      proxied = { url: `https://127.0.0.1:${proxy.port}`, caFile: replicas[0]?.caFile as string };
    });

    after(async () => {
      await proxy?.close();
      for (const server of [single, ...replicas]) await server?.close().catch(() => undefined);
      await reference?.stop();
      rmSync(work, { recursive: true, force: true });
      await dropSchemas(schemas);
    });

    it(
      'notary CLI session: the same outputs from notary-server, dct on PostgreSQL, and two dct replicas',
      { timeout: 360_000 },
      async (t) => {
        const gun = `127.0.0.1:${reference.registryPort}/interop/pg-notary-${process.pid}`;
        const ref = await notarySession({ url: reference.serverUrl, caFile: reference.caFile }, mkdtempSync(join(work, 'ref-')), gun);
        const one = await notarySession({ url: single.url, caFile: single.caFile as string }, mkdtempSync(join(work, 'pg-')), gun);
        compare(ref, one, 'dct server on PostgreSQL');
        const before = await Promise.all(replicas.map(servedRequests));
        const two = await notarySession(proxied, mkdtempSync(join(work, 'pg2-')), gun);
        compare(ref, two, 'two dct replicas behind a round-robin proxy');
        const served = (await Promise.all(replicas.map(servedRequests))).map((n, i) => n - (before[i] as number));
        assert.ok(
          served.every((n) => n > 0),
          `both replicas must have served requests of the session: ${served.join(', ')}`,
        );
        t.diagnostic(`requests served by replica A, B: ${served.join(', ')}`);
      },
    );

    it(
      'docker trust session: the same outputs from notary-server, dct on PostgreSQL, and two dct replicas',
      { timeout: 360_000 },
      async (t) => {
        const gun = `127.0.0.1:${reference.registryPort}/interop/pg-docker-${process.pid}`;
        const ref = await dockerSession({ url: reference.serverUrl, caFile: reference.caFile }, mkdtempSync(join(work, 'dref-')), gun);
        const one = await dockerSession({ url: single.url, caFile: single.caFile as string }, mkdtempSync(join(work, 'dpg-')), gun);
        compare(ref, one, 'dct server on PostgreSQL');
        const before = await Promise.all(replicas.map(servedRequests));
        const two = await dockerSession(proxied, mkdtempSync(join(work, 'dpg2-')), gun);
        compare(ref, two, 'two dct replicas behind a round-robin proxy');
        const served = (await Promise.all(replicas.map(servedRequests))).map((n, i) => n - (before[i] as number));
        assert.ok(
          served.every((n) => n > 0),
          `both replicas must have served requests of the session: ${served.join(', ')}`,
        );
        t.diagnostic(`requests served by replica A, B: ${served.join(', ')}`);
      },
    );

    it('the proxy alternated: each replica got about half of the connections', (t) => {
      const [a, b] = proxy.connections as [number, number];
      t.diagnostic(`connections: replica A ${a}, replica B ${b}`);
      assert.ok(a > 0 && b > 0, `connections per replica: ${a}, ${b}`);
      assert.ok(Math.abs(a - b) <= 1, `round robin: ${a} vs ${b}`);
    });
  },
);
