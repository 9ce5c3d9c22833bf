/**
 * The admission controller and a Pod's image pull secrets: the spec's secrets are asked for (its
 * service account's only when it names none, as the ServiceAccount admission plugin does), the
 * credentials found reach every decision, and what could not be read is named in a refusal.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AdmissionController, DEFAULT_ADMISSION_SETTINGS } from '../../../src/app/admission/admission-controller.js';
import type { AdmissionReviewResponse } from '../../../src/app/admission/admission-review.js';
import type { DecideOptions, ImageDecider } from '../../../src/core/policy/decision.js';
import type { PullCredentials, PullSecretLookup, PullSecretRequest, PullSecretSource } from '../../../src/core/policy/pull-credentials.js';
import { decisionFor, kubeObject, reviewOf, type K8sObject } from './admission-doubles.js';

const CREDENTIALS: PullCredentials = {
  forRegistry: (r) => (r === 'registry.example.com' ? { login: { username: 'u', password: 'p' }, source: 'secret shop/a (x)' } : undefined),
};

function setup(found: PullSecretLookup, deny: string[] = []) {
  const asked: PullSecretRequest[] = [];
  const given: Array<DecideOptions['credentials']> = [];
  const source: PullSecretSource = {
    lookup: (request) => {
      asked.push(request);
      return Promise.resolve(found);
    },
  };
  const decider: ImageDecider = {
    decide: (image, opts) => {
      given.push(opts?.credentials);
      return Promise.resolve(decisionFor(image, deny.includes(image) ? { verdict: 'deny', reasons: ['unsigned'] } : {}));
    },
  };
  const controller = new AdmissionController(() => decider, { ...DEFAULT_ADMISSION_SETTINGS, cacheTtlMs: 0 }, {}, Date.now, source);
  const review = async (object: K8sObject): Promise<AdmissionReviewResponse['response']> =>
    (await controller.review('validate', JSON.stringify(reviewOf(object, { namespace: 'shop' })))).response;
  return { asked, given, review };
}

const withSpec = (object: K8sObject, path: string[], extra: Record<string, unknown>): K8sObject => {
  const copy = structuredClone(object);
  let node = copy as Record<string, unknown>;
  for (const p of path) node = node[p] as Record<string, unknown>;
  Object.assign(node, extra);
  return copy;
};

describe('AdmissionController with image pull secrets', () => {
  it("asks for the Pod's secrets, and passes what they give to every decision", async () => {
    const { asked, given, review } = setup({ credentials: CREDENTIALS, problems: [] });
    const pod = withSpec(kubeObject('pod-web.json'), ['spec'], { imagePullSecrets: [{ name: 'a' }, { name: 'b' }, { name: 'a' }] });
    assert.equal((await review(pod)).allowed, true);
    assert.deepEqual(asked, [{ namespace: 'shop', secrets: ['a', 'b'] }], 'no service account: the Pod names secrets');
    assert.deepEqual(given, [CREDENTIALS, CREDENTIALS], 'both images decided with them');
  });

  it("a template naming none: its service account's (default `default`)", async () => {
    const { asked, review } = setup({ problems: [] });
    const deployment = kubeObject('deployment-web.json');
    await review(deployment);
    await review(withSpec(deployment, ['spec', 'template', 'spec'], { serviceAccountName: 'builder' }));
    assert.deepEqual(asked, [
      { namespace: 'shop', secrets: [], serviceAccount: 'default' },
      { namespace: 'shop', secrets: [], serviceAccount: 'builder' },
    ]);
  });

  it('names the secrets it could not read in a refusal, and only there', async () => {
    const problems = ['secret shop/nosuch not found'];
    const refused = await setup({ problems }, ['nginx:1.27']).review(kubeObject('pod-web.json'));
    assert.equal(refused.allowed, false);
    assert.match(refused.status?.message ?? '', /image nginx:1\.27: unsigned .*; image pull secrets: secret shop\/nosuch not found$/);
    const admitted = await setup({ problems }).review(kubeObject('pod-web.json'));
    assert.equal(admitted.allowed, true);
  });
});
