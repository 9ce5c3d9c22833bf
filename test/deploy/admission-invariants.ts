/**
 * The invariants of dct admission's deployment (deploy/kubernetes/), checked on a rendered
 * object stream. Each throws an AssertionError naming what is wrong.
 * - `checkDeployment`: two replicas kept up by a PodDisruptionBudget, the `dct admission`
 *   command line, probes over HTTPS on the serving port, the hardened security context, the
 *   TLS Secret, the policy ConfigMap and the registry credentials where the flags say, and a
 *   writable volume under every path dct writes; the service account token mounted, and the
 *   service account allowed to `get` secrets and serviceaccounts (image pull secrets), nothing more.
 * - `checkWebhooks`: both webhook configurations fail closed within 10 s, call the Service
 *   on the right paths, and never cover the webhook's own namespace nor kube-system.
 */
import assert from 'node:assert/strict';
import { posix } from 'node:path';
import { MutatingWebhookConfiguration, ValidatingWebhookConfiguration } from 'kubernetes-models/admissionregistration.k8s.io/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ClusterRole, ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ConfigMap, Service } from 'kubernetes-models/v1';
import { parse } from 'yaml';
import { flagValue, isUnder, namespaceLabels, only, selectorMatches, type KubeObject } from './manifest-checks.js';

export const NAMESPACE = 'dct-system';
export const TLS_SECRET = 'dct-admission-tls';

/** The webhook's container: the Deployment's only one. */
function admissionContainer(deployment: Deployment) {
  const containers = deployment.spec?.template.spec?.containers ?? [];
  assert.equal(containers.length, 1, 'one container in the webhook pod');
  return containers[0]!;
}

/** The port number a probe or Service names (a number, or a container port's name). */
function containerPort(deployment: Deployment, port: number | string | undefined): number {
  if (typeof port === 'number') return port;
  const found = admissionContainer(deployment).ports?.find((p) => p.name === port);
  assert.ok(found, `no container port named ${String(port)}`);
  return found.containerPort;
}

export function checkDeployment(objects: readonly KubeObject[]): void {
  const deployment = only(objects, Deployment, 'dct-admission');
  const pod = deployment.spec?.template.spec;
  assert.ok(pod, 'the Deployment has a pod template');
  const podLabels = deployment.spec?.template.metadata?.labels ?? {};
  const namespace = deployment.metadata?.namespace;
  assert.ok(namespace, 'the Deployment has a namespace');

  // two replicas, and a PodDisruptionBudget that keeps one of them up
  assert.equal(deployment.spec?.replicas, 2, 'replicas');
  assert.ok(selectorMatches(deployment.spec?.selector, podLabels), 'the Deployment selects its pods');
  const pdb = only(objects, PodDisruptionBudget);
  assert.equal(pdb.metadata?.namespace, namespace, 'the PDB is beside the Deployment');
  assert.equal(pdb.spec?.minAvailable, 1, 'PDB minAvailable');
  assert.ok(pdb.spec?.selector?.matchLabels && selectorMatches(pdb.spec.selector, podLabels), 'the PDB selects the webhook pods');

  // the command line
  const c = admissionContainer(deployment);
  const args = c.args ?? [];
  assert.equal(args[0], 'admission', 'the container runs `dct admission`');
  assert.equal(flagValue(args, '--listen'), '0.0.0.0:8443', '--listen');
  const listenPort = Number(flagValue(args, '--listen')?.split(':').pop());
  const policyPath = flagValue(args, '--policy');
  const certPath = flagValue(args, '--tls-cert');
  const keyPath = flagValue(args, '--tls-key');
  assert.ok(policyPath && certPath && keyPath, `--policy, --tls-cert and --tls-key in ${args.join(' ')}`);

  // the Service: 443 to the serving port, selecting the webhook pods
  const service = only(objects, Service, 'dct-admission');
  assert.equal(service.metadata?.namespace, namespace, 'the Service is beside the Deployment');
  assert.ok(
    service.spec?.selector && selectorMatches({ matchLabels: service.spec.selector }, podLabels),
    'the Service selects the webhook pods',
  );
  const servicePort = service.spec?.ports?.find((p) => p.port === 443);
  assert.ok(servicePort, 'the Service listens on 443');
  assert.equal(containerPort(deployment, servicePort.targetPort), listenPort, 'the Service forwards 443 to the --listen port');

  // probes: HTTPS, on the serving port
  for (const [probe, path] of [
    [c.readinessProbe, '/readyz'],
    [c.livenessProbe, '/healthz'],
  ] as const) {
    assert.ok(probe?.httpGet, `an HTTP probe on ${path}`);
    assert.equal(probe.httpGet.path, path, 'probe path');
    assert.equal(probe.httpGet.scheme, 'HTTPS', `${path} over HTTPS`);
    assert.equal(containerPort(deployment, probe.httpGet.port), listenPort, `${path} on the --listen port`);
  }

  // resources
  for (const r of ['cpu', 'memory']) assert.ok(c.resources?.requests?.[r] !== undefined, `a ${r} request`);
  assert.ok(c.resources?.limits?.['memory'] !== undefined, 'a memory limit');

  // hardening: the restricted Pod Security Standard and a read-only root
  assert.equal(pod.securityContext?.runAsNonRoot, true, 'pod runAsNonRoot');
  assert.equal(pod.securityContext?.seccompProfile?.type, 'RuntimeDefault', 'pod seccomp RuntimeDefault');
  assert.ok((pod.securityContext?.runAsUser ?? 1) > 0, 'pod runAsUser not root');
  const sc = c.securityContext;
  assert.equal(sc?.runAsNonRoot, true, 'container runAsNonRoot');
  assert.equal(sc?.readOnlyRootFilesystem, true, 'readOnlyRootFilesystem');
  assert.equal(sc?.allowPrivilegeEscalation, false, 'allowPrivilegeEscalation');
  assert.notEqual(sc?.privileged, true, 'not privileged');
  assert.deepEqual(sc?.capabilities?.drop, ['ALL'], 'drop ALL capabilities');
  assert.deepEqual(sc?.capabilities?.add ?? [], [], 'no capability added');
  assert.equal(sc?.seccompProfile?.type, 'RuntimeDefault', 'container seccomp RuntimeDefault');
  checkPullSecretAccess(objects, pod.serviceAccountName, namespace, pod.automountServiceAccountToken);
  assert.ok(!(c.args ?? []).includes('--no-pull-secrets'), 'pull secrets are read (no --no-pull-secrets)');

  // volumes: where each path the webhook reads or writes comes from
  const volumes = new Map((pod.volumes ?? []).map((v) => [v.name, v]));
  const mountOf = (path: string, what = path) => {
    const m = (c.volumeMounts ?? []).filter((vm) => isUnder(path, vm.mountPath)).sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
    assert.ok(m, `${what}: no volume mounted there`);
    const volume = volumes.get(m.name);
    assert.ok(volume, `volume ${m.name}`);
    return { mount: m, volume };
  };
  for (const path of [certPath, keyPath]) {
    const { mount, volume } = mountOf(path);
    assert.equal(volume.secret?.secretName, TLS_SECRET, `${path} comes from the Secret ${TLS_SECRET}`);
    assert.notEqual(volume.secret?.optional, true, 'the TLS Secret is not optional');
    assert.equal(mount.readOnly, true, `${path} read-only`);
    assert.equal(mount.subPath, undefined, `${path} not by subPath (a renewed certificate would never reach the webhook)`);
  }
  const policy = mountOf(policyPath);
  assert.equal(policy.mount.subPath, undefined, 'the policy is not mounted with subPath (its file would never be updated)');
  assert.equal(policy.mount.readOnly, true, 'the policy read-only');
  const configMapName = policy.volume.configMap?.name;
  assert.ok(configMapName, `${policyPath} comes from a ConfigMap`);
  const configMap = only(objects, ConfigMap, configMapName);
  const policyText = configMap.data?.[posix.relative(policy.mount.mountPath, policyPath)];
  assert.ok(policyText, `the ConfigMap ${configMapName} holds ${policyPath}`);
  checkExamplePolicy(parse(policyText) as unknown);

  // registry credentials: a docker config from an optional Secret
  const credentials = (c.env ?? []).find((e) => e.name === 'DOCKER_AUTH_CONFIG');
  assert.equal(credentials?.valueFrom?.secretKeyRef?.key, '.dockerconfigjson', 'DOCKER_AUTH_CONFIG from a docker-registry Secret');
  assert.equal(credentials.valueFrom.secretKeyRef.optional, true, 'registry credentials are optional');

  // the webhook's own namespace, which it exempts itself too (no service account token to read it from)
  const podNamespace = (c.env ?? []).find((e) => e.name === 'POD_NAMESPACE');
  assert.equal(podNamespace?.valueFrom?.fieldRef?.fieldPath, 'metadata.namespace', 'POD_NAMESPACE from the downward API');

  // every folder dct writes to is a writable emptyDir (the root file system is read-only)
  const env = new Map((c.env ?? []).map((e) => [e.name, e.value]));
  for (const name of ['HOME', 'DOCKER_CONFIG', 'XDG_CACHE_HOME', 'TMPDIR']) {
    const dir = env.get(name);
    assert.ok(dir, `${name} is set`);
    const { mount, volume } = mountOf(dir, `${name}=${dir}`);
    assert.ok(volume.emptyDir !== undefined && mount.readOnly !== true, `${name}=${dir} is on a writable emptyDir`);
  }
}

/** The example policy's outline (the policy format is checked by its own schema once it lands). */
/** The pod's token is mounted, and its service account may `get` secrets and serviceaccounts in every namespace: nothing more. */
function checkPullSecretAccess(objects: readonly KubeObject[], account: string | undefined, namespace: string, automount?: boolean): void {
  assert.ok(account, 'the pod names its service account');
  assert.equal(automount, true, 'the service account token is mounted (the pod reads image pull secrets with it)');
  const bindings = objects
    .filter((o) => o.kind === 'ClusterRoleBinding')
    .map((o) => new ClusterRoleBinding(o as never))
    .filter((b) => (b.subjects ?? []).some((s) => s.kind === 'ServiceAccount' && s.name === account && s.namespace === namespace));
  assert.equal(bindings.length, 1, `one ClusterRoleBinding for the service account ${namespace}/${account}`);
  const binding = bindings[0]!;
  assert.equal(binding.roleRef.kind, 'ClusterRole', 'bound to a ClusterRole');
  const role = only(objects, ClusterRole, binding.roleRef.name);
  const granted = (role.rules ?? []).flatMap((r) =>
    (r.apiGroups ?? []).flatMap((g) => (r.resources ?? []).flatMap((res) => r.verbs.map((v) => `${g}/${res}:${v}`))),
  );
  assert.deepEqual(granted.sort(), ['/secrets:get', '/serviceaccounts:get'], 'RBAC: get secrets and serviceaccounts, nothing more');
  for (const r of role.rules ?? []) assert.equal(r.resourceNames, undefined, 'RBAC: any secret a Pod names');
}

function checkExamplePolicy(policy: unknown): void {
  const p = policy as { version?: unknown; defaults?: { mode?: unknown }; rules?: unknown };
  assert.equal(p.version, 1, 'policy version');
  assert.equal(p.defaults?.mode, 'enforce', 'policy default mode');
  assert.ok(Array.isArray(p.rules) && p.rules.length > 0, 'policy rules');
  for (const rule of p.rules as { name?: unknown; match?: unknown; mode?: unknown; require?: unknown }[]) {
    assert.equal(typeof rule.name, 'string', 'a rule has a name');
    const patterns = typeof rule.match === 'string' ? [rule.match] : rule.match;
    assert.ok(Array.isArray(patterns) && patterns.length > 0, `rule ${String(rule.name)}: match patterns`);
    assert.ok(['enforce', 'warn', 'audit'].includes(rule.mode as string), `rule ${String(rule.name)}: mode`);
    assert.ok(rule.require !== null && typeof rule.require === 'object', `rule ${String(rule.name)}: require`);
  }
}

const WORKLOADS = {
  '': ['pods'],
  apps: ['deployments', 'statefulsets', 'daemonsets', 'replicasets'],
  batch: ['jobs', 'cronjobs'],
} as const;

/** The `group/resource` pairs a webhook's rules cover for an operation. */
function covered(rules: readonly { apiGroups?: string[]; resources?: string[]; operations?: string[] }[], operation: string): Set<string> {
  const out = new Set<string>();
  for (const r of rules) {
    if (!(r.operations ?? []).some((o) => o === operation || o === '*')) continue;
    for (const g of r.apiGroups ?? []) for (const res of r.resources ?? []) out.add(`${g}/${res}`);
  }
  return out;
}

export interface WebhookExpectations {
  /** the GitOps mode: the mutating webhook covers pods only */
  mutateOnlyPods?: boolean;
}

export function checkWebhooks(objects: readonly KubeObject[], expect: WebhookExpectations = {}): void {
  const service = only(objects, Service, 'dct-admission');
  const namespace = service.metadata?.namespace;
  assert.ok(namespace, 'the Service has a namespace');
  const validating = only(objects, ValidatingWebhookConfiguration);
  const mutating = only(objects, MutatingWebhookConfiguration);
  const all = [
    ...(validating.webhooks ?? []).map((w) => ({ w, path: '/validate', mutating: false })),
    ...(mutating.webhooks ?? []).map((w) => ({ w, path: '/mutate', mutating: true })),
  ];
  assert.equal(all.length, 2, 'one validating and one mutating webhook');
  for (const { w, path, mutating: isMutating } of all) {
    const what = `webhook ${w.name}`;
    assert.equal(w.failurePolicy, 'Fail', `${what}: fails closed`);
    assert.ok(w.timeoutSeconds !== undefined && w.timeoutSeconds <= 10, `${what}: timeoutSeconds ≤ 10 (${String(w.timeoutSeconds)})`);
    assert.equal(w.sideEffects, 'None', `${what}: sideEffects`);
    assert.deepEqual(w.admissionReviewVersions, ['v1'], `${what}: admissionReviewVersions`);
    assert.equal(w.matchPolicy, 'Equivalent', `${what}: matchPolicy`);
    if (isMutating) assert.equal((w as { reinvocationPolicy?: string }).reinvocationPolicy, 'IfNeeded', `${what}: reinvocationPolicy`);
    const ref = w.clientConfig.service;
    assert.ok(ref, `${what}: calls a Service`);
    assert.deepEqual(
      { name: ref.name, namespace: ref.namespace, path: ref.path, port: ref.port ?? 443 },
      { name: service.metadata?.name, namespace, path, port: 443 },
      `${what}: calls the webhook's Service`,
    );
    assert.ok(w.objectSelector === undefined, `${what}: no objectSelector (a pod could opt itself out)`);
    for (const exempt of [namespace, 'kube-system']) {
      assert.ok(!selectorMatches(w.namespaceSelector, namespaceLabels(exempt)), `${what}: exempts the namespace ${exempt}`);
    }
    assert.ok(selectorMatches(w.namespaceSelector, namespaceLabels('default')), `${what}: covers the namespace default`);

    for (const operation of ['CREATE', 'UPDATE']) {
      const got = covered(w.rules ?? [], operation);
      const onlyPods = isMutating && expect.mutateOnlyPods === true;
      for (const [group, resources] of Object.entries(WORKLOADS)) {
        for (const resource of resources) {
          const want = !onlyPods || resource === 'pods';
          assert.equal(
            got.has(`${group}/${resource}`),
            want,
            `${what}: ${operation} of ${group || 'core'}/${resource} must ${want ? '' : 'not '}be covered`,
          );
        }
      }
      if (onlyPods) {
        for (const gr of got) assert.match(gr, /^\/pods(\/|$)/, `${what}: in GitOps mode mutates pods only, not ${gr}`);
      }
    }
  }
}
