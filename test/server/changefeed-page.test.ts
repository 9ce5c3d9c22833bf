/**
 * The changefeed's page size: `records` beyond the largest page (notary takes
 * any 32-bit number, 2147483647 reads the whole table) is served as the
 * largest page, forwards or backwards as asked; bad values stay notary's 400.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EmbeddedKeyService } from '../../src/adapters/key-service/embedded-key-service.js';
import { SqliteStore } from '../../src/adapters/storage/sqlite-store.js';
import { isDctError } from '../../src/core/errors.js';
import { ResponseCache } from '../../src/server/response-cache.js';
import { handleRoute, MAX_CHANGEFEED_RECORDS, type TrustApiContext } from '../../src/server/trust-api.js';

const GUN = 'example.com/feed/app';

describe('changefeed page size', () => {
  let store: SqliteStore;
  const context = (maxChangefeedRecords?: number): TrustApiContext => ({
    store,
    keys: new EmbeddedKeyService({ store, passphrase: 'changefeed-test', now: () => new Date() }),
    now: () => new Date(),
    cache: new ResponseCache(),
    gunPrefixes: [],
    limits: { maxRoleBytes: 1024 * 1024, maxParts: 1000, ...(maxChangefeedRecords !== undefined ? { maxChangefeedRecords } : {}) },
  });
  const feed = async (ctx: TrustApiContext, query: string, gun?: string) => {
    const res = await handleRoute(ctx, { name: 'changefeed', ...(gun ? { gun } : {}) }, { headers: {}, query: new URLSearchParams(query) });
    return JSON.parse(res.body.toString()) as { count: number; records: Array<{ ID: string; Version: number }> | null };
  };

  before(async () => {
    store = await SqliteStore.open(':memory:');
    // each stored timestamp is one changefeed record
    for (let v = 1; v <= 7; v++) await store.updateMany(GUN, [{ role: 'timestamp', version: v, data: Buffer.from(`{"timestamp":${v}}`) }]);
  });
  after(async () => store?.close());

  it('records beyond the largest page get the largest page, forwards and backwards', async () => {
    const ctx = context(3);
    for (const gun of [undefined, GUN]) {
      const forwards = await feed(ctx, 'records=2147483647', gun);
      assert.equal(forwards.count, 3);
      assert.deepEqual(
        forwards.records?.map((r) => r.Version),
        [1, 2, 3],
      );
      const backwards = await feed(ctx, 'records=-2147483648', gun);
      assert.deepEqual(
        backwards.records?.map((r) => r.Version),
        [5, 6, 7],
      );
      const fromId = await feed(ctx, `records=1000&change_id=${forwards.records?.[2]?.ID}`, gun);
      assert.deepEqual(
        fromId.records?.map((r) => r.Version),
        [4, 5, 6],
      );
      // notary's default page (0 → 100) is clamped as well; smaller pages are as asked
      assert.equal((await feed(ctx, 'records=0', gun)).count, 3);
      assert.deepEqual(
        (await feed(ctx, 'records=2', gun)).records?.map((r) => r.Version),
        [1, 2],
      );
      assert.deepEqual(
        (await feed(ctx, 'records=-1', gun)).records?.map((r) => r.Version),
        [7],
      );
    }
  });

  it('by default the largest page is MAX_CHANGEFEED_RECORDS, above notary default of 100', async () => {
    assert.equal(MAX_CHANGEFEED_RECORDS, 1000);
    assert.equal((await feed(context(), 'records=2147483647')).count, 7);
  });

  it('bad values are still notary 400 INVALID_PARAMETERS', async () => {
    for (const query of ['records=2147483648', 'records=abc', 'records=']) {
      await assert.rejects(
        handleRoute(context(3), { name: 'changefeed' }, { headers: {}, query: new URLSearchParams(query) }),
        (err: unknown) => isDctError(err, 'INVALID_PARAMETERS'),
      );
    }
  });
});
