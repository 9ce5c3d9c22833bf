/** Where the images are in every workload kind (kubectl-generated objects), with their JSON pointers. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { workloadImages } from '../../../src/app/admission/workload-images.js';
import { isDctError } from '../../../src/core/errors.js';
import { asWorkload, kubeObject } from './admission-doubles.js';

const apps = (kind: string) => ({ group: 'apps', version: 'v1', kind });

describe('workloadImages', () => {
  it('a Pod: its spec', () => {
    const found = workloadImages({ group: '', version: 'v1', kind: 'Pod' }, kubeObject('pod-web.json'));
    assert.equal(found?.isPod, true);
    assert.deepEqual(
      found?.images.map((i) => [i.pointer, i.image, i.container, i.field]),
      [
        ['/spec/containers/0/image', 'registry.example.com/shop/web:1.4.2', 'web', 'containers'],
        ['/spec/containers/1/image', 'nginx:1.27', 'nginx', 'containers'],
      ],
    );
  });

  it('Deployment, StatefulSet, DaemonSet, ReplicaSet: the pod template', () => {
    for (const kind of ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'] as const) {
      const object = kind === 'Deployment' ? kubeObject('deployment-web.json') : asWorkload(kind, kubeObject('deployment-web.json'));
      const found = workloadImages(apps(kind), object);
      assert.equal(found?.isPod, false);
      assert.deepEqual(
        found?.images.map((i) => i.pointer),
        ['/spec/template/spec/containers/0/image', '/spec/template/spec/containers/1/image'],
        kind,
      );
    }
  });

  it("a Job's template and a CronJob's job template", () => {
    const job = workloadImages({ group: 'batch', version: 'v1', kind: 'Job' }, kubeObject('job-migrate.json'));
    assert.deepEqual(
      job?.images.map((i) => [i.pointer, i.image]),
      [['/spec/template/spec/containers/0/image', 'registry.example.com/shop/migrate:3.1']],
    );
    const cron = workloadImages({ group: 'batch', version: 'v1', kind: 'CronJob' }, kubeObject('cronjob-nightly.json'));
    assert.deepEqual(
      cron?.images.map((i) => [i.pointer, i.image]),
      [['/spec/jobTemplate/spec/template/spec/containers/0/image', 'registry.example.com/shop/report:0.9']],
    );
  });

  it('init and ephemeral containers; a container without an image has nothing to check', () => {
    const pod = kubeObject('pod-web.json');
    const spec = pod['spec'] as Record<string, unknown>;
    spec['initContainers'] = [{ name: 'init', image: 'busybox:1.36' }, { name: 'filled-in-later' }];
    spec['ephemeralContainers'] = [{ name: 'debug', image: 'busybox:1.36' }];
    const found = workloadImages({ group: '', version: 'v1', kind: 'Pod' }, pod);
    assert.deepEqual(
      found?.images.map((i) => i.pointer),
      ['/spec/containers/0/image', '/spec/containers/1/image', '/spec/initContainers/0/image', '/spec/ephemeralContainers/0/image'],
    );
  });

  it('other kinds carry no pod spec dct checks; a kind of another group is not mistaken for one', () => {
    assert.equal(workloadImages({ group: '', version: 'v1', kind: 'Service' }, {}), undefined);
    assert.equal(workloadImages({ group: 'example.com', version: 'v1', kind: 'Deployment' }, {}), undefined);
  });

  it('a malformed object is refused with where it is wrong', () => {
    const bad = (object: Record<string, unknown>, pattern: RegExp, kind = apps('Deployment')) =>
      assert.throws(
        () => workloadImages(kind, object),
        (e: unknown) => isDctError(e, 'ADMISSION_OBJECT_INVALID') && pattern.test(e.message),
      );
    bad({ spec: 'x' }, /\/spec is not an object/);
    bad({ spec: { template: {} } }, /\/spec\/template\/spec is missing or not an object/);
    bad({ spec: { template: { spec: { containers: {} } } } }, /\/spec\/template\/spec\/containers is not a list/);
    bad({ spec: { template: { spec: { containers: ['nginx'] } } } }, /containers\/0 is not an object/);
    bad({ spec: { template: { spec: { initContainers: [{ image: ['x'] }] } } } }, /initContainers\/0\/image is not a string/);
  });
});
