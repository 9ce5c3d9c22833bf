/**
 * deploy/kubernetes/ as the real `kubectl kustomize` renders it (offline): every object of the
 * base and of each overlay validates against the Kubernetes schemas (kubernetes-models;
 * cert-manager's objects by shape), and the invariants of the admission webhook's deployment
 * hold (test/deploy/admission-invariants.ts) — and each check is shown failing on a broken copy.
 * The self-signed overlay is rendered from a copy of the tree, with certificates made by its
 * own make-certs.sh (the real openssl).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { MutatingWebhookConfiguration, ValidatingWebhookConfiguration } from 'kubernetes-models/admissionregistration.k8s.io/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Secret } from 'kubernetes-models/v1';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../support/fixtures.js';
import { interopSkip, missingTool } from '../support/interop.js';
import { checkDeployment, checkWebhooks, NAMESPACE, TLS_SECRET } from './admission-invariants.js';
import { only, onlyOf, render, validateAll, type KubeObject, type ModelClass } from './manifest-checks.js';

const SOURCE = join(PROJECT_ROOT, 'deploy', 'kubernetes');
const OVERLAYS = ['cert-manager', 'self-signed', 'gitops'] as const;
type Variant = 'base' | (typeof OVERLAYS)[number];

const BASE_KINDS = [
  'ClusterRole',
  'ClusterRoleBinding',
  'ConfigMap',
  'Deployment',
  'MutatingWebhookConfiguration',
  'Namespace',
  'PodDisruptionBudget',
  'Service',
  'ServiceAccount',
  'ValidatingWebhookConfiguration',
];
const KINDS: Record<Variant, string[]> = {
  base: BASE_KINDS,
  'cert-manager': [...BASE_KINDS, 'Certificate', 'Issuer'],
  gitops: [...BASE_KINDS, 'Certificate', 'Issuer'],
  'self-signed': [...BASE_KINDS, 'Secret'],
};

const WEBHOOK_CONFIGURATIONS: ModelClass<ValidatingWebhookConfiguration | MutatingWebhookConfiguration>[] = [
  ValidatingWebhookConfiguration,
  MutatingWebhookConfiguration,
];

const NAMESPACED_EXCEPTIONS = new Set([
  'Namespace',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'ClusterRole',
  'ClusterRoleBinding',
]);

/** The Namespace object is `namespace`, and every namespaced object is in it. */
function checkNamespaces(objects: readonly KubeObject[], namespace: string): void {
  for (const o of objects) {
    if (o.kind === 'Namespace') assert.equal(o.metadata.name, namespace);
    else if (NAMESPACED_EXCEPTIONS.has(o.kind)) assert.equal(o.metadata.namespace, undefined, `${o.kind} is cluster-wide`);
    else assert.equal(o.metadata.namespace, namespace, `${o.kind} ${o.metadata.name} namespace`);
  }
}

/** A copy of deploy/kubernetes in a temp folder, with make-certs.sh run in its self-signed overlay. */
function workingCopy(root: string, env: Record<string, string> = {}): string {
  const dir = join(root, 'kubernetes');
  cpSync(SOURCE, dir, { recursive: true, filter: (src) => !src.includes(`${join('self-signed', 'certs')}`) });
  execFileSync('sh', [join(dir, 'overlays', 'self-signed', 'make-certs.sh')], { env: { ...process.env, ...env }, stdio: 'pipe' });
  return dir;
}

/** A field path: keys, list indexes, and `{ name }` for the element of a list with that name. */
type Path = readonly (string | number | { name: string })[];
const DELETE = Symbol('delete');

/** The rendered objects with one field of the first object of a kind set (or deleted); the path must exist. */
function broken(objects: readonly KubeObject[], kind: string, path: Path, value: unknown): KubeObject[] {
  const out = objects.map((o) => structuredClone(o));
  let node: unknown = out.find((o) => o.kind === kind);
  assert.ok(node, `a ${kind} to break`);
  const keyOf = (parent: unknown, step: Path[number]): string | number => {
    if (typeof step !== 'object') return step;
    assert.ok(Array.isArray(parent), `${kind}: ${JSON.stringify(step)} names no list element`);
    const i = parent.findIndex((e) => (e as { name?: unknown }).name === step.name);
    assert.ok(i >= 0, `${kind}: no element named ${step.name}`);
    return i;
  };
  for (const step of path.slice(0, -1)) {
    node = (node as Record<string | number, unknown>)[keyOf(node, step)];
    assert.ok(node !== null && typeof node === 'object', `${kind}: no ${JSON.stringify(path)}`);
  }
  const parent = node as Record<string | number, unknown>;
  const last = keyOf(parent, path[path.length - 1] as Path[number]);
  if (value === DELETE) delete parent[last];
  else parent[last] = value;
  return out;
}

const missing = missingTool('kubectl', 'openssl');
const POLICY_SCHEMA = join(PROJECT_ROOT, 'schema', 'policy.schema.json');
const schemaMissing = existsSync(POLICY_SCHEMA)
  ? false
  : 'schema/policy.schema.json is not in this checkout yet (the trust policy work of issue 13)';
/** `dct policy check` is wired into the CLI (the trust policy work of issue 13) */
const policyCommandMissing = readFileSync(join(PROJECT_ROOT, 'src', 'cli', 'main.ts'), 'utf8').includes('commands/policy.js')
  ? false
  : '`dct policy` is not a command of this checkout yet (the trust policy work of issue 13)';

describe('deploy/kubernetes rendered by kubectl kustomize', { skip: interopSkip(missing) }, () => {
  let tmp: string;
  let tree: string;
  const rendered = new Map<Variant, KubeObject[]>();
  const renderOf = (v: Variant): KubeObject[] => {
    let objects = rendered.get(v);
    if (objects === undefined) {
      objects = render(v === 'base' ? join(tree, 'base') : join(tree, 'overlays', v));
      rendered.set(v, objects);
    }
    return objects;
  };

  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'dct-deploy-'));
    tree = workingCopy(join(tmp, 'default'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  for (const v of ['base', ...OVERLAYS] as const) {
    it(`${v}: every object validates against its schema, all of them in ${NAMESPACE} but the cluster-wide ones`, () => {
      const objects = renderOf(v);
      validateAll(objects);
      assert.deepEqual([...new Set(objects.map((o) => o.kind))].sort(), KINDS[v].sort(), 'the kinds rendered');
      checkNamespaces(objects, NAMESPACE);
    });

    it(`${v}: two hardened replicas of dct admission with probes, TLS, policy and credentials mounted; webhooks fail closed`, () => {
      const objects = renderOf(v);
      checkDeployment(objects);
      checkWebhooks(objects, { mutateOnlyPods: v === 'gitops' });
    });
  }

  it('gitops: dct admission --gitops; workloads are validated, only pods are mutated', () => {
    const gitops = renderOf('gitops');
    assert.ok(only(gitops, Deployment).spec?.template.spec?.containers[0]?.args?.includes('--gitops'), '--gitops');
    for (const v of ['base', 'cert-manager', 'self-signed'] as const) {
      assert.ok(!only(renderOf(v), Deployment).spec?.template.spec?.containers[0]?.args?.includes('--gitops'), `${v} without --gitops`);
    }
    // the same check fails on the other overlays (their mutating webhook covers workloads too)
    assert.throws(() => checkWebhooks(renderOf('cert-manager'), { mutateOnlyPods: true }), /apps\/deployments must not be covered/);
  });

  for (const v of ['cert-manager', 'gitops'] as const) {
    it(`${v}: a cert-manager Certificate for the Service's names in ${TLS_SECRET}, its CA injected into both webhooks`, () => {
      const objects = renderOf(v);
      const cert = onlyOf(objects, 'cert-manager.io/v1', 'Certificate');
      const issuer = onlyOf(objects, 'cert-manager.io/v1', 'Issuer');
      const spec = cert['spec'] as { secretName: string; dnsNames: string[]; issuerRef: { name: string; kind?: string } };
      assert.equal(spec.secretName, TLS_SECRET);
      assert.deepEqual(spec.issuerRef, { kind: 'Issuer', name: issuer.metadata.name });
      assert.equal(issuer.metadata.namespace, NAMESPACE);
      for (const name of ['dct-admission', `dct-admission.${NAMESPACE}`, `dct-admission.${NAMESPACE}.svc`]) {
        assert.ok(spec.dnsNames.includes(name), `dnsNames include ${name}`);
      }
      for (const model of WEBHOOK_CONFIGURATIONS) {
        const config = only(objects, model);
        assert.equal(config.metadata?.annotations?.['cert-manager.io/inject-ca-from'], `${NAMESPACE}/${cert.metadata.name}`, model.kind);
        for (const w of config.webhooks ?? [])
          assert.equal(w.clientConfig.caBundle, undefined, `${w.name}: caBundle left to the CA injector`);
      }
    });
  }

  it('self-signed: make-certs.sh makes a CA and a serving certificate; kustomize the Secret and both caBundles', () => {
    const objects = renderOf('self-signed');
    const certs = join(tree, 'overlays', 'self-signed', 'certs');
    const caPem = readFileSync(join(certs, 'ca.crt'), 'utf8');
    const ca = new X509Certificate(caPem);
    assert.ok(ca.ca, 'a CA certificate');

    const secret = only(objects, Secret, TLS_SECRET);
    assert.equal(secret.type, 'kubernetes.io/tls');
    const data = (key: string) => Buffer.from(secret.data?.[key] ?? '', 'base64');
    const serving = new X509Certificate(data('tls.crt'));
    assert.ok(serving.verify(ca.publicKey), 'the serving certificate is signed by the CA');
    assert.ok(!serving.ca, 'the serving certificate is no CA');
    assert.equal(serving.checkHost(`dct-admission.${NAMESPACE}.svc`), `dct-admission.${NAMESPACE}.svc`, 'names the Service');
    assert.equal(serving.checkHost(`dct-admission.${NAMESPACE}.svc.cluster.local`), `dct-admission.${NAMESPACE}.svc.cluster.local`);
    assert.equal(serving.checkHost('dct-admission.other.svc'), undefined, 'no other name');
    assert.ok(serving.keyUsage?.includes('1.3.6.1.5.5.7.3.1'), 'for TLS servers');
    assert.ok(serving.checkPrivateKey(createPrivateKey(data('tls.key'))), 'tls.key is its key');

    for (const model of WEBHOOK_CONFIGURATIONS) {
      const config = only(objects, model);
      assert.equal(config.metadata?.annotations?.['cert-manager.io/inject-ca-from'], undefined, `${model.kind}: no cert-manager`);
      for (const w of config.webhooks ?? []) {
        assert.equal(Buffer.from(w.clientConfig.caBundle ?? '', 'base64').toString('utf8'), caPem, `${w.name}: caBundle is the CA`);
      }
    }
  });

  it('self-signed: running make-certs.sh again keeps the CA (the caBundle) and renews the serving certificate', () => {
    const dir = workingCopy(join(tmp, 'rerun'));
    const certs = join(dir, 'overlays', 'self-signed', 'certs');
    const [ca, crt] = ['ca.crt', 'tls.crt'].map((f) => readFileSync(join(certs, f), 'utf8'));
    execFileSync('sh', [join(dir, 'overlays', 'self-signed', 'make-certs.sh')], { stdio: 'pipe' });
    assert.equal(readFileSync(join(certs, 'ca.crt'), 'utf8'), ca, 'the same CA');
    const renewed = readFileSync(join(certs, 'tls.crt'), 'utf8');
    assert.notEqual(renewed, crt, 'a new serving certificate');
    assert.ok(new X509Certificate(renewed).verify(new X509Certificate(ca ?? '').publicKey), 'issued by the same CA');
  });

  it('make-certs.sh refuses a SERVICE or NAMESPACE that is not a DNS label', () => {
    for (const env of [{ NAMESPACE: 'Bad_NS' }, { SERVICE: 'svc.with.dots' }, { NAMESPACE: '-x' }]) {
      const r = spawnSync('sh', [join(SOURCE, 'overlays', 'self-signed', 'make-certs.sh'), join(tmp, 'refused')], {
        env: { ...process.env, ...env },
        encoding: 'utf8',
      });
      assert.equal(r.status, 2, JSON.stringify(env));
      assert.match(r.stderr, /must be DNS labels/);
    }
  });

  it("another namespace, set in the base's kustomization.yaml, is followed by every reference to it", () => {
    const dir = workingCopy(join(tmp, 'renamed'), { NAMESPACE: 'trust-system' });
    const kustomization = join(dir, 'base', 'kustomization.yaml');
    writeFileSync(kustomization, readFileSync(kustomization, 'utf8').replace(/^namespace: dct-system$/m, 'namespace: trust-system'));
    for (const v of ['cert-manager', 'self-signed'] as const) {
      const objects = render(join(dir, 'overlays', v));
      validateAll(objects);
      assert.ok(!JSON.stringify(objects).includes('dct-system'), `${v}: nothing left in dct-system`);
      checkNamespaces(objects, 'trust-system');
      checkDeployment(objects);
      checkWebhooks(objects); // exempts trust-system and calls the Service there
    }
    const cert = onlyOf(render(join(dir, 'overlays', 'cert-manager')), 'cert-manager.io/v1', 'Certificate');
    assert.ok((cert['spec'] as { dnsNames: string[] }).dnsNames.includes('dct-admission.trust-system.svc'));
  });

  describe('the checks fail on broken manifests', () => {
    const container: Path = ['spec', 'template', 'spec', 'containers', 0];
    const breakages: [string, string, Path, unknown, RegExp][] = [
      ['one replica', 'Deployment', ['spec', 'replicas'], 1, /replicas/],
      ['a writable root', 'Deployment', [...container, 'securityContext', 'readOnlyRootFilesystem'], false, /readOnlyRootFilesystem/],
      ['capabilities kept', 'Deployment', [...container, 'securityContext', 'capabilities'], {}, /drop ALL/],
      ['root allowed', 'Deployment', ['spec', 'template', 'spec', 'securityContext', 'runAsNonRoot'], false, /runAsNonRoot/],
      ['readiness on /healthz', 'Deployment', [...container, 'readinessProbe', 'httpGet', 'path'], '/healthz', /probe path/],
      ['a probe over HTTP', 'Deployment', [...container, 'livenessProbe', 'httpGet', 'scheme'], 'HTTP', /HTTPS/],
      ['a probe on another port', 'Deployment', [...container, 'livenessProbe', 'httpGet', 'port'], 9090, /--listen port/],
      ['the policy by subPath', 'Deployment', [...container, 'volumeMounts', { name: 'policy' }, 'subPath'], 'policy.yaml', /subPath/],
      ['the TLS files by subPath', 'Deployment', [...container, 'volumeMounts', { name: 'tls' }, 'subPath'], 'tls.crt', /subPath/],
      [
        'TLS from another Secret',
        'Deployment',
        ['spec', 'template', 'spec', 'volumes', { name: 'tls' }, 'secret', 'secretName'],
        'other',
        /Secret/,
      ],
      ['HOME on the read-only root', 'Deployment', [...container, 'env', { name: 'HOME' }, 'value'], '/home/dct', /HOME=\/home\/dct/],
      [
        'the cache on the read-only root',
        'Deployment',
        [...container, 'env', { name: 'XDG_CACHE_HOME' }, 'value'],
        '/cache',
        /XDG_CACHE_HOME/,
      ],
      [
        'credentials required',
        'Deployment',
        [...container, 'env', { name: 'DOCKER_AUTH_CONFIG' }, 'valueFrom', 'secretKeyRef', 'optional'],
        false,
        /optional/,
      ],
      ['no POD_NAMESPACE', 'Deployment', [...container, 'env', { name: 'POD_NAMESPACE' }, 'valueFrom'], {}, /POD_NAMESPACE/],
      ['no PDB floor', 'PodDisruptionBudget', ['spec', 'minAvailable'], 0, /minAvailable/],
      ['no token mounted', 'Deployment', ['spec', 'template', 'spec', 'automountServiceAccountToken'], false, /token is mounted/],
      ['secrets listed too', 'ClusterRole', ['rules', 0, 'verbs'], ['get', 'list'], /nothing more/],
      ['every resource', 'ClusterRole', ['rules', 0, 'resources'], ['*'], /nothing more/],
      ['bound to another account', 'ClusterRoleBinding', ['subjects', 0, 'name'], 'default', /one ClusterRoleBinding/],
      ['bound in another namespace', 'ClusterRoleBinding', ['subjects', 0, 'namespace'], 'default', /one ClusterRoleBinding/],
      ['the wrong Service port', 'Service', ['spec', 'ports', 0, 'targetPort'], 9443, /--listen port/],
    ];
    for (const [what, kind, path, value, message] of breakages) {
      it(`checkDeployment: ${what}`, () => {
        const objects = broken(renderOf('cert-manager'), kind, path, value);
        assert.throws(() => checkDeployment(objects), message);
      });
    }

    const webhookBreakages: [string, Path, unknown, RegExp][] = [
      ['failurePolicy Ignore', ['failurePolicy'], 'Ignore', /fails closed/],
      ['a 30 s timeout', ['timeoutSeconds'], 30, /timeoutSeconds/],
      ['no timeout', ['timeoutSeconds'], DELETE, /timeoutSeconds/],
      [
        'its own namespace covered',
        ['namespaceSelector', 'matchExpressions', 0, 'values'],
        ['kube-system'],
        /exempts the namespace dct-system/,
      ],
      ['no namespace selector', ['namespaceSelector'], DELETE, /exempts the namespace/],
      ['cronjobs left out', ['rules', 2, 'resources'], ['jobs'], /cronjobs must be covered/],
      ['UPDATE left out', ['rules', 0, 'operations'], ['CREATE'], /UPDATE of core\/pods must be covered/],
      ['the wrong path', ['clientConfig', 'service', 'path'], '/mutate', /Service/],
    ];
    for (const [what, path, value, message] of webhookBreakages) {
      it(`checkWebhooks: ${what}`, () => {
        const objects = broken(renderOf('self-signed'), 'ValidatingWebhookConfiguration', ['webhooks', 0, ...path], value);
        assert.throws(() => checkWebhooks(objects), message);
      });
    }
    it('checkWebhooks: the mutating webhook without reinvocation', () => {
      const objects = broken(renderOf('gitops'), 'MutatingWebhookConfiguration', ['webhooks', 0, 'reinvocationPolicy'], 'Never');
      assert.throws(() => checkWebhooks(objects, { mutateOnlyPods: true }), /reinvocationPolicy/);
    });

    it('validateAll: a type error, and a kind it has no schema for', () => {
      const objects = broken(renderOf('base'), 'MutatingWebhookConfiguration', ['webhooks', 0, 'timeoutSeconds'], '10');
      assert.throws(() => validateAll(objects), /timeoutSeconds must be integer/);
      const certificate = broken(renderOf('cert-manager'), 'Certificate', ['spec', 'dnsName'], ['dct-admission']);
      assert.throws(() => validateAll(certificate), /unknown field spec.dnsName/);
      assert.throws(() => validateAll([{ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }]), /no schema/);
    });
  });
});

describe('the example policy of deploy/kubernetes/base', () => {
  it('the example policy follows schema/policy.schema.json', { skip: schemaMissing }, () => {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(POLICY_SCHEMA, 'utf8')) as object);
    const ok = validate(parse(readFileSync(join(SOURCE, 'base', 'policy.yaml'), 'utf8')));
    assert.ok(ok, JSON.stringify(validate.errors, null, 2));
  });

  it('dct policy check accepts the example policy', { skip: policyCommandMissing }, () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'policy', 'check', join(SOURCE, 'base', 'policy.yaml')], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(r.status, 0, `dct policy check: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /valid trust policy/);
  });
});
