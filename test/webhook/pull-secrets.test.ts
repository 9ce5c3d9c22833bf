/**
 * `dct admission` with image pull secrets, end to end: a private registry (the real
 * docker-registry behind a Basic-auth proxy) holds an image signed with cosign (`dct cosign sign`
 * through the proxy, its credentials in DOCKER_AUTH_CONFIG); a fake Kubernetes API over HTTPS
 * serves Secrets made by the real kubectl; the webhook runs as the CLI runs it, in-cluster
 * (KUBERNETES_SERVICE_HOST/PORT, a service-account folder with token and ca.crt), with a file
 * audit feed. A Pod naming the secret is admitted; the same image without it is refused, naming
 * the credentials problem (the cached decision made with namespace shop's secret is not reused);
 * a missing secret is named; a workload's service account's secrets are used; a rotated token is
 * read again. Every image decision of a non-dry-run review is one audit record.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Command } from 'commander';
import type { AdmissionReviewResponse } from '../../src/app/admission/admission-review.js';
import { runCosign } from '../../src/cli/commands/cosign/index.js';
import { registerAdmissionCommand } from '../../src/cli/commands/admission.js';
import type { AuditRecord } from '../../src/core/policy/audit-record.js';
import { isDctError } from '../../src/core/errors.js';
import type { RunningWebhook } from '../../src/webhook/start-webhook.js';
import { interopSkip } from '../support/interop.js';
import { plainRegistryMissing, startPlainRegistry, type PlainRegistry } from '../support/plain-registry.js';
import { RegistryClient } from '../../src/adapters/registry/registry-client.js';
import { RegistrySignatureStore } from '../../src/adapters/registry/signature-registry-client.js';
import { pushImage } from '../app/cosign/images/registries.js';
import { kubeObject, reviewOf, type K8sObject } from '../app/admission/admission-doubles.js';
import { startBasicAuthProxy, type BasicAuthProxy } from './basic-auth-proxy.js';
import {
  kubectlDockerRegistrySecret,
  kubectlServiceAccount,
  secretPath,
  serviceAccountPath,
  startFakeKubernetesApi,
  type FakeKubernetesApi,
} from './fake-kubernetes-api.js';
import { postJson, selfSignedCert } from './webhook-support.js';

const USER = 'puller';
const PASSWORD = 'pull-s3cret';

describe('dct admission with image pull secrets', { skip: interopSkip(plainRegistryMissing()) }, () => {
  let dir: string;
  let backend: PlainRegistry;
  let proxy: BasicAuthProxy;
  let api: FakeKubernetesApi;
  let env: Record<string, string>;
  let saDir: string;
  let policyFile: string;
  let auditFile: string;
  let image: string;
  const tls = () => selfSignedCert(dir, 'webhook');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dct-pull-secrets-'));
    backend = await startPlainRegistry();
    proxy = await startBasicAuthProxy(backend.host, USER, PASSWORD);
    const built = await pushImage(new RegistrySignatureStore(new RegistryClient(backend.host, {})), 'private/app', '1.0', 'pull-secrets');
    image = `${proxy.host}/private/app:1.0`;

    const home = join(dir, 'home');
    mkdirSync(join(home, 'docker'), { recursive: true });
    env = {
      HOME: home,
      DOCKER_CONFIG: join(home, 'docker'),
      DCT_CONFIG: join(home, 'dct.json'),
      // no trust server: DCT has nothing to say about this image (the rule asks cosign only)
      DOCKER_CONTENT_TRUST_SERVER: 'https://127.0.0.1:1',
      COSIGN_PASSWORD: 'pull-secrets-cosign',
      PATH: process.env['PATH'] ?? '',
    };
    const secret = kubectlDockerRegistrySecret('regcred', 'shop', proxy.host, USER, PASSWORD);
    // the secret's docker config, as DOCKER_AUTH_CONFIG, lets `dct cosign sign` push through the proxy
    const dockerConfigJson = Buffer.from((secret['data'] as Record<string, string>)['.dockerconfigjson'] as string, 'base64').toString();
    const io = { out: () => {}, err: () => {}, readLine: async () => undefined, cwd: home, now: () => new Date(), hints: false };
    const signEnv = { ...env, DOCKER_AUTH_CONFIG: dockerConfigJson };
    assert.equal(
      await runCosign(['generate-key-pair', '--output-key-prefix', join(home, 'release')], { io, env, stdin: process.stdin }),
      0,
    );
    let err = '';
    const code = await runCosign(
      ['sign', '--key', join(home, 'release.key'), '--tlog-upload=false', '--yes', `${proxy.host}/private/app@${built.digest}`],
      {
        io: { ...io, err: (t: string) => void (err += t) },
        env: signEnv,
        stdin: process.stdin,
      },
    );
    assert.equal(code, 0, `dct cosign sign through the proxy: ${err}`);

    policyFile = join(dir, 'policy.yaml');
    writeFileSync(
      policyFile,
      [
        'version: 1',
        'rules:',
        '  - name: private',
        `    match: ${proxy.host}/private/*`,
        '    require:',
        '      cosign:',
        `        key: ${join(home, 'release.pub')}`,
        '        tlog: false',
        '',
      ].join('\n'),
    );

    saDir = join(dir, 'serviceaccount');
    mkdirSync(saDir);
    writeFileSync(join(saDir, 'token'), 'token-one\n');
    writeFileSync(join(saDir, 'namespace'), 'dct-system\n');
    api = await startFakeKubernetesApi(dir, join(saDir, 'token'));
    writeFileSync(join(saDir, 'ca.crt'), api.ca);
    api.objects.set(secretPath('shop', 'regcred'), secret);
    api.objects.set(secretPath('team', 'teamcred'), kubectlDockerRegistrySecret('teamcred', 'team', proxy.host, USER, PASSWORD));
    api.objects.set(secretPath('shop', 'wrongcred'), kubectlDockerRegistrySecret('wrongcred', 'shop', proxy.host, USER, 'not-it'));
    api.objects.set(serviceAccountPath('shop', 'builder'), kubectlServiceAccount('builder', 'shop', ['regcred']));
    api.objects.set(serviceAccountPath('shop', 'default'), kubectlServiceAccount('default', 'shop', []));
    api.objects.set(serviceAccountPath('other', 'default'), kubectlServiceAccount('default', 'other', []));
    auditFile = join(dir, 'audit.jsonl');
  });
  after(async () => {
    await api?.close();
    await proxy?.close();
    await backend?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function admission(extraEnv: Record<string, string>, args: string[], use: (webhook: RunningWebhook, ca: Buffer) => Promise<void>) {
    const cert = tls();
    const program = new Command('dct').exitOverride();
    registerAdmissionCommand(
      program,
      { text: () => {}, json: () => undefined, warn: () => {} },
      { ...env, ...extraEnv },
      {
        started: (webhook) => use(webhook, cert.cert),
      },
    );
    await program.parseAsync([
      'node',
      'dct',
      'admission',
      '--listen',
      '127.0.0.1:0',
      '--tls-cert',
      cert.certFile,
      '--tls-key',
      cert.keyFile,
      '--policy',
      policyFile,
      '--log-level',
      'silent',
      ...args,
    ]);
  }

  const podOf = (spec: Record<string, unknown>): K8sObject => {
    const pod = kubeObject('pod-web.json');
    return { ...pod, spec: { ...(pod['spec'] as Record<string, unknown>), containers: [{ name: 'app', image }], ...spec } };
  };
  const review = async (webhook: RunningWebhook, ca: Buffer, object: K8sObject, namespace: string, dryRun = false) => {
    const r = await postJson(`${webhook.url}/validate`, JSON.stringify(reviewOf(object, { namespace, dryRun })), ca);
    assert.equal(r.status, 200, r.body);
    return (JSON.parse(r.body) as AdmissionReviewResponse).response;
  };

  it('admits a Pod whose pull secret reads the private image, refuses it without; audits each decision', async () => {
    const inCluster = { KUBERNETES_SERVICE_HOST: api.host, KUBERNETES_SERVICE_PORT: String(api.port) };
    await admission(inCluster, ['--service-account-dir', saDir, '--audit', auditFile], async (webhook, ca) => {
      const admitted = await review(webhook, ca, podOf({ imagePullSecrets: [{ name: 'regcred' }] }), 'shop');
      assert.equal(admitted.allowed, true, JSON.stringify(admitted));

      // namespace other has no secret: the decision cached for shop's secret is not reused
      const refused = await review(webhook, ca, podOf({}), 'other');
      assert.equal(refused.allowed, false);
      assert.match(refused.status?.message ?? '', new RegExp(`image ${image}: .*requires authentication and no credentials are known`));

      const wrong = await review(webhook, ca, podOf({ imagePullSecrets: [{ name: 'wrongcred' }] }), 'shop');
      assert.equal(wrong.allowed, false);
      assert.match(wrong.status?.message ?? '', /AUTH|unauthorized|refused|credentials/i);

      const missing = await review(webhook, ca, podOf({ imagePullSecrets: [{ name: 'nosuch' }] }), 'shop');
      assert.equal(missing.allowed, false);
      assert.match(missing.status?.message ?? '', /image pull secrets: secret shop\/nosuch not found/);

      // a workload naming no secret: its service account's
      const deployment = kubeObject('deployment-web.json');
      const template = (deployment['spec'] as { template: { spec: Record<string, unknown> } }).template;
      template.spec = { ...template.spec, serviceAccountName: 'builder', containers: [{ name: 'app', image }] };
      assert.equal((await review(webhook, ca, deployment, 'shop')).allowed, true, 'the service account builder names regcred');

      // a dry run is answered but not audited
      assert.equal((await review(webhook, ca, podOf({ imagePullSecrets: [{ name: 'regcred' }] }), 'shop', true)).allowed, true);

      // the token rotates: the next read presents the new one
      writeFileSync(join(saDir, 'token'), 'token-two\n');
      const rotated = await review(webhook, ca, podOf({ imagePullSecrets: [{ name: 'teamcred' }] }), 'team');
      assert.equal(rotated.allowed, true, JSON.stringify(rotated));
      writeFileSync(join(saDir, 'token'), 'token-one\n');
    });
    assert.ok(proxy.refused > 0, 'the registry refused the requests without credentials');
    assert.ok(api.requests.includes(secretPath('shop', 'regcred')), 'the secret was read from the API');

    const records = readFileSync(auditFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditRecord);
    assert.equal(records.length, 6, 'one record per image decision of the six reviews that were not dry runs');
    assert.deepEqual(
      records.map((r) => [r.context['namespace'], r.verdict, r.admitted]),
      [
        ['shop', 'allow', true],
        ['other', 'deny', false],
        ['shop', 'deny', false],
        ['shop', 'deny', false],
        ['shop', 'allow', true],
        ['team', 'allow', true],
      ],
    );
    const first = records[0] as AuditRecord;
    assert.equal(first.point, 'admission');
    assert.equal(first.image, image);
    assert.match(first.digest ?? '', /^sha256:/);
    assert.equal(first.rule, 'private');
    assert.equal(first.actor.user, 'system:serviceaccount:kube-system:replicaset-controller');
    assert.deepEqual(Object.keys(first.context).sort(), ['endpoint', 'kind', 'name', 'namespace', 'operation', 'uid']);
    assert.equal(first.context['endpoint'], 'validate');
    assert.ok(
      first.signatures.some((s) => s.format === 'cosign' && s.verdict === 'verified'),
      JSON.stringify(first.signatures),
    );
    assert.match((records[1] as AuditRecord).reasons.join(' '), /requires authentication/);
    assert.ok(!readFileSync(auditFile, 'utf8').includes(PASSWORD), 'no password in the audit feed');
  });

  it("the webhook's own credentials: DOCKER_AUTH_CONFIG (no cluster); a malformed one, or config.json, refuses to start", async () => {
    const secret = api.objects.get(secretPath('shop', 'regcred')) as { data: Record<string, string> };
    const own = Buffer.from(secret.data['.dockerconfigjson'] as string, 'base64').toString();
    await admission({ DOCKER_AUTH_CONFIG: own }, ['--no-pull-secrets'], async (webhook, ca) => {
      assert.equal((await review(webhook, ca, podOf({}), 'other')).allowed, true);
    });
    await assert.rejects(
      admission({ DOCKER_AUTH_CONFIG: '{"auths":{"r.example.com":{"username":"u"}}}' }, [], async () => assert.fail('started')),
      (err: unknown) => isDctError(err, 'INVALID_DOCKER_CONFIG') && /DOCKER_AUTH_CONFIG.*missing key `auth`/.test(err.message),
    );
    const badDir = join(dir, 'bad-docker-config');
    mkdirSync(badDir, { recursive: true });
    writeFileSync(join(badDir, 'config.json'), '{"auths": {"r.example.com": {"auth": "not base64!"}}}');
    await assert.rejects(
      admission({ DOCKER_CONFIG: badDir }, [], async () => assert.fail('started')),
      (err: unknown) => isDctError(err, 'INVALID_DOCKER_CONFIG') && err.message.includes(join(badDir, 'config.json')),
    );
  });
});
