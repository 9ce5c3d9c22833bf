/**
 * The client against a malicious Notary server over https: honest data over TLS
 * is read (control); tampered, rolled back, endless and silent data over TLS
 * fail with a stable code and leave the cache as it was.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FileKeyRing } from '../../../src/adapters/keystore/file-key-ring.js';
import { FileKeyStore } from '../../../src/adapters/keystore/file-keystore.js';
import { FileMetadataCache, repositoryDir } from '../../../src/adapters/metadata-cache.js';
import { NotaryClient } from '../../../src/adapters/notary-http/notary-client.js';
import { NotaryRemoteRepository } from '../../../src/adapters/notary-http/remote-repository.js';
import { TrustRepository } from '../../../src/app/client/trust-repository.js';
import { isDctError } from '../../../src/core/errors.js';
import { checksumPath, honest, putFile, tamper } from '../../support/malicious-attacks.js';
import { MaliciousNotary, type Attack } from '../../support/malicious-notary.js';
import { CLIENT_PASSPHRASE, copyCache, snapshotDir, type StateName } from '../../support/malicious-recording.js';
import { cur, describeError, recording, TIMEOUT_MS, useMaliciousNotary, withReply, work } from './malicious-server-world.js';

describe('the client against a malicious Notary server', () => {
  useMaliciousNotary();

  describe('over https', () => {
    let tlsEvil: MaliciousNotary;
    let n = 0;
    before(async () => {
      tlsEvil = await MaliciousNotary.start({ tlsDir: join(work, 'tls') });
    });
    after(async () => {
      await tlsEvil?.close();
    });

    const attempt = async (attack: Attack, cache: StateName, timeoutMs = TIMEOUT_MS) => {
      const repo = recording.docker;
      tlsEvil.serve(attack);
      const dir = copyCache(repo.caches[cache], join(work, 'runs-tls', `${n++}`));
      const cacheDir = join(repositoryDir(dir, repo.gun), 'metadata');
      const before = snapshotDir(cacheDir);
      const client = new NotaryClient({ baseUrl: tlsEvil.url, timeoutMs, ca: tlsEvil.ca! });
      try {
        const t = new TrustRepository({
          gun: repo.gun,
          cache: new FileMetadataCache(dir, repo.gun),
          keyRing: new FileKeyRing(new FileKeyStore(dir), { get: async () => CLIENT_PASSPHRASE }),
          remote: new NotaryRemoteRepository(client, repo.gun, tlsEvil.url),
        });
        const result = await t.read().then(
          (r) => ({ ok: r }),
          (err: unknown) => ({ err }),
        );
        return { result, unchanged: JSON.stringify(snapshotDir(cacheDir)) === JSON.stringify(before) };
      } finally {
        client.close();
      }
    };

    it('honest data over TLS is read (control)', async () => {
      const { result } = await attempt(honest(recording.docker, 'new'), 'old');
      assert.ok('ok' in result, describeError('err' in result ? result.err : undefined));
    });

    it('tampered, rolled back and endless data over TLS fail and leave the cache as it was', async () => {
      const r = recording.docker;
      const attacks: Array<[Attack, StateName, string]> = [
        [putFile(honest(r, 'new', 'tampered timestamp'), 'timestamp', tamper(cur(r, 'new', 'timestamp'))), 'old', 'THRESHOLD_NOT_MET'],
        [honest(r, 'old', 'rolled back'), 'new', 'VERSION_ROLLBACK'],
        [withReply(honest(r, 'new', 'endless timestamp'), 'timestamp.json', { kind: 'endless' }), 'old', 'RESPONSE_TOO_LARGE'],
        [
          withReply(honest(r, 'new', 'silent snapshot'), checksumPath('snapshot', cur(r, 'new', 'snapshot')), { kind: 'hang' }),
          'old',
          'TIMEOUT',
        ],
      ];
      for (const [attack, cache, code] of attacks) {
        const { result, unchanged } = await attempt(attack, cache);
        assert.ok(
          'err' in result && isDctError(result.err, code),
          `${attack.name}: expected ${code}, got ${describeError('err' in result ? result.err : 'success')}`,
        );
        assert.ok(unchanged, `${attack.name}: cache unchanged`);
      }
    });
  });
});
