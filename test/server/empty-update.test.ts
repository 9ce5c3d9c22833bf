/**
 * An update with no parts (what notary's CLI uploads for `notary publish` with
 * nothing staged, e.g. after `key rotate … snapshot -r` and `key rotate …
 * targets`): notary-server accepts it, re-signing snapshot (when it holds the
 * key) and timestamp; so does `dct server`. Where the server cannot sign the
 * snapshot it is refused as any update without one (test/server/bad-input-multipart.test.ts).
 * test/interop/wire-traffic.test.ts drives the real notary CLI through it.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { encodeMultipart, NotaryClient } from '../../src/adapters/notary-http/notary-client.js';
import { NotaryServerSource } from '../../src/adapters/notary-http/notary-source.js';
import { createRepository } from '../../src/app/create-repository.js';
import { loadRepository } from '../../src/app/load-repository.js';
import { parseMetadata } from '../../src/core/tuf/metadata.js';
import type { Snapshot } from '../../src/core/tuf/snapshot.js';
import type { Timestamp } from '../../src/core/tuf/timestamp.js';
import { loadConfig } from '../../src/server/config.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';

const GUN = 'example.com/empty/update';
const newEcKey = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;

describe('dct server: an update with no parts', () => {
  const work = mkdtempSync(join(tmpdir(), 'dct-empty-update-'));
  let server: RunningServer;
  let client: NotaryClient;

  before(async () => {
    const config = loadConfig({
      env: {},
      flags: {
        listen: '127.0.0.1:0',
        storage: `sqlite:${join(work, 'dct.db')}`,
        dataDir: join(work, 'data'),
        plainHttp: true,
        logLevel: 'silent',
      },
    });
    server = await startServer(config, { DCT_SERVER_KEY_PASSPHRASE: 'empty-update-test' }, pino({ level: 'silent' }));
    client = new NotaryClient({ baseUrl: server.url });
  });
  after(async () => {
    client?.close();
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('re-signs snapshot and timestamp of a repository whose snapshot the server holds, as notary-server does', async () => {
    const created = await createRepository({
      gun: GUN,
      now: new Date(),
      rootKey: newEcKey(),
      targetsKey: newEcKey(),
      serverSnapshotKey: await client.getKey(GUN, 'snapshot'),
      timestampKey: await client.getKey(GUN, 'timestamp'),
    });
    await client.publish(GUN, created.files);
    const versionOf = async (role: 'snapshot' | 'timestamp') =>
      (parseMetadata(await client.getMetadata(GUN, role), role).signed as Snapshot | Timestamp).version;
    assert.deepEqual([await versionOf('snapshot'), await versionOf('timestamp')], [1, 1]);

    // Go's multipart writer with no part: `\r\n--<boundary>--\r\n`
    const { contentType, body } = encodeMultipart([]);
    assert.equal(body.toString('latin1'), `\r\n--${/boundary=(\S+)/.exec(contentType)![1]}--\r\n`);
    const res = await fetch(`${server.url}/v2/${GUN}/_trust/tuf/`, { method: 'POST', headers: { 'Content-Type': contentType }, body });
    assert.equal(res.status, 200, await res.text());
    assert.deepEqual([await versionOf('snapshot'), await versionOf('timestamp')], [2, 2]);

    const loaded = await loadRepository(new NotaryServerSource(client, GUN), { gun: GUN, now: new Date() });
    assert.equal(loaded.trusted.snapshot?.signed.version, 2);
  });
});
