/**
 * verifyEnvelope with the real envelopes: notation-go's signed envelopes and mock envelopes
 * (`TestNotationVerificationCombinations`, `TestVerifyUserMetadata`, plugin envelopes), the
 * notation CLI's e2e signatures (valid, expired, expired certificate, wrong store) and blob
 * signatures, at the levels notation runs them, with notation's messages.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { EnvelopeCheckOutcome } from '../../../../src/adapters/notation/envelope/verify-envelope.js';
import { verifyEnvelopeSync } from '../../../../src/adapters/notation/envelope/verify-envelope.js';
import type {
  EnvelopeVerificationOutcome,
  NotationCheck,
  VerificationLevelName,
} from '../../../../src/core/notation/verification-types.js';
import { COSE, JWS, input, notationFixture, notationFixturePath, trustStore } from './notation-fixtures.js';

const check = (out: EnvelopeVerificationOutcome, name: NotationCheck): EnvelopeCheckOutcome | undefined =>
  out.checks.find((c) => c.check === name);
const failed = (out: EnvelopeVerificationOutcome) => out.checks.filter((c) => !c.ok).map((c) => `${c.check}: ${c.error ?? ''}`);
const LEVELS: VerificationLevelName[] = ['strict', 'permissive', 'audit'];

describe('notation-go envelopes/{jws,cose}_signature.sig', () => {
  for (const [file, mediaType] of [
    ['jws_signature.sig', JWS],
    ['cose_signature.sig', COSE],
  ] as const) {
    const bytes = notationFixture('notation-go', 'envelopes', file);
    const alpineSubject = {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: 'sha256:19dbd2e48e921426ee8ace4dc892edfb2ecdc1d1a72d5416c83670c30acecef0',
      size: 481,
    };

    it(`${file}: integrity valid; authenticity fails with no trust store`, () => {
      const out = verifyEnvelopeSync(input(bytes, mediaType));
      assert.equal(check(out, 'integrity')?.ok, true);
      assert.equal(check(out, 'authenticity')?.code, 'NOTATION_UNTRUSTED_SIGNER');
      assert.equal(out.verdict, 'failed');
      assert.deepEqual(out.targetArtifact, alpineSubject);
    });

    it(`${file}: verifies with x5c[0] in a ca store and the matching subject`, () => {
      const leaf = verifyEnvelopeSync(input(bytes, mediaType)).chain[0]!;
      const out = verifyEnvelopeSync({
        ...input(bytes, mediaType, { anchors: { ca: [leaf] }, identities: ['x509.subject:CN=alpine,O=Notary,L=Seattle,ST=WA,C=US'] }),
        expectedSubject: alpineSubject,
      });
      assert.equal(out.verdict, 'verified', failed(out).join('; '));
      assert.equal(out.signingScheme, 'notary.x509');
      assert.equal(out.signingTime, file.startsWith('jws') ? '2023-03-14T08:10:02.000Z' : '2023-03-14T04:45:22.000Z');
    });

    it(`${file}: a signature for another digest is refused with NOTATION_SUBJECT_MISMATCH`, () => {
      const leaf = verifyEnvelopeSync(input(bytes, mediaType)).chain[0]!;
      for (const other of [
        { ...alpineSubject, digest: 'sha256:' + 'ab'.repeat(32) },
        { ...alpineSubject, size: 482 },
        { ...alpineSubject, mediaType: 'application/vnd.docker.distribution.manifest.v2+json' },
      ]) {
        const out = verifyEnvelopeSync({ ...input(bytes, mediaType, { anchors: { ca: [leaf] } }), expectedSubject: other });
        assert.equal(out.verdict, 'failed');
        assert.equal(check(out, 'integrity')?.code, 'NOTATION_SUBJECT_MISMATCH');
      }
    });

    it(`${file}: a foreign certificate in the ca store is refused (NOTATION_UNTRUSTED_SIGNER)`, () => {
      const e2e = new X509Certificate(notationFixture('notation-cli', 'localkeys', 'e2e.crt'));
      const out = verifyEnvelopeSync(input(bytes, mediaType, { anchors: { ca: [e2e] } }));
      assert.equal(check(out, 'authenticity')?.code, 'NOTATION_UNTRUSTED_SIGNER');
      assert.equal(check(out, 'authenticity')?.error, "the signature's certificate chain does not contain any trusted certificate");
    });

    it(`${file}: at level skip nothing is checked`, () => {
      const out = verifyEnvelopeSync(input(bytes, mediaType, { level: 'skip' }));
      assert.equal(out.verdict, 'skipped');
      assert.ok(out.checks.every((c) => c.action === 'skip'));
    });

    it(`${file}: read as the other media type it is refused as malformed`, () => {
      const out = verifyEnvelopeSync(input(bytes, mediaType === JWS ? COSE : JWS));
      assert.equal(check(out, 'integrity')?.code, 'NOTATION_ENVELOPE_MALFORMED');
    });
  }
});

describe('notation-go mock envelopes (TestNotationVerificationCombinations)', () => {
  const anchors = { ca: trustStore('ca', 'valid-trust-store'), signingAuthority: trustStore('signingAuthority', 'valid-trust-store') };
  const identities = ['x509.subject:CN=Notation Test Root,O=Notary,L=Seattle,ST=WA,C=US'];
  const mock = (name: string) => notationFixture('notation-go', 'mock-envelopes', name);
  const netMonitor = {
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    digest: 'sha256:60043cf45eaebc4c0867fea485a039b598f52fd09fd5b07b0b2d2f88fad9d74e',
    size: 528,
  };

  for (const scheme of ['ca', 'sa'] as const) {
    for (const level of LEVELS) {
      it(`${scheme}_valid_sig_env.json at ${level}: integrity, authenticity, expiry pass`, () => {
        const out = verifyEnvelopeSync({
          ...input(mock(`${scheme}_valid_sig_env.json`), JWS, { anchors, identities, level }),
          expectedSubject: netMonitor,
        });
        assert.equal(out.verdict, 'verified', failed(out).join('; '));
        assert.deepEqual(failed(out), []);
        assert.equal(out.signingScheme, scheme === 'ca' ? 'notary.x509' : 'notary.x509.signingAuthority');
        assert.equal(out.chain.length, 2);
      });

      it(`${scheme}_invalid_sig_env.json at ${level}: integrity fails`, () => {
        const out = verifyEnvelopeSync(input(mock(`${scheme}_invalid_sig_env.json`), JWS, { anchors, identities, level }));
        assert.equal(out.verdict, 'failed');
        assert.equal(check(out, 'integrity')?.code, 'NOTATION_SIGNATURE_INVALID');
        assert.equal(check(out, 'integrity')?.error, 'signature is invalid. Error: illegal base64 data at input byte 242');
      });

      it(`${scheme}_expired_sig_env.json at ${level}: expiry ${level === 'strict' ? 'fails' : 'is logged'}`, () => {
        const out = verifyEnvelopeSync(input(mock(`${scheme}_expired_sig_env.json`), JWS, { anchors, identities, level }));
        const expiry = check(out, 'expiry');
        assert.equal(expiry?.ok, false);
        assert.equal(expiry?.code, 'NOTATION_SIGNATURE_EXPIRED');
        assert.equal(expiry?.error, 'digital signature has expired on "Fri, 29 Jul 2022 23:59:00 +0000"');
        assert.equal(out.verdict, level === 'strict' ? 'failed' : 'verified');
      });
    }
  }

  it('ca_valid_sig_env.json with valid-trust-store-2 (GlobalSign R3 only): authenticity fails', () => {
    const wrong = { ca: trustStore('ca', 'valid-trust-store-2'), signingAuthority: trustStore('signingAuthority', 'valid-trust-store-2') };
    for (const level of ['strict', 'permissive'] as const) {
      const out = verifyEnvelopeSync(input(mock('ca_valid_sig_env.json'), JWS, { anchors: wrong, identities, level }));
      assert.equal(out.verdict, 'failed');
      assert.equal(check(out, 'authenticity')?.error, "the signature's certificate chain does not contain any trusted certificate");
    }
    const audit = verifyEnvelopeSync(input(mock('ca_valid_sig_env.json'), JWS, { anchors: wrong, identities, level: 'audit' }));
    assert.equal(audit.verdict, 'verified');
    assert.equal(check(audit, 'authenticity')?.ok, false);
  });

  it('ca_valid_sig_env.json with trusted identity CN=LOL…: identity mismatch', () => {
    const out = verifyEnvelopeSync(
      input(mock('ca_valid_sig_env.json'), JWS, { anchors, identities: ['x509.subject:CN=LOL,O=DummyOrg,L=Hyderabad,ST=TG,C=IN'] }),
    );
    assert.equal(out.verdict, 'failed');
    assert.equal(check(out, 'authenticity')?.code, 'NOTATION_IDENTITY_MISMATCH');
    assert.equal(
      check(out, 'authenticity')?.error,
      'signing certificate from the digital signature does not match the X.509 trusted identities [map["C":"IN" "CN":"LOL" "L":"Hyderabad" "O":"DummyOrg" "ST":"TG"]] defined in the trust policy',
    );
  });

  it('sa_valid_sig_env.json needs the signingAuthority store: a ca store alone does not make it authentic', () => {
    const out = verifyEnvelopeSync(input(mock('sa_valid_sig_env.json'), JWS, { anchors: { ca: anchors.ca }, identities }));
    assert.equal(check(out, 'authenticity')?.code, 'NOTATION_UNTRUSTED_SIGNER');
  });

  it('media type application/unsupported+json is refused with notation’s text', () => {
    const out = verifyEnvelopeSync(input(mock('ca_valid_sig_env.json'), 'application/unsupported+json', { anchors, identities }));
    assert.equal(check(out, 'integrity')?.code, 'NOTATION_ENVELOPE_UNSUPPORTED');
    assert.equal(
      check(out, 'integrity')?.error,
      'signature envelope format with media type "application/unsupported+json" is not supported',
    );
  });

  const pluginFiles = readdirSync(notationFixturePath('notation-go', 'mock-envelopes')).filter((f) => f.includes('plugin'));
  for (const file of pluginFiles) {
    it(`${file}: names a verification plugin, refused at every level (dct runs no plugins)`, () => {
      for (const level of LEVELS) {
        const out = verifyEnvelopeSync(input(mock(file), JWS, { anchors: { ...anchors, ca: [...anchors.ca] }, level }));
        assert.equal(out.verdict, 'failed');
        assert.equal(check(out, 'integrity')?.code, 'NOTATION_VERIFICATION_PLUGIN_UNSUPPORTED');
        assert.match(
          check(out, 'integrity')?.error ?? '',
          /^error while locating the verification plugin "(plugin-name|io\.cncf\.notary\.plugin\.unittest\.mock)"/,
        );
      }
    });
  }

  it('sig_env_with_metadata.json at audit: user metadata is the target annotations (TestVerifyUserMetadata)', () => {
    const out = verifyEnvelopeSync(input(mock('sig_env_with_metadata.json'), JWS, { level: 'audit', anchors }));
    assert.equal(out.verdict, 'verified', failed(out).join('; '));
    assert.deepEqual(out.userMetadata, { 'io.wabbit-networks.buildId': '123', 'io.wabbit-networks.buildTime': '1672944615' });
    const has = (want: Record<string, string>) => Object.entries(want).every(([k, v]) => out.userMetadata?.[k] === v);
    assert.ok(
      has({}) &&
        has({ 'io.wabbit-networks.buildId': '123' }) &&
        has({ 'io.wabbit-networks.buildId': '123', 'io.wabbit-networks.buildTime': '1672944615' }),
    );
    assert.ok(
      !has({ 'io.wabbit-networks.buildId': '321' }) && !has({ 'io.wabbit-networks.buildId': '123', 'io.wabbit-networks.buildTime': '1' }),
    );
    assert.equal(check(out, 'authenticity')?.ok, false); // its signer is in no store
  });
});

describe('notation CLI e2e signatures', () => {
  const blob = (layout: string, digest: string) => notationFixture('notation-cli', 'oci-layouts', layout, 'blobs', 'sha256', digest);
  const e2e = new X509Certificate(notationFixture('notation-cli', 'localkeys', 'e2e.crt'));
  const valid = blob('e2e-valid-signature', 'c9af07e038b2b1a463e648986ad7273157511ffeba0b689f33e5472bae471f50');
  const image = {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: 'sha256:b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9',
    size: 517,
  };

  for (const level of LEVELS)
    it(`e2e-valid-signature passes at ${level} with ca:e2e = e2e.crt`, () => {
      const out = verifyEnvelopeSync({ ...input(valid, JWS, { anchors: { ca: [e2e] }, level }), expectedSubject: image });
      assert.equal(out.verdict, 'verified', failed(out).join('; '));
      assert.deepEqual(failed(out), []);
    });

  it('e2e-valid-signature with ca:e2e = new_e2e.crt: authenticity fails at strict/permissive, warns at audit', () => {
    const other = new X509Certificate(notationFixture('notation-cli', 'localkeys', 'new_e2e.crt'));
    for (const level of LEVELS) {
      const out = verifyEnvelopeSync(input(valid, JWS, { anchors: { ca: [other] }, level }));
      assert.equal(out.verdict, level === 'audit' ? 'verified' : 'failed');
      assert.equal(check(out, 'authenticity')?.error, "the signature's certificate chain does not contain any trusted certificate");
    }
  });

  it('e2e-valid-signature with trusted identities: a matching subset passes, C=USB does not', () => {
    const ok = verifyEnvelopeSync(
      input(valid, JWS, { anchors: { ca: [e2e] }, identities: ['x509.subject: CN=e2e,O=Notary,L=Seattle,ST=WA,C=US'] }),
    );
    assert.equal(ok.verdict, 'verified', failed(ok).join('; '));
    const bad = verifyEnvelopeSync(
      input(valid, JWS, { anchors: { ca: [e2e] }, identities: ['x509.subject:CN=e2e,O=Notary,L=Seattle,ST=WA,C=USB'] }),
    );
    assert.equal(check(bad, 'authenticity')?.code, 'NOTATION_IDENTITY_MISMATCH');
  });

  it('e2e-expired-signature: expiry fails at strict, is logged at permissive and audit', () => {
    const expired = blob('e2e-expired-signature', 'b5f927564088f65dad86c81bcdd0b55415a8b4c9a0a5391107210e0cdb305cc7');
    for (const level of LEVELS) {
      const out = verifyEnvelopeSync(input(expired, JWS, { anchors: { ca: [e2e] }, level }));
      assert.equal(out.verdict, level === 'strict' ? 'failed' : 'verified');
      // the envelope writes its expiry with +08:00, and Go prints a time in the zone it was read with
      assert.match(check(out, 'expiry')?.error ?? '', /^digital signature has expired on "Tue, 27 Jun 2023 13:21:21 \+0800"$/);
    }
    const before = verifyEnvelopeSync(input(expired, JWS, { anchors: { ca: [e2e] }, now: new Date('2023-06-27T05:21:00Z') }));
    assert.equal(before.verdict, 'verified', failed(before).join('; '));
  });

  it('e2e-with-expired-cert: an expired certificate without timestamp fails authenticTimestamp at strict, warns at permissive', () => {
    const env = blob('e2e-with-expired-cert', '8513a5ba473f32b78a87518b732700632c05cde0d59d179275c5c5a8096beeed');
    const expiredCert = new X509Certificate(notationFixture('notation-cli', 'localkeys', 'expired_e2e.crt'));
    const message =
      'verification time is after certificate "O=Internet Widgits Pty Ltd,ST=Some-State,C=AU" validity period, it was expired at "Tue, 27 Jun 2023 06:10:00 +0000"';
    const strict = verifyEnvelopeSync(input(env, JWS, { anchors: { ca: [expiredCert] } }));
    assert.equal(strict.verdict, 'failed');
    assert.equal(check(strict, 'authenticTimestamp')?.code, 'NOTATION_CERTIFICATE_NOT_VALID_NOW');
    assert.equal(check(strict, 'authenticTimestamp')?.error, message);
    for (const level of ['permissive', 'audit'] as const) {
      const out = verifyEnvelopeSync(input(env, JWS, { anchors: { ca: [expiredCert] }, level }));
      assert.equal(out.verdict, 'verified');
      assert.equal(check(out, 'authenticTimestamp')?.error, message);
    }
    const intime = verifyEnvelopeSync(input(env, JWS, { anchors: { ca: [expiredCert] }, now: new Date('2023-06-27T06:09:00Z') }));
    assert.equal(intime.verdict, 'verified', failed(intime).join('; '));
  });

  it('e2e-invalid-signature: its "invalid signature" layer fails integrity; skip level skips', () => {
    const manifest = JSON.parse(
      blob('e2e-invalid-signature', '321fcc674d6771dd0e5bd21e599f2df3a482de99a400fd3a3fe371221b97a9c9').toString(),
    ) as {
      layers: { digest: string }[];
    };
    const layer = blob('e2e-invalid-signature', manifest.layers[0]!.digest.slice('sha256:'.length));
    for (const level of LEVELS) {
      const out = verifyEnvelopeSync(input(layer, JWS, { anchors: { ca: [e2e] }, level }));
      assert.equal(out.verdict, 'failed');
      assert.equal(check(out, 'integrity')?.code, 'NOTATION_ENVELOPE_MALFORMED');
    }
    assert.equal(verifyEnvelopeSync(input(layer, JWS, { level: 'skip' })).verdict, 'skipped');
  });

  it('e2e-with-timestamped-signature and the blob signatures: integrity valid (Microsoft TSA root not shipped)', () => {
    const cases: [Buffer, string][] = [
      [blob('e2e-with-timestamped-signature', '603ff134e97a79cd7a15560b76137c2c4a10451daab11327a7c6f86dac250fee'), JWS],
      [notationFixture('notation-cli', 'signatures', 'blob.jws.sig'), JWS],
      [notationFixture('notation-cli', 'signatures', 'blob.cose.sig'), COSE],
    ];
    for (const [bytes, mediaType] of cases) {
      const first = verifyEnvelopeSync(input(bytes, mediaType, { level: 'audit' }));
      assert.equal(check(first, 'integrity')?.ok, true, failed(first).join('; '));
      // the signer was valid for one day: pinned inside it, with x5c[0] trusted, all passes
      const leaf = first.chain[0]!;
      const now = new Date(new Date(leaf.validFrom).getTime() + 60_000);
      const out = verifyEnvelopeSync(input(bytes, mediaType, { anchors: { ca: [leaf] }, now }));
      assert.equal(out.verdict, 'verified', failed(out).join('; '));
    }
    const blobTarget = verifyEnvelopeSync(input(cases[1]![0], JWS, { level: 'audit' })).targetArtifact;
    assert.deepEqual(blobTarget, {
      mediaType: 'application/octet-stream',
      digest: 'sha256:c71d239df91726fc519c6eb72d318ec65820627232b2f796219e87dcf35d0ab4',
      size: 11357,
    });
  });
});
