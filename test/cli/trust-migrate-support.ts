/**
 * What the trust migrate tests share: the root version a client's trust dir cached, a dct
 * server to migrate to or from, a trust dir that lost its root keys, a small repository,
 * and a repository's files as a server serves them.
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { NotaryClient } from '../../src/adapters/notary-http/notary-client.js';
import { NotaryRemoteRepository } from '../../src/adapters/notary-http/remote-repository.js';
import { loadConfig } from '../../src/server/config.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import type { TrustServerUnderTest } from '../support/trust-scenarios.js';
import { run } from '../support/reference-stack.js';
import { notary } from './trust-export-support.js';

/** The root version `trustDir` cached for `gun` (what the client last trusted). */
export function cachedRootVersion(trustDir: string, gun: string): number {
  const root = JSON.parse(readFileSync(join(trustDir, 'tuf', gun, 'metadata', 'root.json'), 'utf8')) as { signed: { version: number } };
  return root.signed.version;
}

export async function startDct(dir: string, listen = '127.0.0.1:0'): Promise<RunningServer> {
  const config = loadConfig({
    env: {},
    flags: { listen, storage: `sqlite:${join(dir, 'dct.db')}`, dataDir: join(dir, 'data'), logLevel: 'warn' },
  });
  return startServer(config, { DCT_SERVER_KEY_PASSPHRASE: 'migrate-test-keys' }, pino({ level: 'warn' }));
}

/** A trust dir holding the keys of `from` but its root keys (the root key is lost); no cache. */
export function withoutRootKeys(from: string, to: string): string {
  mkdirSync(join(to, 'private'), { recursive: true });
  for (const name of readdirSync(join(from, 'private'))) {
    const text = readFileSync(join(from, 'private', name), 'utf8');
    if (!/^role: root$/m.test(text)) writeFileSync(join(to, 'private', name), text, { mode: 0o600 });
  }
  return to;
}

/** A trust dir with the keys of `from` and no cache: signs at a server whatever another one cached. */
export function keysOnly(from: string, to: string): string {
  rmSync(to, { recursive: true, force: true });
  cpSync(join(from, 'private'), join(to, 'private'), { recursive: true });
  return to;
}

/** `notary init` of `gun` with one tag, v1, published (the trust dir's root key is reused). */
export async function smallRepository(server: TrustServerUnderTest, trustDir: string, gun: string, file: string): Promise<void> {
  writeFileSync(file, `hello ${gun}\n`);
  await notary(server, trustDir, ['init', gun]);
  await notary(server, trustDir, ['add', gun, 'v1', file]);
  await notary(server, trustDir, ['publish', gun]);
}

/** A repository's files as `server` serves them (no verification), by role; absent roles left out. */
export async function servedFiles(server: TrustServerUnderTest, gun: string, roles: readonly string[]): Promise<Map<string, Buffer>> {
  const client = new NotaryClient({ baseUrl: server.url, caFile: server.caFile, userAgent: 'migrate-test', timeoutMs: 5_000 });
  try {
    const repo = new NotaryRemoteRepository(client, gun, server.url);
    const out = new Map<string, Buffer>();
    for (const role of roles) {
      const bytes = await repo.read(role, 10 * 1024 * 1024);
      if (bytes) out.set(role, bytes);
    }
    return out;
  } finally {
    client.close();
  }
}

/** The real notary CLI on `server` with its default trust dir, `~/.notary` of `home`. */
export function notaryAtHome(server: TrustServerUnderTest, home: string, args: readonly string[]) {
  return run('notary', ['-s', server.url, '--tlscacert', server.caFile, ...args], { env: { ...process.env, HOME: home } });
}

/** Runs the shell lines `dct trust migrate` printed for clients, on a client with `home` and `dockerConfig`. */
export async function runClientCommands(commands: readonly string[], home: string, dockerConfig: string): Promise<void> {
  for (const line of commands) {
    await run('sh', ['-c', line], { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, DOCKER_CONFIG: dockerConfig } });
  }
}
