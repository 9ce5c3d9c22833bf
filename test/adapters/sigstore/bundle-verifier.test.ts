/**
 * SigstoreBundleVerifier on real bundles beyond the conformance suite (sigstore-js's test
 * bundles and fixtures, cosign's OCI attestation), with the outcomes their sources expect
 * (`../shared/fixtures/cosign/README.md`), the policy semantics (exact and cosign-style
 * unanchored regexps, key versus identity) and `ignoreTlog`. Hostile input: bad-bundles.test.ts.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SigstoreBundleVerifier, type SigstoreVerifyOptions } from '../../../src/adapters/sigstore/bundle-verifier.js';
import { isDctError } from '../../../src/core/errors.js';
import type { SignedArtifact, SigstorePolicy, StringMatcher } from '../../../src/core/signatures/sigstore-verification.js';
import { fixturePath } from '../../support/fixtures.js';

const json = (...p: string[]): Record<string, unknown> => JSON.parse(readFileSync(fixturePath(...p), 'utf8')) as Record<string, unknown>;
const bytes = (...p: string[]): Buffer => readFileSync(fixturePath(...p));
const clone = <T>(v: T): T => structuredClone(v);

const JS = ['cosign', 'sigstore-js'];
const PRODUCTION = json('sigstore-conformance', 'trusted-roots', 'trusted_root.production.json');
const CLIENT_ROOT = json(...JS, 'client-fixtures', 'trusted_root.json');
const VERIFY_ROOT = json(...JS, 'verify-fixtures', 'trusted_root.json');
const BRIAN: SigstorePolicy = {
  kind: 'identity',
  identity: { exact: 'brian@dehamer.com' },
  issuer: { exact: 'https://github.com/login/oauth' },
};
const ANYONE: SigstorePolicy = { kind: 'identity', identity: { regexp: '.*' }, issuer: { regexp: '.*' } };
const NOTHING: SignedArtifact = { bytes: new Uint8Array() };

const verifier = new SigstoreBundleVerifier();

async function refused(p: Promise<unknown>, code: string, reason?: RegExp): Promise<void> {
  try {
    await p;
  } catch (err) {
    assert.ok(isDctError(err), `not a DctError: ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (reason) assert.match(err.message, reason);
    return;
  }
  assert.fail(`verified, expected ${code}`);
}

describe('sigstore-js tests/bundles (production root)', () => {
  const files = [
    'bundleV01-dsse-no-proof.sigstore',
    'bundleV01-dsse-with-proof.sigstore',
    'bundleV01-intoto-no-proof.sigstore',
    'bundleV01-intoto-with-proof.sigstore',
    'bundleV02-dsse.sigstore',
    'bundleV02-intoto.sigstore',
    'bundleV03-dsse.sigstore',
    'bundleV03-intoto.sigstore',
  ];
  for (const f of files) {
    it(`${f} verifies: brian@dehamer.com, logged 2023-07-12`, async () => {
      // the statement's subject is an npm tarball (sha512), not in the fixtures: claims are not checked
      const r = await verifier.verify(json(...JS, 'tests-bundles', f), NOTHING, BRIAN, { trustedRoot: PRODUCTION, checkClaims: false });
      assert.equal(r.signer.kind, 'certificate');
      assert.equal(r.signer.san, 'brian@dehamer.com');
      assert.equal(r.signer.issuer, 'https://github.com/login/oauth');
      assert.match(r.signer.keyId ?? '', /^sha256:[0-9a-f]{64}$/);
      assert.equal(r.timeSource, 'tlog');
      assert.match(r.signedAt ?? '', /^2023-07-12T/);
      assert.equal(r.content, 'dsse-envelope');
      assert.equal(r.payload?.type, 'application/vnd.in-toto+json');
      assert.deepEqual(JSON.parse(Buffer.from(r.payload.bytes).toString()), json(...JS, 'tests-bundles', 'statement.json'));
      assert.equal(r.tlog.length, 1);
    });
  }

  it('bundleV01-full-cert-chain.sigstore is refused deliberately: its chain carries the self-signed root (conformance bundle-with-root-cert_fail)', async () => {
    const bundle = json(...JS, 'tests-bundles', 'bundleV01-full-cert-chain.sigstore');
    await refused(
      verifier.verify(bundle, NOTHING, BRIAN, { trustedRoot: PRODUCTION, checkClaims: false }),
      'SIGSTORE_CERTIFICATE_INVALID',
      /self-signed root/,
    );
    // without its root the same bundle verifies: the root is the only reason
    const trimmed = clone(bundle) as { verificationMaterial: { x509CertificateChain: { certificates: unknown[] } } };
    trimmed.verificationMaterial.x509CertificateChain.certificates.pop();
    const r = await verifier.verify(trimmed, NOTHING, BRIAN, { trustedRoot: PRODUCTION, checkClaims: false });
    assert.equal(r.signer.san, 'brian@dehamer.com');
  });

  it('a DSSE statement whose subjects do not include the artifact is refused (claims checked by default)', () =>
    refused(
      verifier.verify(json(...JS, 'tests-bundles', 'bundleV03-dsse.sigstore'), { bytes: Buffer.from('not the tarball') }, BRIAN, {
        trustedRoot: PRODUCTION,
      }),
      'SIGSTORE_ARTIFACT_MISMATCH',
      /provided artifact digest does not match any digest in statement/,
    ));
});

describe('sigstore-js client fixtures (client trusted root)', () => {
  const dir = [...JS, 'client-fixtures'];
  const artifact: SignedArtifact = { bytes: bytes(...dir, 'artifact.txt') };
  const opts: SigstoreVerifyOptions = { trustedRoot: CLIENT_ROOT };

  for (const f of ['v0.2-messageSignature-withSigningCert', 'v0.3-messageSignature-withSigningCert']) {
    it(`${f} verifies over artifact.txt, as a file and as its digest`, async () => {
      const r = await verifier.verify(json(...dir, `${f}.sigstore.json`), artifact, BRIAN, opts);
      assert.equal(r.content, 'message-signature');
      assert.equal(r.signer.san, 'brian@dehamer.com');
      const digest = `sha256:${createHash('sha256')
        .update(bytes(...dir, 'artifact.txt'))
        .digest('hex')}`;
      await verifier.verify(json(...dir, `${f}.sigstore.json`), { digest }, BRIAN, opts);
    });
  }

  it('v0.3-dsse-withSigningCert verifies (claims not checked) against the client root and the production root', async () => {
    for (const trustedRoot of [CLIENT_ROOT, PRODUCTION])
      await verifier.verify(json(...dir, 'v0.3-dsse-withSigningCert.sigstore.json'), NOTHING, BRIAN, { trustedRoot, checkClaims: false });
  });

  it('v0.1-dsse-withPublicKey verifies with key-1.pub; the signer is the key (sha256 of its SPKI DER)', async () => {
    const pem = bytes(...dir, 'key-1.pub').toString();
    const r = await verifier.verify(
      json(...dir, 'v0.1-dsse-withPublicKey.sigstore.json'),
      NOTHING,
      { kind: 'key', publicKeyPem: pem },
      { ...opts, checkClaims: false },
    );
    const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    assert.deepEqual(r.signer, { kind: 'key', keyId: `sha256:${createHash('sha256').update(der).digest('hex')}` });
  });

  it('v0.1 bundles whose chain carries the root (withSigningCert) are refused for that reason, and verify without it', async () => {
    for (const f of ['v0.1-messageSignature-withSigningCert', 'v0.1-dsse-withSigningCert']) {
      const bundle = json(...dir, `${f}.sigstore.json`) as { verificationMaterial: { x509CertificateChain: { certificates: unknown[] } } };
      await refused(
        verifier.verify(bundle, artifact, BRIAN, { ...opts, checkClaims: false }),
        'SIGSTORE_CERTIFICATE_INVALID',
        /self-signed root/,
      );
      const trimmed = clone(bundle);
      trimmed.verificationMaterial.x509CertificateChain.certificates.pop();
      await verifier.verify(trimmed, artifact, BRIAN, { ...opts, checkClaims: false });
    }
  });

  it('another artifact (empty) is refused: the message digest is not its digest', () =>
    refused(
      verifier.verify(json(...dir, 'v0.2-messageSignature-withSigningCert.sigstore.json'), NOTHING, BRIAN, opts),
      'SIGSTORE_ARTIFACT_MISMATCH',
    ));

  it('invalid-v0.1-messageSignature-expiredCert: integrated time outside the leaf → SIGSTORE_CERTIFICATE_INVALID', () =>
    refused(
      verifier.verify(json(...dir, 'invalid-v0.1-messageSignature-expiredCert.sigstore.json'), artifact, BRIAN, opts),
      'SIGSTORE_CERTIFICATE_INVALID',
    ));

  it('invalid-v0.1-dsse-badSignature is refused', async () => {
    const bundle = json(...dir, 'invalid-v0.1-dsse-badSignature.sigstore.json') as {
      verificationMaterial: { x509CertificateChain: { certificates: unknown[] } };
    };
    const trimmed = clone(bundle);
    trimmed.verificationMaterial.x509CertificateChain.certificates.pop();
    await refused(
      verifier.verify(trimmed, NOTHING, BRIAN, { ...opts, checkClaims: false }),
      'SIGSTORE_TLOG_INVALID',
      /payload hash mismatch/,
    );
  });

  it('a newer 0.x media type with the v0.3 shape is accepted (as sigstore-js does); 1.0 is not', async () => {
    const bundle = json(...dir, 'v0.3-messageSignature-withSigningCert.sigstore.json');
    await verifier.verify({ ...bundle, mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.4' }, artifact, BRIAN, opts);
    await refused(
      verifier.verify({ ...bundle, mediaType: 'application/vnd.dev.sigstore.bundle.v1.0+json' }, artifact, BRIAN, opts),
      'SIGSTORE_BUNDLE_UNSUPPORTED',
    );
    await refused(
      verifier.verify({ ...bundle, mediaType: 'application/vnd.oci.image.manifest.v1+json' }, artifact, BRIAN, opts),
      'SIGSTORE_BUNDLE_UNSUPPORTED',
    );
  });
});

describe('sigstore-js verify fixtures (verify trusted root)', () => {
  const dir = [...JS, 'verify-fixtures'];
  const artifact: SignedArtifact = { bytes: bytes(...dir, 'artifact.txt') };
  const opts: SigstoreVerifyOptions = { trustedRoot: VERIFY_ROOT, checkClaims: false };

  it('mock-TSA, public-key and DSSE (intoto, dsse) bundles verify', async () => {
    await verifier.verify(json(...dir, 'v0.1-messageSignature-withSigningCert-mockTSA.sigstore.json'), artifact, BRIAN, opts);
    await verifier.verify(json(...dir, 'v0.1-dsse-withSigningCert-TLOG_INTOTO.sigstore.json'), NOTHING, BRIAN, opts);
    await verifier.verify(json(...dir, 'v0.1-dsse-withSigningCert-TLOG_DSSE.sigstore.json'), NOTHING, BRIAN, opts);
    const key: SigstorePolicy = { kind: 'key', publicKeyPem: bytes(...dir, 'public-key.pem').toString() };
    const r = await verifier.verify(json(...dir, 'v0.1-messageSignature-withPublicKey.sigstore.json'), artifact, key, opts);
    assert.equal(r.signer.kind, 'key');
  });

  it('Rekor v2 bundles (dsse 0.0.2, hashedrekord 0.0.2) verify on their RFC 3161 time, against the verify and the production root', async () => {
    for (const trustedRoot of [VERIFY_ROOT, PRODUCTION]) {
      const d = await verifier.verify(json(...dir, 'v0.3-dsse-withSigningCert-TLOG_DSSEV002.sigstore.json'), NOTHING, BRIAN, {
        trustedRoot,
        checkClaims: false,
      });
      assert.equal(d.timeSource, 'tsa');
      const m = await verifier.verify(json(...dir, 'v0.3-messageSignature-TLOG_HASHEDREKORDV002.sigstore.json'), artifact, BRIAN, {
        trustedRoot,
      });
      assert.equal(m.timeSource, 'tsa');
      assert.match(m.signedAt ?? '', /^2025-12-14T/);
    }
  });

  it('WITH_SIGNING_CERT has no log entry: refused (SIGSTORE_TLOG_MISSING), accepted with ignoreTlog on its TSA time', async () => {
    const bundle = json(...dir, 'v0.3-messageSignature-WITH_SIGNING_CERT.sigstore.json');
    await refused(verifier.verify(bundle, artifact, BRIAN, opts), 'SIGSTORE_TLOG_MISSING');
    const r = await verifier.verify(bundle, artifact, BRIAN, { ...opts, ignoreTlog: true });
    assert.equal(r.timeSource, 'tsa');
    assert.deepEqual(r.tlog, []);
    // its mock TSA is not in the production root
    await refused(
      verifier.verify(bundle, artifact, BRIAN, { ...opts, trustedRoot: PRODUCTION, ignoreTlog: true }),
      'SIGSTORE_TIMESTAMP_INVALID',
    );
  });
});

describe("cosign's OCI attestation bundle", () => {
  const dir = ['cosign', 'oci-attestation'];
  const bundle = json(...dir, 'oci-attestation.sigstore.json');
  const PGI = json(...dir, 'trusted_root_pgi.json');
  const manifest = bytes(...dir, 'subject-image-manifest.json');
  const digest = 'sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4';

  it('the reconstructed manifest has the attested digest', () =>
    assert.equal(`sha256:${createHash('sha256').update(manifest).digest('hex')}`, digest));

  it("verifies against its trusted root and the production root, by digest and by the manifest's bytes (identity .* / issuer .*)", async () => {
    for (const trustedRoot of [PGI, PRODUCTION]) {
      for (const artifact of [{ digest }, { bytes: manifest }]) {
        const r = await verifier.verify(bundle, artifact, ANYONE, { trustedRoot });
        assert.equal(r.signer.san, 'cody@soyland.com');
        assert.equal(r.signer.issuer, 'https://github.com/login/oauth');
        assert.equal(r.signedAt, '2025-02-28T19:18:11.000Z');
        assert.equal(r.timeSource, 'tlog');
        assert.deepEqual(r.tlog, [{ logIndex: '175508996', logId: r.tlog[0]!.logId, integratedTime: '2025-02-28T19:18:11.000Z' }]);
        const statement = JSON.parse(Buffer.from(r.payload!.bytes).toString()) as { predicateType: string };
        assert.equal(statement.predicateType, 'https://cosign.sigstore.dev/attestation/v1');
      }
    }
  });

  it('subject regexp `wrong` does not match', () =>
    refused(
      verifier.verify(
        bundle,
        { digest },
        { kind: 'identity', identity: { regexp: 'wrong' }, issuer: { regexp: '.*' } },
        { trustedRoot: PGI },
      ),
      'SIGSTORE_IDENTITY_MISMATCH',
    ));

  it('another image digest: "provided artifact digest does not match any digest in statement"', () =>
    refused(
      verifier.verify(bundle, { digest: `sha256:${'0'.repeat(64)}` }, ANYONE, { trustedRoot: PGI }),
      'SIGSTORE_ARTIFACT_MISMATCH',
      /provided artifact digest does not match any digest in statement/,
    ));

  it('regexps are unanchored as Go regexp.MatchString (cosign): a fragment matches, anchors and (?i) work, RE2-foreign syntax is refused', async () => {
    const id = (identity: StringMatcher): SigstorePolicy => ({
      kind: 'identity',
      identity,
      issuer: { exact: 'https://github.com/login/oauth' },
    });
    await verifier.verify(bundle, { digest }, id({ regexp: 'soyland' }), { trustedRoot: PGI });
    await verifier.verify(bundle, { digest }, id({ regexp: '^cody@soyland\\.com$' }), { trustedRoot: PGI });
    await verifier.verify(bundle, { digest }, id({ regexp: '(?i)^CODY@' }), { trustedRoot: PGI });
    await refused(verifier.verify(bundle, { digest }, id({ regexp: '^soyland' }), { trustedRoot: PGI }), 'SIGSTORE_IDENTITY_MISMATCH');
    await refused(verifier.verify(bundle, { digest }, id({ exact: 'soyland' }), { trustedRoot: PGI }), 'SIGSTORE_IDENTITY_MISMATCH');
    await refused(verifier.verify(bundle, { digest }, id({ regexp: '(?=cody)' }), { trustedRoot: PGI }), 'SIGSTORE_POLICY_INVALID');
    await refused(verifier.verify(bundle, { digest }, id({ regexp: '(' }), { trustedRoot: PGI }), 'SIGSTORE_POLICY_INVALID');
    await refused(
      verifier.verify(
        bundle,
        { digest },
        { kind: 'identity', identity: { regexp: '.*' }, issuer: { exact: 'https://accounts.google.com' } },
        { trustedRoot: PGI },
      ),
      'SIGSTORE_IDENTITY_MISMATCH',
      /OIDC issuer/,
    );
  });

  it('a certificate bundle under a key policy is refused', () =>
    refused(
      verifier.verify(
        bundle,
        { digest },
        { kind: 'key', publicKeyPem: bytes('cosign', 'keys', 'release-cosign.pub').toString() },
        { trustedRoot: PGI },
      ),
      'SIGSTORE_KEY_MISMATCH',
      /Fulcio certificate/,
    ));

  it('the digest argument must be sha256:<64 hex>', () =>
    refused(verifier.verify(bundle, { digest: 'sha512:abcd' }, ANYONE, { trustedRoot: PGI }), 'SIGSTORE_DIGEST_UNSUPPORTED'));
});
