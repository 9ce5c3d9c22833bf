/**
 * `dct server` under 8 simultaneous publishes of the next version, with the
 * server signing the snapshot and with the client signing it: exactly one 200,
 * seven 400 VERSION with notary's envelope, one update and one change record
 * stored, and the repository loads through the client trust rules at the
 * winner's version with the winner's content.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NotaryClient, NotaryHttpError } from '../../src/adapters/notary-http/notary-client.js';
import { loadRepository } from '../../src/app/load-repository.js';
import { NotaryServerSource } from '../../src/adapters/notary-http/notary-source.js';
import {
  client,
  clientOwner,
  countRows,
  managed,
  MESSAGES,
  now,
  type Owner,
  server,
  snapshotFile,
  targetsFile,
  useBadInputServer,
} from './bad-input-world.js';

describe('dct server: bad input gets notary 4xx answers and changes nothing', () => {
  useBadInputServer();

  describe('concurrency: 8 publishes of the next version at once', () => {
    async function race(
      owner: Owner,
      version: number,
      files: (i: number) => Promise<Array<{ role: string; bytes: Buffer }>>,
    ): Promise<number> {
      const uploads = await Promise.all(Array.from({ length: 8 }, (_, i) => files(i)));
      const clients = uploads.map(() => new NotaryClient({ baseUrl: server.url }));
      const filesBefore = countRows('tuf_files', owner.gun);
      const changesBefore = countRows('changefeed', owner.gun);
      try {
        const results = await Promise.allSettled(uploads.map((u, i) => clients[i]!.publish(owner.gun, u)));
        const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
        assert.equal(won.length, 1, `exactly one publish wins: ${JSON.stringify(results.map((r) => r.status))}`);
        for (const r of results) {
          if (r.status === 'fulfilled') continue;
          const err = r.reason as NotaryHttpError;
          assert.ok(err instanceof NotaryHttpError, String(err));
          assert.equal(err.status, 400, err.message);
          assert.equal(err.code, 'VERSION', err.message);
          assert.deepEqual(err.details.errors, [{ code: 'VERSION', message: MESSAGES['VERSION'], detail: {} }]);
        }
        const winner = won[0]!;
        // one update stored: the winner's files + the server's timestamp (+ snapshot), one change record
        assert.equal(countRows('tuf_files', owner.gun), filesBefore + uploads[winner]!.length + (owner.snapshotKey ? 1 : 2));
        assert.equal(countRows('changefeed', owner.gun), changesBefore + 1);
        // the repository verifies, at the winner's version, with the winner's content
        const { trusted } = await loadRepository(new NotaryServerSource(client, owner.gun), { gun: owner.gun, now: now() });
        assert.equal(trusted.targets()!.signed.version, version);
        assert.ok(trusted.targets()!.raw!.equals(uploads[winner]!.find((f) => f.role === 'targets')!.bytes));
        assert.ok(trusted.findTarget(`race-${winner}`), `the winner's target race-${winner}`);
        for (let i = 0; i < 8; i++) if (i !== winner) assert.equal(trusted.findTarget(`race-${i}`), undefined);
        return winner;
      } finally {
        for (const c of clients) c.close();
      }
    }

    it('server-managed snapshot: targets v3 × 8 → one 200, seven 400 VERSION; loads at v3', async () => {
      await race(managed, 3, async (i) => [
        {
          role: 'targets',
          bytes: await targetsFile(managed, 'targets', 3, { delegate: true, targets: { a: 'a', [`race-${i}`]: `${i}` } }),
        },
      ]);
    });

    it('client-managed snapshot: targets v3 + snapshot v3 × 8 → one 200, seven 400 VERSION; loads at v3', async () => {
      await race(clientOwner, 3, async (i) => {
        const targets = await targetsFile(clientOwner, 'targets', 3, { targets: { b: 'b', [`race-${i}`]: `${i}` } });
        const snapshot = await snapshotFile(clientOwner, 3, { root: clientOwner.published.get('root@1')!, targets });
        return [
          { role: 'targets', bytes: targets },
          { role: 'snapshot', bytes: snapshot },
        ];
      });
    });
  });
});
