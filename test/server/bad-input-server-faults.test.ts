/**
 * `dct server` faults with a known cause, made behind the server's back in its
 * SQLite file: a stored timestamp that no longer parses and an expired
 * timestamp the server cannot re-sign are answered 500 UNKNOWN with detail {}
 * on purpose, as notary answers them, and nothing is stored.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openSqliteDatabase, type SqliteDatabase } from '../../src/adapters/storage/sqlite-driver.js';
import { createRepository, signerFor } from '../../src/app/create-repository.js';
import { GoTime } from '../../src/core/go-time.js';
import { fileMetaOf } from '../../src/core/tuf/file-meta.js';
import { Metadata, parseMetadata } from '../../src/core/tuf/metadata.js';
import { Timestamp } from '../../src/core/tuf/timestamp.js';
import { client, dbFile, newEcKey, now, send, sha256, storedRows, T, useBadInputServer } from './bad-input-world.js';

describe('dct server: bad input gets notary 4xx answers and changes nothing', () => {
  useBadInputServer();

  describe('server faults with a known cause: 500 UNKNOWN on purpose (as notary), nothing stored', () => {
    const UNKNOWN = '{"errors":[{"code":"UNKNOWN","message":"unknown error","detail":{}}]}\n';

    /** A fresh server-snapshot repository, then `damage` applied to the SQLite file behind the server's back. */
    async function damaged(gun: string, damage: (rw: SqliteDatabase) => Promise<void>): Promise<void> {
      const created = await createRepository({
        gun,
        now: now(),
        rootKey: newEcKey(),
        targetsKey: newEcKey(),
        serverSnapshotKey: await client.getKey(gun, 'snapshot'),
        timestampKey: await client.getKey(gun, 'timestamp'),
      });
      await client.publish(gun, created.files);
      const rw = openSqliteDatabase(dbFile);
      try {
        rw.exec('PRAGMA busy_timeout = 5000');
        await damage(rw);
      } finally {
        rw.close();
      }
    }
    const latest = (rw: SqliteDatabase, gun: string, role: string) =>
      rw.prepare('SELECT version, data FROM tuf_files WHERE gun = ? AND role = ? ORDER BY version DESC LIMIT 1').get(gun, role) as {
        version: number;
        data: Buffer;
      };
    const insert = (rw: SqliteDatabase, gun: string, role: string, version: number, data: Buffer) =>
      rw
        .prepare('INSERT INTO tuf_files (gun, role, version, data, sha256, created_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(gun, role, version, data, sha256(data), new Date().toISOString());

    async function answersUnknown(gun: string): Promise<void> {
      for (const role of ['timestamp', 'snapshot']) {
        const before = storedRows();
        const res = await send('GET', `${T(gun)}${role}.json`);
        assert.equal(res.status, 500, `${role}.json: ${res.body.toString('utf8')}`);
        assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
        assert.equal(res.body.toString('utf8'), UNKNOWN);
        assert.deepEqual(storedRows(), before, `${role}.json: stored rows changed`);
      }
    }

    it('a stored timestamp that no longer parses (STORED_METADATA_INVALID) → 500 UNKNOWN detail {}', async () => {
      const gun = 'example.com/bad/corrupt';
      await damaged(gun, async (rw) => {
        insert(rw, gun, 'timestamp', latest(rw, gun, 'timestamp').version + 1, Buffer.from('{"signed":'));
      });
      await answersUnknown(gun);
    });

    it('an expired timestamp the server must re-sign without its key (SIGNING_KEYS_UNAVAILABLE) → 500 UNKNOWN detail {}', async () => {
      const gun = 'example.com/bad/keyless';
      await damaged(gun, async (rw) => {
        // the server's timestamp key is gone, and the latest timestamp has expired
        const root = parseMetadata(latest(rw, gun, 'root').data, 'root').signed;
        for (const keyId of root.roles['timestamp']!.keyids) rw.prepare('DELETE FROM private_keys WHERE key_id = ?').run(keyId);
        const snapshot = latest(rw, gun, 'snapshot').data;
        const model = new Timestamp(latest(rw, gun, 'timestamp').version + 1, GoTime.fromEpochMs(Date.now() - 60_000), {
          snapshot: fileMetaOf(snapshot),
        });
        insert(rw, gun, 'timestamp', model.version, (await new Metadata(model, []).sign([signerFor(newEcKey())])).serialize());
      });
      await answersUnknown(gun);
    });
  });
});
