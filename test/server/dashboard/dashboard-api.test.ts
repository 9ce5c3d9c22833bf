/**
 * The dashboard's JSON API against a real `dct server` with token auth, its trust data made by
 * the real `notary` CLI: a delegation `targets/bob` signing a tag shows bob as that tag's
 * signer, the server's 14-day timestamp is renewed by the server (never "expiring"), a key
 * rotation is marked in the history, a user who may pull only `a/*` sees only those, paging,
 * sorting and search over many repositories, and bad queries.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { SqliteStore } from '../../../src/adapters/storage/sqlite-store.js';
import type {
  DashboardSession,
  DecisionPage,
  ExpiryPage,
  RepositoryDetail,
  RepositoryPage,
} from '../../../src/app/dashboard/dashboard-api.js';
import type { AuditRecord } from '../../../src/core/policy/audit-record.js';
import { loadConfig } from '../../../src/server/config.js';
import { startServer, type RunningServer } from '../../../src/server/start-server.js';
import { interopSkip } from '../../support/interop.js';
import { selfSignedEcCertArgs } from '../../support/openssl.js';
import { ensureReferenceTools } from '../../support/reference-stack.js';
import { auditRecord } from '../../adapters/audit/audit-store-contract.js';
import { EventStream, postJson, waitUntil } from '../audit-support.js';
import { b64, bcryptLine, call } from '../auth-support.js';

const unavailable = await ensureReferenceTools();

function run(file: string, args: string[], env: NodeJS.ProcessEnv, cwd: string, input = ''): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { env, cwd, timeout: 60_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 99) : 0, out: `${stdout}${stderr}` });
    });
    child.stdin?.end(input);
  });
}

const sha = (text: string) => createHash('sha256').update(text).digest('hex');
/** many repositories, written to the store before the dashboard is first used */
const MANY = 230;

describe('dashboard API on a real dct server with notary-made trust data', { skip: interopSkip(unavailable) }, () => {
  const work = mkdtempSync(join(tmpdir(), 'dct-dashboard-'));
  let server: RunningServer;
  const passphrases = {
    NOTARY_ROOT_PASSPHRASE: 'rootpass123',
    NOTARY_TARGETS_PASSPHRASE: 'targetspass123',
    NOTARY_SNAPSHOT_PASSPHRASE: 'snapshotpass123',
    NOTARY_DELEGATION_PASSPHRASE: 'delegationpass123',
  };
  const notary = async (...args: string[]) => {
    const r = await run(
      'notary',
      ['-s', server.url, '--tlscacert', server.caFile as string, '-d', join(work, 'trust'), ...args],
      { PATH: process.env['PATH'], HOME: work, ...passphrases, NOTARY_AUTH: b64('admin:admin-pw') },
      work,
    );
    assert.equal(r.code, 0, `notary ${args.join(' ')}: ${r.out}`);
    return r.out;
  };
  const tokens = new Map<string, string>();
  const token = async (user: string, scope = '') => {
    const key = `${user} ${scope}`;
    if (!tokens.has(key)) {
      const r = await call(`${server.url}/auth/token?service=dct${scope ? `&scope=${encodeURIComponent(scope)}` : ''}`, {
        ca: server.caFile as string,
        headers: { Authorization: `Basic ${b64(`${user}:${user}-pw`)}` },
      });
      assert.equal(r.status, 200, r.body);
      tokens.set(key, (JSON.parse(r.body) as { token: string }).token);
    }
    return tokens.get(key) as string;
  };
  /** `user` '' = no token */
  const get = async (path: string, user = 'admin', headers: Record<string, string> = {}) => {
    const auth: Record<string, string> = user ? { Authorization: `Bearer ${await token(user)}` } : {};
    return call(`${server.url}${path}`, { ca: server.caFile as string, headers: { ...auth, ...headers } });
  };
  const json = async <T>(path: string, user = 'admin'): Promise<T> => {
    const r = await get(path, user);
    assert.equal(r.status, 200, `${path}: ${r.body}`);
    return JSON.parse(r.body) as T;
  };

  before(async () => {
    writeFileSync(join(work, 'users'), ['admin', 'viewer'].map((u) => bcryptLine(u, `${u}-pw`)).join('\n') + '\n');
    writeFileSync(
      join(work, 'config.json'),
      JSON.stringify({
        authRules: [
          { user: 'admin', repositories: '*', actions: ['*'] },
          { user: 'viewer', repositories: 'a/*', actions: ['pull'] },
        ],
      }),
    );
    const storage = `sqlite:${join(work, 'dct.db')}`;
    // many repositories straight into the store (a root each: listed, and invalid without the rest)
    const store = await SqliteStore.open(join(work, 'dct.db'));
    for (let i = 0; i < MANY; i++) {
      const gun = `many/repo-${String(i).padStart(3, '0')}`;
      await store.updateMany(gun, [{ role: 'root', version: 1, data: Buffer.from(`{"signed":{"_type":"root","version":1}}`) }]);
    }
    await store.close();
    const config = loadConfig({
      file: join(work, 'config.json'),
      env: {},
      flags: { listen: '127.0.0.1:0', storage, dataDir: join(work, 'data'), logLevel: 'warn', authHtpasswd: join(work, 'users') },
    });
    server = await startServer(config, { DCT_SERVER_KEY_PASSPHRASE: 'test-server-keys' }, pino({ level: 'warn' }));
    // a/app: v1 by the repository admin (targets), v2 also by the delegation targets/bob; then the targets key rotates
    await notary('init', '-p', 'a/app');
    await run('openssl', selfSignedEcCertArgs(join(work, 'bob.key'), join(work, 'bob.crt'), 'bob', 3650), process.env, work);
    await notary('key', 'import', join(work, 'bob.key'), '--role', 'targets/bob');
    await notary('delegation', 'add', 'a/app', 'targets/bob', join(work, 'bob.crt'), '--all-paths', '-p');
    await notary('addhash', 'a/app', 'v1', '3', '--sha256', sha('v1'), '-p');
    await notary('addhash', 'a/app', 'v2', '4', '--sha256', sha('v2'), '-r', 'targets', '-r', 'targets/bob', '-p');
    await notary('key', 'rotate', 'a/app', 'targets');
    await notary('init', '-p', 'b/app');
    // the first use builds the index; pages answer from what was read so far until it is done
    for (let i = 0; i < 600; i++) {
      const page = await json<RepositoryPage>('/ui/api/repositories?limit=1');
      if (page.indexing === undefined) break;
      assert.ok(page.indexing.repositories <= MANY + 2);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  after(async () => {
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('shows bob as the signer of the tag targets/bob signs, the Repo Admin for the other', { timeout: 120_000 }, async () => {
    const detail = await json<RepositoryDetail>('/ui/api/repositories/a/app');
    const v1 = detail.tags.find((t) => t.tag === 'v1');
    const v2 = detail.tags.find((t) => t.tag === 'v2');
    assert.deepEqual(v1 && { digest: v1.digest, size: v1.size, signers: v1.signers.map((s) => s.name) }, {
      digest: sha('v1'),
      size: 3,
      signers: ['Repo Admin'],
    });
    assert.deepEqual(
      v2?.signers.map((s) => [s.name, s.role]),
      [['bob', 'targets/bob']],
    );
    assert.equal(v2?.signers[0]?.keyIds.length, 1);
    assert.deepEqual(v2?.formats, ['dct']);
    assert.equal(detail.summary.tags, 2);
    assert.deepEqual(detail.summary.signers, ['Repo Admin', 'bob']);
    // the role tree: targets delegates to bob with its paths, threshold and certificate key
    const targets = detail.roles.find((r) => r.role === 'targets');
    const bob = targets?.children?.find((c) => c.role === 'targets/bob');
    assert.deepEqual(bob && { threshold: bob.threshold, paths: bob.paths, type: bob.keys[0]?.type }, {
      threshold: 1,
      paths: [''],
      type: 'ecdsa-x509',
    });
    assert.ok(bob?.keys[0]?.certificateExpires && Date.parse(bob.keys[0].certificateExpires) > Date.now() + 3000 * 86_400_000);
    assert.deepEqual(
      detail.roles.map((r) => r.role),
      ['root', 'targets', 'snapshot', 'timestamp'],
    );
  });

  it('marks the targets key rotation in the history, newest first', { timeout: 60_000 }, async () => {
    const { history } = await json<RepositoryDetail>('/ui/api/repositories/a/app');
    const ids = history.map((h) => Number(h.id));
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => b - a),
      'newest first',
    );
    const rotations = history.filter((h) => h.rotation);
    assert.equal(rotations.length, 1, JSON.stringify(history));
    assert.deepEqual(rotations[0]?.rotation?.roles, ['targets']);
    assert.ok(rotations[0]?.roles?.includes('root'));
    assert.equal(rotations[0], history[0], 'the rotation was the last change');
    assert.ok(
      history.some((h) => h.roles?.includes('targets/bob') && !h.rotation),
      'bob signing is a change without rotation',
    );
  });

  it(
    "does not judge the server's 14-day timestamp expiring inside the 14-day window: the server renews it",
    { timeout: 60_000 },
    async () => {
      const page = await json<RepositoryPage>('/ui/api/repositories?q=app');
      const b = page.items.find((r) => r.gun === 'b/app');
      assert.equal(b?.health, 'ok', b?.healthReason);
      // its earliest expiry is what someone must renew (notary's 3-year targets and snapshot), not the server's timestamp
      assert.ok(Date.parse(b?.expires ?? '') > Date.now() + 365 * 86_400_000, `earliest expiry ${b?.expires}`);
      const session = await json<DashboardSession>('/ui/api/session');
      assert.equal(session.warnDays, 14);
      assert.equal(session.user, 'admin');
      const expiry = await json<ExpiryPage>('/ui/api/expiry?within=3650&limit=500');
      const mine = expiry.items.filter((i) => i.gun === 'b/app');
      assert.equal(mine[0]?.kind, 'timestamp', 'soonest first');
      assert.deepEqual(mine.map((i) => `${i.kind} ${i.status}`).sort(), [
        'root ok',
        'root-certificate ok',
        'snapshot ok',
        'targets ok',
        'timestamp ok',
      ]);
      assert.equal(mine[0]?.renewedByServer, true, 'the timestamp is renewed by the server');
      assert.ok(
        mine.slice(1).every((i) => i.renewedByServer !== true),
        'the snapshot (held by the client here), targets and root are not',
      );
      assert.ok(expiry.counts.expiring === 0 && expiry.counts.expired === 0, JSON.stringify(expiry.counts));
      const soon = await json<ExpiryPage>('/ui/api/expiry?within=20');
      assert.ok(
        soon.items.every((i) => i.kind === 'timestamp'),
        'within 20 days only the timestamps',
      );
    },
  );

  it('pages, sorts and searches many repositories; refuses bad queries', { timeout: 60_000 }, async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page: RepositoryPage = await json(`/ui/api/repositories?q=many/&limit=40${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(page.total, MANY);
      seen.push(...page.items.map((i) => i.gun));
      cursor = page.next;
      pages++;
    } while (cursor);
    assert.equal(pages, Math.ceil(MANY / 40));
    const expected = Array.from({ length: MANY }, (_, i) => `many/repo-${String(i).padStart(3, '0')}`);
    assert.deepEqual(seen, expected);
    const desc = await json<RepositoryPage>('/ui/api/repositories?q=REPO-1&order=desc&limit=3');
    assert.deepEqual(
      desc.items.map((i) => i.gun),
      ['many/repo-199', 'many/repo-198', 'many/repo-197'],
    );
    assert.equal(desc.total, 100);
    assert.equal(desc.items[0]?.health, 'invalid');
    const byTags = await json<RepositoryPage>('/ui/api/repositories?sort=tags&limit=1');
    assert.equal(byTags.items[0]?.gun, 'a/app', 'most tags first');
    for (const [query, parameter] of [
      ['sort=size', 'sort'],
      ['order=up', 'order'],
      ['limit=0', 'limit'],
      ['limit=501', 'limit'],
      ['cursor=not-ours', 'cursor'],
      ['page=2', 'page'],
    ] as const) {
      const r = await get(`/ui/api/repositories?${query}`);
      assert.equal(r.status, 400, query);
      const error = (JSON.parse(r.body) as { errors: Array<{ code: string; detail: string }> }).errors[0];
      assert.equal(error?.code, 'DASHBOARD_BAD_QUERY');
      assert.ok(error?.detail.startsWith(`${parameter}:`), error?.detail);
    }
    // a cursor of another query is refused
    const first = await json<RepositoryPage>('/ui/api/repositories?limit=2');
    assert.equal((await get(`/ui/api/repositories?limit=2&sort=updated&cursor=${first.next}`)).status, 400);
    assert.equal((await get('/ui/api/expiry?within=soon')).status, 400);
  });

  it('keeps the index current: a tag signed after the first use shows up', { timeout: 60_000 }, async () => {
    const before = await json<RepositoryPage>('/ui/api/repositories?q=b/app');
    assert.equal(before.items[0]?.tags, 0);
    await notary('addhash', 'b/app', 'v9', '5', '--sha256', sha('v9'), '-p');
    const after = await json<RepositoryPage>('/ui/api/repositories?q=b/app');
    assert.deepEqual(
      after.items.map((i) => [i.gun, i.tags, i.signers]),
      [['b/app', 1, ['Repo Admin']]],
    );
    const metrics = await get('/metrics', '');
    assert.match(metrics.body, /^dct_trust_expiry_items\{kind="timestamp",status="ok"\} 2$/m);
    assert.match(metrics.body, new RegExp(`^dct_trust_repositories\\{health="invalid"\\} ${MANY}$`, 'm'));
    assert.match(metrics.body, /^dct_trust_earliest_expiry_seconds\{kind="timestamp"\} \d+$/m);
  });

  it(
    'decisions: the audit feed newest first, filtered, and followed live (a denial at once, not at the next heartbeat)',
    { timeout: 60_000 },
    async () => {
      const poster = await token('admin', 'repository:_dct/audit:push');
      const post = (n: number, overrides: Partial<AuditRecord>) =>
        postJson(
          `${server.url}/_dct/audit`,
          { records: [auditRecord(n, overrides)] },
          { Authorization: `Bearer ${poster}` },
          server.caFile,
        );
      assert.equal((await post(1, { verdict: 'allow' })).status, 201);
      assert.equal((await post(2, { verdict: 'deny', admitted: false, point: 'admission' })).status, 201);
      const newest = await json<DecisionPage>('/ui/api/decisions');
      assert.deepEqual(
        newest.records.map((r) => r.context['n']),
        ['2', '1'],
        'newest first',
      );
      // the next (older) page: before the oldest id shown
      const ids = newest.records.map((r) => r.id as number);
      const older = await json<DecisionPage>(`/ui/api/decisions?change_id=${ids[1]}&records=-10`);
      assert.deepEqual(older.records, []);
      const one = await json<DecisionPage>(`/ui/api/decisions?change_id=${ids[0]}&records=-10`);
      assert.deepEqual(
        one.records.map((r) => r.context['n']),
        ['1'],
      );
      const denied = await json<DecisionPage>('/ui/api/decisions?verdict=deny');
      assert.deepEqual(
        denied.records.map((r) => [r.context['n'], r.point, r.source]),
        [['2', 'admission', 'user:admin']],
      );
      const bad = await get('/ui/api/decisions?verdict=maybe');
      assert.equal(bad.status, 400);
      assert.match(bad.body, /"code":"DASHBOARD_BAD_QUERY".*verdict: must be one of allow, deny/);
      const stream = await EventStream.open(
        `${server.url}/ui/api/decisions?change_id=-1&verdict=deny`,
        { Authorization: `Bearer ${await token('admin')}` },
        server.caFile,
      );
      try {
        assert.equal(stream.status, 200);
        const heartbeats = stream.comments;
        await post(3, { verdict: 'deny', admitted: false, image: 'a/app:v3' });
        await post(4, { verdict: 'allow' });
        // generous: past the 15 s heartbeat, which would page too, so the check below is what tells them apart
        await waitUntil(() => stream.events.length >= 1, 'the denial on the live follow', 30_000);
        // a heartbeat writes a comment line before it pages: none came, so the append's notice brought the denial
        assert.equal(stream.comments, heartbeats, 'the denial came with a heartbeat, not at once');
        assert.equal((JSON.parse(stream.events[0]?.data ?? '{}') as AuditRecord).image, 'a/app:v3');
      } finally {
        stream.close();
      }
    },
  );

  it('shows a user who may pull only a/* only those; needs a token; is read-only', { timeout: 60_000 }, async () => {
    const page = await json<RepositoryPage>('/ui/api/repositories?limit=500', 'viewer');
    assert.deepEqual(
      page.items.map((i) => i.gun),
      ['a/app'],
    );
    assert.equal(page.total, 1);
    assert.equal((await get('/ui/api/repositories/b/app', 'viewer')).status, 404);
    assert.equal((await get('/ui/api/repositories/a/app', 'viewer')).status, 200);
    const expiry = await json<ExpiryPage>('/ui/api/expiry?limit=500', 'viewer');
    assert.ok(expiry.items.length > 0 && expiry.items.every((i) => i.gun === 'a/app'));
    // decisions need the audit feed's access (registry:catalog:*), which viewer's rules do not grant
    assert.equal((await get('/ui/api/decisions', 'viewer')).status, 401);
    assert.equal((await get('/ui/api/decisions', 'admin')).status, 200);
    // no token: 401 with the challenge; the session says where to get one
    const anonymous = await get('/ui/api/repositories', '');
    assert.equal(anonymous.status, 401);
    const session = JSON.parse((await get('/ui/api/session', '')).body) as DashboardSession;
    assert.deepEqual([session.auth, session.user, session.service], ['token', undefined, 'dct']);
    assert.match(session.realm ?? '', /\/auth\/token$/);
    const post = await call(`${server.url}/ui/api/repositories`, { ca: server.caFile as string, method: 'POST', headers: {} });
    assert.equal(post.status, 405);
    const redirect = await get('/ui', '');
    assert.deepEqual([redirect.status, redirect.headers.location], [308, '/ui/']);
    // the page loads without a token (UiAssets: 200 with dist/ui built, 503 naming `npm run build` without)
    const uiPage = await get('/ui/', '');
    assert.ok(uiPage.status === 200 || uiPage.status === 503, `GET /ui/ answered ${uiPage.status}`);
    const head = await call(`${server.url}/ui/api/session`, { ca: server.caFile as string, method: 'HEAD' });
    assert.deepEqual([head.status, head.body], [200, '']);
    const unknown = await get('/ui/api/nothing');
    assert.equal(unknown.status, 404);
    assert.equal((JSON.parse(unknown.body) as { errors: Array<{ code: string }> }).errors[0]?.code, 'DASHBOARD_NOT_FOUND');
  });
});
