/**
 * The dashboard under token auth, in headless Chromium: a real `dct server` with the built-in
 * token issuer (an htpasswd file of two users) and per-repository rules — alice may push and
 * pull `team-a/*`, bob `team-b/*` — each repository made by the real notary CLI logged in as
 * its owner (NOTARY_AUTH). The dashboard asks for credentials, and after signing in each user
 * sees only the repositories they may pull; when its token is refused, several calls at once
 * renew it with one request to the token realm.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { interopSkip, missingTool } from '../support/interop.js';
import { run } from '../support/reference-stack.js';
import { bcryptLine } from '../server/auth-support.js';
import { chromiumMissing, launchChromium, screenshot, type Chromium } from './chromium.js';
import { freePort, startDashboardServer, type DashboardServer } from './dashboard-server.js';
import { ensureUiBuilt, NOTARY_ENV } from './dashboard-world.js';
import { attributes, onPage, sidewaysOverflow } from './page-checks.js';

const missing = (await chromiumMissing()) ?? missingTool('notary');
const USERS = { alice: 'alice-dashboard-pass', bob: 'bob-dashboard-pass' } as const;
type User = keyof typeof USERS;

describe('the dashboard under token auth, in Chromium', { skip: interopSkip(missing) }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'dct-browser-auth-'));
  let server: DashboardServer;
  let chromium: Chromium;
  const repos = {} as Record<User, string>;

  before(async () => {
    await ensureUiBuilt();
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    writeFileSync(join(dir, 'htpasswd'), `${bcryptLine('alice', USERS.alice)}\n${bcryptLine('bob', USERS.bob)}\n`);
    server = await startDashboardServer({
      dir,
      port,
      config: {
        authHtpasswd: join(dir, 'htpasswd'),
        authRules: [
          { user: 'alice', repositories: `${host}/team-a/*`, actions: ['push', 'pull'] },
          { user: 'bob', repositories: `${host}/team-b/*`, actions: ['push', 'pull'] },
        ],
      },
    });
    writeFileSync(join(dir, 'content.txt'), 'team content\n');
    for (const [user, team] of [
      ['alice', 'team-a'],
      ['bob', 'team-b'],
    ] as const) {
      const gun = `${host}/${team}/app`;
      const notary = (args: string[]) =>
        run('notary', ['-s', server.url, '--tlscacert', server.caFile, '-d', join(dir, `${user}-trust`), ...args], {
          env: {
            PATH: process.env['PATH'] ?? '/usr/bin:/bin',
            HOME: dir,
            ...NOTARY_ENV,
            NOTARY_AUTH: Buffer.from(`${user}:${USERS[user]}`).toString('base64'),
          },
        });
      await notary(['init', '-p', gun]);
      await notary(['add', '-p', gun, 'v1', join(dir, 'content.txt')]);
      repos[user] = gun;
    }
    chromium = await launchChromium();
  });
  after(async () => {
    await chromium?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function signIn(page: Page, user: string, password: string): Promise<void> {
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await page.getByLabel('Username', { exact: true }).fill(user);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }

  it('asks for credentials, refuses a wrong password, shows nothing before signing in', { timeout: 60_000 }, async () => {
    for (const viewport of ['desktop', 'narrow'] as const) {
      await onPage(chromium, `${server.url}/ui/`, 'login', viewport, async (page) => {
        await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
        assert.equal(await page.getByTestId('repo-row').count(), 0);
        if (viewport === 'narrow') assert.deepEqual(await sidewaysOverflow(page, 'main'), [], 'nothing sticks out at 375 px');
      });
    }
    const w = await chromium.open('desktop');
    try {
      await w.page.goto(`${server.url}/ui/`);
      await signIn(w.page, 'alice', 'not-her-password');
      await w.page.getByTestId('login-error').waitFor();
      assert.match(await w.page.getByTestId('login-error').innerText(), /wrong username or password/i);
      assert.equal(await w.page.getByTestId('repo-row').count(), 0);
      // the refused login is a 401 the browser logs as a failed resource; nothing else may go wrong
      const others = w.problems().filter((p) => !/401/.test(p));
      assert.deepEqual(others, []);
    } finally {
      await w.close();
    }
  });

  it('calls refused together (401) renew the token once, then show the page', { timeout: 60_000 }, async () => {
    const w = await chromium.open('desktop');
    try {
      await w.page.goto(`${server.url}/ui/`);
      await signIn(w.page, 'alice', USERS.alice);
      await w.page.getByTestId('repo-row').first().waitFor();
      const stale = await w.page.evaluate<string | null>("sessionStorage.getItem('dct.dashboard.token')");
      assert.ok(stale, 'signed in: a token in the tab');
      // from now on the server refuses that token, as it does once the token has expired
      const challenge = `Bearer realm="${server.url}/auth/token",service="dct",error="invalid_token"`;
      await w.page.route('**/ui/api/**', (route) =>
        route.request().headers()['authorization'] === `Bearer ${stale}`
          ? route.fulfill({
              status: 401,
              headers: { 'Content-Type': 'application/json', 'WWW-Authenticate': challenge },
              body: JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'token expired' }] }),
            })
          : route.continue(),
      );
      const renewals: string[] = [];
      w.page.on('request', (r) => {
        if (new URL(r.url()).searchParams.get('account') === 'alice') renewals.push(r.url());
      });
      // the expiry page reads its table and its timeline at once: both are refused
      await w.page.getByRole('link', { name: 'Expiry', exact: true }).click();
      await w.page.getByTestId('expiry-row').first().waitFor();
      assert.equal(renewals.length, 1, `one request to the token realm:\n${renewals.join('\n')}`);
      assert.equal(await w.page.getByTestId('user').innerText(), 'alice', 'still signed in');
      assert.notEqual(await w.page.evaluate<string | null>("sessionStorage.getItem('dct.dashboard.token')"), stale, 'a new token');
      assert.deepEqual(
        w.problems().filter((p) => !/HTTP 401: GET \S+\/ui\/api\/expiry/.test(p) && !/status of 401/.test(p)),
        [],
        'nothing went wrong but the refused calls',
      );
    } finally {
      await w.close();
    }
  });

  for (const user of ['alice', 'bob'] as const) {
    it(`${user} sees only the repository ${user} may pull`, { timeout: 60_000 }, async () => {
      await onPage(
        chromium,
        `${server.url}/ui/`,
        `repository-refused-${user}`,
        'desktop',
        async (page) => {
          await signIn(page, user, USERS[user]);
          await page.getByTestId('repo-row').first().waitFor();
          assert.equal(await page.getByTestId('user').innerText(), user);
          assert.deepEqual(await attributes(page, '[data-testid="repo-row"]', 'data-gun'), [repos[user]]);
          assert.equal(await page.getByTestId('repo-count').innerText(), '1–1 of 1 repositories');
          await screenshot(page, `repositories-${user}-list`, 'desktop');
          // the other user's repository is not found either, even by its address
          const other = user === 'alice' ? repos.bob : repos.alice;
          await page.goto(`${server.url}/ui/repositories/${other}`);
          await page.getByRole('alert').getByText('you may not pull it').waitFor();
        },
        /status of 404|HTTP 404: GET \S+\/ui\/api\/repositories\//,
      );
    });
  }
});
