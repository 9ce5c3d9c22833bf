/** Trust pinning on first contact (notary `trust_pinning`): pinned certificate IDs, a CA per GUN prefix, TOFU off. */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import { createCertificate, createRootCertificate, extension, OID } from '../../../src/core/keys/certificate.js';
import { der } from '../../../src/core/der.js';
import { PublicKey } from '../../../src/core/keys/public-key.js';
import { KeySigner } from '../../../src/core/keys/signer.js';
import { TrustedSet } from '../../../src/core/trust/trusted-set.js';
import { defaultExpires } from '../../../src/core/tuf/common.js';
import { Metadata } from '../../../src/core/tuf/metadata.js';
import { Root } from '../../../src/core/tuf/root.js';

const now = new Date('2026-11-23T12:00:00Z');
const later = new Date(now.getTime() + 365 * 24 * 3600 * 1000);
const gun = 'registry.example.com/team/app';
const ec = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

function caCertificate(key: KeyObject, publicKey: KeyObject, cn: string): string {
  return createCertificate({
    commonName: cn,
    publicKey,
    signingKey: key,
    notBefore: now,
    notAfter: later,
    serial: randomBytes(16),
    extensions: [extension(OID.basicConstraints, true, der.sequence(der.boolean(true)))],
  });
}

/** A root v1 whose root key is `leafPem` (signed by `leafKey`), other roles with fresh keys. */
async function rootWith(leafPem: string, leafKey: KeyObject): Promise<{ bytes: Buffer; id: string }> {
  const rootKey = PublicKey.fromCertificatePem(leafPem);
  const others = ['targets', 'snapshot', 'timestamp'].map(() => PublicKey.fromKeyObject(ec().publicKey));
  const keys: Record<string, PublicKey> = { [rootKey.id]: rootKey };
  for (const k of others) keys[k.id] = k;
  const root = new Root(1, defaultExpires('root', now), keys, {
    root: { keyids: [rootKey.id], threshold: 1 },
    targets: { keyids: [others[0]!.id], threshold: 1 },
    snapshot: { keyids: [others[1]!.id], threshold: 1 },
    timestamp: { keyids: [others[2]!.id], threshold: 1 },
  });
  const md = await new Metadata(root, []).sign([new KeySigner(leafKey, rootKey)]);
  return { bytes: md.serialize(), id: rootKey.id };
}

describe('trust pinning', () => {
  const ca = ec();
  const caPem = caCertificate(ca.privateKey, ca.publicKey, 'Example Root CA');
  const leaf = ec();
  const leafCertificate = (notAfter: Date): string =>
    createCertificate({
      commonName: gun,
      issuerCommonName: 'Example Root CA',
      publicKey: leaf.publicKey,
      signingKey: ca.privateKey,
      notBefore: now,
      notAfter,
      serial: randomBytes(16),
      extensions: [extension(OID.extKeyUsage, false, der.sequence(der.oid(OID.codeSigning)))],
    });
  const leafPem = leafCertificate(later);

  it('a CA pinned for the GUN prefix accepts a root whose leaf it issued', async () => {
    const { bytes } = await rootWith(leafPem, leaf.privateKey);
    const set = new TrustedSet(bytes, { gun, now, pinning: { ca: { 'registry.example.com/': caPem } } });
    assert.equal(set.root.signed.version, 1);
  });

  it('the longest CA prefix wins: another CA for the GUN refuses the root', async () => {
    const other = ec();
    const otherPem = caCertificate(other.privateKey, other.publicKey, 'Example Root CA');
    const { bytes } = await rootWith(leafPem, leaf.privateKey);
    assert.throws(
      () =>
        new TrustedSet(bytes, { gun, now, pinning: { ca: { 'registry.example.com/': caPem, 'registry.example.com/team/': otherPem } } }),
      /unable to match any certificates to trust_pinning config/,
    );
  });

  it('a self-signed root is refused where a CA is pinned', async () => {
    const self = ec();
    const pem = createRootCertificate({ privateKey: self.privateKey, gun, notBefore: now, notAfter: later, serial: randomBytes(16) });
    const { bytes } = await rootWith(pem, self.privateKey);
    assert.throws(
      () => new TrustedSet(bytes, { gun, now, pinning: { ca: { registry: caPem } } }),
      (err: { code?: string }) => err.code === 'CERTIFICATE_VALIDATION_FAILED',
    );
    // without pinning the same root is trusted on first use
    assert.equal(new TrustedSet(bytes, { gun, now }).root.signed.version, 1);
  });

  it('an expired CA bundle is refused as notary refuses it', async () => {
    // the leaf outlives the CA, so only the CA's own expiry can refuse the root
    const longLeafPem = leafCertificate(new Date(later.getTime() + 365 * 24 * 3600 * 1000));
    const { bytes } = await rootWith(longLeafPem, leaf.privateKey);
    const future = new Date(later.getTime() + 1000);
    assert.equal(new TrustedSet(bytes, { gun, now: future }).root.signed.version, 1, 'the leaf alone is still valid then');
    assert.throws(
      () => new TrustedSet(bytes, { gun, now: future, pinning: { ca: { registry: caPem } } }),
      (err: { code?: string; message?: string }) => {
        assert.equal(err.code, 'CERTIFICATE_VALIDATION_FAILED');
        assert.match(err.message ?? '', /invalid CA certs provided/);
        return true;
      },
    );
  });

  it('pinned certificate IDs win over a CA, and disable_tofu refuses unpinned GUNs', async () => {
    const { bytes, id } = await rootWith(leafPem, leaf.privateKey);
    assert.equal(
      new TrustedSet(bytes, { gun, now, pinning: { certs: { 'registry.example.com/*': [id] }, ca: { registry: 'garbage' } } }).root.signed
        .version,
      1,
    );
    assert.throws(() => new TrustedSet(bytes, { gun, now, pinning: { certs: { [gun]: ['0'.repeat(64)] } } }), /unable to match/);
    assert.throws(() => new TrustedSet(bytes, { gun, now, pinning: { disableTofu: true } }), /invalid trust pinning specified/);
  });
});
