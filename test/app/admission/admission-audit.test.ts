/**
 * The audit records of an admission review, from the controller's own record: one per image
 * decided (a timed-out image as a deny with its reason, admitted only when fail-open let the
 * object in), none for dry runs (the controller does not report them to `audit`).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { admissionAuditRecords } from '../../../src/app/admission/admission-audit.js';
import { AdmissionController, DEFAULT_ADMISSION_SETTINGS, type AdmissionRecord } from '../../../src/app/admission/admission-controller.js';
import type { ImageDecider } from '../../../src/core/policy/decision.js';
import { decisionFor, kubeObject, reviewOf } from './admission-doubles.js';

describe('admissionAuditRecords', () => {
  const slow: ImageDecider = {
    decide: (image) =>
      image.includes('nginx') ? new Promise((r) => setTimeout(() => r(decisionFor(image)), 200)) : Promise.resolve(decisionFor(image)),
  };
  const run = async (failOpen: boolean, dryRun = false) => {
    const audited: AdmissionRecord[] = [];
    const controller = new AdmissionController(
      () => slow,
      { ...DEFAULT_ADMISSION_SETTINGS, timeoutMs: 50, failOpen },
      {
        audit: (r) => audited.push(r),
      },
    );
    const body = JSON.stringify(reviewOf(kubeObject('deployment-web.json'), { namespace: 'shop', dryRun, uid: 'u-1' }));
    await controller.review('validate', body);
    return audited.flatMap((r) => admissionAuditRecords(r, () => new Date('2026-12-07T12:00:00Z')));
  };

  it('one record per image; a timeout is a deny with its reason; nothing for a dry run', async () => {
    const records = await run(false);
    assert.deepEqual(
      records.map((r) => [r.image, r.verdict, r.admitted]),
      [
        ['registry.example.com/shop/web:1.4.2', 'allow', false],
        ['nginx:1.27', 'deny', false],
      ],
    );
    const timedOut = records[1]!;
    assert.match(timedOut.reasons[0] as string, /no decision within 50 ms .*\[ADMISSION_DECISION_TIMEOUT\]/);
    assert.equal(timedOut.at, '2026-12-07T12:00:00.000Z');
    assert.deepEqual(timedOut.context, {
      uid: 'u-1',
      kind: 'Deployment',
      namespace: 'shop',
      name: 'web',
      operation: 'CREATE',
      endpoint: 'validate',
    });
    assert.equal(timedOut.actor.user, 'system:serviceaccount:kube-system:replicaset-controller');
    assert.deepEqual(await run(false, true), [], 'a dry run leaves no record');
  });

  it('fail-open: the object was let in, so every record says admitted', async () => {
    assert.deepEqual(
      (await run(true)).map((r) => [r.verdict, r.admitted]),
      [
        ['allow', true],
        ['deny', true],
      ],
    );
  });
});
