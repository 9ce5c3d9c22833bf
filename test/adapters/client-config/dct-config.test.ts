import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { dctConfigFile, isInsecureRegistry, loadDctConfig, parseDctConfig } from '../../../src/adapters/client-config/dct-config.js';
import { isDctError } from '../../../src/core/errors.js';
import { useWorkDir } from './support.js';

const work = useWorkDir('dct-config-');

describe('dct client config', () => {
  it('finds the file: $DCT_CONFIG, else ~/.dct/config.json', () => {
    assert.equal(dctConfigFile({ DCT_CONFIG: '/etc/dct.json' }), '/etc/dct.json');
    assert.match(dctConfigFile({}), /\.dct\/config\.json$/);
  });

  it('reads trust servers and insecure registries', async () => {
    const file = join(work.dir, 'dct.json');
    writeFileSync(
      file,
      JSON.stringify({
        trust: { servers: { 'registry.example.com:5000': 'https://trust.example.com', 'docker.io': 'https://notary.mirror.example/' } },
        insecureRegistries: ['http://10.1.2.3:5000', 'plain.example', '192.168.0.0/16', 'fd00::/8', '[::1]:5000'],
        somethingElse: true,
      }),
    );
    const c = await loadDctConfig(file);
    assert.equal(c.exists, true);
    assert.deepEqual(c.trustServers, {
      'registry.example.com:5000': 'https://trust.example.com',
      'docker.io': 'https://notary.mirror.example/',
    });
    assert.deepEqual(c.insecureRegistries, ['10.1.2.3:5000', 'plain.example', '192.168.0.0/16', 'fd00::/8', '[::1]:5000']);
    assert.equal(isInsecureRegistry('10.1.2.3:5000', c), true);
    assert.equal(isInsecureRegistry('10.1.2.3:5001', c), false);
    assert.equal(isInsecureRegistry('PLAIN.example', c), true);
    assert.equal(isInsecureRegistry('192.168.7.7:443', c), true);
    assert.equal(isInsecureRegistry('[::ffff:192.168.1.1]:5000', c), true);
    assert.equal(isInsecureRegistry('[fd12::1]:5000', c), true);
    assert.equal(isInsecureRegistry('192.169.0.1', c), false);
    assert.equal(isInsecureRegistry('registry.example.com', c), false);
    const missing = await loadDctConfig(join(work.dir, 'no-such.json'));
    assert.deepEqual(missing, { file: join(work.dir, 'no-such.json'), exists: false, trustServers: {}, insecureRegistries: [] });
  });

  it('refuses malformed files with INVALID_CONFIG naming the file and the problem', async () => {
    const refused = (text: string, pattern: RegExp) =>
      assert.throws(
        () => parseDctConfig(text, '/cfg/dct.json'),
        (err: unknown) =>
          isDctError(err, 'INVALID_CONFIG') && err.message.startsWith('dct config /cfg/dct.json: ') && pattern.test(err.message),
      );
    refused('{', /not valid JSON/);
    refused('"x"', /top level must be a JSON object/);
    refused('{"trust": []}', /"trust" must be an object/);
    refused('{"trust": {"servers": []}}', /trust\.servers/);
    refused('{"trust": {"servers": {"r.example": "http://r.example"}}}', /trust server for r\.example must be an https URL/);
    refused('{"trust": {"servers": {"r.example": 5}}}', /must be an https URL/);
    refused('{"trust": {"servers": {"https://r.example": "https://t.example"}}}', /is not a registry host\[:port\]/);
    refused('{"insecureRegistries": "x"}', /must be a list/);
    refused('{"insecureRegistries": [1]}', /is not a string/);
    refused('{"insecureRegistries": ["ftp://x"]}', /should not contain ':\/\/'/);
    refused('{"insecureRegistries": ["10.0.0.0/33"]}', /not a valid CIDR/);
    refused('{"insecureRegistries": ["bad host"]}', /invalid host/);
    const dirAsFile = join(work.dir, 'adir');
    mkdirSync(dirAsFile, { recursive: true });
    await assert.rejects(loadDctConfig(dirAsFile), (err: unknown) => isDctError(err, 'CONFIG_UNREADABLE'));
  });
});
