/**
 * The dashboard (issue 15) in headless Chromium against a real `dct server` whose trust data the
 * real notary and docker CLIs made (dashboard-world.ts): what each page shows, at 1280 px and
 * 375 px, with screenshots in test-artifacts/browser/, and no console error, failed request or
 * Content-Security-Policy violation on any page; at 375 px nothing sticks out of its card and the
 * page never scrolls sideways (long key IDs, digests, GUNs wrap or are cut with the whole value
 * kept). Token auth: dashboard-auth.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { HttpAuditSink } from '../../src/adapters/audit/http-audit-sink.js';
import { auditRecordOf } from '../../src/core/policy/audit-record.js';
import { interopSkip, missingTool } from '../support/interop.js';
import { run } from '../support/reference-stack.js';
import { chromiumMissing, launchChromium, type Chromium } from './chromium.js';
import { startDashboardWorld, type DashboardWorld } from './dashboard-world.js';
import { appearance, attributes, onPage, sidewaysOverflow, texts } from './page-checks.js';

/** a repository page's cards at 375 px: the page, each fact, each tag row, the role tree, the history */
const REPOSITORY_CARDS = 'main, .facts > div, [data-testid="tag-row"], [data-testid="role-tree"], [data-testid="history"]';

/**
 * A health reason naming a key ID (64 hex digits) at 375 px: nothing of it sticks out of `cards`,
 * the page does not scroll sideways, and the whole key ID is still there: shown (wrapped), or in
 * the title of what shows it cut.
 */
async function assertKeyIdFits(page: Page, health: Locator, cards: string): Promise<void> {
  const reason = (await health.getAttribute('title')) ?? '';
  const keyId = /\b[0-9a-f]{64}\b/.exec(reason)?.[0];
  assert.ok(keyId, `the health reason names a key ID: ${reason}`);
  const shown = (await health.innerText()).replace(/\s+/g, '');
  const titles = await attributes(page, health.locator('[title]'), 'title');
  assert.ok(shown.includes(keyId) || titles.includes(keyId), `the whole key ID ${keyId} is shown or in a title: ${shown}`);
  assert.deepEqual(await sidewaysOverflow(page, cards), [], 'nothing sticks out at 375 px');
}

const missing = (await chromiumMissing()) ?? missingTool('notary', 'openssl');
/** the UI shows 50 repositories a page: 3 made by the tools, the long-named one and 50 fillers make two pages */
const FILLERS = 50;
const PAGE = 50;

describe('the dashboard in Chromium, against trust data made by notary and docker', { skip: interopSkip(missing) }, () => {
  let world: DashboardWorld;
  let chromium: Chromium;
  let ui: string;

  before(async () => {
    world = await startDashboardWorld({ fillers: FILLERS });
    chromium = await launchChromium();
    ui = `${world.server.url}/ui`;
  });
  after(async () => {
    await chromium?.close();
    await world?.close();
  });

  const allGuns = () => [world.bobRepo, world.expiringRepo, world.dockerUser.image, world.longRepo, ...world.fillers].sort();

  it(
    'repositories: 50 a page, "Next page" shows the rest, search narrows, the expiring one is highlighted',
    { timeout: 120_000 },
    async () => {
      await onPage(chromium, `${ui}/`, 'repositories', 'desktop', async (page) => {
        const all = allGuns();
        // the first use builds the server's index: the page shows what is read so far, then the whole
        await page.getByTestId('repo-count').getByText(`1–${PAGE} of ${all.length} repositories`, { exact: true }).waitFor();
        const first = await attributes(page, '[data-testid="repo-row"]', 'data-gun');
        assert.deepEqual(first, all.slice(0, PAGE), 'the first page: the first 50 by name');

        await page.getByRole('button', { name: 'Next page' }).click();
        await page
          .getByTestId('repo-count')
          .getByText(`${PAGE + 1}–${all.length} of ${all.length} repositories`)
          .waitFor();
        assert.deepEqual(await attributes(page, '[data-testid="repo-row"]', 'data-gun'), all.slice(PAGE), 'the second page: the rest');
        assert.ok(await page.getByRole('button', { name: 'Next page' }).isDisabled(), 'no page after the last');

        await page.getByLabel('Search repositories').fill('acme/');
        await page.getByTestId('repo-count').getByText('1–2 of 2 repositories').waitFor();
        assert.deepEqual(await attributes(page, '[data-testid="repo-row"]', 'data-gun'), [world.bobRepo, world.expiringRepo]);
        assert.match(page.url(), /[?&]q=acme%2F/, 'the search is in the address');

        const row = (gun: string) => page.locator(`[data-testid="repo-row"][data-gun="${gun}"]`);
        assert.match((await row(world.expiringRepo).getAttribute('class')) ?? '', /\bexpiring\b/, 'the expiring repository is highlighted');
        assert.match(await row(world.expiringRepo).getByTestId('health').innerText(), /expiring/);
        assert.doesNotMatch((await row(world.bobRepo).getAttribute('class')) ?? '', /\b(expiring|expired|invalid)\b/);
        assert.match(await row(world.bobRepo).getByTestId('health').innerText(), /ok/);
        assert.match(await row(world.bobRepo).innerText(), /\bbob\b/, "bob is among acme/app's signers");
      });
      await onPage(chromium, `${ui}/repositories?q=acme%2F`, 'repositories-search', 'narrow', async (page) => {
        await page.getByTestId('repo-count').getByText('1–2 of 2 repositories').waitFor();
        assert.equal(await page.getByLabel('Search repositories').inputValue(), 'acme/', 'the search is read from the address');
        // the expiring repository's health reason names its root certificate by its 64-hex key ID
        const health = page.locator(`[data-testid="repo-row"][data-gun="${world.expiringRepo}"] [data-testid="health"]`);
        await assertKeyIdFits(page, health, '[data-testid="repo-row"]');
      });
      await onPage(chromium, `${ui}/repositories`, 'repositories', 'narrow', async (page) => {
        await page.getByTestId('repo-row').first().waitFor();
        assert.equal(await page.getByTestId('repo-row').count(), PAGE);
        assert.deepEqual(await sidewaysOverflow(page, 'main, [data-testid="repo-row"]'), [], 'nothing sticks out at 375 px');
      });
      await onPage(chromium, `${ui}/repositories?q=long%2F`, 'repositories-long-name', 'narrow', async (page) => {
        await page.getByTestId('repo-count').getByText('1–1 of 1 repositories').waitFor();
        const link = page.getByRole('link', { name: world.longRepo });
        assert.equal((await link.innerText()).replace(/\s+/g, ''), world.longRepo, 'the whole GUN is shown');
        assert.deepEqual(await sidewaysOverflow(page, 'main, [data-testid="repo-row"]'), [], 'nothing sticks out at 375 px');
      });
    },
  );

  it(
    'repository page: the tag bob signed is under bob, v1 under the Repo Admin; role tree; history with the rotation',
    { timeout: 120_000 },
    async () => {
      for (const viewport of ['desktop', 'narrow'] as const) {
        await onPage(chromium, `${ui}/repositories?q=acme%2Fapp`, 'repository-acme-app', viewport, async (page) => {
          // reached as a user does: from the list, by the repository's link
          await page.getByRole('link', { name: world.bobRepo, exact: true }).click();
          await page.getByRole('heading', { level: 1, name: world.bobRepo }).waitFor();
          await page.getByTestId('tag-row').first().waitFor();
          assert.deepEqual(await attributes(page, '[data-testid="tag-row"]', 'data-tag'), ['v1', 'v2']);
          const signers = (tag: string) => texts(page, `[data-testid="tag-row"][data-tag="${tag}"] [data-testid="signer"]`);
          assert.deepEqual(await signers('v2'), ['bob (targets/bob)'], 'v2: signed by bob alone');
          assert.deepEqual(await signers('v1'), ['Repo Admin (targets)'], 'v1: the Repo Admin');
          const formats = await texts(page, '[data-testid="tag-row"][data-tag="v2"] [data-testid^="format-"]');
          assert.deepEqual(formats, ['DCT']);
          // the role tree: bob's delegation under targets, with all paths
          const bob = page.locator('[data-testid="role-tree"] li[data-role="targets/bob"]');
          assert.equal(await bob.getAttribute('data-level'), '2', 'targets/bob is a child of targets');
          assert.match(await bob.innerText(), /threshold 1 of 1/);
          assert.match(await bob.innerText(), /paths: "" \(all\)/);
          // five publishes: init, add v1, the delegations, add v2, the targets key's rotation (newest first, marked)
          const history = page.getByTestId('history-entry');
          assert.equal(await history.count(), 5);
          assert.match(await history.first().getByTestId('rotation').innerText(), /key rotation: .*\btargets\b/);
          assert.equal(await page.getByTestId('rotation').count(), 1, 'one rotation');
          if (viewport === 'narrow') assert.deepEqual(await sidewaysOverflow(page, REPOSITORY_CARDS), [], 'nothing sticks out at 375 px');
        });
      }
      await onPage(chromium, `${ui}/repositories/${world.expiringRepo}`, 'repository-acme-expiring', 'narrow', async (page) => {
        await page.getByTestId('tag-row').first().waitFor();
        const health = page.locator('.facts [data-testid="health"]');
        assert.match(await health.innerText(), /expiring/);
        await assertKeyIdFits(page, health, REPOSITORY_CARDS);
      });
      await onPage(chromium, `${ui}/repositories/${world.longRepo}`, 'repository-long-name', 'narrow', async (page) => {
        await page.getByTestId('tag-row').first().waitFor();
        const title = page.getByRole('heading', { level: 1 });
        assert.equal((await title.innerText()).replace(/\s+/g, ''), world.longRepo, 'the whole GUN is shown');
        assert.deepEqual(await sidewaysOverflow(page, REPOSITORY_CARDS), [], 'nothing sticks out at 375 px');
      });
      const docker = world.dockerUser;
      await onPage(chromium, `${ui}/repositories/${docker.image}`, 'repository-docker-trust', 'desktop', async (page) => {
        await page.getByTestId('tag-row').first().waitFor();
        const signers = await texts(page, `[data-testid="tag-row"][data-tag="${docker.tag}"] [data-testid="signer"]`);
        // docker trust signs into targets/releases and alice's own role (docker names the signer alice); notary alone into targets
        assert.deepEqual(signers, docker.madeBy === 'docker trust' ? ['alice (targets/alice)'] : ['Repo Admin (targets)']);
        const digest = await page.locator(`[data-testid="tag-row"][data-tag="${docker.tag}"] code[title]`).getAttribute('title');
        // the digest dct pushed and docker signed (shown as notary shows it: hex, no algorithm)
        assert.equal(digest, docker.digest.replace(/^sha256:/, ''));
      });
    },
  );

  it(
    'expiry: the root certificate expiring in 3 days is highlighted, acme/app has nothing inside the window',
    { timeout: 120_000 },
    async () => {
      for (const viewport of ['desktop', 'narrow'] as const) {
        await onPage(chromium, `${ui}/expiry`, 'expiry', viewport, async (page) => {
          await page.getByTestId('expiry-row').first().waitFor();
          const rows = page.getByTestId('expiry-row');
          const expiring = rows.filter({ hasText: world.expiringRepo }).and(page.locator('[data-status="expiring"]'));
          assert.ok((await expiring.count()) >= 1, 'the expiring repository has an item marked expiring');
          assert.match(await expiring.first().innerText(), /root-certificate/);
          assert.match((await expiring.first().getAttribute('class')) ?? '', /\bexpiring\b/, 'highlighted');
          const bobRows = rows.filter({ has: page.getByRole('link', { name: world.bobRepo, exact: true }) });
          const bobStatuses = await attributes(page, bobRows, 'data-status');
          assert.ok(bobStatuses.length > 0, 'acme/app has items in the timeline');
          assert.deepEqual([...new Set(bobStatuses)], ['ok'], 'nothing of acme/app is inside the warning window');
          const counts = await page.getByTestId('expiry-counts').innerText();
          assert.match(counts, /\b0 expired\b/);
          assert.match(counts, /\b1 expiring\b/, 'only the root certificate of acme/expiring');
          if (viewport === 'narrow') {
            assert.deepEqual(await sidewaysOverflow(page, 'main, [data-testid="expiry-row"]'), [], 'nothing sticks out at 375 px');
          }
        });
      }
    },
  );

  it(
    'decisions: a denied admission appears in the live feed within a second; the pull gate’s denial too',
    { timeout: 120_000 },
    async () => {
      const home = join(world.dir, 'pusher');
      const sink = new HttpAuditSink(world.server.url, { env: { DOCKER_CONFIG: join(home, '.docker') } });
      await onPage(chromium, `${ui}/decisions`, 'decisions', 'desktop', async (page) => {
        await page.getByTestId('stream-state').getByText('live').waitFor();
        // a denied admission, as the admission webhook posts it (its audit sink, its record)
        const image = `${world.server.host}/prod/web:unsigned-${process.pid}`;
        const seen = appearance(page, '[data-testid="decision"][data-verdict="denied"]', image, 10_000);
        const postedAt = performance.timeOrigin + performance.now();
        sink.record(
          auditRecordOf(
            {
              image,
              verdict: 'deny',
              mode: 'enforce',
              rule: 'prod',
              reasons: [`no valid DCT signature for ${image}`],
              warnings: [],
              reports: [],
              decidedAt: new Date().toISOString(),
            },
            'admission',
            { user: 'system:serviceaccount:kube-system:replicaset-controller' },
            { uid: `uid-${process.pid}`, kind: 'Pod', namespace: 'prod', name: 'web', operation: 'CREATE', endpoint: 'validate' },
            false,
          ),
        );
        const shownAt = await seen;
        const ms = shownAt - postedAt;
        console.log(`[browser] denied admission shown ${ms.toFixed(0)} ms after it was handed to the audit sink`);
        assert.ok(ms <= 1000, `shown after ${ms.toFixed(0)} ms, more than a second`);
        const row = page.getByTestId('decision').filter({ hasText: image });
        assert.match(await row.innerText(), /denied[\s\S]*admission[\s\S]*rule prod/i);

        // the embedded registry's pull gate refuses the unsigned image: its own record, live
        const gated = appearance(page, '[data-testid="decision"][data-verdict="denied"]', 'gated/unsigned', 10_000);
        const pulled = await run(join(world.dct.bin, 'dct'), ['pull', world.gatedImage, '-o', mkdtempSync(join(world.dir, 'pull-'))], {
          env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home },
        }).then(
          () => 'pulled',
          (err: Error) => err.message,
        );
        assert.notEqual(pulled, 'pulled', 'the pull gate lets no unsigned image through');
        await gated;
        assert.match(await page.getByTestId('decision').filter({ hasText: 'gated/unsigned' }).first().innerText(), /registry/);
      });
      await sink.flush();
      await onPage(chromium, `${ui}/decisions`, 'decisions', 'narrow', async (page) => {
        await page.getByTestId('decision').filter({ hasText: 'gated/unsigned' }).first().waitFor();
        assert.deepEqual(await sidewaysOverflow(page, 'main, [data-testid="decision"]'), [], 'nothing sticks out at 375 px');
      });
    },
  );
});
