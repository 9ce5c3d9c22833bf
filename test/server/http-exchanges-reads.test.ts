/**
 * The real notary-server's recorded reads (exchanges 01–17) replayed against
 * `dct server` (test/server/http-exchanges-world.ts): the base and health
 * routes, current, consistent (by checksum) and versioned metadata with their
 * cache headers, 404s with and without detail for unknown GUNs, roles,
 * delegations, checksums and versions, HEAD, and the timestamp and targets key
 * routes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadRepository } from '../../src/app/load-repository.js';
import { NotaryServerSource } from '../../src/adapters/notary-http/notary-source.js';
import { parseMetadata } from '../../src/core/tuf/metadata.js';
import { listFiles } from '../support/fixtures.js';
import {
  client,
  EXCHANGES,
  MANAGED,
  managed,
  pathOf,
  readExchange,
  replay,
  replayFor,
  request,
  sha256,
  storedCurrent,
  useExchangeServer,
} from './http-exchanges-world.js';

describe('notary-server HTTP exchanges 01–34 replayed against dct server', () => {
  useExchangeServer();

  const files = listFiles(EXCHANGES).filter((f) => /^\d{2}-.*\.txt$/.test(f));
  it('has the 34 recordings', () => assert.equal(files.length, 34));

  it('01 GET /v2/ → 200 {} (text/plain)', () => replay('01-get-v2-base.txt', 'same'));
  it('02 GET /_notary_server/health → 200 {} (application/json)', () => replay('02-get-health.txt', 'same'));
  it('03 GET root.json → the stored root v2, current cache headers', () => replay('03-get-root-ok.txt', managed.rootV2));

  it('04 GET timestamp.json → the stored server-signed timestamp', async () => {
    await replay('04-get-timestamp-ok.txt', () => storedCurrent(MANAGED, 'timestamp'));
    // and it is what a client trusts: signed by the key the server announced, pinning the served snapshot
    const { trusted } = await loadRepository(new NotaryServerSource(client, MANAGED), { gun: MANAGED, now: new Date() });
    assert.deepEqual(
      trusted.timestamp?.signatures.map((s) => s.keyid),
      [managed.timestampKey],
    );
    assert.deepEqual(
      trusted.listTargets().map((t) => t.name),
      ['v1'],
    );
  });

  it('05 GET targets.json → the published targets v3', () => replay('05-get-targets-ok.txt', managed.targets));

  it('06 GET snapshot.<sha256>.json → the pinned snapshot, consistent cache headers', async () => {
    const ts = parseMetadata(await storedCurrent(MANAGED, 'timestamp'), 'timestamp');
    const hex = ts.signed.snapshotMeta.hashes['sha256']!.toString('hex');
    const ours = await replayFor('06-get-snapshot-by-sha256.txt', () => storedCurrent(MANAGED, 'snapshot'), {
      path: `/v2/${MANAGED}/_trust/tuf/snapshot.${hex}.json`,
    });
    assert.equal(sha256(ours.body), hex);
  });

  it('07 GET 1.root.json → root v1 (the client snapshot key), consistent cache headers', () =>
    replay('07-get-root-by-version.txt', managed.rootV1));
  it('08 GET root.json of an unknown GUN → 404 METADATA_NOT_FOUND detail {}', () => replay('08-get-unknown-gun.txt', 'same'));
  it('09 GET timestamp.json of an unknown GUN → 404 detail {}', () => replay('09-get-unknown-gun-ts.txt', 'same'));
  it('10 GET foo.json → 404 without detail (route miss)', () => replay('10-get-unknown-role.txt', 'same'));
  it('11 GET a delegation without metadata → 404 detail {}', () => replay('11-get-missing-delegation.txt', 'same'));
  it('12 GET snapshot.<unknown sha256>.json → 404 detail {}', () => replay('12-get-bad-checksum.txt', 'same'));
  it('13 GET 99.root.json → 404 detail {}', () => replay('13-get-version-missing.txt', 'same'));
  it('14 HEAD timestamp.json → 404, no body, Content-Length of the route-miss body', () =>
    replay('14-head-timestamp.txt', 'empty', { method: 'HEAD' }));

  it('15 GET timestamp.key of an existing GUN → the key its root lists', async () => {
    const ours = await replayFor('15-get-ts-key-existing.txt', 'key');
    const root = parseMetadata(managed.rootV2, 'root').signed;
    const listed = root.keys[managed.timestampKey]!;
    assert.equal(ours.body.toString('utf8'), `{"keytype":"ecdsa","keyval":{"public":"${listed.toJSON().keyval.public}","private":null}}`);
  });

  it('16 GET timestamp.key of a new GUN → 200, a key is made (and handed out again until used)', async () => {
    const first = await replayFor('16-get-ts-key-new-gun.txt', 'key');
    const again = await request('GET', pathOf(readExchange('16-get-ts-key-new-gun.txt')));
    assert.equal(again.body.toString('utf8'), first.body.toString('utf8'));
  });

  it('17 GET targets.key → 404 without detail', () => replay('17-get-targets-key.txt', 'same'));
});
