/**
 * refreshTrustedRoot end to end against a TUF repository served on loopback: a root.json of
 * our own (Ed25519, threshold 1) passed as the TUF root, timestamp/snapshot/targets signed
 * with it, and `trusted_root.json` as the target. What `@sigstore/tuf` accepts lands in dct's
 * cache and is what verification then uses; a target whose hash differs, or a trusted root that
 * fails dct's checks, is refused with SIGSTORE_TUF_UPDATE_FAILED / SIGSTORE_TRUSTED_ROOT_INVALID
 * and nothing is cached.
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadTrustedRoot, locateTrustedRoot, refreshTrustedRoot } from '../../../src/adapters/sigstore/trusted-root.js';
import { canonicalBytes } from '../../../src/core/canonical-json.js';
import { isDctError } from '../../../src/core/errors.js';
import { fixturePath } from '../../support/fixtures.js';

const work = mkdtempSync(join(tmpdir(), 'dct-tuf-'));
after(() => rmSync(work, { recursive: true, force: true }));

const EXPIRES = '2099-01-01T00:00:00Z';
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const publicHex = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('hex');
const key = { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: publicHex } };
const keyid = createHash('sha256').update(canonicalBytes(key)).digest('hex');

const signed = (body: Record<string, unknown>) => ({
  signed: body,
  signatures: [{ keyid, sig: sign(null, canonicalBytes(body), privateKey).toString('hex') }],
});

/** A one-key TUF repository whose only target is `trusted_root.json` = `target` (its hash as `hashOf`). */
function repository(target: Buffer, hashOf: Buffer = target): { files: Map<string, Buffer>; rootPath: string } {
  const common = { spec_version: '1.0.31', version: 1, expires: EXPIRES };
  const role = { keyids: [keyid], threshold: 1 };
  const root = signed({
    _type: 'root',
    ...common,
    consistent_snapshot: false,
    keys: { [keyid]: key },
    roles: { root: role, timestamp: role, snapshot: role, targets: role },
  });
  const targets = signed({
    _type: 'targets',
    ...common,
    targets: { 'trusted_root.json': { length: hashOf.length, hashes: { sha256: createHash('sha256').update(hashOf).digest('hex') } } },
  });
  const snapshot = signed({ _type: 'snapshot', ...common, meta: { 'targets.json': { version: 1 } } });
  const timestamp = signed({ _type: 'timestamp', ...common, meta: { 'snapshot.json': { version: 1 } } });
  const json = (v: unknown) => Buffer.from(JSON.stringify(v));
  const rootPath = join(mkdtempSync(join(work, 'seed-')), 'root.json');
  writeFileSync(rootPath, json(root));
  const files = new Map<string, Buffer>([
    ['/timestamp.json', json(timestamp)],
    ['/snapshot.json', json(snapshot)],
    ['/targets.json', json(targets)],
    ['/targets/trusted_root.json', target],
  ]);
  return { files, rootPath };
}

async function serve(files: Map<string, Buffer>): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const body = files.get(req.url ?? '');
    res.writeHead(body ? 200 : 404).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

describe('refreshTrustedRoot against a local TUF repository', () => {
  const pgi = readFileSync(fixturePath('cosign', 'oci-attestation', 'trusted_root_pgi.json'));

  it('fetches the signed trusted_root.json into the cache, where loadTrustedRoot then finds it', async () => {
    const { files, rootPath } = repository(pgi);
    const { url, server } = await serve(files);
    const cacheDir = join(work, 'ok');
    try {
      const r = await refreshTrustedRoot({ mirrorURL: url, tufRootPath: rootPath, cacheDir, timeoutMs: 5000 });
      assert.equal(r.path, join(cacheDir, 'trusted_root.json'));
      assert.deepEqual(readFileSync(r.path), pgi);
      assert.equal((await locateTrustedRoot(undefined, { cacheDir })).source, 'cache');
      assert.deepEqual(await loadTrustedRoot(undefined, { cacheDir }), JSON.parse(pgi.toString()));
    } finally {
      server.close();
    }
  });

  it('a target that is not the one targets.json signs is refused, nothing cached', async () => {
    const { files, rootPath } = repository(pgi, Buffer.concat([pgi, Buffer.from(' ')]));
    const { url, server } = await serve(files);
    const cacheDir = join(work, 'tampered');
    try {
      await assert.rejects(refreshTrustedRoot({ mirrorURL: url, tufRootPath: rootPath, cacheDir, timeoutMs: 5000 }), (err: unknown) =>
        isDctError(err, 'SIGSTORE_TUF_UPDATE_FAILED'),
      );
      assert.equal(existsSync(join(cacheDir, 'trusted_root.json')), false);
    } finally {
      server.close();
    }
  });

  it('a timestamp.json whose signature does not verify is refused, nothing cached', async () => {
    const { files, rootPath } = repository(pgi);
    const forged = JSON.parse(files.get('/timestamp.json')!.toString()) as { signatures: Array<{ sig: string }> };
    forged.signatures[0]!.sig = '00'.repeat(64);
    files.set('/timestamp.json', Buffer.from(JSON.stringify(forged)));
    const { url, server } = await serve(files);
    const cacheDir = join(work, 'forged');
    try {
      await assert.rejects(refreshTrustedRoot({ mirrorURL: url, tufRootPath: rootPath, cacheDir, timeoutMs: 5000 }), (err: unknown) =>
        isDctError(err, 'SIGSTORE_TUF_UPDATE_FAILED'),
      );
      assert.equal(existsSync(join(cacheDir, 'trusted_root.json')), false);
    } finally {
      server.close();
    }
  });

  it("a properly signed trusted root that fails dct's own checks is not cached", async () => {
    const bad = readFileSync(
      fixturePath('sigstore-conformance', 'bundle-verify', 'trust-root-tlog-missing-validity-start_fail', 'trusted_root.json'),
    );
    const { files, rootPath } = repository(bad);
    const { url, server } = await serve(files);
    const cacheDir = join(work, 'unchecked');
    try {
      await assert.rejects(refreshTrustedRoot({ mirrorURL: url, tufRootPath: rootPath, cacheDir, timeoutMs: 5000 }), (err: unknown) =>
        isDctError(err, 'SIGSTORE_TRUSTED_ROOT_INVALID'),
      );
      assert.equal(existsSync(join(cacheDir, 'trusted_root.json')), false);
    } finally {
      server.close();
    }
  });
});
