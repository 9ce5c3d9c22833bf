import assert from 'node:assert/strict';
import { it } from 'node:test';
import * as dct from '../src/index.js';

it('the library entry point exports the core, the trusted set, the client and the key store', async () => {
  assert.equal(dct.canonicalize({ b: 1, a: [true, null] }), '{"a":[true,null],"b":1}');
  for (const name of ['parseMetadata', 'TrustedSet', 'PublicKey', 'KeySigner', 'loadRepository', 'NotaryClient', 'FileKeyStore', 'decodePrivateKeyFile']) {
    assert.equal(typeof (dct as Record<string, unknown>)[name], 'function', name);
  }
});
