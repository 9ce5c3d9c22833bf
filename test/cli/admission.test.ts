/**
 * `dct admission`: its flags become the webhook's settings (GitOps mode, exemptions, timeout,
 * cache), it starts over HTTPS with an openssl certificate and stops; bad flags are refused
 * before anything listens.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Command } from 'commander';
import type { AdmissionReviewResponse } from '../../src/app/admission/admission-review.js';
import { admissionSettings, registerAdmissionCommand, type AdmissionCommandDeps } from '../../src/cli/commands/admission.js';
import { isDctError } from '../../src/core/errors.js';
import type { RunningWebhook } from '../../src/webhook/start-webhook.js';
import { kubeObject, reviewOf } from '../app/admission/admission-doubles.js';
import { httpsRequest, loadPolicyDouble, postJson, selfSignedCert } from '../webhook/webhook-support.js';

describe('dct admission', () => {
  let dir: string;
  let tls: ReturnType<typeof selfSignedCert>;
  let policyFile: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dct-admission-cli-'));
    tls = selfSignedCert(dir, 'webhook');
    policyFile = join(dir, 'policy.json');
    writeFileSync(policyFile, JSON.stringify({ deny: ['nginx:1.27'] }));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function run(args: string[], deps: AdmissionCommandDeps, env: Record<string, string | undefined> = {}) {
    const text: string[] = [];
    const warnings: string[] = [];
    const program = new Command('dct').exitOverride();
    registerAdmissionCommand(
      program,
      { text: (s) => void text.push(s), json: () => undefined, warn: (s) => void warnings.push(s) },
      env,
      deps,
    );
    await program.parseAsync([
      'node',
      'dct',
      'admission',
      '--listen',
      '127.0.0.1:0',
      '--tls-cert',
      tls.certFile,
      '--tls-key',
      tls.keyFile,
      ...args,
    ]);
    return { text: text.join(''), warnings };
  }

  it('serves reviews with the flags given: GitOps mode, exempt namespaces, the own namespace', async () => {
    const seen: string[] = [];
    const { text, warnings } = await run(
      [
        '--policy',
        policyFile,
        '--gitops',
        '--exempt-namespace',
        'kube-system',
        '--exempt-namespace',
        'monitoring',
        '--timeout',
        '2s',
        '--cache-ttl',
        '1m',
        '--log-level',
        'silent',
      ],
      {
        loadPolicy: (file) => loadPolicyDouble(file),
        started: async (webhook: RunningWebhook) => {
          assert.equal((await httpsRequest(`${webhook.url}/readyz`, { ca: tls.cert })).status, 200);
          const post = async (review: Record<string, unknown>, path = '/validate') =>
            (JSON.parse((await postJson(`${webhook.url}${path}`, JSON.stringify(review), tls.cert)).body) as AdmissionReviewResponse)
              .response;
          const denied = await post(reviewOf(kubeObject('deployment-web.json')));
          assert.equal(denied.allowed, false);
          seen.push(denied.status?.message ?? '');
          const exempt = await post(reviewOf(kubeObject('deployment-web.json'), { namespace: 'monitoring' }));
          assert.equal(exempt.auditAnnotations?.['exempt'], 'namespace monitoring is exempt');
          const own = await post(reviewOf(kubeObject('deployment-web.json'), { namespace: 'dct-system' }));
          assert.equal(own.auditAnnotations?.['exempt'], "namespace dct-system is the webhook's own");
          const gitops = await post(reviewOf(kubeObject('deployment-eight.json')), '/mutate');
          assert.equal(gitops.allowed, true);
          assert.equal(gitops.patch, undefined, '--gitops: a Deployment is not patched');
          const pod = await post(reviewOf(kubeObject('pod-eight.json')), '/mutate');
          assert.equal(pod.patchType, 'JSONPatch');
        },
      },
      { POD_NAMESPACE: 'dct-system' },
    );
    assert.match(seen[0] ?? '', /image nginx:1\.27/);
    assert.match(text, /^dct admission listening on https:\/\/127\.0\.0\.1:\d+\ndct admission stopped\n$/);
    assert.deepEqual(warnings, []);
  });

  it('with the policy engine: a policy file that does not load leaves it not ready, saying why', async () => {
    // policyFile is the test double's format, not a trust policy: the real loader refuses it
    const { warnings } = await run(['--policy', policyFile, '--log-level', 'silent'], {
      started: async (webhook) => {
        const ready = await httpsRequest(`${webhook.url}/readyz`, { ca: tls.cert });
        assert.equal(ready.status, 503);
        assert.match(ready.body, /POLICY_INVALID|policy\.json/);
      },
    });
    assert.match(warnings[0] ?? '', /did not load: not ready/);
  });

  it('refuses bad flags before listening', async () => {
    const refused = async (args: string[], pattern: RegExp) =>
      assert.rejects(
        run(['--policy', policyFile, ...args], {
          loadPolicy: () => assert.fail('must not start'),
          started: async () => assert.fail('must not start'),
        }),
        (e: unknown) => isDctError(e) && pattern.test(e.message),
        args.join(' '),
      );
    await refused(['--timeout', '10'], /--timeout must be a duration such as 500ms, 8s/);
    await refused(['--timeout', '31s'], /--timeout must be more than 0 and at most 30s/);
    await refused(['--cache-ttl', 'forever'], /--cache-ttl must be a duration/);
    await refused(['--exempt-label', 'a=b=c'], /label selector "a=b=c"/);
    await refused(['--listen', 'localhost'], /--listen must be HOST:PORT/);
    await refused(['--max-body-bytes', '12'], /--max-body-bytes must be a number of bytes, at least 1024/);
    await refused(['--log-level', 'loud'], /--log-level must be/);
  });

  it('defaults: 8 s, fail-closed, 5 min cache served stale for as long again', () => {
    const s = admissionSettings(
      {
        listen: '',
        policy: '',
        tlsCert: '',
        tlsKey: '',
        timeout: '8s',
        cacheTtl: '5m',
        exemptNamespace: [],
        exemptLabel: [],
        maxBodyBytes: '6291456',
        logLevel: 'info',
      },
      {},
    );
    assert.deepEqual([s.timeoutMs, s.failOpen, s.gitops, s.cacheTtlMs, s.staleMs], [8000, false, false, 300_000, 300_000]);
  });
});
