/**
 * `dct server --policy FILE` settings: the flag, the config-file key and DCT_POLICY; notation's
 * configuration directory from --notation-config, DCT_NOTATION_CONFIG or NOTATION_CONFIG; the
 * trust policy and legacy `pullGate` rules refused together; a policy file that does not load
 * stops the start with its code.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isDctError } from '../../../src/core/errors.js';
import { loadConfig } from '../../../src/server/config.js';
import { registryPolicy } from '../../../src/server/registry-config.js';
import { startTestServer } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'dct-policy-config-'));
const base = { listen: '127.0.0.1:0', plainHttp: true, dataDir: dir };

describe('dct server --policy settings', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the flag, the config file key and DCT_POLICY; notation config from the flag, DCT_NOTATION_CONFIG, else NOTATION_CONFIG', () => {
    const flag = loadConfig({ env: { NOTATION_CONFIG: '/n' }, flags: { ...base, policy: 'p.yaml' } });
    assert.deepEqual(registryPolicy(flag), { policy: { file: 'p.yaml', notationConfigDir: '/n' } });
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ policy: 'from-file.yaml', notationConfig: '/cfg', cosignTrustedRoot: 'root.json' }));
    assert.deepEqual(registryPolicy(loadConfig({ file, env: {}, flags: base })), {
      policy: { file: 'from-file.yaml', notationConfigDir: '/cfg', cosignTrustedRoot: 'root.json' },
    });
    const env = loadConfig({ env: { DCT_POLICY: 'env.yaml', DCT_NOTATION_CONFIG: '/e', NOTATION_CONFIG: '/n' }, flags: base });
    assert.deepEqual(registryPolicy(env), { policy: { file: 'env.yaml', notationConfigDir: '/e' } });
    assert.deepEqual(registryPolicy(loadConfig({ env: {}, flags: base })), {});
  });

  it('refuses --policy with pullGate rules, and without the registry', () => {
    const invalid = (err: unknown) => isDctError(err, 'INVALID_CONFIG');
    assert.throws(
      () =>
        loadConfig({ env: {}, flags: { ...base, policy: 'p.yaml', pullGate: [{ repositories: '*', signers: [], allowDigests: false }] } }),
      (err: Error) => invalid(err) && /choose either --policy .* or pullGate rules/.test(err.message),
    );
    assert.throws(() => loadConfig({ env: {}, flags: { ...base, policy: 'p.yaml', registry: false } }), invalid);
  });

  it('a policy file that does not load stops the start with its code', async () => {
    const policy = join(dir, 'broken.yaml');
    writeFileSync(policy, 'version: 1\nrules: [{name: x}]\n');
    await assert.rejects(startTestServer({ flags: { policy } }), (err: unknown) => isDctError(err, 'POLICY_INVALID'));
  });
});
