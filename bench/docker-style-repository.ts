/**
 * A repository as `docker trust` leaves it, built fast through dct's client library for the
 * benches that read big ones (`bench:client`, `bench:migration`): `count` tags signed into
 * `targets/releases` and `targets/alice` (alice's key in both), in one publish, on any Notary
 * server (the real notary-server or dct server).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileKeyRing } from '../src/adapters/keystore/file-key-ring.js';
import { FileKeyStore } from '../src/adapters/keystore/file-keystore.js';
import { FileMetadataCache } from '../src/adapters/metadata-cache.js';
import { NotaryClient } from '../src/adapters/notary-http/notary-client.js';
import { NotaryRemoteRepository } from '../src/adapters/notary-http/remote-repository.js';
import { TrustRepository } from '../src/app/client/trust-repository.js';
import { PublicKey } from '../src/core/keys/public-key.js';

export interface DockerStyleRepository {
  /** the Notary server's URL and its CA */
  serverUrl: string;
  caFile: string;
  gun: string;
  count: number;
  /** the passphrase of the keys made on the way (thrown away afterwards) */
  passphrase: string;
  timeoutMs?: number;
}

export async function makeDockerStyleRepository(r: DockerStyleRepository): Promise<void> {
  const client = new NotaryClient({
    baseUrl: r.serverUrl,
    caFile: r.caFile,
    ...(r.timeoutMs !== undefined ? { timeoutMs: r.timeoutMs } : {}),
  });
  const passphrases = { get: async () => r.passphrase };
  const adminDir = mkdtempSync(join(tmpdir(), 'dct-bench-admin-'));
  const aliceDir = mkdtempSync(join(tmpdir(), 'dct-bench-alice-'));
  try {
    const open = (dir: string) =>
      new TrustRepository({
        gun: r.gun,
        cache: new FileMetadataCache(dir, r.gun),
        keyRing: new FileKeyRing(new FileKeyStore(dir), passphrases),
        remote: new NotaryRemoteRepository(client, r.gun, r.serverUrl),
      });
    const alice = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const alicePub = PublicKey.fromKeyObject(alice.publicKey);
    const admin = open(adminDir);
    const draft = await admin.initialize({ serverManagedSnapshot: true });
    draft.changeDelegation('targets/releases', { addKeys: [alicePub], addPaths: [''] });
    draft.changeDelegation('targets/alice', { addKeys: [alicePub], addPaths: [''] });
    await admin.publish(draft);
    await new FileKeyStore(aliceDir).save({ privateKey: alice.privateKey, role: 'alice', passphrase: r.passphrase });
    const signer = open(aliceDir);
    const d = (await signer.openDraft())!;
    for (let i = 0; i < r.count; i++) {
      const meta = { length: 400 + (i % 1000), hashes: { sha256: randomBytes(32) } };
      d.addTarget('targets/releases', `v${i}`, meta);
      d.addTarget('targets/alice', `v${i}`, meta);
    }
    await signer.publish(d);
  } finally {
    client.close();
    rmSync(adminDir, { recursive: true, force: true });
    rmSync(aliceDir, { recursive: true, force: true });
  }
}
