/**
 * The behaviour every AuditStore must show, as node:test cases registered for a factory that
 * returns a fresh, empty server store with the given retention.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { AuditRecord, AuditStore } from '../../../src/core/policy/audit-record.js';

export interface AuditStoreHandle {
  audit: AuditStore;
  close(): Promise<void>;
}
export type AuditStoreFactory = (retention?: number) => Promise<AuditStoreHandle>;

/** A record of `image` with verdict and point; `n` goes into its context (to tell records apart). */
export function auditRecord(n: number, overrides: Partial<AuditRecord> = {}): AuditRecord {
  return {
    at: new Date(Date.UTC(2026, 11, 7, 12, 0, n % 60)).toISOString(),
    point: 'registry',
    actor: { user: 'alice', address: '10.0.0.5' },
    image: 'registry.example.com/team/app:v1',
    digest: `sha256:${'b'.repeat(64)}`,
    rule: 'prod',
    verdict: 'allow',
    mode: 'enforce',
    admitted: true,
    reasons: [],
    signatures: [{ format: 'dct', verdict: 'verified', subject: `sha256:${'b'.repeat(64)}`, signer: 'targets/releases' }],
    context: { n: String(n) },
    ...overrides,
  };
}

export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const ns = (records: readonly AuditRecord[]) => records.map((r) => Number(r.context['n']));

export function auditStoreContract(name: string, factory: AuditStoreFactory): void {
  describe(`${name}: AuditStore contract`, () => {
    const open: AuditStoreHandle[] = [];
    const fresh = async (retention?: number) => {
      const handle = await factory(retention);
      open.push(handle);
      return handle.audit;
    };
    afterEach(async () => {
      await Promise.all(open.splice(0).map((h) => h.close()));
    });

    it('appends in one go, assigns ascending ids and gives the records back as stored', async () => {
      const store = await fresh();
      const first = await store.append([auditRecord(1), auditRecord(2, { source: 'user:alice' })]);
      const second = await store.append([auditRecord(3)]);
      const ids = [...first, ...second].map((r) => r.id as number);
      assert.ok(
        ids.every((id, i) => Number.isSafeInteger(id) && (i === 0 || id > (ids[i - 1] as number))),
        `ids ${ids.join(',')}`,
      );
      assert.deepEqual(first[1], { ...auditRecord(2, { source: 'user:alice' }), id: ids[1] });
      assert.deepEqual(await store.page({ changeId: 0, records: 10 }), [...first, ...second]);
      assert.deepEqual(await store.append([]), []);
    });

    it('never keeps an id that came with a record', async () => {
      const store = await fresh();
      const [stored] = await store.append([{ ...auditRecord(1), id: 999_999 }]);
      assert.notEqual(stored?.id, 999_999);
      assert.equal((await store.page({ changeId: 0, records: 10 }))[0]?.id, stored?.id);
    });

    it('pages forwards from a change id and backwards from one or from the latest', async () => {
      const store = await fresh();
      const stored = await store.append(Array.from({ length: 7 }, (_, i) => auditRecord(i + 1)));
      const id = (n: number) => stored[n - 1]?.id as number;
      assert.deepEqual(ns(await store.page({ changeId: 0, records: 3 })), [1, 2, 3]);
      assert.deepEqual(ns(await store.page({ changeId: id(3), records: 3 })), [4, 5, 6]);
      assert.deepEqual(ns(await store.page({ changeId: id(7), records: 3 })), []);
      assert.deepEqual(ns(await store.page({ changeId: 0, records: -2 })), [6, 7]);
      assert.deepEqual(ns(await store.page({ changeId: -1, records: 2 })), [6, 7]);
      assert.deepEqual(ns(await store.page({ changeId: id(4), records: -2 })), [2, 3]);
      assert.deepEqual(await store.page({ changeId: 0, records: 0 }), []);
    });

    it('filters by image, verdict and point, and pages within the filter', async () => {
      const store = await fresh();
      await store.append([
        auditRecord(1),
        auditRecord(2, { verdict: 'deny', admitted: false }),
        auditRecord(3, { image: 'other/app:v2', point: 'admission' }),
        auditRecord(4, { image: 'other/app:v2', verdict: 'deny', admitted: false, point: 'admission' }),
        auditRecord(5, { verdict: 'deny', admitted: false }),
      ]);
      assert.deepEqual(ns(await store.page({ changeId: 0, records: 10, verdict: 'deny' })), [2, 4, 5]);
      assert.deepEqual(ns(await store.page({ changeId: 0, records: 10, image: 'other/app:v2' })), [3, 4]);
      assert.deepEqual(ns(await store.page({ changeId: 0, records: 10, point: 'admission', verdict: 'deny' })), [4]);
      assert.deepEqual(ns(await store.page({ changeId: 0, records: -1, verdict: 'deny', image: 'registry.example.com/team/app:v1' })), [5]);
      assert.deepEqual(ns(await store.page({ changeId: 0, records: 10, image: 'registry.example.com/team' })), []);
    });

    it('keeps text with quotes, NULs escaped in JSON and non-ASCII characters exactly', async () => {
      const store = await fresh();
      const odd = auditRecord(1, { reasons: ['"quoted" \\ back\u0000slash', 'ünïcödé ✓'], actor: { user: "o'brien" } });
      const [stored] = await store.append([odd]);
      assert.deepEqual((await store.page({ changeId: 0, records: 1 }))[0], stored);
      assert.deepEqual(stored, { ...odd, id: stored?.id });
    });

    it('keeps only the newest records beyond the retention', async () => {
      const store = await fresh(5);
      await store.append(Array.from({ length: 4 }, (_, i) => auditRecord(i + 1)));
      await store.append(Array.from({ length: 4 }, (_, i) => auditRecord(i + 5)));
      assert.deepEqual(ns(await store.page({ changeId: 0, records: 100 })), [4, 5, 6, 7, 8]);
      await store.append(Array.from({ length: 12 }, (_, i) => auditRecord(i + 9)));
      assert.deepEqual(ns(await store.page({ changeId: 0, records: 100 })), [16, 17, 18, 19, 20]);
    });

    it('calls watchers after an append, until they unsubscribe', async () => {
      const store = await fresh();
      let calls = 0;
      const unwatch = await store.watch(() => calls++);
      await store.append([auditRecord(1)]);
      await waitFor(() => calls >= 1, 'the watch call');
      await unwatch();
      const before = calls;
      await store.append([auditRecord(2)]);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(calls, before);
    });
  });
}
