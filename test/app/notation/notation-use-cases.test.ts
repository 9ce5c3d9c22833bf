/**
 * The notation use cases over an in-memory registry (with and without the referrers API) and
 * test doubles for the envelope signer and verifier: where signatures are stored and found,
 * which signature decides, which code a refusal carries, and the limits on what is read.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NotationErrorCode } from '../../../src/app/notation/errors.js';
import { parseArtifactReference } from '../../../src/app/notation/artifact-reference.js';
import { inspectSignatures } from '../../../src/app/notation/inspect-signatures.js';
import { formatSignatureListing, listSignatures } from '../../../src/app/notation/list-signatures.js';
import { NotationFormatVerifier, subjectDn } from '../../../src/app/notation/notation-format-verifier.js';
import { NotationRepository } from '../../../src/app/notation/notation-repository.js';
import type { EnvelopeSigner, TrustPolicySource } from '../../../src/app/notation/ports.js';
import { signArtifact } from '../../../src/app/notation/sign-artifact.js';
import { CREATED_ANNOTATION, NOTATION_ARTIFACT_TYPE, THUMBPRINT_ANNOTATION } from '../../../src/app/notation/signature-manifest.js';
import { NotationVerificationError, verifyArtifact } from '../../../src/app/notation/verify-artifact.js';
import { DctError, isDctError } from '../../../src/core/errors.js';
import type { Descriptor } from '../../../src/core/oci/descriptor.js';
import { digestOf } from '../../../src/core/oci/digest.js';
import { OCI_MEDIA_TYPES } from '../../../src/core/oci/media-types.js';
import type { NotationCheck } from '../../../src/core/notation/verification-types.js';

import { e2eCert, fakeSigner, fakeVerifier, NOW, policy, withImage } from './notation-doubles.js';
const ref = (s: string) => parseArtifactReference(s);

async function sign(
  repo: NotationRepository,
  reference: string,
  opts: { fail?: NotationCheck; forceTag?: boolean; metadata?: Record<string, string> } = {},
) {
  return signArtifact({
    repository: repo,
    reference: ref(reference),
    signer: fakeSigner(opts.fail),
    format: 'jws',
    now: NOW,
    forceReferrersTag: opts.forceTag ?? true,
    ...(opts.metadata ? { userMetadata: opts.metadata } : {}),
  });
}

async function refusal(p: Promise<unknown>): Promise<NotationVerificationError | Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  assert.fail('expected a refusal');
}

describe('notation sign: the signature manifest and where it is stored', () => {
  it('writes the OCI 1.1 signature manifest with the empty config, the envelope layer, subject and annotations', async () => {
    const { registry, repo, image } = withImage(false);
    const signed = await sign(repo, 'registry.test/app:v1');
    assert.equal(signed.reference, `registry.test/app@${image.digest}`);
    assert.equal(signed.fromTag, true);
    const m = JSON.parse((registry.manifests.get(signed.signatureDigest) as { bytes: Buffer }).bytes.toString()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(m), ['schemaVersion', 'mediaType', 'artifactType', 'config', 'layers', 'subject', 'annotations']);
    assert.equal(m['artifactType'], NOTATION_ARTIFACT_TYPE);
    assert.deepEqual(m['config'], {
      mediaType: 'application/vnd.oci.empty.v1+json',
      digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
      size: 2,
      data: 'e30=',
    });
    assert.deepEqual(m['subject'], image);
    const layers = m['layers'] as Descriptor[];
    assert.equal(layers.length, 1);
    assert.equal(layers[0]?.mediaType, 'application/jose+json');
    const annotations = m['annotations'] as Record<string, string>;
    assert.deepEqual(JSON.parse(annotations[THUMBPRINT_ANNOTATION] as string), [e2eCert.fingerprint256.replaceAll(':', '').toLowerCase()]);
    assert.equal(annotations[CREATED_ANNOTATION], '2026-01-01T00:00:00Z');
  });

  it('refuses user metadata under the reserved io.cncf.notary prefix, as notation', async () => {
    const { repo } = withImage(false);
    const err = await refusal(sign(repo, 'registry.test/app:v1', { metadata: { 'io.cncf.notary.x': 'y' } }));
    assert.ok(isDctError(err, 'NOTATION_INVALID_OPTION'));
    assert.equal(err.message, 'error adding user metadata: metadata key io.cncf.notary.x has reserved prefix io.cncf.notary');
  });

  it('by default (--force-referrers-tag) lists the signature in the sha256-<hex> index, even on a registry with the referrers API', async () => {
    const { registry, repo, image } = withImage(true);
    const signed = await sign(repo, `registry.test/app@${image.digest}`);
    assert.equal(signed.via, 'tag');
    assert.ok(registry.tags.has(image.digest.replace(':', '-')));
    await sign(repo, `registry.test/app@${image.digest}`, { metadata: { a: 'b' } });
    const index = JSON.parse(
      (registry.manifests.get(registry.tags.get(image.digest.replace(':', '-')) as string) as { bytes: Buffer }).bytes.toString(),
    ) as {
      manifests: Descriptor[];
    };
    assert.equal(index.manifests.length, 2);
    assert.ok(index.manifests.every((d) => d.artifactType === NOTATION_ARTIFACT_TYPE));
  });

  it('with --force-referrers-tag=false uses the referrers API when there is one, else falls back to the tag schema', async () => {
    const api = withImage(true);
    const a = await sign(api.repo, 'registry.test/app:v1', { forceTag: false });
    assert.equal(a.via, 'api');
    assert.equal(api.registry.tags.has(api.image.digest.replace(':', '-')), false);
    const plain = withImage(false);
    const b = await sign(plain.repo, 'registry.test/app:v1', { forceTag: false });
    assert.equal(b.via, 'tag');
    assert.ok(plain.registry.tags.has(plain.image.digest.replace(':', '-')));
  });
});

describe('notation verify: the loop over signatures', () => {
  for (const referrersApi of [true, false]) {
    it(`verifies a signature it signed (${referrersApi ? 'referrers API' : 'tag schema'}), the statement asked with the digest reference`, async () => {
      const { repo, image } = withImage(referrersApi);
      await sign(repo, 'registry.test/app:v1', { forceTag: !referrersApi });
      const p = policy();
      const result = await verifyArtifact({
        repository: repo,
        reference: ref('registry.test/app:v1'),
        policy: p,
        verifier: fakeVerifier(),
        now: NOW,
      });
      assert.equal(result.verified?.verdict, 'verified');
      assert.equal(result.reference, `registry.test/app@${image.digest}`);
      assert.deepEqual(p.asked, [`registry.test/app@${image.digest}`]);
    });
  }

  it('passes as soon as one signature passes: a failing one first, then a good one', async () => {
    const { repo } = withImage(false);
    await sign(repo, 'registry.test/app:v1', { fail: 'authenticity' });
    await sign(repo, 'registry.test/app:v1');
    const result = await verifyArtifact({
      repository: repo,
      reference: ref('registry.test/app:v1'),
      policy: policy(),
      verifier: fakeVerifier(),
      now: NOW,
    });
    assert.equal(result.failures.length, 1);
    assert.equal(result.failures[0]?.code, 'NOTATION_CHECK_AUTHENTICITY_FAILED');
    assert.equal(result.verified?.verdict, 'verified');
  });

  const cases: Array<[NotationCheck, NotationErrorCode]> = [
    ['integrity', 'NOTATION_CHECK_INTEGRITY_FAILED'],
    ['authenticity', 'NOTATION_CHECK_AUTHENTICITY_FAILED'],
    ['authenticTimestamp', 'NOTATION_CHECK_TIMESTAMP_FAILED'],
    ['expiry', 'NOTATION_CHECK_EXPIRY_FAILED'],
    ['revocation', 'NOTATION_CHECK_REVOCATION_FAILED'],
  ];
  for (const [check, code] of cases) {
    it(`refuses with ${code} when ${check} fails at strict, in notation's words`, async () => {
      const { repo, image } = withImage(false);
      await sign(repo, 'registry.test/app:v1', { fail: check });
      const err = await refusal(
        verifyArtifact({ repository: repo, reference: ref('registry.test/app:v1'), policy: policy(), verifier: fakeVerifier(), now: NOW }),
      );
      assert.ok(err instanceof NotationVerificationError, String(err));
      assert.equal(err.code, code);
      assert.equal(err.message, `signature verification failed for all the signatures associated with registry.test/app@${image.digest}`);
      assert.match(err.failures[0]?.reason ?? '', new RegExp(`^${check} validation failed`));
    });
  }

  it('at permissive an expiry failure is a warning, not a refusal', async () => {
    const { repo } = withImage(false);
    await sign(repo, 'registry.test/app:v1', { fail: 'expiry' });
    const result = await verifyArtifact({
      repository: repo,
      reference: ref('registry.test/app:v1'),
      policy: policy('permissive'),
      verifier: fakeVerifier(),
      now: NOW,
    });
    assert.deepEqual(
      result.verified?.warnings.map((w) => [w.check, w.action]),
      [['expiry', 'log']],
    );
  });

  it('at skip verifies nothing and says so', async () => {
    const { repo } = withImage(false);
    const calls = { n: 0 };
    const result = await verifyArtifact({
      repository: repo,
      reference: ref('registry.test/app:v1'),
      policy: policy('skip'),
      verifier: fakeVerifier(calls),
      now: NOW,
    });
    assert.equal(result.skipped, true);
    assert.equal(calls.n, 0);
  });

  it('mixed failures give NOTATION_VERIFICATION_FAILED with each failure kept', async () => {
    const { repo } = withImage(false);
    await sign(repo, 'registry.test/app:v1', { fail: 'integrity' });
    await sign(repo, 'registry.test/app:v1', { fail: 'expiry' });
    const err = await refusal(
      verifyArtifact({ repository: repo, reference: ref('registry.test/app:v1'), policy: policy(), verifier: fakeVerifier(), now: NOW }),
    );
    assert.ok(isDctError(err, 'NOTATION_VERIFICATION_FAILED'));
    assert.deepEqual(
      (err as NotationVerificationError).failures.map((f) => f.code),
      ['NOTATION_CHECK_INTEGRITY_FAILED', 'NOTATION_CHECK_EXPIRY_FAILED'],
    );
  });

  it('a signature for another digest, attached to this one, is refused with NOTATION_SUBJECT_MISMATCH', async () => {
    const { registry, repo, image } = withImage(false);
    const other: Descriptor = { mediaType: OCI_MEDIA_TYPES.manifest, digest: digestOf(Buffer.from('other')), size: 5 };
    const signer: EnvelopeSigner = {
      sign: async (req) => fakeSigner().sign({ ...req, targetArtifact: other }),
    };
    await signArtifact({
      repository: repo,
      reference: ref('registry.test/app:v1'),
      signer,
      format: 'jws',
      now: NOW,
      forceReferrersTag: true,
    });
    assert.ok(registry.tags.has(image.digest.replace(':', '-')));
    const err = await refusal(
      verifyArtifact({ repository: repo, reference: ref('registry.test/app:v1'), policy: policy(), verifier: fakeVerifier(), now: NOW }),
    );
    assert.ok(isDctError(err, 'NOTATION_SUBJECT_MISMATCH'), String(err));
  });

  it('required user metadata must be in the signed payload', async () => {
    const { repo } = withImage(false);
    await sign(repo, 'registry.test/app:v1', { metadata: { buildId: '123' } });
    const base = { repository: repo, reference: ref('registry.test/app:v1'), policy: policy(), verifier: fakeVerifier(), now: NOW };
    assert.ok((await verifyArtifact({ ...base, userMetadata: { buildId: '123' } })).verified);
    const err = await refusal(verifyArtifact({ ...base, userMetadata: { buildId: '321' } }));
    assert.ok(isDctError(err, 'NOTATION_USER_METADATA_MISMATCH'));
  });

  it('an unsigned artifact: NOTATION_NO_SIGNATURE with notation text', async () => {
    const { repo, image } = withImage(false);
    const err = await refusal(
      verifyArtifact({ repository: repo, reference: ref('registry.test/app:v1'), policy: policy(), verifier: fakeVerifier(), now: NOW }),
    );
    assert.ok(isDctError(err, 'NOTATION_NO_SIGNATURE'));
    assert.equal(
      err.message,
      `signature verification failed: no signature is associated with "registry.test/app@${image.digest}", make sure the artifact was signed successfully`,
    );
  });

  it('an unknown tag: NOTATION_ARTIFACT_NOT_FOUND; a reference without tag or digest: NOTATION_BAD_REFERENCE', async () => {
    const { repo } = withImage(false);
    const err = await refusal(
      verifyArtifact({ repository: repo, reference: ref('registry.test/app:nope'), policy: policy(), verifier: fakeVerifier(), now: NOW }),
    );
    assert.ok(isDctError(err, 'NOTATION_ARTIFACT_NOT_FOUND'));
    assert.throws(
      () => parseArtifactReference('registry.test/app'),
      (e: unknown) => isDctError(e, 'NOTATION_BAD_REFERENCE'),
    );
    assert.throws(
      () => parseArtifactReference('app:v1'),
      (e: unknown) => isDctError(e, 'NOTATION_BAD_REFERENCE'),
    );
  });

  it('a registry that answers a digest with another manifest: NOTATION_DIGEST_MISMATCH', async () => {
    const { registry, repo, image } = withImage(false);
    const claimed = digestOf(Buffer.from('claimed'));
    registry.manifests.set(claimed, registry.manifests.get(image.digest) as never);
    const err = await refusal(
      verifyArtifact({
        repository: repo,
        reference: ref(`registry.test/app@${claimed}`),
        policy: policy(),
        verifier: fakeVerifier(),
        now: NOW,
      }),
    );
    assert.ok(isDctError(err, 'NOTATION_DIGEST_MISMATCH'), String(err));
    assert.equal(err.message, `user input digest ${claimed} does not match the resolved digest ${image.digest}`);
  });

  it('a listed manifest that is not a Notation signature fails that signature (NOTATION_BAD_SIGNATURE_MANIFEST), not the run', async () => {
    const { registry, repo, image } = withImage(false);
    const foreign = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MEDIA_TYPES.manifest,
        artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json',
        config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: digestOf(Buffer.from('{}')), size: 2 },
        layers: [],
        subject: image,
      }),
    );
    const foreignDigest = registry.addManifest(foreign, OCI_MEDIA_TYPES.manifest);
    const index = {
      schemaVersion: 2,
      mediaType: OCI_MEDIA_TYPES.index,
      manifests: [
        { mediaType: OCI_MEDIA_TYPES.manifest, digest: foreignDigest, size: foreign.length, artifactType: NOTATION_ARTIFACT_TYPE },
      ],
    };
    registry.addManifest(Buffer.from(JSON.stringify(index)), OCI_MEDIA_TYPES.index, image.digest.replace(':', '-'));
    const err = await refusal(
      verifyArtifact({ repository: repo, reference: ref('registry.test/app:v1'), policy: policy(), verifier: fakeVerifier(), now: NOW }),
    );
    assert.ok(isDctError(err, 'NOTATION_BAD_SIGNATURE_MANIFEST'), String(err));
  });

  it('a referrers index of 10,000 entries: at most --max-signatures are judged, then NOTATION_TOO_MANY_SIGNATURES', async () => {
    const { registry, repo, image } = withImage(false);
    const entries = Array.from({ length: 10_000 }, (_, i) => ({
      mediaType: OCI_MEDIA_TYPES.manifest,
      digest: digestOf(Buffer.from(`missing ${i}`)),
      size: 700,
      artifactType: NOTATION_ARTIFACT_TYPE,
    }));
    registry.addManifest(
      Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MEDIA_TYPES.index, manifests: entries })),
      OCI_MEDIA_TYPES.index,
      image.digest.replace(':', '-'),
    );
    const before = registry.manifestGets;
    const err = await refusal(
      verifyArtifact({ repository: repo, reference: ref('registry.test/app:v1'), policy: policy(), verifier: fakeVerifier(), now: NOW }),
    );
    assert.ok(isDctError(err, 'NOTATION_TOO_MANY_SIGNATURES'), String(err));
    assert.equal((err as NotationVerificationError).failures.length, 100);
    assert.ok(registry.manifestGets - before <= 101, `${registry.manifestGets - before} manifests fetched`);
    const listing = await listSignatures(repo, ref('registry.test/app:v1'), 3);
    assert.equal(listing.signatures.length, 3);
    assert.equal(listing.exceeded, true);
    assert.match(formatSignatureListing(listing), /Warning: exceeded configured limit of max signatures 3 to examine\n$/);
  });

  it('--max-signatures must be positive', async () => {
    const { repo } = withImage(false);
    const err = await refusal(
      verifyArtifact({
        repository: repo,
        reference: ref('registry.test/app:v1'),
        policy: policy(),
        verifier: fakeVerifier(),
        now: NOW,
        maxSignatures: 0,
      }),
    );
    assert.ok(isDctError(err, 'NOTATION_INVALID_OPTION'));
    assert.equal(err.message, 'max-signatures value 0 must be a positive number');
  });
});

describe('notation list and inspect', () => {
  it('lists signature manifest digests as notation prints the tree', async () => {
    const { repo, image } = withImage(false);
    const a = await sign(repo, 'registry.test/app:v1');
    const b = await sign(repo, 'registry.test/app:v1', { metadata: { x: 'y' } });
    const listing = await listSignatures(repo, ref(`registry.test/app@${image.digest}`));
    assert.equal(
      formatSignatureListing(listing),
      `registry.test/app@${image.digest}\n└── ${NOTATION_ARTIFACT_TYPE}\n    ├── ${a.signatureDigest}\n    └── ${b.signatureDigest}\n`,
    );
    const empty = withImage(true);
    assert.equal(
      formatSignatureListing(await listSignatures(empty.repo, ref('registry.test/app:v1'))),
      `registry.test/app@${empty.image.digest} has no associated signature\n`,
    );
  });

  it('inspect skips an envelope it cannot parse, with notation warning', async () => {
    const { repo } = withImage(false);
    const signed = await sign(repo, 'registry.test/app:v1');
    const inspection = await inspectSignatures(repo, ref('registry.test/app:v1'), {
      inspect: () => {
        throw new Error('malformed');
      },
    });
    assert.deepEqual(inspection.skipped, [`Warning: Skipping signature ${signed.signatureDigest} because of error: malformed`]);
  });
});

describe('NotationFormatVerifier: one report per signature', () => {
  it('reports each signature with signer, time source, location and code', async () => {
    const { registry, repo, image } = withImage(false);
    const good = await sign(repo, 'registry.test/app:v1');
    const bad = await sign(repo, 'registry.test/app:v1', { fail: 'authenticity' });
    void repo;
    const verifier = new NotationFormatVerifier({
      openRegistry: () => Promise.resolve(registry),
      policy: policy(),
      verifier: fakeVerifier(),
      now: () => NOW,
    });
    const reports = await verifier.verify({ registry: 'registry.test', repository: 'app', digest: image.digest });
    assert.equal(reports.length, 2);
    assert.deepEqual(
      reports.map((r) => [r.verdict, r.code, r.foundAt.reference, r.foundAt.via]),
      [
        ['verified', undefined, `registry.test/app@${good.signatureDigest}`, 'referrers-tag'],
        ['failed', 'NOTATION_CHECK_AUTHENTICITY_FAILED', `registry.test/app@${bad.signatureDigest}`, 'referrers-tag'],
      ],
    );
    assert.equal(reports[0]?.signer?.subject, 'CN=e2e,O=Notary,L=Seattle,ST=WA,C=US');
    assert.equal(subjectDn(e2eCert), 'CN=e2e,O=Notary,L=Seattle,ST=WA,C=US');
    assert.match(reports[0]?.signer?.keyId ?? '', /^sha256:[0-9a-f]{64}$/);
    assert.equal(reports[0]?.timeSource, 'claimed');
    assert.equal(reports[0]?.signedAt, '2026-01-01T00:00:00.000Z');
  });

  it('without a trust policy each signature is reported failed with the policy code (the format does not throw)', async () => {
    const { registry, repo, image } = withImage(true);
    await sign(repo, 'registry.test/app:v1');
    const noPolicy: TrustPolicySource = {
      statementFor: () => Promise.reject(new DctError('NOTATION_POLICY_NOT_FOUND', 'trust policy is not present')),
    };
    const verifier = new NotationFormatVerifier({
      openRegistry: () => Promise.resolve(registry),
      policy: noPolicy,
      verifier: fakeVerifier(),
    });
    const reports = await verifier.verify({ registry: 'registry.test', repository: 'app', digest: image.digest });
    assert.deepEqual(
      reports.map((r) => [r.verdict, r.code, r.foundAt.via]),
      [['failed', 'NOTATION_POLICY_NOT_FOUND', 'referrers-api']],
    );
  });

  it('an unsigned image: no reports', async () => {
    const { registry, image } = withImage(true);
    const verifier = new NotationFormatVerifier({
      openRegistry: () => Promise.resolve(registry),
      policy: policy(),
      verifier: fakeVerifier(),
    });
    assert.deepEqual(await verifier.verify({ registry: 'registry.test', repository: 'app', digest: image.digest }), []);
  });
});
