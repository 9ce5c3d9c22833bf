import assert from 'node:assert/strict';
import { it } from 'node:test';
import * as dct from '../src/index.js';

it('the library entry point exports the core, the trusted set, the client, the key store and the image pieces', async () => {
  assert.equal(dct.canonicalize({ b: 1, a: [true, null] }), '{"a":[true,null],"b":1}');
  const names = [
    'parseMetadata',
    'TrustedSet',
    'PublicKey',
    'KeySigner',
    'loadRepository',
    'NotaryClient',
    'FileKeyStore',
    'decodePrivateKeyFile',
  ];
  names.push('TrustRepository', 'RepositoryDraft', 'FileMetadataCache', 'NotaryRemoteRepository', 'FileKeyRing', 'parseImageReference');
  names.push('parseManifest', 'RegistryClient', 'RegistryAuth', 'OciLayout', 'DockerArchive', 'pushImage', 'pullImage', 'signedTarget');
  for (const name of names) {
    assert.equal(typeof (dct as Record<string, unknown>)[name], 'function', name);
  }
});
