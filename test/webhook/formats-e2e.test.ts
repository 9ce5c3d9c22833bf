/**
 * The admission webhook end to end, every format on both kinds of registry: images pushed to
 * dct server's embedded registry (referrers API) and to the real docker-registry 2.8 (tag
 * fallbacks), signed with DCT (dct server's trust server), cosign (a key pair) and Notation
 * (test certificates), judged by the real webhook over HTTPS with a real policy file through
 * the policy engine, the requests being kubectl's Pod wrapped as the API server wraps it.
 * Signed images are admitted and the returned JSON patch pins each to its signed digest;
 * unsigned, tampered, expired and wrong-signer images are refused, the refusal naming why.
 * Cosign keyless is not here: it needs Fulcio and Rekor, which no offline fixture signs an
 * image with.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AdmissionReviewResponse } from '../../src/app/admission/admission-review.js';
import { applyReplacePatch, patchOf, podSpecImages } from '../app/admission/admission-doubles.js';
import { formatRules, prepareFormatCases, type FormatCases } from '../support/admission-cases.js';
import { podOf, podReview, startPolicyWebhook, type PolicyWebhook } from '../support/admission-webhook.js';
import { startSigningWorld, type PushedImage, type SigningWorld } from '../support/admission-world.js';
import { interopSkip } from '../support/interop.js';
import { plainRegistryMissing } from '../support/plain-registry.js';

const plainMissing = plainRegistryMissing();

describe('dct admission end to end: DCT, cosign and Notation on the embedded registry and docker-registry', () => {
  let world: SigningWorld;
  let dir: string;
  let policyFile: string;
  let hook: PolicyWebhook;
  const cases: Record<'embedded' | 'plain', FormatCases | undefined> = { embedded: undefined, plain: undefined };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dct-admission-e2e-'));
    world = await startSigningWorld({ plainRegistry: plainMissing === undefined });
    cases.embedded = await prepareFormatCases(world, world.server.host, false);
    if (world.plain) cases.plain = await prepareFormatCases(world, world.plain.host, true);
    copyFileSync(join(world.home, 'release.pub'), join(dir, 'release.pub'));
    policyFile = join(dir, 'policy.json');
    const hosts = [world.server.host, ...(world.plain ? [world.plain.host] : [])];
    writeFileSync(
      policyFile,
      JSON.stringify({ version: 1, defaults: { mode: 'enforce' }, rules: hosts.flatMap((h) => formatRules(h, 'release.pub')) }, null, 2),
    );
    hook = await startPolicyWebhook(world.io(), policyFile, dir);
  });
  after(async () => {
    await hook?.close();
    await world?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** the refusal of a Pod running only this image: its message */
  const refusal = async (image: PushedImage): Promise<string> => {
    const answer = await hook.review(podReview([image.image]), 'validate');
    assert.equal(answer.response.allowed, false, `${image.image} must be refused`);
    assert.equal(answer.response.status?.code, 403);
    const message = answer.response.status?.message ?? '';
    assert.ok(message.includes(`image ${image.image}`), `the refusal names the image: ${message}`);
    return message;
  };

  for (const [which, label, skip] of [
    ['embedded', "dct server's embedded registry", false],
    ['plain', 'docker-registry 2.8', interopSkip(plainMissing)],
  ] as const) {
    describe(`on ${label}`, { skip }, () => {
      const c = (): FormatCases => cases[which] as FormatCases;

      it('a Pod of images signed in each format is admitted, the patch pinning each to its signed digest', async () => {
        const signed = [c().dct.signed, c().cosign.signed, c().notation.signed];
        const body = podReview(signed.map((i) => i.image));
        const answer: AdmissionReviewResponse = await hook.review(body, 'mutate');
        assert.equal(answer.response.allowed, true, answer.response.status?.message);
        const patched = applyReplacePatch(podOf(signed.map((i) => i.image)), patchOf(answer));
        assert.deepEqual(
          podSpecImages(patched['spec'] as Record<string, unknown>),
          signed.map((i) => `${i.image}@${i.digest}`),
        );
        const decisions = JSON.parse(answer.response.auditAnnotations?.['decisions'] ?? '[]') as Array<Record<string, unknown>>;
        assert.equal(decisions.length, 3, JSON.stringify(decisions));
      });

      it('DCT: a tag the trust data does not sign and a signer the rule does not name are refused; a moved tag is pinned to the signed digest', async () => {
        assert.match(
          await refusal(c().dct.unsigned),
          /dct: signer releases: no dct signature found; dct: No valid trust data for unsigned/,
        );
        assert.match(
          await refusal(c().dct.alice),
          /rule \S+ dct alice: dct: signer alice: not satisfied by the 1 dct signature found \(verified, signed by targets \(key [0-9a-f]{64}\)\)/,
        );
        const moved = await hook.review(podReview([c().dct.moved.image]), 'mutate');
        assert.equal(moved.response.allowed, true, moved.response.status?.message);
        const images = podSpecImages(applyReplacePatch(podOf([c().dct.moved.image]), patchOf(moved))['spec'] as Record<string, unknown>);
        assert.deepEqual(images, [`${c().dct.moved.image}@${c().dct.moved.digest}`]);
        assert.notEqual(c().dct.moved.digest, c().dct.moved.unsignedDigest);
      });

      it('cosign: unsigned, a tampered signature and another key are refused, each saying why', async () => {
        const rule = /rule \S+ cosign: cosign: key release\.pub \(sha256:[0-9a-f]{64}\) \(no transparency log needed\): /;
        const unsigned = await refusal(c().cosign.unsigned);
        assert.match(unsigned, new RegExp(`${rule.source}no cosign signature found`));
        const tampered = await refusal(c().cosign.tampered);
        assert.match(
          tampered,
          new RegExp(
            `${rule.source}not satisfied by the 1 cosign signature found \\(failed \\[COSIGN_SIGNATURE_INVALID\\]: invalid signature`,
          ),
        );
        const stranger = await refusal(c().cosign.stranger);
        assert.match(
          stranger,
          /not satisfied by the 1 cosign signature found \(failed \[COSIGN_BLOB_SIGNATURE_INVALID\]: .*no DSSE signature verifies with the key\)/,
        );
      });

      it('Notation: unsigned, a tampered payload (ours and the real notation’s), another signer and an expired certificate are refused, each saying why', async () => {
        const found = (code: string) => new RegExp(`not satisfied by the 1 notation signature found \\(failed \\[${code}\\]: `);
        assert.match(await refusal(c().notation.unsigned), /notation: trust store ca:release\.example: no notation signature found/);
        const tampered = await refusal(c().notation.tampered);
        assert.match(tampered, /notation: trust store ca:release\.example: /);
        assert.match(tampered, found('NOTATION_SIGNATURE_INVALID'));
        assert.match(tampered, /integrity validation failed\. .*the signature does not verify with the signing certificate/);
        const invalid = await refusal(c().notation.invalid);
        assert.match(invalid, found('NOTATION_ENVELOPE_UNSUPPORTED'));
        assert.match(invalid, /integrity validation failed/);
        const other = await refusal(c().notation.other);
        assert.match(other, found('NOTATION_UNTRUSTED_SIGNER'));
        assert.match(other, /the signature's certificate chain does not contain any trusted certificate/);
        const expired = await refusal(c().notation.expired);
        assert.match(expired, found('NOTATION_CERTIFICATE_NOT_VALID_NOW'));
        assert.match(expired, /authenticTimestamp validation failed\. .*it was expired at "Tue, 27 Jun 2023 06:10:00 \+0000"/);
      });
    });
  }

  it('DCT: with the clock 30 days on, the trust server’s timestamp has expired and a signed image is refused', async () => {
    const later = new Date(Date.now() + 30 * 24 * 3600 * 1000);
    const clocked = await startPolicyWebhook(
      world.io(() => later),
      policyFile,
      dir,
    );
    try {
      const answer = await clocked.review(podReview([(cases.embedded as FormatCases).dct.signed.image]), 'validate');
      assert.equal(answer.response.allowed, false);
      assert.match(
        answer.response.status?.message ?? '',
        /dct: signer releases: not satisfied by the 1 dct signature found \(failed \[EXPIRED\]: the trust data of \S+\/dct\/app does not verify: timestamp expired at /,
      );
      // the same image, judged on the real clock by the other webhook, is admitted
      const now = await hook.review(podReview([(cases.embedded as FormatCases).dct.signed.image]), 'validate');
      assert.equal(now.response.allowed, true, now.response.status?.message);
    } finally {
      await clocked.close();
    }
  });
});
