/**
 * The audit feed behind token auth on a real `dct server` (htpasswd, access rules, its
 * self-signed TLS): reading needs `registry:catalog:*` (admins), posting `push` on the
 * pseudo-repository `_dct/audit`; without a token both are 401 with the challenge naming that
 * scope. The HTTP sink finds the server's CA in $DOCKER_CONFIG/tls/<host:port>/ and its
 * credentials in DOCKER_AUTH_CONFIG, and its records carry the authenticated user as source.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { pino } from 'pino';
import { HttpAuditSink } from '../../src/adapters/audit/http-audit-sink.js';
import { openAuditSink } from '../../src/adapters/audit/open-audit-sink.js';
import type { AuditRecord } from '../../src/core/policy/audit-record.js';
import { loadConfig } from '../../src/server/config.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { auditRecord } from '../adapters/audit/audit-store-contract.js';
import { call, EventStream, postJson, waitUntil } from './audit-support.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');
const user = (name: string, password: string) => `${name}:${bcrypt.hashSync(password, 4).replace(/^\$2b\$/, '$2y$')}`;

describe('the audit feed with token auth', () => {
  let work: string;
  let server: RunningServer;
  let ca: string;
  let host: string;
  let dockerConfig: string;
  const token = async (credentials: string, scope: string) => {
    const res = await call(`${server.url}/auth/token?service=dct&scope=${encodeURIComponent(scope)}`, {
      headers: { Authorization: `Basic ${b64(credentials)}` },
      ca,
    });
    assert.equal(res.status, 200, res.body);
    return (res.json() as { token: string }).token;
  };
  const sinkAs = (credentials: string, onError: (m: string) => void, flushTimeoutMs = 5000) =>
    openAuditSink(server.url, {
      env: { DOCKER_CONFIG: dockerConfig, DOCKER_AUTH_CONFIG: JSON.stringify({ auths: { [host]: { auth: b64(credentials) } } }) },
      onError,
      flushTimeoutMs,
    });

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'dct-audit-auth-'));
    writeFileSync(
      join(work, 'users'),
      [user('admin', 'admin-pw'), user('poster', 'poster-pw'), user('reader', 'reader-pw')].join('\n') + '\n',
    );
    writeFileSync(
      join(work, 'config.json'),
      JSON.stringify({
        authRules: [
          { user: 'admin', repositories: '*', actions: ['*'] },
          { user: 'poster', repositories: '_dct/audit', actions: ['push'] },
          { user: 'reader', repositories: '*', actions: ['pull'] },
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
    server = await startServer(config, { DCT_SERVER_KEY_PASSPHRASE: 'audit-auth-test' }, pino({ level: 'silent' }));
    ca = server.caFile as string;
    host = new URL(server.url).host;
    dockerConfig = join(work, 'docker');
    mkdirSync(join(dockerConfig, 'tls', host), { recursive: true });
    copyFileSync(ca, join(dockerConfig, 'tls', host, 'ca.crt'));
  });
  after(async () => {
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('without a token: 401 with the challenge naming the scope each needs', async () => {
    const read = await call(`${server.url}/_dct/audit/changefeed`, { ca });
    assert.equal(read.status, 401);
    assert.match(String(read.headers['www-authenticate']), /scope="registry:catalog:\*"/);
    const write = await postJson(`${server.url}/_dct/audit`, { records: [auditRecord(1)] }, {}, ca);
    assert.equal(write.status, 401);
    assert.match(String(write.headers['www-authenticate']), /scope="repository:_dct\/audit:push"/);
    const stream = await EventStream.open(`${server.url}/_dct/audit/changefeed`, {}, ca);
    assert.equal(stream.status, 401);
  });

  it('a user without the grants is refused: pull on every repository reads and posts nothing', async () => {
    const readerToken = await token('reader:reader-pw', 'registry:catalog:* repository:_dct/audit:push');
    const read = await call(`${server.url}/_dct/audit/changefeed`, { ca, headers: { Authorization: `Bearer ${readerToken}` } });
    assert.equal(read.status, 401);
    assert.match(String(read.headers['www-authenticate']), /error="insufficient_scope"/);
    const write = await postJson(`${server.url}/_dct/audit`, { records: [auditRecord(1)] }, { Authorization: `Bearer ${readerToken}` }, ca);
    assert.equal(write.status, 401);
    // and the poster may post but not read
    const posterToken = await token('poster:poster-pw', 'registry:catalog:*');
    assert.equal(
      (await call(`${server.url}/_dct/audit/changefeed`, { ca, headers: { Authorization: `Bearer ${posterToken}` } })).status,
      401,
    );
  });

  it('the HTTP sink posts with docker TLS files and credentials; the source is the authenticated user', async () => {
    const errors: string[] = [];
    const sink = sinkAs('poster:poster-pw', (m) => errors.push(m));
    sink.record({ ...auditRecord(1), source: 'user:admin' });
    sink.record(auditRecord(2, { point: 'admission' }));
    await sink.flush();
    assert.deepEqual(errors, []);
    assert.equal((sink as HttpAuditSink).delivered, 2);
    const adminToken = await token('admin:admin-pw', 'registry:catalog:*');
    const res = await call(`${server.url}/_dct/audit/changefeed?records=-2`, { ca, headers: { Authorization: `Bearer ${adminToken}` } });
    assert.equal(res.status, 200, res.body);
    const { records } = res.json() as { records: AuditRecord[] };
    assert.deepEqual(
      records.map((r) => [r.context['n'], r.source]),
      [
        ['1', 'user:poster'],
        ['2', 'user:poster'],
      ],
    );
    // an admin follows live with the same token
    const stream = await EventStream.open(`${server.url}/_dct/audit/changefeed?change_id=0`, { Authorization: `Bearer ${adminToken}` }, ca);
    assert.equal(stream.status, 200);
    await waitUntil(() => stream.events.length === 2, 'the two events');
    stream.close();
  });

  // flush() would wait an hour for a sink that retried: only the refusal can end it (the test's limit detects a hang)
  it(
    'wrong credentials or a user without the grant: the records are lost and reported, not retried forever',
    { timeout: 60_000 },
    async () => {
      for (const credentials of ['poster:wrong', 'reader:reader-pw']) {
        const errors: string[] = [];
        const sink = sinkAs(credentials, (m) => errors.push(m), 3_600_000);
        sink.record(auditRecord(9));
        await sink.flush();
        assert.equal((sink as HttpAuditSink).lost, 1, credentials);
        // the refusal's report, not the flush timeout's ('did not take the records in time')
        assert.equal(errors.length, 1, errors.join('\n'));
        assert.match(errors[0] ?? '', /^the audit server refused .*: 1 audit record\(s\) lost$/);
      }
    },
  );
});
