/**
 * What the admission tests share: the kubectl-generated objects of test/fixtures/admission,
 * wrapped as the API server wraps them; a test-double ImageDecider that records its calls and how
 * many overlap; and a tiny RFC 6902 `replace` applier to show what a returned patch does.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AdmissionReviewResponse } from '../../../src/app/admission/admission-review.js';
import type { ImageDecider, ImageDecision } from '../../../src/core/policy/decision.js';
import { PROJECT_ROOT } from '../../support/fixtures.js';

export const ADMISSION_FIXTURES = join(PROJECT_ROOT, 'test', 'fixtures', 'admission');

export type K8sObject = Record<string, unknown> & { kind: string; apiVersion: string; metadata: Record<string, unknown> };

/** A kubectl-generated object of test/fixtures/admission (a fresh copy). */
export function kubeObject(name: string): K8sObject {
  return JSON.parse(readFileSync(join(ADMISSION_FIXTURES, name), 'utf8')) as K8sObject;
}

/** The Deployment's object as another apps/v1 workload kind (same pod template; what differs is not read). */
export function asWorkload(kind: 'StatefulSet' | 'DaemonSet' | 'ReplicaSet', deployment: K8sObject): K8sObject {
  return { ...deployment, kind };
}

const RESOURCES: Readonly<Record<string, string>> = {
  Pod: 'pods',
  Deployment: 'deployments',
  StatefulSet: 'statefulsets',
  DaemonSet: 'daemonsets',
  ReplicaSet: 'replicasets',
  Job: 'jobs',
  CronJob: 'cronjobs',
  Service: 'services',
};

export interface ReviewOptions {
  namespace?: string;
  operation?: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  dryRun?: boolean;
  uid?: string;
  oldObject?: K8sObject;
}

let uidCounter = 0;

/** An AdmissionReview request as the API server sends it for this object. */
export function reviewOf(object: K8sObject, opts: ReviewOptions = {}): Record<string, unknown> {
  const [group, version] = object.apiVersion.includes('/') ? (object.apiVersion.split('/') as [string, string]) : ['', object.apiVersion];
  const namespace = opts.namespace ?? 'shop';
  const operation = opts.operation ?? 'CREATE';
  const gvk = { group, version, kind: object.kind };
  const gvr = { group, version, resource: RESOURCES[object.kind] ?? `${object.kind.toLowerCase()}s` };
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: opts.uid ?? `0f6d4a5e-0000-4000-8000-${String(++uidCounter).padStart(12, '0')}`,
      kind: gvk,
      resource: gvr,
      requestKind: gvk,
      requestResource: gvr,
      name: object.metadata['name'],
      namespace,
      operation,
      userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller', uid: 'a1b2', groups: ['system:serviceaccounts'] },
      object: operation === 'DELETE' ? null : { ...object, metadata: { ...object.metadata, namespace } },
      oldObject: opts.oldObject ?? null,
      dryRun: opts.dryRun ?? false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: operation === 'UPDATE' ? 'UpdateOptions' : 'CreateOptions' },
    },
  };
}

/** The digest the double says an image has. */
export function digestOf(image: string): string {
  return `sha256:${createHash('sha256').update(image).digest('hex')}`;
}

export function decisionFor(image: string, over: Partial<ImageDecision> = {}): ImageDecision {
  return {
    image,
    digest: /@(sha256:[0-9a-f]{64})$/.exec(image)?.[1] ?? digestOf(image),
    verdict: 'allow',
    mode: 'enforce',
    rule: 'registry.example.com/shop/*',
    reasons: [],
    warnings: [],
    reports: [],
    requirements: { requirement: 'dct: releases', satisfied: true, satisfiedBy: [] },
    decidedAt: '2026-12-07T06:00:00.000Z',
    ...over,
  };
}

export interface DoubleOptions {
  /** how long each decision takes */
  delayMs?: number;
  /** the decision of an image (default: allowed, verified) */
  decide?: (image: string) => ImageDecision | Promise<ImageDecision>;
}

/** A test-double decider: records every call, and the most calls in progress at once. */
export class DoubleDecider implements ImageDecider {
  readonly calls: string[] = [];
  active = 0;
  maxActive = 0;
  readonly signals: AbortSignal[] = [];

  constructor(private readonly opts: DoubleOptions = {}) {}

  async decide(image: string, o?: { signal?: AbortSignal }): Promise<ImageDecision> {
    this.calls.push(image);
    if (o?.signal) this.signals.push(o.signal);
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      if (this.opts.delayMs) await new Promise((r) => setTimeout(r, this.opts.delayMs));
      return await (this.opts.decide ?? ((i: string) => decisionFor(i)))(image);
    } finally {
      this.active--;
    }
  }
}

interface ReplaceOp {
  op: string;
  path: string;
  value: unknown;
}

/** Applies RFC 6902 `replace` operations (the only kind the webhook sends) to a copy of `doc`; the target must exist. */
export function applyReplacePatch<T>(doc: T, ops: readonly ReplaceOp[]): T {
  const out = structuredClone(doc) as unknown;
  for (const op of ops) {
    assert.equal(op.op, 'replace', `only replace operations are expected, got ${op.op}`);
    assert.ok(op.path.startsWith('/'), `a JSON pointer starts with /: ${op.path}`);
    const segments = op.path
      .slice(1)
      .split('/')
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = segments.pop() as string;
    let node = out as Record<string, unknown> | unknown[];
    for (const s of segments) {
      const next = Array.isArray(node) ? node[Number(s)] : node[s];
      assert.ok(typeof next === 'object' && next !== null, `patch path ${op.path}: ${s} does not exist`);
      node = next as Record<string, unknown> | unknown[];
    }
    if (Array.isArray(node)) {
      assert.ok(/^\d+$/.test(last) && Number(last) < node.length, `patch path ${op.path}: no element ${last}`);
      node[Number(last)] = op.value;
    } else {
      assert.ok(Object.hasOwn(node, last), `patch path ${op.path}: replace needs an existing ${last}`);
      node[last] = op.value;
    }
  }
  return out as T;
}

/** The JSON patch of a response, decoded. */
export function patchOf(answer: AdmissionReviewResponse): ReplaceOp[] {
  assert.equal(answer.response.patchType, 'JSONPatch');
  assert.ok(answer.response.patch, 'a patch');
  return JSON.parse(Buffer.from(answer.response.patch, 'base64').toString('utf8')) as ReplaceOp[];
}

/** Every image of a pod spec (containers, init, ephemeral). */
export function podSpecImages(spec: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const field of ['containers', 'initContainers', 'ephemeralContainers']) {
    for (const c of (spec[field] as { image?: string }[] | undefined) ?? []) if (c.image) out.push(c.image);
  }
  return out;
}
