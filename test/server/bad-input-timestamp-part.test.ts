/**
 * What notary accepts (spec §5.4) and so is not a refusal: a timestamp part is
 * ignored. A forged timestamp alone is a 200 on a repository whose snapshot the
 * server signs; the server re-signs with its own key and the forged bytes are
 * never stored.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { signerFor } from '../../src/app/create-repository.js';
import { loadRepository } from '../../src/app/load-repository.js';
import { NotaryServerSource } from '../../src/adapters/notary-http/notary-source.js';
import { defaultExpires } from '../../src/core/tuf/common.js';
import { fileMetaOf } from '../../src/core/tuf/file-meta.js';
import { Metadata, parseMetadata } from '../../src/core/tuf/metadata.js';
import { Timestamp } from '../../src/core/tuf/timestamp.js';
import { client, db, MANAGED, multipart, newEcKey, now, post, sha256, useBadInputServer } from './bad-input-world.js';

describe('dct server: bad input gets notary 4xx answers and changes nothing', () => {
  useBadInputServer();

  describe('what notary accepts: a timestamp part is ignored', () => {
    it('a forged timestamp alone → 200; the server re-signs, the forged bytes are never stored', async () => {
      const stranger = signerFor(newEcKey());
      const model = new Timestamp(999, defaultExpires('timestamp', now()), { snapshot: fileMetaOf(Buffer.from('x')) });
      const forged = (await new Metadata(model, []).sign([stranger])).serialize();
      const rootRow = db
        .prepare("SELECT data FROM tuf_files WHERE gun = ? AND role = 'root' ORDER BY version DESC LIMIT 1")
        .get(MANAGED) as { data: Buffer };
      const timestampKeys = parseMetadata(rootRow.data, 'root').signed.roles['timestamp']!.keyids;
      const res = await post(MANAGED, multipart([{ filename: 'timestamp', bytes: forged }]));
      assert.equal(res.status, 200, res.body.toString('utf8'));
      assert.equal((db.prepare('SELECT COUNT(*) AS n FROM tuf_files WHERE sha256 = ?').get(sha256(forged)) as { n: number }).n, 0);
      const { trusted } = await loadRepository(new NotaryServerSource(client, MANAGED), { gun: MANAGED, now: now() });
      assert.ok(trusted.timestamp!.signed.version < 999);
      assert.deepEqual(
        trusted.timestamp!.signatures.map((s) => s.keyid),
        timestampKeys,
      );
      assert.deepEqual(
        trusted
          .listTargets()
          .map((t) => t.name)
          .sort(),
        ['a', 'rel-1'],
      );
    });
  });
});
