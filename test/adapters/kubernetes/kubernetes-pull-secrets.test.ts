/**
 * The cluster's image pull secrets as the webhook reads them, against a fake Kubernetes API over
 * HTTPS serving Secrets made by the real kubectl: both pull-secret types, Docker Hub's names, the
 * first secret naming a registry winning, glob keys (`*.example.com`) after exact names, the
 * service account's secrets after the Pod's, what
 * cannot be read reported (a wrong type, a missing secret, a 401 with the RBAC hint), answers
 * kept for the TTL but API failures not, and a rotated token read again.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { inClusterConfig } from '../../../src/adapters/kubernetes/in-cluster-config.js';
import { KubernetesApi } from '../../../src/adapters/kubernetes/kubernetes-api.js';
import { KubernetesPullSecrets } from '../../../src/adapters/kubernetes/kubernetes-pull-secrets.js';
import { pullSecretLogins, registryKeyMatches, registryOfKey } from '../../../src/adapters/kubernetes/pull-secret.js';
import { isDctError } from '../../../src/core/errors.js';
import {
  kubectlDockerRegistrySecret,
  kubectlServiceAccount,
  secretPath,
  serviceAccountPath,
  startFakeKubernetesApi,
  type FakeKubernetesApi,
} from '../../webhook/fake-kubernetes-api.js';

function kubectlJson(args: string[]): Record<string, unknown> {
  return JSON.parse(execFileSync('kubectl', [...args, '--dry-run=client', '-o', 'json'], { encoding: 'utf8' })) as Record<string, unknown>;
}

describe('KubernetesPullSecrets', () => {
  let dir: string;
  let api: FakeKubernetesApi;
  let tokenFile: string;
  let env: Record<string, string>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dct-kube-secrets-'));
    tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'first');
    api = await startFakeKubernetesApi(dir, tokenFile);
    writeFileSync(join(dir, 'ca.crt'), api.ca);
    env = { KUBERNETES_SERVICE_HOST: api.host, KUBERNETES_SERVICE_PORT: String(api.port) };
    api.objects.set(secretPath('ns', 'a'), kubectlDockerRegistrySecret('a', 'ns', 'r.example.com:5000', 'alice', 'pw-a'));
    api.objects.set(secretPath('ns', 'b'), kubectlDockerRegistrySecret('b', 'ns', 'r.example.com:5000', 'bob', 'pw-b'));
    api.objects.set(secretPath('ns', 'hub'), kubectlDockerRegistrySecret('hub', 'ns', 'https://index.docker.io/v1/', 'hubuser', 'pw-h'));
    const dockercfg = JSON.stringify({ 'https://old.example.com': { auth: Buffer.from('carol:pw-c').toString('base64') } });
    api.objects.set(
      secretPath('ns', 'old'),
      kubectlJson([
        'create',
        'secret',
        'generic',
        'old',
        '-n',
        'ns',
        '--type=kubernetes.io/dockercfg',
        `--from-literal=.dockercfg=${dockercfg}`,
      ]),
    );
    api.objects.set(secretPath('ns', 'opaque'), kubectlJson(['create', 'secret', 'generic', 'opaque', '-n', 'ns', '--from-literal=x=y']));
    api.objects.set(serviceAccountPath('ns', 'builder'), kubectlServiceAccount('builder', 'ns', ['b', 'hub']));
    api.objects.set(secretPath('ns', 'glob'), kubectlDockerRegistrySecret('glob', 'ns', '*.mirror.example.com', 'dora', 'pw-d'));
    api.objects.set(secretPath('ns', 'exact'), kubectlDockerRegistrySecret('exact', 'ns', 'eu.mirror.example.com', 'erin', 'pw-e'));
  });
  after(async () => {
    await api?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const source = (now?: () => number) => {
    const config = inClusterConfig(env, dir);
    assert.ok(config, 'in-cluster config');
    return new KubernetesPullSecrets(new KubernetesApi(config), { ttlMs: 1000, ...(now ? { now } : {}) });
  };

  it('is not in a cluster without KUBERNETES_SERVICE_HOST or a token', () => {
    assert.equal(inClusterConfig({}, dir), undefined);
    assert.equal(inClusterConfig(env, join(dir, 'nowhere')), undefined);
    assert.equal(inClusterConfig({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }, dir)?.url.host, '[fd00::1]');
  });

  it("the Pod's secrets in order, then its service account's; both types; Docker Hub by any of its names", async () => {
    const found = await source().lookup({ namespace: 'ns', secrets: ['a', 'old'], serviceAccount: 'builder' });
    assert.deepEqual(found.problems, []);
    const c = found.credentials;
    assert.ok(c);
    assert.deepEqual(c.forRegistry('r.example.com:5000')?.login, { username: 'alice', password: 'pw-a' }, 'a comes before b');
    assert.match(c.forRegistry('r.example.com:5000')?.source ?? '', /^secret ns\/a \([0-9a-f]{16}\)$/);
    assert.deepEqual(c.forRegistry('old.example.com')?.login, { username: 'carol', password: 'pw-c' }, 'kubernetes.io/dockercfg');
    assert.deepEqual(c.forRegistry('docker.io')?.login, { username: 'hubuser', password: 'pw-h' }, "the service account's secret");
    assert.equal(c.forRegistry('index.docker.io')?.source, c.forRegistry('docker.io')?.source);
    assert.equal(c.forRegistry('r.example.com'), undefined, 'another port is another registry');
  });

  it("a glob key matches as the kubelet's does, one label deep, after every exact name", async () => {
    const found = await source().lookup({ namespace: 'ns', secrets: ['glob', 'exact'] });
    const c = found.credentials;
    assert.ok(c);
    assert.deepEqual(c.forRegistry('us.mirror.example.com')?.login, { username: 'dora', password: 'pw-d' });
    assert.deepEqual(c.forRegistry('eu.mirror.example.com')?.login, { username: 'erin', password: 'pw-e' }, 'the exact name wins');
    assert.equal(c.forRegistry('mirror.example.com'), undefined, '* is one label, not none');
    assert.equal(c.forRegistry('a.us.mirror.example.com'), undefined, '* is one label, not two');
    assert.equal(c.forRegistry('us.mirror.example.com:5000'), undefined, 'the port must match');
  });

  it('says what it could not read: a missing secret, a secret of another type', async () => {
    const found = await source().lookup({ namespace: 'ns', secrets: ['nosuch', 'opaque', 'b'] });
    assert.deepEqual(found.problems[0], 'secret ns/nosuch not found');
    assert.match(
      found.problems[1] as string,
      /secret ns\/opaque: type "Opaque" is not kubernetes.io\/dockerconfigjson .*\[ADMISSION_PULL_SECRET_INVALID\]/,
    );
    assert.deepEqual(found.credentials?.forRegistry('r.example.com:5000')?.login, { username: 'bob', password: 'pw-b' });
  });

  it('keeps answers for the TTL, a refusal of the API for 2 s at most; a rotated token is read again', async () => {
    let clock = 0;
    const s = source(() => clock);
    const count = () => api.requests.filter((p) => p === secretPath('ns', 'a')).length;
    const before = count();
    await s.lookup({ namespace: 'ns', secrets: ['a'] });
    await s.lookup({ namespace: 'ns', secrets: ['a'] });
    assert.equal(count(), before + 1, 'read once within the TTL');
    clock = 1000;
    await s.lookup({ namespace: 'ns', secrets: ['a'] });
    assert.equal(count(), before + 2, 'read again after it');

    writeFileSync(tokenFile, 'second');
    const stale = new KubernetesPullSecrets(new KubernetesApi({ ...inClusterConfig(env, dir)!, tokenFile: join(dir, 'old-token') }), {
      now: () => clock,
    });
    writeFileSync(join(dir, 'old-token'), 'first');
    const refused = await stale.lookup({ namespace: 'ns', secrets: ['a'] });
    assert.equal(refused.credentials, undefined);
    assert.match(refused.problems[0] as string, /HTTP 401: Unauthorized .*needs `get` on secrets.*\[ADMISSION_KUBERNETES_API_FAILED\]/);
    writeFileSync(join(dir, 'old-token'), 'second');
    clock += 1999;
    assert.equal((await stale.lookup({ namespace: 'ns', secrets: ['a'] })).credentials, undefined, 'the refusal is kept briefly');
    clock += 1;
    assert.ok((await stale.lookup({ namespace: 'ns', secrets: ['a'] })).credentials, 'then asked again, with the new token');
    writeFileSync(tokenFile, 'first');
  });
});

describe('pullSecretLogins', () => {
  it('refuses what is not a pull secret, naming it', () => {
    const bad = (o: Record<string, unknown>) => () => pullSecretLogins(o, 'ns/x');
    const isInvalid = (re: RegExp) => (err: unknown) => isDctError(err, 'ADMISSION_PULL_SECRET_INVALID') && re.test(err.message);
    assert.throws(bad({ type: 'kubernetes.io/dockerconfigjson', data: {} }), isInvalid(/secret ns\/x: data has no .dockerconfigjson/));
    assert.throws(
      bad({ type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': Buffer.from('{"auths":[]}').toString('base64') } }),
      isInvalid(/not a docker config: .*"auths" is not an object/),
    );
    assert.throws(
      bad({ type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': Buffer.from('nope').toString('base64') } }),
      isInvalid(/not a docker config/),
    );
  });

  it("reduces keys to the registry's host[:port]", () => {
    assert.equal(registryOfKey('https://index.docker.io/v1/'), 'docker.io');
    assert.equal(registryOfKey('registry-1.docker.io'), 'docker.io');
    assert.equal(registryOfKey('https://R.example.com:5000/v2/'), 'r.example.com:5000');
    assert.equal(registryOfKey('r.example.com/some/path'), 'r.example.com');
  });

  it('matches glob keys label by label, with the port', () => {
    assert.ok(registryKeyMatches('*.example.com', 'EU.example.com'));
    assert.ok(registryKeyMatches('registry-?.example.com:5000', 'registry-2.example.com:5000'));
    assert.ok(!registryKeyMatches('registry-?.example.com:5000', 'registry-2.example.com'));
    assert.ok(!registryKeyMatches('*.example.com', 'example.com'));
    assert.ok(!registryKeyMatches('*.example.com', 'examplexcom.example.com.evil'));
    assert.ok(!registryKeyMatches('*.example.com', 'a.exampleXcom'), 'a dot is a dot, not any character');
  });
});
