/**
 * The embedded registry in `dct server` against the OCI distribution spec's
 * essentials (raw HTTP, exact statuses, headers and error codes): monolithic
 * and chunked pushes, mounts, pulls, HEAD, ranges, content negotiation, tag
 * pagination, referrers, deletion, errors — on SQLite and PostgreSQL. The
 * trust API keeps its paths on the same port.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { runGarbageCollection } from '../../../src/server/registry/gc-command.js';
import { interopSkip } from '../../support/interop.js';
import { postgresUnreachable } from '../../support/postgres.js';
import {
  buildImage,
  buildIndex,
  DOCKER_MANIFEST,
  MANIFEST_ACCEPT,
  OCI_INDEX,
  OCI_MANIFEST,
  postgresSchemas,
  pushImage,
  Raw,
  sha256,
  startTestServer,
  type TestServer,
} from './support.js';

function registrySuite(label: string, storage: () => string | undefined, extended: boolean): void {
  describe(`embedded registry (${label})`, () => {
    let server: TestServer;
    let raw: Raw;
    let n = 0;
    const repo = (base: string) => `${base}/r${++n}`;

    before(async () => {
      const s = storage();
      server = await startTestServer(s ? { storage: s } : {});
      raw = new Raw(server.url);
    });
    after(async () => {
      await server?.close();
    });

    it("GET /v2/ is the version check (notary's answer, unchanged); trust paths still reach the trust API", async () => {
      const base = await raw.call('/v2/');
      assert.equal(base.status, 200);
      assert.equal(base.text, '{}');
      assert.equal((await raw.call('/v2/r0/tags/list')).headers['docker-distribution-api-version'], 'registry/2.0');
      const trust = await raw.call('/v2/team/app/_trust/tuf/root.json');
      assert.equal(trust.status, 404);
      assert.deepEqual(trust.codes, ['METADATA_NOT_FOUND']);
      assert.equal(server.running.registry?.name, server.host);
    });

    it('monolithic push, HEAD and GET of a blob (whole and ranges); unknown blobs are BLOB_UNKNOWN', async () => {
      const name = repo('mono');
      const bytes = Buffer.from('0123456789abcdef'.repeat(64));
      const digest = await raw.pushBlob(name, bytes);
      const head = await raw.call(`/v2/${name}/blobs/${digest}`, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.headers['content-length'], String(bytes.length));
      assert.equal(head.headers['docker-content-digest'], digest);
      assert.equal(head.body.length, 0);
      const get = await raw.call(`/v2/${name}/blobs/${digest}`);
      assert.equal(get.status, 200);
      assert.deepEqual(get.body, bytes);
      const part = await raw.call(`/v2/${name}/blobs/${digest}`, { headers: { Range: 'bytes=10-19' } });
      assert.equal(part.status, 206);
      assert.equal(part.headers['content-range'], `bytes 10-19/${bytes.length}`);
      assert.deepEqual(part.body, bytes.subarray(10, 20));
      const beyond = await raw.call(`/v2/${name}/blobs/${digest}`, { headers: { Range: `bytes=${bytes.length}-` } });
      assert.equal(beyond.status, 416);
      // a blob is served only in repositories it was pushed or mounted to
      const elsewhere = await raw.call(`/v2/${repo('other')}/blobs/${digest}`);
      assert.equal(elsewhere.status, 404);
      assert.deepEqual(elsewhere.codes, ['BLOB_UNKNOWN']);
      const unknown = await raw.call(`/v2/${name}/blobs/${sha256('nope')}`, { method: 'HEAD' });
      assert.equal(unknown.status, 404);
      // a wrong digest is refused and nothing is stored
      const bad = await raw.call(`/v2/${name}/blobs/uploads/?digest=${sha256('other bytes')}`, { method: 'POST', body: bytes });
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.codes, ['DIGEST_INVALID']);
    });

    it('chunked upload: POST, PATCH with Content-Range, status, out-of-order chunk → 416, PUT ?digest= completes', async () => {
      const name = repo('chunked');
      const bytes = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 251));
      const start = await raw.call(`/v2/${name}/blobs/uploads/`, { method: 'POST' });
      assert.equal(start.status, 202);
      const location = start.headers.location as string;
      assert.match(location, new RegExp(`^/v2/${name}/blobs/uploads/[0-9a-f-]{36}$`));
      assert.equal(start.headers['range'], '0-0');
      assert.equal(start.headers['docker-upload-uuid'], location.split('/').pop());
      let at = 0;
      for (const size of [1000, 1000]) {
        const r = await raw.call(location, {
          method: 'PATCH',
          body: bytes.subarray(at, at + size),
          headers: {
            'Content-Type': 'application/octet-stream',
            'Content-Range': `${at}-${at + size - 1}`,
            'Content-Length': String(size),
          },
        });
        assert.equal(r.status, 202, r.text);
        at += size;
        assert.equal(r.headers['range'], `0-${at - 1}`);
        assert.equal(r.headers.location, location);
      }
      const status = await raw.call(location);
      assert.equal(status.status, 204);
      assert.equal(status.headers['range'], '0-1999');
      const outOfOrder = await raw.call(location, {
        method: 'PATCH',
        body: bytes.subarray(2500),
        headers: { 'Content-Range': '2500-2999', 'Content-Length': '500' },
      });
      assert.equal(outOfOrder.status, 416);
      assert.deepEqual(outOfOrder.codes, ['RANGE_INVALID']);
      assert.equal(outOfOrder.headers['range'], '0-1999');
      // the last chunk in the PUT
      const done = await raw.call(`${location}?digest=${sha256(bytes)}`, {
        method: 'PUT',
        body: bytes.subarray(2000),
        headers: { 'Content-Length': '1000' },
      });
      assert.equal(done.status, 201, done.text);
      assert.equal(done.headers.location, `/v2/${name}/blobs/${sha256(bytes)}`);
      assert.equal(done.headers['docker-content-digest'], sha256(bytes));
      assert.deepEqual((await raw.call(`/v2/${name}/blobs/${sha256(bytes)}`)).body, bytes);
      const gone = await raw.call(location);
      assert.equal(gone.status, 404);
      assert.deepEqual(gone.codes, ['BLOB_UPLOAD_UNKNOWN']);
    });

    it('a PUT with the wrong digest is DIGEST_INVALID and ends the session; DELETE cancels; sessions belong to their repository', async () => {
      const name = repo('digest');
      const start = await raw.call(`/v2/${name}/blobs/uploads/`, { method: 'POST' });
      const location = start.headers.location as string;
      await raw.call(location, { method: 'PATCH', body: Buffer.from('abc') });
      const wrong = await raw.call(`${location}?digest=${sha256('abd')}`, { method: 'PUT' });
      assert.equal(wrong.status, 400);
      assert.deepEqual(wrong.codes, ['DIGEST_INVALID']);
      assert.equal((await raw.call(location)).status, 404);
      const missing = await raw.call(`${(await raw.call(`/v2/${name}/blobs/uploads/`, { method: 'POST' })).headers.location as string}`, {
        method: 'PUT',
      });
      assert.deepEqual(missing.codes, ['DIGEST_INVALID']);

      const second = (await raw.call(`/v2/${name}/blobs/uploads/`, { method: 'POST' })).headers.location as string;
      const id = second.split('/').pop() as string;
      const foreign = await raw.call(`/v2/${repo('someone-else')}/blobs/uploads/${id}`);
      assert.equal(foreign.status, 404);
      assert.deepEqual(foreign.codes, ['BLOB_UPLOAD_UNKNOWN']);
      assert.equal((await raw.call(second, { method: 'DELETE' })).status, 204);
      assert.equal((await raw.call(second, { method: 'DELETE' })).status, 404);
    });

    it('cross-repository mount: 201 when the source repository holds the blob, an upload session otherwise', async () => {
      const from = repo('mount-src');
      const to = repo('mount-dst');
      const digest = await raw.pushBlob(from, Buffer.from('shared layer'));
      const mounted = await raw.call(`/v2/${to}/blobs/uploads/?mount=${digest}&from=${from}`, { method: 'POST' });
      assert.equal(mounted.status, 201);
      assert.equal(mounted.headers.location, `/v2/${to}/blobs/${digest}`);
      assert.equal(mounted.headers['docker-content-digest'], digest);
      assert.equal((await raw.call(`/v2/${to}/blobs/${digest}`, { method: 'HEAD' })).status, 200);
      const notThere = await raw.call(`/v2/${to}/blobs/uploads/?mount=${sha256('absent')}&from=${from}`, { method: 'POST' });
      assert.equal(notThere.status, 202);
      assert.match(notThere.headers.location as string, /\/blobs\/uploads\//);
    });

    it('manifests: PUT by tag, GET/HEAD by tag and digest (exact bytes, Docker-Content-Digest, ETag), 304, content negotiation', async () => {
      const name = repo('manifests');
      const image = buildImage('m1');
      await pushImage(raw, name, image, 'v1');
      const byTag = await raw.getManifest(name, 'v1');
      assert.equal(byTag.status, 200);
      assert.deepEqual(byTag.body, image.manifest);
      assert.equal(byTag.headers['content-type'], OCI_MANIFEST);
      assert.equal(byTag.headers['docker-content-digest'], image.digest);
      assert.equal(byTag.headers.etag, `"${image.digest}"`);
      const byDigest = await raw.getManifest(name, image.digest);
      assert.deepEqual(byDigest.body, image.manifest);
      const head = await raw.getManifest(name, 'v1', 'HEAD');
      assert.equal(head.status, 200);
      assert.equal(head.headers['content-length'], String(image.size));
      assert.equal(head.body.length, 0);
      const cached = await raw.call(`/v2/${name}/manifests/v1`, {
        headers: { Accept: MANIFEST_ACCEPT, 'If-None-Match': `"${image.digest}"` },
      });
      assert.equal(cached.status, 304);
      // an OCI manifest is not served to a client that only takes docker types (distribution's rule)
      const dockerOnly = await raw.call(`/v2/${name}/manifests/v1`, { headers: { Accept: DOCKER_MANIFEST } });
      assert.equal(dockerOnly.status, 404);
      assert.deepEqual(dockerOnly.codes, ['MANIFEST_UNKNOWN']);
      assert.match(dockerOnly.text, /accept header does not support OCI manifests/);
      // docker schema 2 is always served
      const docker = buildImage('d1', { mediaType: DOCKER_MANIFEST });
      await pushImage(raw, name, docker, 'docker');
      const plain = await raw.call(`/v2/${name}/manifests/docker`, { headers: { Accept: 'application/json' } });
      assert.equal(plain.status, 200);
      assert.equal(plain.headers['content-type'], DOCKER_MANIFEST);
      const pushedByDigest = await raw.pushManifest(name, image.digest, image.manifest);
      assert.equal(pushedByDigest.status, 201);
      assert.equal(pushedByDigest.headers.location, `/v2/${name}/manifests/${image.digest}`);
      const unknown = await raw.getManifest(name, 'nope');
      assert.equal(unknown.status, 404);
      assert.deepEqual(unknown.codes, ['MANIFEST_UNKNOWN']);
    });

    it('manifest refusals: missing blobs, invalid JSON, schema 1, digest mismatch, bad names and tags', async () => {
      const name = repo('refusals');
      const image = buildImage('r1');
      await raw.pushBlob(name, image.config);
      const missing = await raw.pushManifest(name, 'v1', image.manifest);
      assert.equal(missing.status, 400);
      assert.deepEqual(missing.codes, ['MANIFEST_BLOB_UNKNOWN']);
      assert.equal(
        missing.json<{ errors: Array<{ detail: { digest: string } }> }>().errors[0]?.detail.digest,
        sha256(image.layers[0] as Buffer),
      );
      const notJson = await raw.pushManifest(name, 'v1', Buffer.from('{not json'));
      assert.deepEqual(notJson.codes, ['MANIFEST_INVALID']);
      const schema1 = await raw.pushManifest(
        name,
        'v1',
        Buffer.from('{"schemaVersion":1,"name":"x","tag":"v1","fsLayers":[]}'),
        'application/vnd.docker.distribution.manifest.v1+prettyjws',
      );
      assert.deepEqual(schema1.codes, ['MANIFEST_INVALID']);
      for (const l of image.layers) await raw.pushBlob(name, l);
      const mismatch = await raw.pushManifest(name, sha256('something else'), image.manifest);
      assert.equal(mismatch.status, 400);
      assert.deepEqual(mismatch.codes, ['DIGEST_INVALID']);
      const badName = await raw.call('/v2/Upper/Case/manifests/v1');
      assert.equal(badName.status, 400);
      assert.deepEqual(badName.codes, ['NAME_INVALID']);
      const badTag = await raw.pushManifest(name, '-bad', image.manifest);
      assert.deepEqual(badTag.codes, ['TAG_INVALID']);
      const badDigest = await raw.call(`/v2/${name}/blobs/sha256:zzz`);
      assert.equal(badDigest.status, 400);
      assert.deepEqual(badDigest.codes, ['DIGEST_INVALID']);
      const method = await raw.call(`/v2/${name}/tags/list`, { method: 'DELETE' });
      assert.equal(method.status, 405);
      assert.deepEqual(method.codes, ['UNSUPPORTED']);
    });

    it('an index needs its manifests first; multi-platform images round-trip', async () => {
      const name = repo('index');
      const amd = buildImage('amd', { platform: 'linux/amd64' });
      const arm = buildImage('arm', { platform: 'linux/arm64' });
      const index = buildIndex([
        { image: amd, platform: 'linux/amd64' },
        { image: arm, platform: 'linux/arm64' },
      ]);
      await pushImage(raw, name, amd);
      const early = await raw.pushManifest(name, 'multi', index.bytes, OCI_INDEX);
      assert.equal(early.status, 400);
      assert.deepEqual(early.codes, ['MANIFEST_BLOB_UNKNOWN']);
      await pushImage(raw, name, arm);
      assert.equal((await raw.pushManifest(name, 'multi', index.bytes, OCI_INDEX)).status, 201);
      const got = await raw.getManifest(name, 'multi');
      assert.equal(got.headers['content-type'], OCI_INDEX);
      assert.deepEqual(got.body, index.bytes);
      assert.deepEqual((await raw.getManifest(name, arm.digest)).body, arm.manifest);
    });

    it('tag list: lexical order, n and last pagination with a Link header; NAME_UNKNOWN for unknown repositories', async () => {
      const name = repo('tags');
      const image = buildImage('t1');
      await pushImage(raw, name, image, 'v1');
      for (const tag of ['b', 'a', 'v10', 'v2', 'latest']) assert.equal((await raw.pushManifest(name, tag, image.manifest)).status, 201);
      const all = await raw.call(`/v2/${name}/tags/list`);
      assert.deepEqual(all.json(), { name, tags: ['a', 'b', 'latest', 'v1', 'v10', 'v2'] });
      assert.equal(all.headers.link, undefined);
      const first = await raw.call(`/v2/${name}/tags/list?n=4`);
      assert.deepEqual(first.json(), { name, tags: ['a', 'b', 'latest', 'v1'] });
      assert.equal(first.headers.link, `</v2/${name}/tags/list?n=4&last=v1>; rel="next"`);
      const next = await raw.call(first.headers.link.slice(1, first.headers.link.indexOf('>')));
      assert.deepEqual(next.json(), { name, tags: ['v10', 'v2'] });
      assert.equal(next.headers.link, undefined);
      assert.deepEqual((await raw.call(`/v2/${name}/tags/list?n=0`)).json(), { name, tags: [] });
      assert.deepEqual((await raw.call(`/v2/${name}/tags/list?last=latest`)).json(), { name, tags: ['v1', 'v10', 'v2'] });
      const badN = await raw.call(`/v2/${name}/tags/list?n=-1`);
      assert.deepEqual(badN.codes, ['PAGINATION_NUMBER_INVALID']);
      const unknown = await raw.call(`/v2/${repo('never')}/tags/list`);
      assert.equal(unknown.status, 404);
      assert.deepEqual(unknown.codes, ['NAME_UNKNOWN']);
    });

    it('referrers (OCI 1.1): OCI-Subject on push, the index of referrers, the artifactType filter', async () => {
      const name = repo('referrers');
      const subject = buildImage('subject');
      await pushImage(raw, name, subject, 'v1');
      const empty = Buffer.from('{}');
      await raw.pushBlob(name, empty);
      const artifact = (artifactType: string, payload: string) => {
        const blob = Buffer.from(payload);
        const bytes = Buffer.from(
          JSON.stringify({
            schemaVersion: 2,
            mediaType: OCI_MANIFEST,
            artifactType,
            config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(empty), size: 2 },
            layers: [{ mediaType: 'application/octet-stream', digest: sha256(blob), size: blob.length }],
            subject: { mediaType: OCI_MANIFEST, digest: subject.digest, size: subject.size },
            annotations: { 'org.example.kind': payload },
          }),
        );
        return { blob, bytes, digest: sha256(bytes) };
      };
      const sig = artifact('application/vnd.example.signature', 'sig');
      const sbom = artifact('application/spdx+json', 'sbom');
      for (const a of [sig, sbom]) {
        await raw.pushBlob(name, a.blob);
        const put = await raw.pushManifest(name, a.digest, a.bytes);
        assert.equal(put.status, 201);
        assert.equal(put.headers['oci-subject'], subject.digest);
      }
      const list = await raw.call(`/v2/${name}/referrers/${subject.digest}`);
      assert.equal(list.status, 200);
      assert.equal(list.headers['content-type'], OCI_INDEX);
      const index = list.json<{ schemaVersion: number; mediaType: string; manifests: Array<Record<string, unknown>> }>();
      assert.equal(index.schemaVersion, 2);
      assert.equal(index.mediaType, OCI_INDEX);
      assert.deepEqual(index.manifests.map((m) => m['digest']).sort(), [sig.digest, sbom.digest].sort());
      const one = index.manifests.find((m) => m['digest'] === sig.digest);
      assert.deepEqual(one, {
        mediaType: OCI_MANIFEST,
        digest: sig.digest,
        size: sig.bytes.length,
        artifactType: 'application/vnd.example.signature',
        annotations: { 'org.example.kind': 'sig' },
      });
      const filtered = await raw.call(
        `/v2/${name}/referrers/${subject.digest}?artifactType=${encodeURIComponent('application/spdx+json')}`,
      );
      assert.equal(filtered.headers['oci-filters-applied'], 'artifactType');
      assert.deepEqual(
        filtered.json<{ manifests: Array<{ digest: string }> }>().manifests.map((m) => m.digest),
        [sbom.digest],
      );
      const none = await raw.call(`/v2/${name}/referrers/${sha256('no subject')}`);
      assert.equal(none.status, 200);
      assert.deepEqual(none.json<{ manifests: unknown[] }>().manifests, []);
    });

    it('deletion: a tag (202, the manifest stays), a manifest by digest (its tags go too), a blob link', async () => {
      const name = repo('delete');
      const image = buildImage('del');
      await pushImage(raw, name, image, 'v1');
      await raw.pushManifest(name, 'v2', image.manifest);
      assert.equal((await raw.call(`/v2/${name}/manifests/v1`, { method: 'DELETE' })).status, 202);
      assert.equal((await raw.getManifest(name, 'v1')).status, 404);
      assert.equal((await raw.getManifest(name, image.digest)).status, 200);
      assert.equal((await raw.call(`/v2/${name}/manifests/${image.digest}`, { method: 'DELETE' })).status, 202);
      assert.equal((await raw.getManifest(name, 'v2')).status, 404);
      assert.equal((await raw.call(`/v2/${name}/manifests/${image.digest}`, { method: 'DELETE' })).status, 404);
      const layer = sha256(image.layers[0] as Buffer);
      assert.equal((await raw.call(`/v2/${name}/blobs/${layer}`, { method: 'DELETE' })).status, 202);
      assert.equal((await raw.call(`/v2/${name}/blobs/${layer}`, { method: 'HEAD' })).status, 404);
    });

    it('garbage collection on this storage: an untagged manifest and its own blobs go, a tagged one stays', async () => {
      const name = repo('gc');
      const kept = buildImage('gc-kept');
      const dropped = buildImage('gc-dropped');
      await pushImage(raw, name, kept, 'v1');
      await pushImage(raw, name, dropped);
      const report = await runGarbageCollection(server.config, { graceMs: 3600_000, dryRun: false, now: new Date(Date.now() + 7200_000) });
      assert.ok(
        report.manifestsRemoved.some((m) => m.digest === dropped.digest),
        'report.manifestsRemoved.some((m) => m.digest === dropped.digest)',
      );
      assert.ok(
        !report.manifestsRemoved.some((m) => m.digest === kept.digest),
        '!report.manifestsRemoved.some((m) => m.digest === kept.digest)',
      );
      assert.ok(
        report.blobsRemoved.some((b) => b.digest === sha256(dropped.config)),
        'report.blobsRemoved.some((b) => b.digest === sha256(dropped.config))',
      );
      assert.equal((await raw.getManifest(name, dropped.digest)).status, 404);
      assert.equal((await raw.getManifest(name, 'v1')).status, 200);
      assert.equal((await raw.call(`/v2/${name}/blobs/${sha256(kept.config)}`, { method: 'HEAD' })).status, 200);
    });

    if (extended) {
      it('the catalog lists repositories in pages', async () => {
        const first = await raw.call('/v2/_catalog?n=2');
        const repos = first.json<{ repositories: string[] }>().repositories;
        assert.equal(repos.length, 2);
        assert.match(first.headers.link as string, /^<\/v2\/_catalog\?n=2&last=[^>]+>; rel="next"$/);
        const all = (await raw.call('/v2/_catalog')).json<{ repositories: string[] }>().repositories;
        assert.deepEqual([...all].sort(), all);
        assert.ok(all.length > 2, 'all.length > 2');
      });

      it('a large blob streams through a chunked upload and back (digest verified)', async () => {
        const name = repo('large');
        const chunk = Buffer.alloc(1024 * 1024, 7);
        const total = 24;
        const start = await raw.call(`/v2/${name}/blobs/uploads/`, { method: 'POST' });
        const location = start.headers.location as string;
        async function* body() {
          for (let i = 0; i < total; i++) yield chunk;
        }
        console.error('large start', start.status, location);
        const patch = await raw.call(location, { method: 'PATCH', body: body() });
        console.error('large patch', patch.status, patch.text);
        assert.equal(patch.status, 202);
        assert.equal(patch.headers['range'], `0-${total * chunk.length - 1}`);
        const digest = sha256(Buffer.concat(Array.from({ length: total }, () => chunk)));
        assert.equal((await raw.call(`${location}?digest=${digest}`, { method: 'PUT' })).status, 201);
        const head = await raw.call(`/v2/${name}/blobs/${digest}`, { method: 'HEAD' });
        assert.equal(head.headers['content-length'], String(total * chunk.length));
      });
    }
  });
}

registrySuite('SQLite', () => undefined, true);

const unreachable = await postgresUnreachable();
if (unreachable !== undefined) {
  describe('embedded registry (PostgreSQL)', { skip: interopSkip(unreachable) }, () => undefined);
} else {
  const schemas = postgresSchemas();
  after(() => schemas.drop());
  registrySuite('PostgreSQL', () => schemas.storage(), false);
}

describe('embedded registry: restarts, --no-registry', () => {
  it('an upload session survives a restart of the server (its hash is rebuilt from the file)', async () => {
    const first = await startTestServer({ keep: true });
    const raw1 = new Raw(first.url);
    const start = await raw1.call('/v2/restart/app/blobs/uploads/', { method: 'POST' });
    const id = (start.headers.location as string).split('/').pop() as string;
    await raw1.call(start.headers.location as string, { method: 'PATCH', body: Buffer.from('first half, ') });
    await first.close();
    const second = await startTestServer({ dir: first.dir });
    try {
      const raw2 = new Raw(second.url);
      const location = `/v2/restart/app/blobs/uploads/${id}`;
      assert.equal((await raw2.call(location)).headers['range'], '0-11');
      await raw2.call(location, { method: 'PATCH', body: Buffer.from('second half'), headers: { 'Content-Range': '12-22' } });
      const digest = sha256('first half, second half');
      assert.equal((await raw2.call(`${location}?digest=${digest}`, { method: 'PUT' })).status, 201);
      assert.equal((await raw2.call(`/v2/restart/app/blobs/${digest}`)).text, 'first half, second half');
    } finally {
      await second.close();
    }
  });

  // the test's own limit only detects a hang (a stalled request nobody drops); at it the sockets and the server close
  it(
    'stalled bodies: a registry upload is dropped after the idle time (the bytes received stay), a trust API update still gets its 408',
    { timeout: 60_000 },
    async (t) => {
      const server = await startTestServer({ flags: { requestTimeoutMs: 300 } });
      t.signal.addEventListener('abort', () => void server.close(), { once: true });
      try {
        const raw = new Raw(server.url);
        const { port } = new URL(server.url);
        const stall = (head: string): Promise<string> =>
          new Promise((resolve) => {
            const socket = connect(Number(port), '127.0.0.1', () => socket.write(head));
            t.signal.addEventListener('abort', () => socket.destroy(), { once: true });
            let answer = '';
            socket.on('data', (d) => (answer += d.toString()));
            socket.on('close', () => resolve(answer));
            socket.on('error', () => resolve(answer));
          });
        const location = (await raw.call('/v2/stall/app/blobs/uploads/', { method: 'POST' })).headers.location as string;
        const dropped = await stall(`PATCH ${location} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n0123456789`);
        assert.equal(dropped, '', 'the upload is dropped without an answer');
        assert.equal((await raw.call(location)).headers['range'], '0-9');
        const trust = await stall(
          `POST /v2/stall/app/_trust/tuf/ HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 100\r\n\r\n--b`,
        );
        assert.match(trust, /^HTTP\/1\.1 408 /);
        assert.match(trust, /"code":"TIMEOUT"/);
      } finally {
        await server.close();
      }
    },
  );

  it('--no-registry: registry paths are route misses of the trust API again', async () => {
    const server = await startTestServer({ flags: { registry: false } });
    try {
      const raw = new Raw(server.url);
      const r = await raw.call('/v2/app/tags/list');
      assert.equal(r.status, 404);
      assert.deepEqual(r.codes, ['METADATA_NOT_FOUND']);
      assert.equal(server.running.registry, undefined);
    } finally {
      await server.close();
    }
  });
});
