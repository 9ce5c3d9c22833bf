import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { FileKeyRing } from '../src/adapters/keystore/file-key-ring.js';
import { FileKeyStore } from '../src/adapters/keystore/file-keystore.js';
import { FileMetadataCache } from '../src/adapters/metadata-cache.js';
import { NotaryClient } from '../src/adapters/notary-http/notary-client.js';
import { NotaryRemoteRepository } from '../src/adapters/notary-http/remote-repository.js';
import { TrustRepository } from '../src/app/client/trust-repository.js';
import { PublicKey } from '../src/core/keys/public-key.js';
import { ensureReferenceTools, startReferenceStack, type ReferenceStack } from '../test/support/reference-stack.js';
import { buildDct, log, run, type DctBuild } from './server/processes.js';

import { writeFileSync } from 'node:fs';
const PASS = 'bench-client-pass';

/** A docker-style repository with `count` tags signed into targets/releases and targets/alice. */
async function makeRepository(stack: ReferenceStack, gun: string, count: number): Promise<void> {
  const client = new NotaryClient({ baseUrl: stack.serverUrl, caFile: stack.caFile });
  const passphrases = { get: async () => PASS };
  const adminDir = mkdtempSync(join(tmpdir(), 'dct-bench-admin-'));
  const aliceDir = mkdtempSync(join(tmpdir(), 'dct-bench-alice-'));
  try {
    const open = (dir: string) =>
      new TrustRepository({
        gun,
        cache: new FileMetadataCache(dir, gun),
        keyRing: new FileKeyRing(new FileKeyStore(dir), passphrases),
        remote: new NotaryRemoteRepository(client, gun, stack.serverUrl),
      });
    const alice = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const alicePub = PublicKey.fromKeyObject(alice.publicKey);
    const admin = open(adminDir);
    const draft = await admin.initialize({ serverManagedSnapshot: true });
    draft.changeDelegation('targets/releases', { addKeys: [alicePub], addPaths: [''] });
    draft.changeDelegation('targets/alice', { addKeys: [alicePub], addPaths: [''] });
    await admin.publish(draft);
    await new FileKeyStore(aliceDir).save({ privateKey: alice.privateKey, role: 'alice', passphrase: PASS });
    const signer = open(aliceDir);
    const d = (await signer.openDraft())!;
    for (let i = 0; i < count; i++) {
      const meta = { length: 400 + (i % 1000), hashes: { sha256: randomBytes(32) } };
      const tag = `v${i}`;
      d.addTarget('targets/releases', tag, meta);
      d.addTarget('targets/alice', tag, meta);
    }
    await signer.publish(d);
  } finally {
    client.close();
    rmSync(adminDir, { recursive: true, force: true });
    rmSync(aliceDir, { recursive: true, force: true });
  }
}


const stack = await startReferenceStack({ logLevel: 'error' });
const gun = `127.0.0.1:${stack.registryPort}/bench/client-setup`;
await makeRepository(stack, gun, Number(process.env.TAGS ?? 10000));
const host = new URL(stack.serverUrl).host;
writeFileSync('/tmp/clientenv.sh', `export SERVER=${stack.serverUrl}\nexport CA=${stack.caFile}\nexport GUN=${gun}\nexport HOSTPORT=${host}\n`);
console.log('ready');
setInterval(() => {}, 1 << 30);
process.on('SIGTERM', async () => { await stack.stop(); process.exit(0); });
