/**
 * NotaryClient + RegistryAuth against `dct server --auth-htpasswd`: real tokens
 * and access rules — a writer publishes, a reader verifies through
 * NotaryServerSource, others are refused.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { pino } from 'pino';
import { RegistryAuth, type RegistryCredentials } from '../../../src/adapters/http/registry-auth.js';
import { NotaryClient } from '../../../src/adapters/notary-http/notary-client.js';
import { NotaryServerSource } from '../../../src/adapters/notary-http/notary-source.js';
import { createRepository } from '../../../src/app/create-repository.js';
import { loadRepository } from '../../../src/app/load-repository.js';
import { loadConfig } from '../../../src/server/config.js';
import { startServer, type RunningServer } from '../../../src/server/start-server.js';
import { refusedWith } from './notary-client-support.js';

describe('NotaryClient + RegistryAuth against dct server --auth-htpasswd', () => {
  let work: string;
  let server: RunningServer;
  let gun: string;
  const bcryptLine = (user: string, password: string) => `${user}:${bcrypt.hashSync(password, 4).replace(/^\$2b\$/, '$2y$')}`;
  const clients: NotaryClient[] = [];
  const as = (credentials: RegistryCredentials | undefined) => {
    const c = new NotaryClient({
      baseUrl: server.url,
      caFile: server.caFile,
      auth: new RegistryAuth({ credentials: () => credentials }),
    });
    clients.push(c);
    return c;
  };
  const writer = { username: 'writer', password: 'writer-pw' };
  const reader = { username: 'reader', password: 'reader-pw' };
  const admin = { username: 'admin', password: 'admin-pw' };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'dct-notary-auth-'));
    writeFileSync(
      join(work, 'users'),
      [bcryptLine('writer', 'writer-pw'), bcryptLine('reader', 'reader-pw'), bcryptLine('admin', 'admin-pw')].join('\n') + '\n',
    );
    writeFileSync(
      join(work, 'config.json'),
      JSON.stringify({
        authRules: [
          { user: 'writer', repositories: 'registry.example.com/e2e/*', actions: ['push', 'pull'] },
          { user: 'reader', repositories: '*', actions: ['pull'] },
          { user: 'admin', repositories: '*', actions: ['*'] },
        ],
      }),
    );
    const config = loadConfig({
      file: join(work, 'config.json'),
      env: {},
      flags: {
        listen: '127.0.0.1:0',
        storage: 'sqlite::memory:',
        dataDir: join(work, 'data'),
        logLevel: 'silent',
        authHtpasswd: join(work, 'users'),
      },
    });
    server = await startServer(config, { DCT_SERVER_KEY_PASSPHRASE: 'test-server-keys' }, pino({ level: 'silent' }));
    gun = 'registry.example.com/e2e/app';
  });
  after(async () => {
    for (const c of clients) c.close();
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('a writer publishes, a reader verifies through NotaryServerSource, others are refused', async () => {
    const w = as(writer);
    assert.deepEqual(await w.ping(), { reachable: true, status: 401 });
    await assert.rejects(w.getMetadata(gun, 'root'), refusedWith('METADATA_NOT_FOUND'));
    const now = new Date();
    const newKey = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    const timestampKey = await w.getKey(gun, 'timestamp');
    const repo = await createRepository({ gun, now, rootKey: newKey(), targetsKey: newKey(), snapshotKey: newKey(), timestampKey });
    await w.publish(gun, repo.files);

    const r = as(reader);
    assert.ok((await r.getMetadata(gun, 'root')).equals(repo.bytes.root));
    const { trusted } = await loadRepository(new NotaryServerSource(r, gun), { gun, now });
    assert.ok(trusted);
    // the reader may not write, anonymous may not read, the writer may not delete
    await assert.rejects(r.publish(gun, repo.files), refusedWith('UNAUTHORIZED'));
    await assert.rejects(as(undefined).getMetadata(gun, 'root'), refusedWith('UNAUTHORIZED'));
    await assert.rejects(as({ username: 'reader', password: 'wrong' }).getMetadata(gun, 'root'), refusedWith('AUTH_FAILED', /reader/));
    await assert.rejects(w.deleteRepository(gun), refusedWith('UNAUTHORIZED'));
    // the admin may
    await as(admin).deleteRepository(gun);
    await assert.rejects(r.getMetadata(gun, 'root'), refusedWith('METADATA_NOT_FOUND'));
  });
});
