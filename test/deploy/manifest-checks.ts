/**
 * What test/deploy/kustomize.test.ts checks in the manifests of deploy/kubernetes/, as
 * functions over a rendered object stream, so that the test can also show each check failing
 * on a broken copy:
 * - `render`: `kubectl kustomize DIR`, parsed with `yaml` (one object per document);
 * - `validateAll`: every object against the Kubernetes schemas of `kubernetes-models`, and the
 *   cert-manager objects (not in it) by shape; an object of any other kind fails;
 * - `selectorMatches`: a label selector's meaning, to ask which namespaces a webhook covers;
 * - the invariants of the webhook's deployment (`checkDeployment`, `checkWebhooks`).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { posix } from 'node:path';
import { MutatingWebhookConfiguration, ValidatingWebhookConfiguration } from 'kubernetes-models/admissionregistration.k8s.io/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ClusterRole, ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';

/** One rendered object, as far as every kind has it. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface Model {
  validate(): void;
}

export interface ModelClass<M extends Model> {
  readonly apiVersion: string;
  readonly kind: string;
  new (data?: never): M;
}

const MODELS: readonly ModelClass<Model>[] = [
  Namespace,
  ServiceAccount,
  ClusterRole,
  ClusterRoleBinding,
  ConfigMap,
  Secret,
  Service,
  Deployment,
  PodDisruptionBudget,
  ValidatingWebhookConfiguration,
  MutatingWebhookConfiguration,
];

/** `kubectl kustomize DIR` as objects; a kustomize error fails with kubectl's message. */
export function render(dir: string): KubeObject[] {
  let out: string;
  try {
    out = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    assert.fail(`kubectl kustomize ${dir} failed: ${stderr.trim() || (err as Error).message}`);
  }
  const objects: KubeObject[] = [];
  for (const doc of parseAllDocuments(out)) {
    assert.deepEqual(doc.errors, [], `YAML from kubectl kustomize ${dir}`);
    const js = doc.toJS() as unknown;
    if (js === null || js === undefined) continue;
    assert.ok(typeof js === 'object' && !Array.isArray(js), `a document of ${dir} is not an object`);
    const o = js as KubeObject;
    assert.ok(typeof o.apiVersion === 'string' && typeof o.kind === 'string' && typeof o.metadata?.name === 'string', `${dir}: ${out}`);
    objects.push(o);
  }
  return objects;
}

/** Validates every object; a kind with no schema here fails (so that nothing goes unchecked). */
export function validateAll(objects: readonly KubeObject[]): void {
  for (const o of objects) {
    const what = `${o.kind} ${o.metadata.name}`;
    if (o.apiVersion === 'cert-manager.io/v1') {
      validateCertManager(o);
      continue;
    }
    const model = MODELS.find((m) => m.apiVersion === o.apiVersion && m.kind === o.kind);
    assert.ok(model, `${what}: no schema for ${o.apiVersion} ${o.kind} in this test; add one`);
    try {
      new model(asDecoded(o) as never).validate();
    } catch (err) {
      assert.fail(`${what} (${o.apiVersion}) does not validate: ${(err as Error).message}`);
    }
  }
}

/**
 * The object as the API server decodes it: kustomize writes the base64 of Secret data and of
 * a caBundle in lines of 76, and Go's base64 decoder (the API server's, for `[]byte` fields)
 * ignores `\r` and `\n`, where the schema's `format: byte` does not.
 */
function asDecoded(o: KubeObject): KubeObject {
  const unwrap = (v: unknown) => (typeof v === 'string' ? v.replace(/[\r\n]/g, '') : v);
  const copy = structuredClone(o);
  const data = copy['data'];
  if (copy.kind === 'Secret' && data !== null && typeof data === 'object') {
    for (const [k, v] of Object.entries(data)) (data as Record<string, unknown>)[k] = unwrap(v);
  }
  const webhooks = copy['webhooks'];
  if (Array.isArray(webhooks)) {
    for (const w of webhooks as { clientConfig?: { caBundle?: unknown } }[]) {
      if (w.clientConfig?.caBundle !== undefined) w.clientConfig.caBundle = unwrap(w.clientConfig.caBundle);
    }
  }
  return copy;
}

/** The one object of a kind (and name), as its kubernetes-models class. */
export function only<M extends Model>(objects: readonly KubeObject[], model: ModelClass<M>, name?: string): M {
  const found = objects.filter(
    (o) => o.apiVersion === model.apiVersion && o.kind === model.kind && (name === undefined || o.metadata.name === name),
  );
  assert.equal(found.length, 1, `one ${model.kind}${name !== undefined ? ` ${name}` : ''} in the render, found ${found.length}`);
  return new model(found[0] as never);
}

/** The one object of a kind that kubernetes-models does not know (cert-manager's). */
export function onlyOf(objects: readonly KubeObject[], apiVersion: string, kind: string): KubeObject {
  const found = objects.filter((o) => o.apiVersion === apiVersion && o.kind === kind);
  assert.equal(found.length, 1, `one ${kind} in the render, found ${found.length}`);
  return found[0] as KubeObject;
}

const DURATION = /^(?:\d+h)?(?:\d+m)?(?:\d+s)?$/;
const CERTIFICATE_FIELDS = new Set([
  'additionalOutputFormats',
  'commonName',
  'dnsNames',
  'duration',
  'emailAddresses',
  'encodeUsagesInRequest',
  'ipAddresses',
  'isCA',
  'issuerRef',
  'keystores',
  'literalSubject',
  'nameConstraints',
  'otherNames',
  'privateKey',
  'renewBefore',
  'renewBeforePercentage',
  'revisionHistoryLimit',
  'secretName',
  'secretTemplate',
  'subject',
  'uris',
  'usages',
]);
const KEY_USAGES = new Set([
  'signing',
  'digital signature',
  'content commitment',
  'key encipherment',
  'key agreement',
  'data encipherment',
  'cert sign',
  'crl sign',
  'encipher only',
  'decipher only',
  'any',
  'server auth',
  'client auth',
  'code signing',
  'email protection',
  's/mime',
  'ipsec end system',
  'ipsec tunnel',
  'ipsec user',
  'timestamping',
  'ocsp signing',
  'microsoft sgc',
  'netscape sgc',
]);

const seconds = (d: string): number => {
  const [, h = '0', m = '0', s = '0'] = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(d) ?? [];
  return Number(h) * 3600 + Number(m) * 60 + Number(s);
};

/** cert-manager v1 Issuer and Certificate, by the shape of their CRDs (the fields these manifests use). */
function validateCertManager(o: KubeObject): void {
  const what = `${o.kind} ${o.metadata.name}`;
  const spec = o['spec'] as Record<string, unknown> | undefined;
  assert.ok(spec && typeof spec === 'object', `${what}: no spec`);
  if (o.kind === 'Issuer' || o.kind === 'ClusterIssuer') {
    const types = Object.keys(spec).filter((k) => ['selfSigned', 'ca', 'acme', 'vault', 'venafi'].includes(k));
    assert.equal(types.length, 1, `${what}: exactly one issuer type, found ${types.join(', ') || 'none'}`);
    if (types[0] === 'ca') assert.equal(typeof (spec['ca'] as { secretName?: unknown }).secretName, 'string', `${what}: ca.secretName`);
    return;
  }
  assert.equal(o.kind, 'Certificate', `${what}: cert-manager kind this test does not know`);
  for (const field of Object.keys(spec)) assert.ok(CERTIFICATE_FIELDS.has(field), `${what}: unknown field spec.${field}`);
  assert.ok(typeof spec['secretName'] === 'string' && spec['secretName'] !== '', `${what}: spec.secretName`);
  const dnsNames = spec['dnsNames'];
  assert.ok(Array.isArray(dnsNames) && dnsNames.length > 0 && dnsNames.every((n) => typeof n === 'string'), `${what}: spec.dnsNames`);
  const issuerRef = spec['issuerRef'] as { name?: unknown; kind?: unknown; group?: unknown } | undefined;
  assert.ok(issuerRef && typeof issuerRef.name === 'string', `${what}: spec.issuerRef.name`);
  assert.ok(
    issuerRef.kind === undefined || issuerRef.kind === 'Issuer' || issuerRef.kind === 'ClusterIssuer',
    `${what}: spec.issuerRef.kind`,
  );
  for (const field of ['duration', 'renewBefore'] as const) {
    const v = spec[field];
    assert.ok(v === undefined || (typeof v === 'string' && v !== '' && DURATION.test(v)), `${what}: spec.${field} ${String(v)}`);
  }
  if (typeof spec['duration'] === 'string' && typeof spec['renewBefore'] === 'string') {
    assert.ok(seconds(spec['renewBefore']) < seconds(spec['duration']), `${what}: renewBefore must be shorter than duration`);
  }
  const key = spec['privateKey'] as { algorithm?: unknown; size?: unknown; rotationPolicy?: unknown } | undefined;
  if (key !== undefined) {
    assert.ok(
      key.algorithm === undefined || ['RSA', 'ECDSA', 'Ed25519'].includes(key.algorithm as string),
      `${what}: privateKey.algorithm`,
    );
    assert.ok(key.size === undefined || Number.isInteger(key.size), `${what}: privateKey.size`);
    assert.ok(
      key.rotationPolicy === undefined || ['Never', 'Always'].includes(key.rotationPolicy as string),
      `${what}: privateKey.rotationPolicy`,
    );
  }
  const usages = spec['usages'];
  assert.ok(usages === undefined || (Array.isArray(usages) && usages.every((u) => KEY_USAGES.has(u as string))), `${what}: spec.usages`);
}

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** Whether a label selector selects an object with these labels (an absent selector selects everything). */
export function selectorMatches(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (selector === undefined) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, key);
    const ok =
      operator === 'In'
        ? has && values.includes(labels[key] as string)
        : operator === 'NotIn'
          ? !has || !values.includes(labels[key] as string)
          : operator === 'Exists'
            ? has
            : operator === 'DoesNotExist'
              ? !has
              : assert.fail(`unknown selector operator ${operator}`);
    if (!ok) return false;
  }
  return true;
}

/** The labels every namespace has (Kubernetes ≥ 1.21 sets `kubernetes.io/metadata.name`). */
export const namespaceLabels = (name: string): Record<string, string> => ({ 'kubernetes.io/metadata.name': name });

/** The value of a `--flag VALUE` in an argument list. */
export function flagValue(args: readonly string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Whether `path` is `dir` or inside it (POSIX paths). */
export const isUnder = (path: string, dir: string): boolean => {
  const rel = posix.relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !posix.isAbsolute(rel));
};
