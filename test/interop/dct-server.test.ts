/**
 * The real notary and docker CLIs against `dct server` give the same outputs
 * (key IDs and times aside) as against the real notary-server, in one run.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/server/config.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { interopSkip } from '../support/interop.js';
import { ensureReferenceTools, startReferenceStack, type ReferenceStack } from '../support/reference-stack.js';
import { dockerSession, notarySession, type Step } from '../support/trust-scenarios.js';
import { pino } from 'pino';

const unavailable = await ensureReferenceTools();

function compare(reference: Step[], dct: Step[]): void {
  assert.equal(dct.length, reference.length);
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i] as Step;
    const d = dct[i] as Step;
    assert.deepEqual(
      { command: d.command, exitCode: d.exitCode, output: d.output },
      { command: r.command, exitCode: r.exitCode, output: r.output },
      `step ${i + 1}: ${r.command}`,
    );
  }
}

describe('real notary and docker CLIs: dct server answers as notary-server does', { skip: interopSkip(unavailable) }, () => {
  let reference: ReferenceStack;
  let dct: RunningServer;
  const work = mkdtempSync(join(tmpdir(), 'dct-server-interop-'));

  before(async () => {
    reference = await startReferenceStack({ logLevel: 'warn' });
    const config = loadConfig({
      env: {},
      flags: { listen: '127.0.0.1:0', storage: `sqlite:${join(work, 'dct.db')}`, dataDir: join(work, 'data'), logLevel: 'warn' },
    });
    dct = await startServer(config, { DCT_SERVER_KEY_PASSPHRASE: 'test-server-keys' }, pino({ level: 'warn' }));
  });
  after(async () => {
    await dct?.close();
    await reference?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it(
    'notary CLI session: init, add, addhash, publish, list, lookup, remove, rotations, delegations, witness, delete',
    { timeout: 240_000 },
    async () => {
      const gun = `127.0.0.1:${reference.registryPort}/interop/notary-${process.pid}`;
      const ref = await notarySession({ url: reference.serverUrl, caFile: reference.caFile }, mkdtempSync(join(work, 'ref-')), gun);
      const ours = await notarySession({ url: dct.url, caFile: dct.caFile as string }, mkdtempSync(join(work, 'dct-')), gun);
      compare(ref, ours);
    },
  );

  it('docker trust session: key generate, signer add, inspect (--pretty), revoke, signer remove', { timeout: 240_000 }, async () => {
    const gun = `127.0.0.1:${reference.registryPort}/interop/docker-${process.pid}`;
    const ref = await dockerSession({ url: reference.serverUrl, caFile: reference.caFile }, mkdtempSync(join(work, 'dref-')), gun);
    const ours = await dockerSession({ url: dct.url, caFile: dct.caFile as string }, mkdtempSync(join(work, 'ddct-')), gun);
    compare(ref, ours);
  });
});
