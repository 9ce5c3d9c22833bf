/**
 * The configuration use cases against an in-memory configuration store: checks run before
 * anything is asked or written, confirmations are honoured, and a failure changes nothing.
 */
import assert from 'node:assert/strict';
import type { X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { generateTestCertificate, type GenerateTestEvent } from '../../../../src/app/notation/config/generate-test-certificate.js';
import type { NotationConfigStore, PolicyFile, StoredCertificate } from '../../../../src/app/notation/config/notation-config-store.js';
import { deleteSigningKeys, setDefaultKey } from '../../../../src/app/notation/config/signing-key-list.js';
import { importTrustPolicy, showTrustPolicy } from '../../../../src/app/notation/config/trust-policy-commands.js';
import { addCertificates, deleteCertificates } from '../../../../src/app/notation/config/trust-store-certificates.js';
import { DctError, isDctError } from '../../../../src/core/errors.js';
import type { SigningKeys } from '../../../../src/core/notation/signing-keys.js';
import { readFixture } from '../../../support/fixtures.js';

class MemoryConfig implements NotationConfigStore {
  readonly configDir = '/cfg';
  policy: PolicyFile | undefined;
  keys: SigningKeys = { keys: [] };
  calls: string[] = [];
  failRemoveOld = false;

  readPolicyFile() {
    return Promise.resolve(this.policy);
  }
  trustPolicyExists() {
    return Promise.resolve(this.policy !== undefined);
  }
  writeTrustPolicy(bytes: Uint8Array) {
    this.calls.push('writeTrustPolicy');
    this.policy = { file: 'trustpolicy.oci.json', path: '/cfg/trustpolicy.oci.json', bytes: Buffer.from(bytes) };
    return Promise.resolve(this.policy.path);
  }
  removeOldTrustPolicy() {
    if (this.failRemoveOld) return Promise.reject(new Error('permission denied'));
    return Promise.resolve(false);
  }
  loadSigningKeys() {
    return Promise.resolve(structuredClone(this.keys));
  }
  saveSigningKeys(config: SigningKeys) {
    this.calls.push('saveSigningKeys');
    this.keys = config;
    return Promise.resolve();
  }
  writeLocalKeyPair(name: string) {
    this.calls.push('writeLocalKeyPair');
    return Promise.resolve({ keyPath: `/cfg/localkeys/${name}.key`, certPath: `/cfg/localkeys/${name}.crt` });
  }
  checkKeyPair() {
    return Promise.resolve();
  }
  localKeyPaths(name: string) {
    return { keyPath: `/cfg/localkeys/${name}.key`, certPath: `/cfg/localkeys/${name}.crt` };
  }
  removeFile(path: string) {
    this.calls.push(`removeFile ${path}`);
    return Promise.resolve(!path.includes('gone'));
  }
  readCertificateFile(): Promise<X509Certificate[]> {
    return Promise.resolve([]);
  }
  addCertificate(type: string, store: string, file: string) {
    this.calls.push(`addCertificate ${type} ${store} ${file}`);
    if (file.endsWith('.bad')) return Promise.reject(new DctError('NOTATION_CERTIFICATE_FILE_INVALID', 'x509: malformed certificate'));
    return Promise.resolve(`/cfg/truststore/x509/${type}/${store}/${file.split('/').pop() as string}`);
  }
  listCertificates(): Promise<StoredCertificate[]> {
    return Promise.resolve([]);
  }
  readStoredCertificate(): Promise<X509Certificate[]> {
    return Promise.resolve([]);
  }
  storedPath(type: string, store: string, file?: string) {
    return `/cfg/truststore/x509/${type}/${store}${file ? `/${file}` : ''}`;
  }
  deleteCertificate() {
    this.calls.push('deleteCertificate');
    return Promise.resolve(undefined);
  }
  deleteStore(type: string, store: string) {
    this.calls.push('deleteStore');
    return Promise.resolve(this.storedPath(type, store));
  }
}

const policy = (name: string) => readFixture('notation', 'notation-cli', 'trustpolicies', name);
const never = () => Promise.reject(new Error('must not ask'));

describe('policy import', () => {
  it('an invalid policy is refused before anything is asked or written', async () => {
    const config = new MemoryConfig();
    config.policy = { file: 'trustpolicy.oci.json', path: '/p', bytes: Buffer.from('{}') };
    await assert.rejects(importTrustPolicy(config, policy('empty_trusted_identity_trustpolicy.json'), false, never), (e: unknown) =>
      isDctError(e, 'NOTATION_POLICY_INVALID'),
    );
    assert.deepEqual(config.calls, []);
  });
  it('an existing policy is overwritten only when confirmed or forced', async () => {
    const config = new MemoryConfig();
    assert.equal((await importTrustPolicy(config, policy('trustpolicy.json'), false, never)).kind, 'imported');
    assert.deepEqual(await importTrustPolicy(config, policy('audit_trustpolicy.json'), false, () => Promise.resolve(false)), {
      kind: 'cancelled',
    });
    assert.deepEqual(config.policy?.bytes, policy('trustpolicy.json'));
    const forced = await importTrustPolicy(config, policy('audit_trustpolicy.json'), true, never);
    assert.deepEqual(forced, { kind: 'imported', path: '/cfg/trustpolicy.oci.json', overwritten: true, deletedOld: false });
    config.failRemoveOld = true;
    const warned = await importTrustPolicy(config, policy('trustpolicy.json'), true, never);
    assert.equal(
      warned.kind === 'imported' && warned.warning,
      'failed to delete old trust policy configuration trustpolicy.json: permission denied',
    );
  });
  it('show reports an invalid stored policy without hiding it', async () => {
    const config = new MemoryConfig();
    config.policy = { file: 'trustpolicy.json', path: '/p', bytes: policy('unset_trust_store_trustpolicy.json') };
    const shown = await showTrustPolicy(config);
    assert.equal(shown.old, true);
    assert.equal(shown.invalid?.code, 'NOTATION_POLICY_INVALID');
  });
});

describe('cert add and delete', () => {
  it('every file is tried; failures are collected', async () => {
    const config = new MemoryConfig();
    const result = await addCertificates(config, 'ca', 's', ['a.crt', 'b.bad', 'c.crt']);
    assert.deepEqual(result.added, ['a.crt', 'c.crt']);
    assert.deepEqual(
      result.failed.map((f) => [f.path, f.error.message]),
      [['b.bad', 'x509: malformed certificate']],
    );
  });
  it('bad type or store name: nothing is tried', async () => {
    const config = new MemoryConfig();
    await assert.rejects(
      addCertificates(config, '', 's', ['a.crt']),
      (e: unknown) => isDctError(e, 'NOTATION_STORE_TYPE_INVALID') && e.message === 'store type cannot be empty',
    );
    await assert.rejects(addCertificates(config, 'ca', '', ['a.crt']), (e: unknown) => isDctError(e, 'NOTATION_NAME_INVALID'));
    await assert.rejects(deleteCertificates(config, { type: 'x', store: 's' }, never), (e: unknown) =>
      isDctError(e, 'NOTATION_STORE_TYPE_INVALID'),
    );
    assert.deepEqual(config.calls, []);
  });
  it('nothing is deleted unless confirmed', async () => {
    const config = new MemoryConfig();
    assert.deepEqual(await deleteCertificates(config, { type: 'ca', store: 's', file: 'a.crt' }, () => Promise.resolve(false)), {
      kind: 'cancelled',
    });
    assert.deepEqual(config.calls, []);
    const asked: string[] = [];
    const all = await deleteCertificates(config, { type: 'ca', store: 's' }, (p) => {
      asked.push(p);
      return Promise.resolve(true);
    });
    assert.deepEqual(asked, ['Are you sure you want to delete all certificates in "s" of type "ca"?']);
    assert.deepEqual(all, { kind: 'deleted', path: '/cfg/truststore/x509/ca/s' });
  });
});

describe('signing keys', () => {
  it('generate-test: events in notation order; a taken key name saves nothing', async () => {
    const config = new MemoryConfig();
    const events: GenerateTestEvent['kind'][] = [];
    await generateTestCertificate(config, { name: 'n', isDefault: true, now: new Date('2026-01-01T00:00:00Z') }, (e) =>
      events.push(e.kind),
    );
    assert.deepEqual(events, ['generating', 'certificate', 'wroteKey', 'wroteCertificate', 'addedToStore', 'addedKey', 'markedDefault']);
    assert.equal(config.keys.default, 'n');
    config.calls = [];
    await assert.rejects(
      generateTestCertificate(config, { name: 'n', isDefault: false, now: new Date() }, () => undefined),
      (e: unknown) => isDctError(e, 'NOTATION_SIGNING_KEY_EXISTS'),
    );
    assert.deepEqual(config.calls, ['writeLocalKeyPair']);
  });
  it('deleting an unknown key saves nothing; the default is reported', async () => {
    const config = new MemoryConfig();
    config.keys = { default: 'b', keys: [{ name: 'a' }, { name: 'b' }] };
    await assert.rejects(deleteSigningKeys(config, ['a', 'zz']), (e: unknown) => isDctError(e, 'NOTATION_SIGNING_KEY_NOT_FOUND'));
    assert.deepEqual(config.calls, []);
    assert.deepEqual(await deleteSigningKeys(config, ['b']), { removed: ['b'], previousDefault: 'b' });
    assert.deepEqual(config.keys, { keys: [{ name: 'a' }] });
    await setDefaultKey(config, 'a');
    assert.equal(config.keys.default, 'a');
  });
});
