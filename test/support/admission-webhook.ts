/**
 * For the admission end-to-end tests and bench: the real webhook (`startWebhook`, HTTPS with an
 * openssl certificate) judging with the policy engine as `dct admission` wires it (the policy
 * file read by `loadPolicyFile`, every format's signatures by `policyDecider`), over a signing
 * world's environment and, when asked, a pinned clock; and AdmissionReviews of Pods made from
 * the kubectl-generated fixture, wrapped as the API server wraps them.
 */
import { loadPolicyFile } from '../../src/adapters/policy/policy-file.js';
import { DEFAULT_ADMISSION_SETTINGS, type AdmissionSettings } from '../../src/app/admission/admission-controller.js';
import type { AdmissionReviewResponse } from '../../src/app/admission/admission-review.js';
import { policyDecider } from '../../src/cli/policy-decider.js';
import type { TrustIo } from '../../src/cli/docker-trust/io.js';
import { startWebhook, type PolicyHandle, type RunningWebhook } from '../../src/webhook/start-webhook.js';
import { kubeObject, reviewOf, type K8sObject } from '../app/admission/admission-doubles.js';
import { capturedLog, postJson, selfSignedCert } from '../webhook/webhook-support.js';

/** `dct admission`'s policy loader (src/cli/commands/admission.ts) over this io instead of the process's. */
export function policyLoader(io: TrustIo, policyFile: string): () => Promise<PolicyHandle> {
  return async () => {
    let policy = (await loadPolicyFile(policyFile)).policy;
    return {
      decider: policyDecider(io, { current: () => Promise.resolve(policy) }),
      reload: async () => {
        policy = (await loadPolicyFile(policyFile)).policy;
      },
    };
  };
}

export interface PolicyWebhook {
  webhook: RunningWebhook;
  /** POSTs the review to /validate or /mutate; the response */
  review(body: string, endpoint?: 'validate' | 'mutate'): Promise<AdmissionReviewResponse>;
  logs: ReturnType<typeof capturedLog>;
  close(): Promise<void>;
}

export async function startPolicyWebhook(
  io: TrustIo,
  policyFile: string,
  dir: string,
  settings: Partial<AdmissionSettings> = {},
): Promise<PolicyWebhook> {
  const tls = selfSignedCert(dir, `webhook-${Math.random().toString(36).slice(2, 8)}`);
  const logs = capturedLog();
  const webhook = await startWebhook({
    host: '127.0.0.1',
    port: 0,
    tlsCertFile: tls.certFile,
    tlsKeyFile: tls.keyFile,
    policyFile,
    loadPolicy: policyLoader(io, policyFile),
    settings: { ...DEFAULT_ADMISSION_SETTINGS, ...settings },
    log: logs.log,
  });
  if (!(await webhook.policyLoaded)) {
    await webhook.close();
    throw new Error(`the policy did not load: ${JSON.stringify(logs.lines().slice(-2))}`);
  }
  return {
    webhook,
    logs,
    async review(body, endpoint = 'mutate') {
      const answer = await postJson(`${webhook.url}/${endpoint}`, body, tls.cert);
      if (answer.status !== 200) throw new Error(`/${endpoint}: ${answer.status} ${answer.body}`);
      return JSON.parse(answer.body) as AdmissionReviewResponse;
    },
    close: () => webhook.close(),
  };
}

/** The kubectl-generated Pod (pod-web.json) with one container per image (the first container's fields, renamed). */
export function podOf(images: readonly string[], name = 'web'): K8sObject {
  const pod = kubeObject('pod-web.json');
  const spec = pod['spec'] as { containers: Array<Record<string, unknown>> };
  const template = spec.containers[0] as Record<string, unknown>;
  spec.containers = images.map((image, i) => ({ ...template, name: `c${i}`, image }));
  pod.metadata = { ...pod.metadata, name };
  return pod;
}

/** The AdmissionReview (CREATE in namespace shop) of a Pod with these images, as a request body. */
export function podReview(images: readonly string[], name?: string): string {
  return JSON.stringify(reviewOf(podOf(images, name)));
}
