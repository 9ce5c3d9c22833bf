/**
 * Reads objects from the Kubernetes API as the webhook's service account (in-cluster config),
 * through dct's HTTP transport: `GET /api/v1/namespaces/NS/secrets/NAME` and the like, with the
 * service account's bearer token (re-read when the file changes) and the cluster CA. A 404 is
 * "no such object" (undefined); other failures are `ADMISSION_KUBERNETES_API_FAILED`, saying
 * what the API server said (its `Status` message) and, for 401/403, what to grant.
 */
import { DctError } from '../../core/errors.js';
import { readBody } from '../http/transport/send.js';
import { createTransport } from '../http/transport/transport.js';
import type { RoundTripper } from '../http/transport/round-tripper.js';
import { MountedFile, type InClusterConfig } from './in-cluster-config.js';

const MAX_OBJECT_BYTES = 1024 * 1024;

export interface KubernetesApiOptions {
  /** deadline of one request (default 5 s) */
  timeoutMs?: number;
  transport?: RoundTripper;
}

export class KubernetesApi {
  private readonly token: MountedFile;
  private readonly ca: MountedFile;
  private readonly transport: RoundTripper;
  private readonly timeoutMs: number;

  constructor(
    private readonly config: InClusterConfig,
    opts: KubernetesApiOptions = {},
  ) {
    this.token = new MountedFile(config.tokenFile);
    this.ca = new MountedFile(config.caFile);
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.transport = opts.transport ?? createTransport({ userAgent: 'dct-admission', retry: { retries: 1 } });
  }

  /** The object at `path` (`/api/v1/namespaces/shop/secrets/regcred`), or undefined when there is none (404). */
  async get(path: string, signal?: AbortSignal): Promise<Record<string, unknown> | undefined> {
    const url = new URL(path, this.config.url);
    const failed = (why: string, cause?: unknown): DctError =>
      new DctError('ADMISSION_KUBERNETES_API_FAILED', `GET ${url.pathname} from the Kubernetes API: ${why}`, cause ? { cause } : {});
    const [token, ca] = await Promise.all([this.token.read(), this.ca.read()]);
    let res;
    try {
      res = await this.transport({
        method: 'GET',
        url,
        headers: { Authorization: `Bearer ${token.trim()}`, Accept: 'application/json' },
        tls: { ca },
        timeoutMs: this.timeoutMs,
        deadlineMs: this.timeoutMs,
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      throw failed((err as Error).message, err);
    }
    const body = await readBody(res, MAX_OBJECT_BYTES, () => failed(`the answer is larger than ${MAX_OBJECT_BYTES} bytes`));
    if (res.status === 404) return undefined;
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      json = undefined;
    }
    const object = typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined;
    if (res.status !== 200) {
      const said = typeof object?.['message'] === 'string' ? `: ${object['message']}` : '';
      const grant =
        res.status === 401 || res.status === 403
          ? " (the webhook's service account needs `get` on secrets and serviceaccounts: see deploy/kubernetes/base/rbac.yaml)"
          : '';
      throw failed(`HTTP ${res.status}${said}${grant}`);
    }
    if (!object) throw failed('the answer is not a JSON object');
    return object;
  }
}
