/**
 * AdmissionReview bodies are network input: the fixture review (as the API server sends it)
 * parses; everything else is refused with a code and a message that says what is wrong.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAdmissionReview, reviewResponse } from '../../../src/app/admission/admission-review.js';
import { isDctError } from '../../../src/core/errors.js';
import { ADMISSION_FIXTURES, kubeObject, reviewOf } from './admission-doubles.js';

const refused = (body: string | Uint8Array, pattern: RegExp, code = 'ADMISSION_REVIEW_INVALID', max?: number): void => {
  assert.throws(
    () => parseAdmissionReview(body, max),
    (e: unknown) => isDctError(e, code) && pattern.test(e.message),
    `expected ${code} matching ${pattern}`,
  );
};

describe('parseAdmissionReview', () => {
  it('reads the review the README sends (a kubectl-generated Pod wrapped as the API server wraps it)', () => {
    const review = parseAdmissionReview(readFileSync(join(ADMISSION_FIXTURES, 'review-pod.json')));
    assert.equal(review.request.uid, '705ab4f5-6393-11e8-b7cc-42010a800002');
    assert.deepEqual(review.request.kind, { group: '', version: 'v1', kind: 'Pod' });
    assert.equal(review.request.namespace, 'shop');
    assert.equal(review.request.operation, 'CREATE');
    assert.equal(review.request.dryRun, false);
    assert.equal(review.request.userInfo.username, 'admin');
    assert.equal((review.request.object?.['metadata'] as { name: string }).name, 'web');
    const answer = reviewResponse(review, { allowed: true });
    assert.deepEqual(answer, {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: review.request.uid, allowed: true },
    });
  });

  it('keeps dryRun', () => {
    assert.equal(parseAdmissionReview(JSON.stringify(reviewOf(kubeObject('pod-web.json'), { dryRun: true }))).request.dryRun, true);
  });

  it('refuses what is not an AdmissionReview v1 request, saying why', () => {
    const good = reviewOf(kubeObject('pod-web.json'));
    const request = good['request'] as Record<string, unknown>;
    const variant = (over: Record<string, unknown>, req: Record<string, unknown> = {}): string =>
      JSON.stringify({ ...good, ...over, request: { ...request, ...req } });
    refused('', /the body is empty/);
    refused('{"apiVersion":', /the body is not JSON/);
    refused('[1,2]', /not a JSON object/);
    refused('"x"', /not a JSON object/);
    refused(variant({ kind: 'Pod' }), /kind is "Pod", not "AdmissionReview"/);
    refused(variant({ apiVersion: 'admission.k8s.io/v1beta1' }), /admission\.k8s\.io\/v1beta1.*admissionReviewVersions: \["v1"\]/);
    refused(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }), /"request" is missing/);
    refused(variant({}, { uid: '' }), /request\.uid must be a non-empty string/);
    refused(variant({}, { uid: 7 }), /request\.uid/);
    refused(variant({}, { kind: 'Pod' }), /request\.kind must be an object/);
    refused(variant({}, { kind: { group: '', version: 'v1' } }), /request\.kind must have string group, version and kind/);
    refused(variant({}, { operation: 'PATCH' }), /request\.operation must be one of CREATE, UPDATE, DELETE, CONNECT, not "PATCH"/);
    refused(variant({}, { object: null }), /request\.object is missing for CREATE/);
    refused(variant({}, { object: [1] }), /request\.object must be an object/);
    refused(variant({}, { dryRun: 'yes' }), /request\.dryRun must be a boolean/);
    refused(variant({}, { namespace: 3 }), /request\.namespace must be a string/);
    refused(variant({}, { userInfo: 'root' }), /request\.userInfo must be an object/);
  });

  it('refuses a body over the limit before parsing it', () => {
    const body = JSON.stringify(reviewOf(kubeObject('pod-web.json')));
    refused(body, /more than the limit of 100 bytes/, 'ADMISSION_BODY_TOO_LARGE', 100);
    refused(new TextEncoder().encode(body), /more than the limit/, 'ADMISSION_BODY_TOO_LARGE', 100);
  });

  it('survives deeply nested JSON', () => {
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    assert.throws(
      () => parseAdmissionReview(deep),
      (e: unknown) => isDctError(e, 'ADMISSION_REVIEW_INVALID'),
    );
  });
});
