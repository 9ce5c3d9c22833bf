/**
 * The admission use case on kubectl-generated objects wrapped as the API server wraps them:
 * validate (allow, deny naming image and reason, warn, audit annotations), mutate (the returned
 * JSON patch applied to the object pins every image to the decided digest), GitOps mode,
 * exemptions, dry runs, fail-closed on timeout and failure, one decision per distinct image, in parallel.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import {
  AdmissionController,
  DEFAULT_ADMISSION_SETTINGS,
  type AdmissionRecord,
  type AdmissionSettings,
  type ImageOutcome,
} from '../../../src/app/admission/admission-controller.js';
import { parseLabelSelector } from '../../../src/app/admission/label-selector.js';
import { isDctError } from '../../../src/core/errors.js';
import type { ImageDecider } from '../../../src/core/policy/decision.js';
import {
  applyReplacePatch,
  asWorkload,
  decisionFor,
  digestOf,
  DoubleDecider,
  kubeObject,
  patchOf,
  podSpecImages,
  reviewOf,
  type K8sObject,
} from './admission-doubles.js';

function controller(decider: ImageDecider | undefined, over: Partial<AdmissionSettings> = {}, now?: () => number) {
  const audited: AdmissionRecord[] = [];
  const reviewed: AdmissionRecord[] = [];
  const images: ImageOutcome[] = [];
  const c = new AdmissionController(
    () => decider,
    { ...DEFAULT_ADMISSION_SETTINGS, ...over },
    { audit: (r) => audited.push(r), reviewed: (r) => reviewed.push(r), image: (o) => images.push(o) },
    now,
  );
  return { c, audited, reviewed, images };
}

const body = (review: Record<string, unknown>): string => JSON.stringify(review);

/** The pod spec inside an object of this kind. */
function podSpecOf(o: K8sObject): Record<string, unknown> {
  const path =
    o.kind === 'Pod' ? ['spec'] : o.kind === 'CronJob' ? ['spec', 'jobTemplate', 'spec', 'template', 'spec'] : ['spec', 'template', 'spec'];
  let node: unknown = o;
  for (const p of path) node = (node as Record<string, unknown>)[p];
  return node as Record<string, unknown>;
}

describe('admission: validate', () => {
  it('admits a Deployment whose images the policy allows, echoing uid, apiVersion and kind, with audit annotations', async () => {
    const decider = new DoubleDecider();
    const { c, audited } = controller(decider);
    const review = reviewOf(kubeObject('deployment-web.json'));
    const answer = await c.review('validate', body(review));
    assert.equal(answer.apiVersion, 'admission.k8s.io/v1');
    assert.equal(answer.kind, 'AdmissionReview');
    assert.equal(answer.response.uid, (review['request'] as { uid: string }).uid);
    assert.equal(answer.response.allowed, true);
    assert.equal(answer.response.patch, undefined, 'validate never patches');
    assert.deepEqual(decider.calls.sort(), ['nginx:1.27', 'registry.example.com/shop/web:1.4.2']);
    const decisions = JSON.parse(answer.response.auditAnnotations?.['decisions'] ?? '[]') as {
      image: string;
      verdict: string;
      digest: string;
    }[];
    assert.deepEqual(decisions.map((d) => [d.image, d.verdict, d.digest]).sort(), [
      ['nginx:1.27', 'allow', digestOf('nginx:1.27')],
      ['registry.example.com/shop/web:1.4.2', 'allow', digestOf('registry.example.com/shop/web:1.4.2')],
    ]);
    assert.equal(audited.length, 1);
    assert.equal(audited[0]?.allowed, true);
  });

  it('refuses an object when one image is denied, naming the image, the reason and near trusted names', async () => {
    const decider = new DoubleDecider({
      decide: (image) =>
        image === 'nginx:1.27'
          ? decisionFor(image, {
              verdict: 'deny',
              rule: undefined,
              digest: undefined,
              reasons: ['docker.io/library/nginx is not a trusted repository'],
              suggestions: ['docker.io/library/nginx-unprivileged'],
            })
          : decisionFor(image),
    });
    const { c } = controller(decider);
    const answer = await c.review('validate', body(reviewOf(kubeObject('deployment-web.json'))));
    assert.equal(answer.response.allowed, false);
    const status = answer.response.status;
    assert.equal(status?.code, 403);
    assert.equal(status?.reason, 'Forbidden');
    assert.match(
      status?.message ?? '',
      /denied Deployment shop\/web: image nginx:1\.27: docker\.io\/library\/nginx is not a trusted repository/,
    );
    assert.match(status?.message ?? '', /no rule matched: default deny/);
    assert.match(status?.message ?? '', /did you mean docker\.io\/library\/nginx-unprivileged\?/);
    assert.doesNotMatch(status?.message ?? '', /shop\/web:1\.4\.2/, 'the allowed image is not named');
  });

  it('mutate refuses what validate refuses, and sends no patch then', async () => {
    const decider = new DoubleDecider({
      decide: (image) => decisionFor(image, { verdict: 'deny', reasons: ['no signature of releases'] }),
    });
    const { c } = controller(decider);
    const answer = await c.review('mutate', body(reviewOf(kubeObject('pod-web.json'))));
    assert.equal(answer.response.allowed, false);
    assert.equal(answer.response.patch, undefined);
    assert.match(answer.response.status?.message ?? '', /no signature of releases \(rule registry\.example\.com\/shop\/\*\)/);
  });

  it('warn mode: admitted, with admission warnings naming the image (validate only) and nothing pinned', async () => {
    const decider = new DoubleDecider({
      decide: (image) =>
        decisionFor(image, {
          mode: 'warn',
          warnings: ['not signed by releases (warn mode)'],
          requirements: { requirement: 'dct: releases', satisfied: false, satisfiedBy: [] },
        }),
    });
    const { c, images } = controller(decider);
    const validated = await c.review('validate', body(reviewOf(kubeObject('job-migrate.json'))));
    assert.equal(validated.response.allowed, true);
    assert.deepEqual(validated.response.warnings, ['image registry.example.com/shop/migrate:3.1: not signed by releases (warn mode)']);
    assert.equal(images[0]?.verdict, 'warn');
    const mutated = await c.review('mutate', body(reviewOf(kubeObject('job-migrate.json'))));
    assert.equal(mutated.response.allowed, true);
    assert.equal(mutated.response.warnings, undefined, 'warnings once (validate), not twice');
    assert.equal(mutated.response.patch, undefined, 'an unverified digest is not pinned');
  });

  it('DELETE and objects without pod specs are admitted without asking the policy', async () => {
    const decider = new DoubleDecider();
    const { c } = controller(decider);
    const del = await c.review(
      'validate',
      body(reviewOf(kubeObject('pod-web.json'), { operation: 'DELETE', oldObject: kubeObject('pod-web.json') })),
    );
    assert.equal(del.response.allowed, true);
    const svc = await c.review('validate', body(reviewOf({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: {} })));
    assert.equal(svc.response.allowed, true);
    assert.deepEqual(decider.calls, []);
  });

  it('a malformed pod spec is refused with 400 in the response (not a crash)', async () => {
    const pod = kubeObject('pod-web.json');
    (pod['spec'] as Record<string, unknown>)['containers'] = [{ name: 'x', image: 42 }];
    const { c } = controller(new DoubleDecider());
    const answer = await c.review('validate', body(reviewOf(pod)));
    assert.equal(answer.response.allowed, false);
    assert.equal(answer.response.status?.code, 400);
    assert.match(answer.response.status?.message ?? '', /the Pod is malformed: \/spec\/containers\/0\/image is not a string/);
  });
});

describe('admission: mutate pins every image to the decided digest', () => {
  const cases: [string, () => K8sObject][] = [
    ['Pod', () => kubeObject('pod-web.json')],
    ['Deployment', () => kubeObject('deployment-web.json')],
    ['StatefulSet', () => asWorkload('StatefulSet', kubeObject('deployment-web.json'))],
    ['DaemonSet', () => asWorkload('DaemonSet', kubeObject('deployment-web.json'))],
    ['ReplicaSet', () => asWorkload('ReplicaSet', kubeObject('deployment-web.json'))],
    ['Job', () => kubeObject('job-migrate.json')],
    ['CronJob', () => kubeObject('cronjob-nightly.json')],
  ];
  for (const [kind, make] of cases) {
    it(kind, async () => {
      const object = make();
      const before = podSpecImages(podSpecOf(object));
      assert.ok(before.length > 0);
      const { c } = controller(new DoubleDecider());
      const answer = await c.review('mutate', body(reviewOf(object)));
      assert.equal(answer.response.allowed, true);
      const patched = applyReplacePatch(object, patchOf(answer));
      assert.deepEqual(
        podSpecImages(podSpecOf(patched)),
        before.map((image) => `${image}@${digestOf(image)}`),
      );
      // nothing but images changed
      const unpinned = JSON.parse(JSON.stringify(patched).replace(/@sha256:[0-9a-f]{64}/g, '')) as K8sObject;
      assert.deepEqual(unpinned, object);
    });
  }

  it('init and ephemeral containers too; an image already pinned to the decided digest is left alone', async () => {
    const pod = kubeObject('pod-web.json');
    const spec = pod['spec'] as Record<string, unknown>;
    const pinned = `registry.example.com/shop/web:1.4.2@${digestOf('registry.example.com/shop/web:1.4.2')}`;
    spec['initContainers'] = [{ name: 'init', image: 'registry.example.com/shop/init:1' }];
    spec['ephemeralContainers'] = [{ name: 'debug', image: 'registry.example.com/tools/debug:2' }];
    (spec['containers'] as { image: string }[])[0]!.image = pinned;
    const decider = new DoubleDecider();
    const { c } = controller(decider);
    const answer = await c.review('mutate', body(reviewOf(pod)));
    const ops = patchOf(answer);
    assert.deepEqual(
      ops.map((o) => o.path),
      ['/spec/containers/1/image', '/spec/initContainers/0/image', '/spec/ephemeralContainers/0/image'],
    );
    const patched = applyReplacePatch(pod, ops);
    assert.deepEqual(podSpecImages(patched['spec'] as Record<string, unknown>), [
      pinned,
      `nginx:1.27@${digestOf('nginx:1.27')}`,
      `registry.example.com/shop/init:1@${digestOf('registry.example.com/shop/init:1')}`,
      `registry.example.com/tools/debug:2@${digestOf('registry.example.com/tools/debug:2')}`,
    ]);
  });

  it('kubectl debug: an UPDATE of the ephemeralcontainers subresource is judged and its new container pinned', async () => {
    const old = kubeObject('pod-web.json');
    const pod = structuredClone(old);
    (pod['spec'] as Record<string, unknown>)['ephemeralContainers'] = [
      { name: 'debugger-x1', image: 'busybox:1.36', targetContainerName: 'web' },
    ];
    const review = reviewOf(pod, { operation: 'UPDATE', oldObject: old });
    (review['request'] as Record<string, unknown>)['subResource'] = 'ephemeralcontainers';
    const { c } = controller(new DoubleDecider());
    const answer = await c.review('mutate', body(review));
    const patched = applyReplacePatch(pod, patchOf(answer));
    const ephemeral = (patched['spec'] as { ephemeralContainers: { image: string }[] }).ephemeralContainers;
    assert.equal(ephemeral[0]?.image, `busybox:1.36@${digestOf('busybox:1.36')}`);
  });

  it('an image pinned to another digest than the one decided is refused', async () => {
    const pod = kubeObject('pod-web.json');
    const other = `sha256:${'ab'.repeat(32)}`;
    (pod['spec'] as { containers: { image: string }[] }).containers[1]!.image = `nginx:1.27@${other}`;
    const decider = new DoubleDecider({ decide: (image) => decisionFor(image, { digest: digestOf('nginx:1.27') }) });
    const { c } = controller(decider);
    const answer = await c.review('mutate', body(reviewOf(pod)));
    assert.equal(answer.response.allowed, false);
    assert.match(
      answer.response.status?.message ?? '',
      new RegExp(`pins ${other}, but the policy decided about ${digestOf('nginx:1.27')}`),
    );
  });

  it('GitOps mode validates workloads but patches only Pods', async () => {
    const decider = new DoubleDecider({
      decide: (image) => (image === 'nginx:1.27' ? decisionFor(image, { verdict: 'deny', reasons: ['unsigned'] }) : decisionFor(image)),
    });
    const { c } = controller(decider, { gitops: true });
    const deployment = await c.review('mutate', body(reviewOf(kubeObject('deployment-eight.json'))));
    assert.equal(deployment.response.allowed, true);
    assert.equal(deployment.response.patch, undefined, 'a Deployment is not rewritten in GitOps mode');
    const denied = await c.review('validate', body(reviewOf(kubeObject('deployment-web.json'))));
    assert.equal(denied.response.allowed, false, 'workloads are still validated');
    const pod = await c.review('mutate', body(reviewOf(kubeObject('pod-eight.json'))));
    assert.equal(patchOf(pod).length, 8, 'Pods are pinned');
  });
});

describe('admission: exemptions and dry runs', () => {
  it('exempt namespaces, the webhook’s own namespace and label selectors are admitted unchecked', async () => {
    const decider = new DoubleDecider({ decide: (image) => decisionFor(image, { verdict: 'deny', reasons: ['unsigned'] }) });
    const { c } = controller(decider, {
      exemptNamespaces: ['kube-system'],
      ownNamespace: 'dct-system',
      exemptLabels: [parseLabelSelector('dct.dev/exempt=true,tier!=prod')],
    });
    const ks = await c.review('validate', body(reviewOf(kubeObject('pod-web.json'), { namespace: 'kube-system' })));
    assert.equal(ks.response.allowed, true);
    assert.equal(ks.response.auditAnnotations?.['exempt'], 'namespace kube-system is exempt');
    const own = await c.review('mutate', body(reviewOf(kubeObject('pod-web.json'), { namespace: 'dct-system' })));
    assert.equal(own.response.allowed, true);
    assert.equal(own.response.patch, undefined);
    const labelled = kubeObject('pod-web.json');
    (labelled.metadata['labels'] as Record<string, string>)['dct.dev/exempt'] = 'true';
    assert.equal((await c.review('validate', body(reviewOf(labelled)))).response.allowed, true);
    (labelled.metadata['labels'] as Record<string, string>)['tier'] = 'prod';
    assert.equal((await c.review('validate', body(reviewOf(labelled)))).response.allowed, false, 'tier=prod is not exempt');
    assert.equal(decider.calls.length, 2, 'only the last review asked the policy');
  });

  it('a dry run is answered like any request but not written to the audit feed (only the log)', async () => {
    const { c, audited, reviewed } = controller(new DoubleDecider());
    const answer = await c.review('mutate', body(reviewOf(kubeObject('pod-web.json'), { dryRun: true })));
    assert.equal(answer.response.allowed, true);
    assert.equal(patchOf(answer).length, 2);
    assert.equal(audited.length, 0);
    assert.equal(reviewed.length, 1);
    assert.equal(reviewed[0]?.dryRun, true);
  });
});

describe('admission: deciding', () => {
  it('8 containers of 8 images: 8 decisions, all at once', async () => {
    const decider = new DoubleDecider({ delayMs: 100 });
    const { c } = controller(decider);
    const answer = await c.review('mutate', body(reviewOf(kubeObject('pod-eight.json'))));
    assert.equal(answer.response.allowed, true);
    assert.equal(decider.calls.length, 8);
    assert.equal(decider.maxActive, 8, 'all eight in progress at once, not one after another');
  });

  it('a decision whose reads all listen on its deadline signal raises no MaxListenersExceededWarning', async () => {
    // a cosign decision reads up to 8 bundles and 8 payloads at once, each request listening on the signal
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const listening = new DoubleDecider({
        decide: async (image) => decisionFor(image),
      });
      const decide = listening.decide.bind(listening);
      listening.decide = async (image, o) => {
        const handlers = Array.from({ length: 20 }, () => () => undefined);
        for (const h of handlers) o?.signal?.addEventListener('abort', h);
        try {
          return await decide(image, o);
        } finally {
          for (const h of handlers) o?.signal?.removeEventListener('abort', h);
        }
      };
      const { c } = controller(listening);
      const answer = await c.review('mutate', body(reviewOf(kubeObject('pod-web.json'))));
      assert.equal(answer.response.allowed, true);
      assert.ok(listening.signals.length > 0, 'the decider got a signal');
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(
        warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message),
        [],
      );
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('one decision per distinct image, however many containers use it', async () => {
    const pod = kubeObject('pod-web.json');
    const spec = pod['spec'] as { containers: { name: string; image: string }[]; initContainers?: unknown[] };
    spec.containers = Array.from({ length: 8 }, (_, i) => ({ name: `c${i}`, image: 'nginx:1.27' }));
    spec.initContainers = [{ name: 'init', image: 'nginx:1.27' }];
    const decider = new DoubleDecider();
    const { c } = controller(decider);
    const answer = await c.review('mutate', body(reviewOf(pod)));
    assert.deepEqual(decider.calls, ['nginx:1.27']);
    assert.equal(patchOf(answer).length, 9);
  });

  it(
    'a decision slower than the deadline is refused (fail-closed), naming the image; the decider is told to stop',
    { timeout: 30_000 },
    async () => {
      // a decider that never answers: only the deadline can answer the review (the test's limit is a hang detector)
      const decider = new DoubleDecider({ decide: () => new Promise<never>(() => undefined) });
      const { c, images } = controller(decider, { timeoutMs: 50 });
      const answer = await c.review('validate', body(reviewOf(kubeObject('job-migrate.json'))));
      assert.equal(answer.response.allowed, false);
      assert.match(
        answer.response.status?.message ?? '',
        /image registry\.example\.com\/shop\/migrate:3\.1: no decision within 50 ms .*\(fail-closed\)/,
      );
      assert.equal(images[0]?.verdict, 'error');
      assert.equal(images[0]?.error?.code, 'ADMISSION_DECISION_TIMEOUT');
      const signal = decider.signals[0];
      assert.ok(signal, 'the decider was given a signal');
      // the decision is aborted (else this waits until the test's limit)
      if (!signal.aborted) await once(signal, 'abort');
    },
  );

  it('fail-open admits with a warning instead', async () => {
    const { c } = controller(new DoubleDecider({ delayMs: 500 }), { timeoutMs: 50, failOpen: true });
    const answer = await c.review('validate', body(reviewOf(kubeObject('job-migrate.json'))));
    assert.equal(answer.response.allowed, true);
    assert.match(answer.response.warnings?.[0] ?? '', /admitted unverified \(fail-open\): no decision within 50 ms/);
  });

  it('a decider that throws, or no policy loaded, refuses (fail-closed)', async () => {
    const throwing = new DoubleDecider({
      decide: () => {
        throw new Error('registry.example.com: connection refused');
      },
    });
    const a = await controller(throwing).c.review('validate', body(reviewOf(kubeObject('job-migrate.json'))));
    assert.equal(a.response.allowed, false);
    assert.match(a.response.status?.message ?? '', /the decision failed: registry\.example\.com: connection refused \(fail-closed\)/);
    const b = await controller(undefined).c.review('validate', body(reviewOf(kubeObject('job-migrate.json'))));
    assert.equal(b.response.allowed, false);
    assert.match(b.response.status?.message ?? '', /the policy is not loaded/);
  });

  it('the cache answers a second request without the policy; stale decisions are served and revalidated; a policy change clears it', async () => {
    let clock = 0;
    const decider = new DoubleDecider();
    const { c, images } = controller(decider, { cacheTtlMs: 1000, staleMs: 1000 }, () => clock);
    const review = () => body(reviewOf(kubeObject('job-migrate.json')));
    await c.review('validate', review());
    await c.review('validate', review());
    assert.deepEqual(
      images.map((i) => i.cache),
      ['miss', 'hit'],
    );
    assert.equal(decider.calls.length, 1);
    clock = 1500;
    await c.review('validate', review());
    assert.equal(images[2]?.cache, 'stale');
    await new Promise((r) => setImmediate(r));
    assert.equal(decider.calls.length, 2, 'revalidated in the background');
    clock = 1600;
    await c.review('validate', review());
    assert.equal(images[3]?.cache, 'hit', 'the revalidated decision is fresh');
    c.invalidate();
    await c.review('validate', review());
    assert.equal(images[4]?.cache, 'miss');
    assert.equal(decider.calls.length, 3);
  });
});

describe('admission: malformed requests', () => {
  it('are refused with a DctError naming what is wrong', async () => {
    const { c } = controller(new DoubleDecider());
    await assert.rejects(c.review('validate', '{"kind":'), (e) => isDctError(e, 'ADMISSION_REVIEW_INVALID') && /not JSON/.test(e.message));
  });
});
