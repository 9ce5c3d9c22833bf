/**
 * The webhook end to end over HTTPS with a certificate made by openssl: health and readiness,
 * AdmissionReviews on /validate and /mutate (the fixture review the README sends), refusals of
 * what is not one, Prometheus metrics, the policy file reloaded when it changes (a broken one
 * keeps the policy in force), and the TLS certificate reloaded when its files change.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_ADMISSION_SETTINGS, type AdmissionRecord } from '../../src/app/admission/admission-controller.js';
import type { AdmissionReviewResponse } from '../../src/app/admission/admission-review.js';
import { startWebhook, type PolicyHandle, type RunningWebhook } from '../../src/webhook/start-webhook.js';
import {
  ADMISSION_FIXTURES,
  applyReplacePatch,
  digestOf,
  kubeObject,
  patchOf,
  podSpecImages,
  reviewOf,
} from '../app/admission/admission-doubles.js';
import { capturedLog, eventually, httpsRequest, loadPolicyDouble, postJson, selfSignedCert } from './webhook-support.js';

const REVIEW = readFileSync(join(ADMISSION_FIXTURES, 'review-pod.json'));

describe('dct admission webhook over HTTPS', () => {
  let dir: string;
  let tls: ReturnType<typeof selfSignedCert>;
  let policyFile: string;
  let webhook: RunningWebhook;
  let releasePolicy: () => void;
  const logs = capturedLog();
  const audited: AdmissionRecord[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dct-admission-'));
    tls = selfSignedCert(dir, 'webhook');
    policyFile = join(dir, 'policy.json');
    writeFileSync(policyFile, JSON.stringify({ deny: [] }));
    const gate = new Promise<void>((resolve) => (releasePolicy = resolve));
    webhook = await startWebhook({
      host: '127.0.0.1',
      port: 0,
      tlsCertFile: tls.certFile,
      tlsKeyFile: tls.keyFile,
      policyFile,
      loadPolicy: async (): Promise<PolicyHandle> => {
        await gate;
        return loadPolicyDouble(policyFile);
      },
      settings: { ...DEFAULT_ADMISSION_SETTINGS, maxReviewBytes: 64 * 1024 },
      log: logs.log,
      pollMs: 100,
      audit: (r) => audited.push(r),
    });
  });
  after(async () => {
    await webhook?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (path: string) => httpsRequest(`${webhook.url}${path}`, { ca: tls.cert });
  const post = (path: string, body: string | Buffer) => postJson(`${webhook.url}${path}`, body, tls.cert);

  it('is healthy at once, ready once the policy has loaded', async () => {
    assert.match(webhook.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const health = await get('/healthz');
    assert.equal(health.status, 200);
    assert.equal(health.peer, tls.fingerprint, 'served with the openssl certificate');
    const notReady = await get('/readyz');
    assert.equal(notReady.status, 503);
    assert.match(notReady.body, /not ready: the policy is loading/);
    const early = JSON.parse((await post('/validate', REVIEW)).body) as AdmissionReviewResponse;
    assert.equal(early.response.allowed, false, 'fail-closed until a policy is loaded');
    assert.match(early.response.status?.message ?? '', /the policy is not loaded/);
    releasePolicy();
    assert.equal(await webhook.policyLoaded, true);
    assert.equal((await get('/readyz')).status, 200);
  });

  it('POST /validate and /mutate answer the fixture AdmissionReview (the README’s curl)', async () => {
    const validated = await post('/validate', REVIEW);
    assert.equal(validated.status, 200);
    assert.match(String(validated.headers['content-type']), /^application\/json/);
    const v = JSON.parse(validated.body) as AdmissionReviewResponse;
    assert.deepEqual(
      [v.apiVersion, v.kind, v.response.uid, v.response.allowed],
      ['admission.k8s.io/v1', 'AdmissionReview', '705ab4f5-6393-11e8-b7cc-42010a800002', true],
    );
    const m = JSON.parse((await post('/mutate', REVIEW)).body) as AdmissionReviewResponse;
    const pod = (JSON.parse(REVIEW.toString('utf8')) as { request: { object: Record<string, unknown> } }).request.object;
    const patched = applyReplacePatch(pod, patchOf(m));
    assert.deepEqual(podSpecImages(patched['spec'] as Record<string, unknown>), [
      `registry.example.com/shop/web:1.4.2@${digestOf('registry.example.com/shop/web:1.4.2')}`,
      `nginx:1.27@${digestOf('nginx:1.27')}`,
    ]);
    assert.ok(audited.some((r) => r.uid === '705ab4f5-6393-11e8-b7cc-42010a800002' && r.endpoint === 'mutate' && r.patched === 2));
    const logged = logs.lines().find((l) => l.msg === 'admission review' && l['endpoint'] === 'mutate');
    assert.equal(logged?.['uid'], '705ab4f5-6393-11e8-b7cc-42010a800002');
  });

  it('refuses what is not an AdmissionReview with a status and a message', async () => {
    const error = (a: { body: string }) => (JSON.parse(a.body) as { error: { code: string; message: string } }).error;
    const notJson = await post('/validate', '{"apiVersion": "admission.k8s.io/v1", ');
    assert.equal(notJson.status, 400);
    assert.equal(error(notJson).code, 'ADMISSION_REVIEW_INVALID');
    assert.match(error(notJson).message, /the body is not JSON/);
    const v1beta1 = await post(
      '/mutate',
      JSON.stringify({ ...JSON.parse(REVIEW.toString('utf8')), apiVersion: 'admission.k8s.io/v1beta1' }),
    );
    assert.equal(v1beta1.status, 400);
    assert.match(error(v1beta1).message, /admissionReviewVersions/);
    const big = await post('/validate', Buffer.alloc(100 * 1024, 0x20));
    assert.equal(big.status, 413);
    assert.equal(error(big).code, 'ADMISSION_BODY_TOO_LARGE');
    const form = await httpsRequest(`${webhook.url}/validate`, {
      method: 'POST',
      body: REVIEW,
      ca: tls.cert,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(form.status, 415);
    assert.match(error(form).message, /Content-Type: application\/json/);
    const getValidate = await get('/validate');
    assert.equal(getValidate.status, 405);
    assert.equal(getValidate.headers['allow'], 'POST');
    assert.equal((await get('/nope')).status, 404);
    // and the server is still fine
    assert.equal((await post('/validate', REVIEW)).status, 200);
  });

  it('GET /metrics: decisions by verdict, latency histogram, cache outcomes, policy loads', async () => {
    const metrics = await get('/metrics');
    assert.equal(metrics.status, 200);
    assert.match(String(metrics.headers['content-type']), /^text\/plain/);
    const value = (pattern: RegExp): number => Number(pattern.exec(metrics.body)?.[1] ?? NaN);
    assert.ok(value(/^dct_admission_decisions_total\{verdict="allow"\} (\d+)/m) >= 2);
    assert.ok(value(/^dct_admission_decisions_total\{verdict="error"\} (\d+)/m) >= 1, 'the review before the policy loaded');
    assert.ok(value(/^dct_admission_cache_total\{outcome="hit"\} (\d+)/m) >= 2, 'the second review hit the cache');
    assert.ok(value(/^dct_admission_cache_total\{outcome="miss"\} (\d+)/m) >= 2);
    assert.match(metrics.body, /^dct_admission_cache_total\{outcome="stale"\} \d+/m);
    assert.ok(value(/^dct_admission_review_duration_seconds_count\{endpoint="validate"\} (\d+)/m) >= 2);
    assert.match(metrics.body, /^dct_admission_review_duration_seconds_bucket\{(?=[^}]*le="0.005")(?=[^}]*endpoint="mutate")[^}]*\} \d+$/m);
    assert.ok(value(/^dct_admission_reviews_total\{endpoint="validate",allowed="false"\} (\d+)/m) >= 1);
    assert.ok(value(/^dct_admission_invalid_requests_total\{code="ADMISSION_BODY_TOO_LARGE"\} (\d+)/m) >= 1);
    assert.equal(value(/^dct_admission_policy_loaded (\d+)/m), 1);
    assert.equal(value(/^dct_admission_policy_reloads_total\{result="success"\} (\d+)/m), 1);
  });

  it('reloads the policy file when it changes; a broken file keeps the policy in force and is logged', async () => {
    const review = JSON.stringify(reviewOf(kubeObject('pod-web.json')));
    const allowed = async () => (JSON.parse((await post('/validate', review)).body) as AdmissionReviewResponse).response.allowed;
    assert.equal(await allowed(), true);
    writeFileSync(policyFile, JSON.stringify({ deny: ['nginx:1.27'] }));
    await eventually(async () => !(await allowed()), 8000, 'the new policy to deny nginx (and the cache to be cleared)');
    const denied = JSON.parse((await post('/validate', review)).body) as AdmissionReviewResponse;
    assert.match(denied.response.status?.message ?? '', /image nginx:1\.27: nginx:1\.27 is denied by the test policy/);

    writeFileSync(policyFile, '{"deny": [');
    await eventually(
      () => logs.lines().some((l) => l.level === 50 && /the changed policy did not load; the previous policy stays in force/.test(l.msg)),
      8000,
      'the error log',
    );
    assert.equal(await allowed(), false, 'the previous policy (deny nginx) is still in force');
    assert.equal((await get('/readyz')).status, 200, 'still ready');
    assert.match((await get('/metrics')).body, /^dct_admission_policy_reloads_total\{result="failure"\} [1-9]\d*$/m);

    writeFileSync(policyFile, JSON.stringify({ deny: [] }));
    await eventually(allowed, 8000, 'the fixed policy');
  });

  it('warn-mode decisions come back as admission warnings', async () => {
    writeFileSync(policyFile, JSON.stringify({ warn: ['nginx:1.27'] }));
    const review = JSON.stringify(reviewOf(kubeObject('pod-web.json')));
    await eventually(
      async () => ((JSON.parse((await post('/validate', review)).body) as AdmissionReviewResponse).response.warnings ?? []).length > 0,
    );
    const answer = JSON.parse((await post('/validate', review)).body) as AdmissionReviewResponse;
    assert.deepEqual(answer.response.warnings, ['image nginx:1.27: unsigned (warn)']);
    assert.equal(answer.response.allowed, true);
  });

  it('serves a renewed certificate once its files change (new connections)', async () => {
    const renewed = selfSignedCert(dir, 'renewed');
    assert.notEqual(renewed.fingerprint, tls.fingerprint);
    copyFileSync(renewed.keyFile, tls.keyFile);
    copyFileSync(renewed.certFile, tls.certFile);
    await eventually(
      async () => (await httpsRequest(`${webhook.url}/healthz`, { ca: [tls.cert, renewed.cert] })).peer === renewed.fingerprint,
      8000,
      'the renewed certificate',
    );
    // a half-written pair (certificate of one key, key of another) is refused, the renewed one stays
    const tlsErrors = () => logs.lines().filter((l) => /the changed TLS certificate did not load/.test(l.msg)).length;
    const errorsBefore = tlsErrors();
    const other = selfSignedCert(dir, 'other');
    copyFileSync(other.keyFile, tls.keyFile);
    await eventually(() => tlsErrors() > errorsBefore, 8000, 'the TLS error log');
    assert.equal((await httpsRequest(`${webhook.url}/healthz`, { ca: [renewed.cert] })).peer, renewed.fingerprint);
  });
});

describe('dct admission webhook: a policy that does not load at the start', () => {
  it('is not ready, says why, refuses reviews, and becomes ready when the file is fixed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dct-admission-'));
    const tls = selfSignedCert(dir, 'webhook');
    const policyFile = join(dir, 'policy.json');
    writeFileSync(policyFile, 'not json');
    const logs = capturedLog();
    const webhook = await startWebhook({
      host: '127.0.0.1',
      port: 0,
      tlsCertFile: tls.certFile,
      tlsKeyFile: tls.keyFile,
      policyFile,
      loadPolicy: () => loadPolicyDouble(policyFile),
      settings: DEFAULT_ADMISSION_SETTINGS,
      log: logs.log,
      pollMs: 100,
    });
    try {
      assert.equal(await webhook.policyLoaded, false);
      const ready = await httpsRequest(`${webhook.url}/readyz`, { ca: tls.cert });
      assert.equal(ready.status, 503);
      assert.match(ready.body, /the policy .*policy\.json did not load: Unexpected token/);
      assert.ok(logs.lines().some((l) => l.level === 50 && /did not load/.test(l.msg)));
      writeFileSync(policyFile, '{}');
      await eventually(async () => (await httpsRequest(`${webhook.url}/readyz`, { ca: tls.cert })).status === 200, 8000, 'ready');
      const answer = JSON.parse((await postJson(`${webhook.url}/validate`, REVIEW, tls.cert)).body) as AdmissionReviewResponse;
      assert.equal(answer.response.allowed, true);
    } finally {
      await webhook.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start with a certificate and key that do not match', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dct-admission-'));
    try {
      const a = selfSignedCert(dir, 'a');
      const b = selfSignedCert(dir, 'b');
      await assert.rejects(
        startWebhook({
          host: '127.0.0.1',
          port: 0,
          tlsCertFile: a.certFile,
          tlsKeyFile: b.keyFile,
          policyFile: join(dir, 'p.json'),
          loadPolicy: () => loadPolicyDouble(join(dir, 'p.json')),
          settings: DEFAULT_ADMISSION_SETTINGS,
          log: capturedLog().log,
        }),
        (e: unknown) => (e as { code?: string }).code === 'ADMISSION_TLS_INVALID' && /do not make a pair/.test((e as Error).message),
      );
      await assert.rejects(
        startWebhook({
          host: '127.0.0.1',
          port: 0,
          tlsCertFile: join(dir, 'missing.crt'),
          tlsKeyFile: b.keyFile,
          policyFile: join(dir, 'p.json'),
          loadPolicy: () => loadPolicyDouble(join(dir, 'p.json')),
          settings: DEFAULT_ADMISSION_SETTINGS,
          log: capturedLog().log,
        }),
        (e: unknown) => (e as { code?: string }).code === 'ADMISSION_TLS_INVALID' && /cannot read/.test((e as Error).message),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
