/**
 * How one image's cosign lookups overlap, against a registry that holds every answer until
 * the test releases it: the legacy `.sig` / `.att` manifest is asked for while the referrers
 * are still unanswered; bundle referrers and legacy payloads are read several at a time, never
 * more than the bound; what is found, its order, the failures and the error chosen are those
 * of the one-after-another lookups (whichever answer comes first); and a side that fails while
 * the other is pending leaves no rejection unhandled.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { KeyedBundleVerifier } from '../../../../src/adapters/cosign/keyed-bundle-verifier.js';
import { CosignFormatVerifier } from '../../../../src/app/cosign/cosign-format-verifier.js';
import type { CosignImage } from '../../../../src/app/cosign/cosign-image.js';
import type { CosignVerifyOptions } from '../../../../src/app/cosign/cosign-policy.js';
import { READ_CONCURRENCY } from '../../../../src/app/cosign/find-signatures.js';
import { signImage } from '../../../../src/app/cosign/sign-image.js';
import { verifyAttestation } from '../../../../src/app/cosign/verify-attestation.js';
import { verifyImage } from '../../../../src/app/cosign/verify-image.js';
import { BUNDLE_V03_MEDIA_TYPE } from '../../../../src/core/cosign/bundle-referrer.js';
import { IN_TOTO_PAYLOAD_TYPE } from '../../../../src/core/cosign/intoto-statement.js';
import {
  buildLegacySignatureManifest,
  DSSE_LAYER_MEDIA_TYPE,
  legacyLayerAnnotations,
  legacySignatureLayer,
  legacySignatureTag,
  parseLegacySignatureManifest,
} from '../../../../src/core/cosign/legacy-signatures.js';
import { DctError } from '../../../../src/core/errors.js';
import type { Descriptor } from '../../../../src/core/oci/descriptor.js';
import { OCI_MEDIA_TYPES } from '../../../../src/core/oci/media-types.js';
import type { SignatureReport } from '../../../../src/core/signatures/signature-report.js';
import { withImage } from '../../notation/notation-doubles.js';
import { HeldRegistry, settled } from './held-registry.js';
import { TestKeySigner } from './test-key-signer.js';

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const HOST = 'registry.test';
const REPO = 'app';
const REPOSITORY = `${HOST}/${REPO}`;
const signer = TestKeySigner.generate();
const other = TestKeySigner.generate();
const keyOpts: CosignVerifyOptions = {
  policy: { kind: 'key', publicKey: signer.publicKey },
  bundleVerifier: new KeyedBundleVerifier(),
  ignoreTlog: true,
};

/** An image in an in-memory registry, with the HeldRegistry in front of it. */
async function world() {
  const { registry: inner, image: pushed } = withImage(true);
  const digest = pushed.digest;
  const plain: CosignImage = { registry: inner, registryHost: HOST, repo: REPO, repository: REPOSITORY, reference: 'v1' };
  const held = new HeldRegistry(inner);
  const sign = async (by: TestKeySigner, format: 'bundle' | 'legacy', annotations?: Record<string, string>) => {
    const [s] = await signImage({ image: plain, signer: by, format, tlogUpload: false, ...(annotations ? { annotations } : {}) });
    return s?.referrer?.digest ?? '';
  };
  const bundle = (d: string): Descriptor => ({
    mediaType: OCI_MEDIA_TYPES.manifest,
    digest: d,
    size: 1,
    artifactType: BUNDLE_V03_MEDIA_TYPE,
  });
  const sigTag = legacySignatureTag(digest, 'sig');
  const image: CosignImage = { ...plain, registry: held };
  const subject = { registry: HOST, repository: REPO, digest };
  const formatVerifier = () => new CosignFormatVerifier(() => held, { ...keyOpts, policies: [keyOpts.policy] });
  /** `cosign verify` of the image's tag */
  const cosignVerify = () => verifyImage({ ...keyOpts, image, displayName: `${REPOSITORY}:v1`, newBundleFormat: true });
  return {
    inner,
    held,
    digest,
    sign,
    bundle,
    sigTag,
    image,
    formatVerifier,
    subject,
    cosignVerify,
    /** `dct verify`'s cosign part, or `cosign verify` */
    verify: (run: 'format' | 'verifyImage'): Promise<unknown> => (run === 'format' ? formatVerifier().verify(subject) : cosignVerify()),
  };
}

/**
 * The mixed case: referrers [good bundle, a bundle referrer that does not exist, a bundle of
 * another key, a good bundle, a referrer without artifact type that does not exist]; the
 * legacy manifest [good signature, another key's, one whose payload the registry does not have].
 */
async function mixed() {
  const w = await world();
  const good1 = await w.sign(signer, 'bundle');
  const bad = await w.sign(other, 'bundle');
  const good2 = await w.sign(signer, 'bundle');
  const missing = sha256(Buffer.from('missing referrer'));
  const untyped = sha256(Buffer.from('untyped referrer'));
  w.held.referrerList = [
    w.bundle(good1),
    w.bundle(missing),
    w.bundle(bad),
    w.bundle(good2),
    { mediaType: OCI_MEDIA_TYPES.manifest, digest: untyped, size: 1 },
  ];
  await w.sign(signer, 'legacy');
  await w.sign(other, 'legacy');
  await w.sign(signer, 'legacy', { n: '3' });
  const sigManifest = await w.inner.getManifest(REPO, w.sigTag);
  const layers = parseLegacySignatureManifest(sigManifest!.bytes, sigManifest!.mediaType, w.sigTag, 'sig').map((s) => s.layer.digest);
  assert.equal(layers.length, 3);
  const lost = layers[2]!;
  w.held.failures.set(`blob ${lost}`, new DctError('BLOB_NOT_FOUND', `blob ${lost} unknown`));
  w.held.track('payload', (label) => label.startsWith('blob ') && layers.includes(label.slice(5)));
  return { ...w, good1, bad, good2, missing, untyped, layers };
}

const at = (reference: string) => `${REPOSITORY}@${reference}`;
const summary = (reports: SignatureReport[]) =>
  reports.map((r) => [r.verdict, r.code ?? '', r.foundAt.via, r.foundAt.reference, r.details?.['layer'] ?? '']);

let unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

describe('cosign lookups of one image overlap', () => {
  beforeEach(() => {
    unhandled = [];
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(async () => {
    await settled();
    process.off('unhandledRejection', onUnhandled);
    assert.deepEqual(unhandled, []);
  });

  it('asks for the legacy .sig manifest while the referrers are unanswered (dct verify)', async () => {
    const w = await world();
    await w.sign(signer, 'bundle');
    const work = w.verify('format');
    await settled();
    assert.ok(w.held.isHeld('referrers'));
    assert.ok(w.held.isHeld(`manifest ${w.sigTag}`), w.held.requests.join(', '));
    const outcome = await w.held.answerAll(work);
    assert.equal(outcome.status, 'fulfilled');
  });

  it('cosign verify asks for the .sig tag only when the referrers hold no bundle, as cosign does', async () => {
    for (const bundles of [true, false]) {
      const w = await world();
      if (bundles) await w.sign(signer, 'bundle');
      else await w.sign(signer, 'legacy');
      const work = w.cosignVerify();
      await settled();
      w.held.release('manifest v1');
      await settled();
      assert.ok(w.held.isHeld('referrers'));
      assert.ok(!w.held.requests.includes(`manifest ${w.sigTag}`), w.held.requests.join(', '));
      const outcome = await w.held.answerAll(work);
      assert.equal(outcome.status, 'fulfilled');
      assert.equal(w.held.requests.includes(`manifest ${w.sigTag}`), !bundles, `bundles: ${bundles}: ${w.held.requests.join(', ')}`);
    }
  });

  it('cosign verify-attestation asks for the .att tag once the referrers gave no bundle, as cosign does', async () => {
    const w = await world();
    const statement = Buffer.from(
      JSON.stringify({
        _type: 'https://in-toto.io/Statement/v0.1',
        predicateType: 'https://slsa.dev/provenance/v1',
        subject: [{ name: 'app', digest: { sha256: w.digest.slice(7) } }],
        predicate: {},
      }),
    );
    const signed = await signer.sign({ kind: 'dsse', payload: statement, payloadType: IN_TOTO_PAYLOAD_TYPE }, { tlogUpload: false });
    const envelope = Buffer.from(JSON.stringify((signed.bundle as { dsseEnvelope: unknown }).dsseEnvelope));
    const layer = legacySignatureLayer(envelope, DSSE_LAYER_MEDIA_TYPE, legacyLayerAnnotations({ signature: '' }));
    await w.inner.writeBlob(REPO, layer, envelope);
    const built = buildLegacySignatureManifest([layer]);
    await w.inner.putManifest(REPO, legacySignatureTag(w.digest, 'att'), built.manifest, built.mediaType);
    // a referrer that does not exist: no bundle, so the legacy attestation is the one verified
    w.held.referrerList = [w.bundle(sha256(Buffer.from('gone')))];

    const work = verifyAttestation({ ...keyOpts, image: w.image, predicateType: 'https://slsa.dev/provenance/v1', newBundleFormat: true });
    await settled();
    w.held.release('manifest v1');
    await settled();
    assert.ok(w.held.isHeld('referrers'));
    assert.ok(!w.held.requests.includes(`manifest ${legacySignatureTag(w.digest, 'att')}`), w.held.requests.join(', '));
    const outcome = await w.held.answerAll(work, 'newest');
    assert.ok(w.held.requests.includes(`manifest ${legacySignatureTag(w.digest, 'att')}`), w.held.requests.join(', '));
    assert.equal(outcome.status, 'fulfilled');
    const result = outcome.status === 'fulfilled' ? outcome.value : undefined;
    assert.equal(result?.layout, 'legacy');
    assert.deepEqual(
      result?.verified.map((v) => [v.predicateType, v.envelopeJson]),
      [['https://slsa.dev/provenance/v1', envelope.toString()]],
    );
    assert.deepEqual(
      result?.reports.map((r) => [r.verdict, r.foundAt.reference]),
      [['verified', `${REPOSITORY}:${legacySignatureTag(w.digest, 'att')}`]],
    );
  });

  it(`reads 20 bundle referrers more than one and at most ${READ_CONCURRENCY} at a time, reported in the referrers' order`, async () => {
    const w = await world();
    const digests: string[] = [];
    for (let i = 0; i < 20; i++) digests.push(await w.sign(signer, 'bundle'));
    w.held.referrerList = digests.map(w.bundle);
    w.held.track('bundle', (label) => label.startsWith('manifest sha256:') || label.startsWith('blob '));
    // answered newest first: the last referrers asked for are loaded before the first ones
    const outcome = await w.held.answerAll(w.formatVerifier().verify(w.subject), 'newest');
    assert.equal(outcome.status, 'fulfilled');
    assert.ok(w.held.mostHeld('bundle') > 1, `at most ${w.held.mostHeld('bundle')} referrer read at once`);
    assert.ok(w.held.mostHeld('bundle') <= READ_CONCURRENCY, `${w.held.mostHeld('bundle')} referrer reads at once`);
    const reports = outcome.status === 'fulfilled' ? outcome.value : [];
    assert.deepEqual(
      summary(reports),
      digests.map((d) => ['verified', '', 'referrers-api', at(d), '']),
    );
  });

  it('stops starting referrer reads after one fails, and throws the error of the first failing referrer in order', async () => {
    const w = await world();
    const digests: string[] = [];
    for (let i = 0; i < 30; i++) digests.push(await w.sign(signer, 'bundle'));
    w.held.referrerList = digests.map(w.bundle);
    w.held.track('bundle', (label) => label.startsWith('manifest sha256:') || label.startsWith('blob '));
    const third = new DctError('NETWORK_ERROR', 'the third referrer: connection reset');
    const fifth = new DctError('TIMEOUT', 'the fifth referrer: no answer');
    w.held.failures.set(`manifest ${digests[2]}`, third);
    w.held.failures.set(`manifest ${digests[4]}`, fifth);
    // answered newest first, the fifth referrer fails before the third: the third's error is the one
    const outcome = await w.held.answerAll(w.cosignVerify(), 'newest');
    assert.equal(outcome.status, 'rejected');
    assert.equal(outcome.status === 'rejected' ? outcome.reason : undefined, third);
    assert.ok(w.held.mostHeld('bundle') > 1);

    // answered oldest first, the first referrer fails: none is started after it
    const v = await world();
    const first = new DctError('NETWORK_ERROR', 'the first referrer: connection reset');
    v.held.referrerList = digests.map(v.bundle);
    v.held.failures.set(`manifest ${digests[0]}`, first);
    const failedFirst = await v.held.answerAll(v.formatVerifier().verify(v.subject), 'oldest');
    assert.equal(failedFirst.status === 'rejected' ? failedFirst.reason : undefined, first);
    const started = v.held.requests.filter((r) => r.startsWith('manifest sha256:'));
    assert.ok(started.length > 1 && started.length <= READ_CONCURRENCY, `${started.length} referrers read`);
  });

  for (const which of ['oldest', 'newest'] as const)
    it(`the mixed case is reported as before, answers given ${which} first (dct verify and cosign verify)`, async () => {
      const m = await mixed();
      const outcome = await m.held.answerAll(m.formatVerifier().verify(m.subject), which);
      assert.equal(outcome.status, 'fulfilled');
      const legacyAt = `${REPOSITORY}:${m.sigTag}`;
      assert.deepEqual(summary(outcome.status === 'fulfilled' ? outcome.value : []), [
        ['failed', 'COSIGN_INVALID_BUNDLE_REFERRER', 'referrers-api', at(m.missing), ''],
        ['verified', '', 'referrers-api', at(m.good1), ''],
        ['failed', 'COSIGN_BLOB_SIGNATURE_INVALID', 'referrers-api', at(m.bad), ''],
        ['verified', '', 'referrers-api', at(m.good2), ''],
        ['verified', '', 'cosign-tag', legacyAt, m.layers[0]],
        ['failed', 'COSIGN_SIGNATURE_INVALID', 'cosign-tag', legacyAt, ''],
        ['failed', 'BLOB_NOT_FOUND', 'cosign-tag', legacyAt, ''],
      ]);
      assert.ok(m.held.mostHeld('payload') > 1, `at most ${m.held.mostHeld('payload')} payload read at once`);
      assert.ok(m.held.mostHeld('payload') <= READ_CONCURRENCY);

      const n = await mixed();
      const image = await n.held.answerAll(n.cosignVerify(), which);
      assert.equal(image.status, 'fulfilled');
      const result = image.status === 'fulfilled' ? image.value : undefined;
      assert.equal(result?.layout, 'bundle');
      assert.equal(result?.verified.length, 2);
      assert.deepEqual(summary(result?.reports ?? []), [
        // cosign verify reports every referrer it could not read, a bundle or not
        ['failed', 'COSIGN_INVALID_BUNDLE_REFERRER', 'referrers-api', at(n.missing), ''],
        ['failed', 'COSIGN_INVALID_BUNDLE_REFERRER', 'referrers-api', at(n.untyped), ''],
        ['verified', '', 'referrers-api', at(n.good1), ''],
        ['failed', 'COSIGN_BLOB_SIGNATURE_INVALID', 'referrers-api', at(n.bad), ''],
        ['verified', '', 'referrers-api', at(n.good2), ''],
      ]);
      // with bundles found, cosign verify does not ask for the legacy manifest (as cosign)
      assert.ok(!n.held.requests.includes(`manifest ${n.sigTag}`), n.held.requests.join(', '));

      // without a bundle (the only referrer does not exist), cosign verify reads the legacy layout
      const l = await mixed();
      l.held.referrerList = [l.bundle(l.missing)];
      const legacy = await l.held.answerAll(l.cosignVerify(), which);
      assert.equal(legacy.status, 'fulfilled');
      const lr = legacy.status === 'fulfilled' ? legacy.value : undefined;
      assert.equal(lr?.layout, 'legacy');
      assert.deepEqual(
        lr?.verified.map((v) => [v.digest, v.dockerReference]),
        [[l.digest, REPOSITORY]],
      );
      assert.deepEqual(summary(lr?.reports ?? []), [
        ['verified', '', 'cosign-tag', `${REPOSITORY}:${l.sigTag}`, l.layers[0]],
        ['failed', 'COSIGN_SIGNATURE_INVALID', 'cosign-tag', `${REPOSITORY}:${l.sigTag}`, ''],
        ['failed', 'BLOB_NOT_FOUND', 'cosign-tag', `${REPOSITORY}:${l.sigTag}`, ''],
      ]);
    });

  it('no signature at all (.sig and referrers empty): COSIGN_NO_SIGNATURES, and no report for dct verify', async () => {
    const w = await world();
    const work = w.cosignVerify();
    await settled();
    w.held.release('manifest v1');
    await settled();
    assert.ok(w.held.isHeld('referrers'), w.held.requests.join(', '));
    const outcome = await w.held.answerAll(work, 'newest');
    assert.ok(w.held.requests.includes(`manifest ${w.sigTag}`), w.held.requests.join(', '));
    assert.equal(outcome.status === 'rejected' ? (outcome.reason as DctError).code : outcome.status, 'COSIGN_NO_SIGNATURES');
    const reports = await w.held.answerAll(w.formatVerifier().verify(w.subject));
    assert.deepEqual(reports, { status: 'fulfilled', value: [] });
  });

  describe('one side fails while the other is pending', () => {
    /** Starts `work`, checks both lookups are held at once, then answers `first`, then the rest. */
    async function race<T>(w: Awaited<ReturnType<typeof world>>, work: Promise<T>, first: string) {
      work.catch(() => undefined); // answerAll takes its outcome; until then, a rejection is not this test's to report
      await settled();
      if (w.held.isHeld('manifest v1')) {
        w.held.release('manifest v1');
        await settled();
      }
      assert.ok(w.held.isHeld('referrers') && w.held.isHeld(`manifest ${w.sigTag}`), w.held.requests.join(', '));
      w.held.release(first);
      await settled();
      const outcome = await w.held.answerAll(work);
      // nothing is left asking when the verification is over (and what would be, is answered now)
      const left = w.held.held.map((h) => h.label);
      while (w.held.releaseOne()) await settled();
      assert.deepEqual(left, []);
      return outcome;
    }

    for (const first of ['referrers', 'legacy'] as const)
      it(`both sides fail, the ${first} first: the referrers error, as before (dct verify)`, async () => {
        const w = await world();
        const referrersDown = new DctError('REGISTRY_UNAUTHORIZED', 'referrers: 401');
        w.held.failures.set('referrers', referrersDown);
        w.held.failures.set(`manifest ${w.sigTag}`, new DctError('NETWORK_ERROR', '.sig: connection reset'));
        const outcome = await race(w, w.verify('format'), first === 'referrers' ? 'referrers' : `manifest ${w.sigTag}`);
        assert.equal(outcome.status === 'rejected' ? outcome.reason : outcome.status, referrersDown);
      });

    it('cosign verify: the referrers fail: that error, and the .sig tag is never asked for', async () => {
      const w = await world();
      const referrersDown = new DctError('REGISTRY_UNAUTHORIZED', 'referrers: 401');
      w.held.failures.set('referrers', referrersDown);
      const outcome = await w.held.answerAll(w.cosignVerify());
      assert.equal(outcome.status === 'rejected' ? outcome.reason : outcome.status, referrersDown);
      assert.ok(!w.held.requests.includes(`manifest ${w.sigTag}`), w.held.requests.join(', '));
    });

    it('the legacy manifest fails while a bundle is being read: dct verify throws it after the bundle; cosign verify does not ask for it', async () => {
      const w = await world();
      await w.sign(signer, 'bundle');
      const sigDown = new DctError('NETWORK_ERROR', '.sig: connection reset');
      w.held.failures.set(`manifest ${w.sigTag}`, sigDown);
      const outcome = await race(w, w.verify('format'), `manifest ${w.sigTag}`);
      assert.equal(outcome.status === 'rejected' ? outcome.reason : outcome.status, sigDown);

      const c = await world();
      const good = await c.sign(signer, 'bundle');
      c.held.failures.set(`manifest ${c.sigTag}`, sigDown);
      const verified = await c.held.answerAll(c.cosignVerify());
      assert.equal(verified.status, 'fulfilled');
      const r = verified.status === 'fulfilled' ? verified.value : undefined;
      assert.deepEqual(summary(r?.reports ?? []), [['verified', '', 'referrers-api', at(good), '']]);
      assert.ok(!c.held.requests.includes(`manifest ${c.sigTag}`), c.held.requests.join(', '));
    });

    it('a legacy manifest that is no signature manifest is a failed report beside the bundles (dct verify)', async () => {
      const w = await world();
      const good = await w.sign(signer, 'bundle');
      w.held.failures.set(`manifest ${w.sigTag}`, new DctError('COSIGN_INVALID_SIGNATURE_MANIFEST', '.sig: not a signature manifest'));
      const outcome = await race(w, w.formatVerifier().verify(w.subject), `manifest ${w.sigTag}`);
      assert.deepEqual(summary(outcome.status === 'fulfilled' ? outcome.value : []), [
        ['verified', '', 'referrers-api', at(good), ''],
        ['failed', 'COSIGN_INVALID_SIGNATURE_MANIFEST', 'cosign-tag', `${REPOSITORY}:${w.sigTag}`, ''],
      ]);
    });
  });
});
