/**
 * The dashboard's repository index costs nothing until used: a server whose dashboard is never
 * opened reads no repository, keeps nothing and does not watch the store, and a metrics scrape
 * of a big one builds nothing. Once used, the store's change notifications keep it current.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { DashboardViews } from '../../../src/app/dashboard/dashboard-views.js';
import type { TufStore } from '../../../src/core/ports.js';
import { CHEAP_INDEX, registerDashboardMetrics } from '../../../src/server/dashboard/dashboard-metrics.js';
import { MemoryTufStore } from '../../support/memory-stores.js';

/** A store that counts the reads of repositories and the watches. */
function counted(store: MemoryTufStore): { store: TufStore; reads: () => number; watches: () => number } {
  let reads = 0;
  let watches = 0;
  const proxy = new Proxy(store, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (name === 'getCurrent' || name === 'getByChecksum' || name === 'getByVersion') reads++;
        if (name === 'watch') watches++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: proxy, reads: () => reads, watches: () => watches };
}

const root = Buffer.from('{"signed":{"_type":"root","version":1}}');

async function storeOf(count: number): Promise<MemoryTufStore> {
  const store = new MemoryTufStore();
  for (let i = 0; i < count; i++) await store.updateMany(`repo-${String(i).padStart(5, '0')}`, [{ role: 'root', version: 1, data: root }]);
  return store;
}

describe('the dashboard repository index', () => {
  it('reads, keeps and watches nothing until used, and a scrape of a big server builds nothing', async () => {
    const c = counted(await storeOf(CHEAP_INDEX + 1));
    const views = new DashboardViews({ store: c.store, warnDays: 14 });
    const metrics = new Registry();
    registerDashboardMetrics(metrics, views);
    const text = await metrics.metrics();
    assert.equal(c.reads(), 0);
    assert.equal(c.watches(), 0);
    assert.equal(views.index.built, false);
    assert.match(text, /^dct_dashboard_index_repositories 0$/m);
    assert.doesNotMatch(text, /^dct_trust_repositories\{/m);
    // the first use builds it: every repository read once, and the store watched
    await views.index.current();
    const page = await views.repositories({ sort: 'name', order: 'asc', limit: 10 });
    assert.equal(page.total, CHEAP_INDEX + 1);
    assert.equal(page.items[0]?.health, 'invalid');
    assert.equal(c.watches(), 1);
    assert.equal(c.reads(), CHEAP_INDEX + 1);
    // later pages read nothing more
    await views.repositories({ sort: 'tags', order: 'desc', limit: 10, q: 'repo-0009' });
    assert.equal(c.reads(), CHEAP_INDEX + 1);
    assert.match(await metrics.metrics(), new RegExp(`^dct_trust_repositories\\{health="invalid"\\} ${CHEAP_INDEX + 1}$`, 'm'));
    await views.close();
  });

  it('a scrape builds the index of a small server; changes are read again, deletions leave', async () => {
    const memory = await storeOf(3);
    const c = counted(memory);
    const views = new DashboardViews({ store: c.store, warnDays: 14 });
    const metrics = new Registry();
    registerDashboardMetrics(metrics, views);
    assert.match(await metrics.metrics(), /^dct_dashboard_index_repositories 3$/m);
    assert.equal(views.index.built, true);
    const reads = c.reads();
    await memory.updateMany('repo-new', [{ role: 'root', version: 1, data: root }]);
    await memory.deleteRepository('repo-00001');
    const page = await views.repositories({ sort: 'name', order: 'asc', limit: 10 });
    assert.deepEqual(
      page.items.map((i) => i.gun),
      ['repo-00000', 'repo-00002', 'repo-new'],
    );
    assert.equal(c.reads() - reads, 2, 'only the two changed repositories were read again');
    await views.close();
  });

  it('forgets a build the store failed: the next use builds again', async () => {
    const memory = await storeOf(2);
    let failures = 1;
    const flaky = new Proxy(memory, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver) as unknown;
        if (name === 'listRepositories' && failures > 0) {
          return async () => {
            failures--;
            throw new Error('the database is down');
          };
        }
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const views = new DashboardViews({ store: flaky, warnDays: 14 });
    await assert.rejects(views.repositories({ sort: 'name', order: 'asc', limit: 10 }), /the database is down/);
    await new Promise((r) => setImmediate(r));
    const page = await views.repositories({ sort: 'name', order: 'asc', limit: 10 });
    assert.equal(page.total, 2);
    await views.close();
  });

  it('a long first build leaves the event loop to other work every few milliseconds', async () => {
    const memory = await storeOf(200);
    // each repository costs 3 ms of CPU, as verification does: the build takes 600 ms or more
    const busy = new Proxy(memory, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (name === 'getCurrent') for (const until = performance.now() + 3; performance.now() < until;);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const views = new DashboardViews({ store: busy, warnDays: 14 });
    const building = views.index.current();
    // timers (as a request's I/O would) get their turn while the build goes on
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const start = performance.now();
      await new Promise((r) => setTimeout(r, 0));
      delays.push(performance.now() - start);
    }
    assert.equal(views.index.built, false, `the build was done before the timers ran (${delays.map((d) => d.toFixed(0)).join(', ')} ms)`);
    assert.ok(views.index.progress !== undefined && views.index.progress > 0 && views.index.progress < 200);
    assert.ok(Math.max(...delays) < 250, `a timer waited ${Math.max(...delays).toFixed(0)} ms`);
    await building;
    assert.equal(views.index.size, 200);
    await views.close();
  });
});
