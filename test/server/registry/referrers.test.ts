/**
 * The embedded registry's referrers (OCI distribution 1.1) beyond the basics of
 * distribution-api.test.ts: descriptors' artifactType (the manifest's, else its config's
 * media type), paging with `Link` (10,000 referrers of one subject served page by page,
 * none repeated or skipped, the filter kept across pages), and the referrers tag schema
 * kept consistent: the `sha256-<hex>` index an older client pushes is stored and served,
 * and deleting a referrer drops it from the API answer and from that index.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RegistryClient } from '../../../src/adapters/registry/registry-client.js';
import { openStore } from '../../../src/adapters/storage/open-store.js';
import { REFERRERS_PAGE_BYTES } from '../../../src/server/registry/referrers-handler.js';
import { buildImage, OCI_INDEX, OCI_MANIFEST, pushImage, Raw, sha256, startTestServer, type TestServer } from './support.js';

const EMPTY = Buffer.from('{}');
const SIG_TYPE = 'application/vnd.cncf.notary.signature';
const BUNDLE_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

interface Index {
  schemaVersion: number;
  mediaType: string;
  manifests: Array<{ mediaType: string; digest: string; size: number; artifactType?: string; annotations?: Record<string, string> }>;
}

/** A signature-like referrer of `subject` (empty config, one envelope layer). */
function referrer(subject: { digest: string; size: number }, opts: { artifactType?: string; configType?: string; payload: string }) {
  const blob = Buffer.from(opts.payload);
  const doc: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    ...(opts.artifactType !== undefined ? { artifactType: opts.artifactType } : {}),
    config: { mediaType: opts.configType ?? 'application/vnd.oci.empty.v1+json', digest: sha256(EMPTY), size: EMPTY.length },
    layers: [{ mediaType: 'application/jose+json', digest: sha256(blob), size: blob.length }],
    subject: { mediaType: OCI_MANIFEST, digest: subject.digest, size: subject.size },
    annotations: { 'org.example.payload': opts.payload },
  };
  const bytes = Buffer.from(JSON.stringify(doc));
  return { blob, bytes, digest: sha256(bytes), size: bytes.length };
}

describe('embedded registry: referrers API and the referrers tag schema', () => {
  let server: TestServer;
  let raw: Raw;
  let n = 0;
  const repo = (base: string) => `${base}/r${++n}`;

  // the data folder in memory when the machine has one: 10,000 inserts cost fsyncs, not work
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'dct-referrers-'));
  before(async () => {
    server = await startTestServer({ dir });
    raw = new Raw(server.url);
  });
  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function pushReferrer(name: string, r: ReturnType<typeof referrer>): Promise<void> {
    await raw.pushBlob(name, EMPTY);
    await raw.pushBlob(name, r.blob);
    const put = await raw.pushManifest(name, r.digest, r.bytes);
    assert.equal(put.status, 201, put.text);
  }

  it("artifactType is the manifest's, else its config's media type; unknown digests have an empty index", async () => {
    const name = repo('types');
    const image = buildImage('types');
    await pushImage(raw, name, image, 'v1');
    const typed = referrer(image, { artifactType: SIG_TYPE, payload: 'typed' });
    const untyped = referrer(image, { configType: 'application/vnd.example.config+json', payload: 'untyped' });
    await pushReferrer(name, typed);
    await pushReferrer(name, untyped);
    const list = await raw.call(`/v2/${name}/referrers/${image.digest}`);
    assert.equal(list.status, 200);
    assert.equal(list.headers['content-type'], OCI_INDEX);
    assert.equal(list.headers['link'], undefined);
    assert.equal(list.headers['oci-filters-applied'], undefined);
    const byDigest = new Map(list.json<Index>().manifests.map((m) => [m.digest, m]));
    assert.equal(byDigest.get(typed.digest)?.artifactType, SIG_TYPE);
    assert.equal(byDigest.get(untyped.digest)?.artifactType, 'application/vnd.example.config+json');
    assert.deepEqual(byDigest.get(typed.digest)?.annotations, { 'org.example.payload': 'typed' });
    // an unknown digest, in a repository that exists or not: 200, empty index
    for (const path of [`/v2/${name}/referrers/${sha256('nothing')}`, `/v2/${repo('absent')}/referrers/${sha256('nothing')}`]) {
      const empty = await raw.call(path);
      assert.equal(empty.status, 200);
      assert.deepEqual(empty.json<Index>(), { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] });
    }
    // a malformed digest or page size is a 400 with the registry's code
    assert.deepEqual((await raw.call(`/v2/${name}/referrers/sha256:xyz`)).codes, ['DIGEST_INVALID']);
    assert.deepEqual((await raw.call(`/v2/${name}/referrers/${image.digest}?n=x`)).codes, ['PAGINATION_NUMBER_INVALID']);
    assert.deepEqual((await raw.call(`/v2/${name}/referrers/${image.digest}?last=nope`)).codes, ['DIGEST_INVALID']);
  });

  it('10,000 referrers of one subject: served in pages with Link, each entry once, the filter kept across pages', async () => {
    const name = repo('many');
    const image = buildImage('many');
    await pushImage(raw, name, image, 'v1');
    await raw.pushBlob(name, EMPTY);
    const shared = referrer(image, { payload: 'shared' });
    await raw.pushBlob(name, shared.blob);
    // 10,000 manifests straight into the server's database (pushing them one by one is only slower)
    const store = await openStore(`sqlite:${join(server.dir, 'dct.db')}`);
    const expected = new Set<string>();
    const notary = new Set<string>();
    try {
      for (let i = 0; i < 10_000; i++) {
        const artifactType = i % 4 === 0 ? SIG_TYPE : BUNDLE_TYPE;
        const doc = JSON.parse(shared.bytes.toString()) as Record<string, unknown>;
        doc['artifactType'] = artifactType;
        doc['annotations'] = { 'org.example.i': String(i) };
        const bytes = Buffer.from(JSON.stringify(doc));
        const digest = sha256(bytes);
        await store.registry.putManifest(
          { repository: name, digest, mediaType: OCI_MANIFEST, size: bytes.length, data: bytes, artifactType, subject: image.digest },
          [
            { digest: sha256(EMPTY), kind: 'blob' },
            { digest: sha256(shared.blob), kind: 'blob' },
          ],
        );
        expected.add(digest);
        if (artifactType === SIG_TYPE) notary.add(digest);
      }
    } finally {
      await store.close();
    }

    const walk = async (first: string) => {
      const seen: string[] = [];
      let next: string | undefined = first;
      let pages = 0;
      let filtered = true;
      while (next !== undefined) {
        const page = await raw.call(next);
        assert.equal(page.status, 200, page.text);
        assert.ok(page.body.length <= REFERRERS_PAGE_BYTES + 1024, `page of ${page.body.length} bytes`);
        if (next.includes('artifactType=') && page.headers['oci-filters-applied'] !== 'artifactType') filtered = false;
        seen.push(...page.json<Index>().manifests.map((m) => m.digest));
        const link = page.headers['link'] as string | undefined;
        next = link === undefined ? undefined : /^<([^>]+)>; rel="next"$/.exec(link)?.[1];
        if (link !== undefined) assert.ok(next, `Link header ${link}`);
        assert.ok(++pages <= 100, 'the pages end');
      }
      return { seen, pages, filtered };
    };

    const all = await walk(`/v2/${name}/referrers/${image.digest}`);
    assert.equal(all.pages, 10, 'pages of the default size (1000)');
    assert.equal(all.seen.length, 10_000);
    assert.deepEqual(new Set(all.seen), expected);
    assert.deepEqual(all.seen, [...all.seen].sort(), 'digest order');

    const small = await walk(`/v2/${name}/referrers/${image.digest}?n=300&artifactType=${encodeURIComponent(SIG_TYPE)}`);
    assert.equal(small.filtered, true);
    assert.equal(small.seen.length, 2500);
    assert.equal(small.pages, 9);
    assert.deepEqual(new Set(small.seen), notary);

    // dct's own client follows the pages (and keeps the registry's filter)
    const client = new RegistryClient(server.host, { endpoint: server.url });
    const listed = await client.referrers(name, image.digest, { artifactType: SIG_TYPE });
    assert.equal(listed.via, 'api');
    assert.deepEqual(new Set(listed.manifests.map((m) => m.digest)), notary);
  });

  it('the tag schema: an older client pushes the sha256-<hex> index itself; it is served; deleting a referrer drops it from both', async () => {
    const name = repo('fallback');
    const image = buildImage('fallback');
    await pushImage(raw, name, image, 'v1');
    const a = referrer(image, { artifactType: SIG_TYPE, payload: 'a' });
    const b = referrer(image, { artifactType: BUNDLE_TYPE, payload: 'b' });
    await pushReferrer(name, a);
    await pushReferrer(name, b);
    const tag = `sha256-${image.digest.slice('sha256:'.length)}`;
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [a, b].map((r, i) => ({
          mediaType: OCI_MANIFEST,
          digest: r.digest,
          size: r.size,
          artifactType: i === 0 ? SIG_TYPE : BUNDLE_TYPE,
        })),
        annotations: { 'org.example.kept': 'yes' },
      }),
    );
    const put = await raw.pushManifest(name, tag, index, OCI_INDEX);
    assert.equal(put.status, 201, put.text);
    const served = await raw.getManifest(name, tag);
    assert.equal(served.status, 200);
    assert.deepEqual(served.body, index);
    // an index naming a manifest the repository does not hold is refused (the tag stays valid)
    const dangling = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [{ mediaType: OCI_MANIFEST, digest: sha256('absent'), size: 5, artifactType: SIG_TYPE }],
      }),
    );
    assert.deepEqual((await raw.pushManifest(name, tag, dangling, OCI_INDEX)).codes, ['MANIFEST_BLOB_UNKNOWN']);

    // delete referrer a: the API and the tag's index both lose it; the rest of the index is kept
    assert.equal((await raw.call(`/v2/${name}/manifests/${a.digest}`, { method: 'DELETE' })).status, 202);
    const api = await raw.call(`/v2/${name}/referrers/${image.digest}`);
    assert.deepEqual(
      api.json<Index>().manifests.map((m) => m.digest),
      [b.digest],
    );
    const after1 = await raw.getManifest(name, tag);
    assert.equal(after1.status, 200);
    const doc = after1.json<Index & { annotations: Record<string, string> }>();
    assert.deepEqual(
      doc.manifests.map((m) => m.digest),
      [b.digest],
    );
    assert.deepEqual(doc.annotations, { 'org.example.kept': 'yes' });
    assert.equal(after1.headers['docker-content-digest'], sha256(after1.body));

    // delete b: nothing is left, the tag goes; the API answers an empty index
    assert.equal((await raw.call(`/v2/${name}/manifests/${b.digest}`, { method: 'DELETE' })).status, 202);
    assert.deepEqual((await raw.getManifest(name, tag)).codes, ['MANIFEST_UNKNOWN']);
    assert.deepEqual((await raw.call(`/v2/${name}/referrers/${image.digest}`)).json<Index>().manifests, []);
    // the image itself is untouched
    assert.equal((await raw.getManifest(name, 'v1')).status, 200);
  });

  it('deleting a manifest without a subject, or a referrer no tag index lists, leaves other tags alone', async () => {
    const name = repo('untouched');
    const image = buildImage('untouched');
    await pushImage(raw, name, image, 'v1');
    const a = referrer(image, { artifactType: SIG_TYPE, payload: 'solo' });
    await pushReferrer(name, a);
    const tag = `sha256-${image.digest.slice('sha256:'.length)}`;
    const other = referrer(image, { artifactType: SIG_TYPE, payload: 'listed' });
    await pushReferrer(name, other);
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [{ mediaType: OCI_MANIFEST, digest: other.digest, size: other.size, artifactType: SIG_TYPE }],
      }),
    );
    assert.equal((await raw.pushManifest(name, tag, index, OCI_INDEX)).status, 201);
    assert.equal((await raw.call(`/v2/${name}/manifests/${a.digest}`, { method: 'DELETE' })).status, 202);
    const still = await raw.getManifest(name, tag);
    assert.deepEqual(still.body, index, 'an index not listing the deleted referrer is not rewritten');
  });
});
