/**
 * notation's configuration directory and files: where it is, the trust policy file (the OCI one,
 * the old one, missing, symlinked, malformed, huge), `signingkeys.json` and the local signing key
 * (with the e2e key pair of the notation CLI), and the trust store as the `cert` commands change it.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { notationConfigDir } from '../../../../src/adapters/notation/config/config-dir.js';
import {
  loadSigningKeys,
  readSigningKey,
  saveSigningKeys,
  writeLocalKeyPair,
} from '../../../../src/adapters/notation/config/signing-keys-file.js';
import {
  loadTrustPolicy,
  readPolicyFile,
  removeOldTrustPolicy,
  trustPolicyExists,
  writeTrustPolicy,
} from '../../../../src/adapters/notation/config/trust-policy-file.js';
import {
  addCertificateFile,
  deleteStoredCertificate,
  deleteTrustStore,
  listTrustStoreCertificates,
  readStoredCertificate,
} from '../../../../src/adapters/notation/config/trust-store-files.js';
import { isDctError } from '../../../../src/core/errors.js';
import { fixturePath, readFixture } from '../../../support/fixtures.js';

const temp = mkdtempSync(join(tmpdir(), 'dct-notation-config-'));
after(() => rmSync(temp, { recursive: true, force: true }));
let n = 0;
const fresh = () => {
  const dir = join(temp, `c${n++}`);
  mkdirSync(dir, { recursive: true });
  return dir;
};
const policyFixture = (name: string) => readFixture('notation', 'notation-cli', 'trustpolicies', name);
const localkey = (name: string) => fixturePath('notation', 'notation-cli', 'localkeys', name);

describe('the configuration directory', () => {
  it('NOTATION_CONFIG wins, then XDG_CONFIG_HOME, then ~/.config', () => {
    assert.equal(notationConfigDir({ NOTATION_CONFIG: '/n', XDG_CONFIG_HOME: '/x', HOME: '/h' }), '/n');
    assert.equal(notationConfigDir({ XDG_CONFIG_HOME: '/x', HOME: '/h' }), '/x/notation');
    assert.equal(notationConfigDir({ HOME: '/h' }), '/h/.config/notation');
    assert.equal(notationConfigDir({ XDG_CONFIG_HOME: 'relative', HOME: '/h' }), '.notation');
    assert.equal(notationConfigDir({}), '.notation');
  });
});

describe('the trust policy file', () => {
  it('reads trustpolicy.oci.json, else the old trustpolicy.json', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'trustpolicy.json'), policyFixture('trustpolicy.json'));
    assert.equal((await loadTrustPolicy(dir)).trustPolicies[0]?.name, 'e2e');
    assert.equal((await readPolicyFile(dir))?.file, 'trustpolicy.json');
    writeFileSync(join(dir, 'trustpolicy.oci.json'), policyFixture('multi_statements_with_wildcard_registry_scope_trustpolicy.json'));
    assert.equal((await loadTrustPolicy(dir)).trustPolicies.length, 2);
    assert.equal((await readPolicyFile(dir))?.file, 'trustpolicy.oci.json');
  });
  it('refuses a missing, symlinked, malformed, invalid or huge policy with stable codes', async () => {
    const dir = fresh();
    await assert.rejects(
      loadTrustPolicy(dir),
      (e: unknown) =>
        isDctError(e, 'NOTATION_POLICY_NOT_FOUND') &&
        e.message ===
          'trust policy is not present. To create a trust policy, see: https://notaryproject.dev/docs/quickstart/#create-a-trust-policy',
    );
    assert.equal(await readPolicyFile(dir), undefined);
    writeFileSync(join(dir, 'real.json'), policyFixture('trustpolicy.json'));
    symlinkSync(join(dir, 'real.json'), join(dir, 'trustpolicy.oci.json'));
    await assert.rejects(
      loadTrustPolicy(dir),
      (e: unknown) => isDctError(e, 'NOTATION_CONFIG_FILE_INVALID') && /symlinks are not supported/.test(e.message),
    );
    rmSync(join(dir, 'trustpolicy.oci.json'));
    writeFileSync(join(dir, 'trustpolicy.oci.json'), policyFixture('invalid_format_trustpolicy.json'));
    await assert.rejects(loadTrustPolicy(dir), (e: unknown) => isDctError(e, 'NOTATION_POLICY_MALFORMED'));
    assert.equal(await trustPolicyExists(dir), false);
    writeFileSync(join(dir, 'trustpolicy.oci.json'), policyFixture('empty_registry_scope_trustpolicy.json'));
    await assert.rejects(loadTrustPolicy(dir), (e: unknown) => isDctError(e, 'NOTATION_POLICY_INVALID'));
    assert.equal(await trustPolicyExists(dir), true);
    writeFileSync(join(dir, 'trustpolicy.oci.json'), Buffer.alloc(5 * 1024 * 1024, 0x20));
    await assert.rejects(loadTrustPolicy(dir), (e: unknown) => isDctError(e, 'NOTATION_CONFIG_TOO_LARGE'));
  });
  it('writes the OCI file 0600 and deletes the old one', async () => {
    const dir = join(fresh(), 'sub');
    const path = await writeTrustPolicy(dir, policyFixture('trustpolicy.json'));
    assert.equal(path, join(dir, 'trustpolicy.oci.json'));
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(await removeOldTrustPolicy(dir), false);
    writeFileSync(join(dir, 'trustpolicy.json'), '{}');
    assert.equal(await removeOldTrustPolicy(dir), true);
    assert.equal(existsSync(join(dir, 'trustpolicy.json')), false);
  });
});

describe('signing keys', () => {
  it('no file is no keys; a symlink or a malformed file is refused', async () => {
    const dir = fresh();
    assert.deepEqual(await loadSigningKeys(dir), { keys: [] });
    copyFileSync(
      fixturePath('notation', 'notation-go', 'config', 'malformed-duplicate', 'signingkeys.json'),
      join(dir, 'signingkeys.json'),
    );
    await assert.rejects(loadSigningKeys(dir), (e: unknown) => isDctError(e, 'NOTATION_SIGNING_KEYS_MALFORMED'));
    rmSync(join(dir, 'signingkeys.json'));
    symlinkSync(fixturePath('notation', 'notation-go', 'config', 'valid', 'signingkeys.json'), join(dir, 'signingkeys.json'));
    await assert.rejects(loadSigningKeys(dir), (e: unknown) => isDctError(e, 'NOTATION_CONFIG_FILE_INVALID'));
  });
  it('reads the default local key and its chain (the notation CLI e2e key pair)', async () => {
    const dir = fresh();
    await saveSigningKeys(dir, { default: 'e2e', keys: [{ name: 'e2e', keyPath: localkey('e2e.key'), certPath: localkey('e2e.crt') }] });
    assert.equal(statSync(join(dir, 'signingkeys.json')).mode & 0o777, 0o600);
    const key = await readSigningKey(dir);
    assert.equal(key.name, 'e2e');
    assert.equal(key.key.asymmetricKeyType, 'rsa');
    assert.match(key.chain[0]!.subject, /CN=e2e/);
  });
  it('a key that does not match its certificate, a missing file, a plugin key, an unknown name', async () => {
    const dir = fresh();
    await saveSigningKeys(dir, {
      keys: [
        { name: 'mismatch', keyPath: localkey('e2e.key'), certPath: localkey('expired_e2e.crt') },
        { name: 'missing', keyPath: join(dir, 'nope.key'), certPath: localkey('e2e.crt') },
        { name: 'plugin', id: 'k', pluginName: 'azure-kv' },
      ],
    });
    await assert.rejects(
      readSigningKey(dir, 'mismatch'),
      (e: unknown) => isDctError(e, 'NOTATION_SIGNING_KEY_INVALID') && e.message === 'tls: private key does not match public key',
    );
    await assert.rejects(
      readSigningKey(dir, 'missing'),
      (e: unknown) => isDctError(e, 'NOTATION_SIGNING_KEY_INVALID') && /no such file or directory/.test(e.message),
    );
    await assert.rejects(readSigningKey(dir, 'plugin'), (e: unknown) => isDctError(e, 'NOTATION_PLUGIN_NOT_FOUND'));
    await assert.rejects(readSigningKey(dir, 'other'), (e: unknown) => isDctError(e, 'NOTATION_SIGNING_KEY_NOT_FOUND'));
    await assert.rejects(readSigningKey(dir), (e: unknown) => isDctError(e, 'NOTATION_DEFAULT_KEY_NOT_SET'));
  });
  it('local key files are written 0600 / 0644 and never overwritten', async () => {
    const dir = fresh();
    const { keyPath, certPath } = await writeLocalKeyPair(dir, 'k', 'KEY', 'CERT');
    assert.equal(statSync(keyPath).mode & 0o777, 0o600);
    assert.equal(statSync(certPath).mode & 0o777, 0o644);
    await assert.rejects(
      writeLocalKeyPair(dir, 'k', 'KEY2', 'CERT2'),
      (e: unknown) =>
        isDctError(e, 'NOTATION_SIGNING_KEY_EXISTS') && e.message === `failed to write key file: open ${keyPath}: file exists`,
    );
    assert.equal(readFileSync(keyPath, 'utf8'), 'KEY');
  });
});

describe('the trust store as the cert commands change it', () => {
  it('adds, lists, shows and deletes certificate files', async () => {
    const dir = fresh();
    const stored = await addCertificateFile(dir, 'ca', 'e2e', localkey('e2e.crt'));
    assert.equal(stored, join(dir, 'truststore', 'x509', 'ca', 'e2e', 'e2e.crt'));
    assert.equal(statSync(stored).mode & 0o777, 0o600);
    await assert.rejects(
      addCertificateFile(dir, 'ca', 'e2e', localkey('e2e.crt')),
      (e: unknown) => isDctError(e, 'NOTATION_CERTIFICATE_EXISTS') && e.message === 'certificate already exists in the Trust Store',
    );
    await addCertificateFile(dir, 'tsa', 'ts', fixturePath('notation', 'notation-cli', 'timestamp', 'globalsignTSARoot.cer'));
    await addCertificateFile(dir, 'signingAuthority', 'e2e', localkey('new_e2e.crt'));
    // a subdirectory below a store is not listed
    mkdirSync(join(dir, 'truststore', 'x509', 'ca', 'e2e', 'deeper'));
    copyFileSync(localkey('e2e.crt'), join(dir, 'truststore', 'x509', 'ca', 'e2e', 'deeper', 'x.crt'));
    const all = await listTrustStoreCertificates(dir, {});
    assert.deepEqual(
      all.map((c) => `${c.type}/${c.store}/${c.file}`),
      ['ca/e2e/e2e.crt', 'signingAuthority/e2e/new_e2e.crt', 'tsa/ts/globalsignTSARoot.cer'],
    );
    assert.deepEqual(
      (await listTrustStoreCertificates(dir, { store: 'e2e' })).map((c) => c.type),
      ['ca', 'signingAuthority'],
    );
    assert.deepEqual(
      (await listTrustStoreCertificates(dir, { type: 'tsa' })).map((c) => c.file),
      ['globalsignTSARoot.cer'],
    );
    assert.deepEqual(await listTrustStoreCertificates(dir, { type: 'nope' }), []);
    assert.equal((await readStoredCertificate(dir, 'ca', 'e2e', 'e2e.crt')).length, 1);
    await assert.rejects(readStoredCertificate(dir, 'ca', 'e2e', 'gone.crt'), (e: unknown) =>
      isDctError(e, 'NOTATION_CERTIFICATE_NOT_FOUND'),
    );
    assert.equal(await deleteStoredCertificate(dir, 'tsa', 'ts', 'globalsignTSARoot.cer'), undefined);
    assert.equal(existsSync(join(dir, 'truststore', 'x509', 'tsa', 'ts')), false, 'an emptied store is removed');
    await assert.rejects(deleteStoredCertificate(dir, 'tsa', 'ts', 'globalsignTSARoot.cer'), (e: unknown) =>
      isDctError(e, 'NOTATION_CERTIFICATE_NOT_FOUND'),
    );
    assert.equal(await deleteTrustStore(dir, 'ca', 'e2e'), join(dir, 'truststore', 'x509', 'ca', 'e2e'));
    await assert.rejects(deleteTrustStore(dir, 'ca', 'e2e'), (e: unknown) => isDctError(e, 'NOTATION_TRUST_STORE_NOT_FOUND'));
  });
  it('refuses files that are not certificates, and a listing fails on one', async () => {
    const dir = fresh();
    await assert.rejects(
      addCertificateFile(dir, 'ca', 's', fixturePath('notation', 'notation-cli', 'timestamp', 'invalid.crt')),
      (e: unknown) => isDctError(e, 'NOTATION_CERTIFICATE_FILE_INVALID'),
    );
    await assert.rejects(
      addCertificateFile(dir, 'ca', 's', fixturePath('notation', 'notation-cli', 'timestamp', 'Empty.txt')),
      (e: unknown) => isDctError(e, 'NOTATION_CERTIFICATE_FILE_INVALID') && e.message === 'no valid certificate found in the file',
    );
    await assert.rejects(addCertificateFile(dir, 'ca', 's', join(dir, 'missing.crt')), (e: unknown) =>
      isDctError(e, 'NOTATION_CERTIFICATE_FILE_INVALID'),
    );
    mkdirSync(join(dir, 'truststore', 'x509', 'ca', 's'), { recursive: true });
    writeFileSync(join(dir, 'truststore', 'x509', 'ca', 's', 'junk.crt'), 'junk');
    await assert.rejects(
      listTrustStoreCertificates(dir, {}),
      (e: unknown) =>
        isDctError(e, 'NOTATION_CERTIFICATE_FILE_INVALID') &&
        e.message === 'failed to list all certificates stored in the trust store, with error: x509: malformed certificate',
    );
  });
});

describe('configuration files that are directories', () => {
  it('a directory in place of the policy or the key list is refused with a code', async () => {
    const dir = fresh();
    mkdirSync(join(dir, 'trustpolicy.oci.json'));
    mkdirSync(join(dir, 'signingkeys.json'));
    await assert.rejects(
      readPolicyFile(dir),
      (e: unknown) => isDctError(e, 'NOTATION_CONFIG_FILE_INVALID') && /is a directory/.test(e.message),
    );
    await assert.rejects(loadTrustPolicy(dir), (e: unknown) => isDctError(e, 'NOTATION_CONFIG_FILE_INVALID'));
    await assert.rejects(loadSigningKeys(dir), (e: unknown) => isDctError(e, 'NOTATION_CONFIG_FILE_INVALID'));
  });
});
