/**
 * The cluster's image pull secrets for the admission webhook (`PullSecretSource`): the secrets
 * a Pod names, or its service account's `imagePullSecrets`, read from the Kubernetes API with the
 * webhook's service account and kept briefly (`ttlMs`, default 30 s; a missing secret too), so
 * that a burst of Pods costs one read per secret; a failure of the API itself (unreachable, 403)
 * is kept for 2 s only, so that a fixed RBAC takes effect at once without every review asking. The credentials come in the order the Pod
 * names the secrets; for a registry, the first secret that has an entry for it wins (the kubelet
 * would try each in turn). A secret that cannot be read is a problem reported with the review,
 * never an exception.
 */
import { isDctError } from '../../core/errors.js';
import type {
  PullCredential,
  PullCredentials,
  PullSecretLookup,
  PullSecretRequest,
  PullSecretSource,
} from '../../core/policy/pull-credentials.js';
import type { KubernetesApi } from './kubernetes-api.js';
import { isGlobKey, pullSecretLogins, registryKeyMatches, type PullSecretLogins } from './pull-secret.js';

export interface KubernetesPullSecretsOptions {
  /** how long a secret (or its absence) is kept (default 30 s) */
  ttlMs?: number;
  now?: () => number;
}

interface Cached<T> {
  at: number;
  ttlMs: number;
  value: Promise<T>;
}

/** how long a failure of the API itself is kept */
const FAILURE_TTL_MS = 2000;

type SecretRead = { ok: PullSecretLogins } | { problem: string };

const path = (ns: string, kind: string, name: string): string =>
  `/api/v1/namespaces/${encodeURIComponent(ns)}/${kind}/${encodeURIComponent(name)}`;

export class KubernetesPullSecrets implements PullSecretSource {
  private readonly secrets = new Map<string, Cached<SecretRead>>();
  private readonly accounts = new Map<string, Cached<string[] | string>>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly api: KubernetesApi,
    opts: KubernetesPullSecretsOptions = {},
  ) {
    this.ttlMs = opts.ttlMs ?? 30_000;
    this.now = opts.now ?? Date.now;
  }

  async lookup(request: PullSecretRequest, signal?: AbortSignal): Promise<PullSecretLookup> {
    const problems: string[] = [];
    const names = [...request.secrets];
    if (request.serviceAccount !== undefined) {
      const account = await this.cached(this.accounts, `${request.namespace}/${request.serviceAccount}`, () =>
        this.readAccount(request.namespace, request.serviceAccount as string, signal),
      );
      if (typeof account === 'string') problems.push(account);
      else for (const n of account) if (!names.includes(n)) names.push(n);
    }
    const credentials: Array<{ name: string; logins: PullSecretLogins }> = [];
    const reads = await Promise.all(
      names.map((name) =>
        this.cached(this.secrets, `${request.namespace}/${name}`, () => this.readSecret(request.namespace, name, signal)),
      ),
    );
    reads.forEach((read, i) => {
      if ('problem' in read) problems.push(read.problem);
      else credentials.push({ name: `${request.namespace}/${names[i] as string}`, logins: read.ok });
    });
    if (credentials.length === 0) return { problems };
    const found: PullCredentials = {
      forRegistry(registry: string): PullCredential | undefined {
        const wanted = registry.toLowerCase() === 'index.docker.io' ? 'docker.io' : registry.toLowerCase();
        for (const c of credentials) {
          const login = c.logins.logins.get(wanted);
          if (login) return { login, source: `secret ${c.name} (${c.logins.fingerprint})` };
        }
        // then the kubelet's globs (`*.example.com`), in the same order
        for (const c of credentials) {
          for (const [key, login] of c.logins.logins) {
            if (isGlobKey(key) && registryKeyMatches(key, wanted)) return { login, source: `secret ${c.name} (${c.logins.fingerprint})` };
          }
        }
        return undefined;
      },
    };
    return { credentials: found, problems };
  }

  /** Forgets every secret read (tests; a changed RBAC). */
  clear(): void {
    this.secrets.clear();
    this.accounts.clear();
  }

  /** `read` says whether its answer may be kept for the TTL: a failure of the API itself is kept for FAILURE_TTL_MS only. */
  private cached<T>(map: Map<string, Cached<T>>, key: string, read: () => Promise<{ value: T; keep: boolean }>): Promise<T> {
    const hit = map.get(key);
    if (hit && this.now() - hit.at < hit.ttlMs) return hit.value;
    const entry: Cached<T> = { at: this.now(), ttlMs: this.ttlMs, value: Promise.resolve(undefined as T) };
    entry.value = read().then((r) => {
      if (!r.keep) entry.ttlMs = Math.min(this.ttlMs, FAILURE_TTL_MS);
      return r.value;
    });
    map.set(key, entry);
    if (map.size > 10_000) map.delete(map.keys().next().value as string);
    return entry.value;
  }

  private async readSecret(namespace: string, name: string, signal?: AbortSignal): Promise<{ value: SecretRead; keep: boolean }> {
    try {
      const secret = await this.api.get(path(namespace, 'secrets', name), signal);
      if (!secret) return { value: { problem: `secret ${namespace}/${name} not found` }, keep: true };
      return { value: { ok: pullSecretLogins(secret, `${namespace}/${name}`) }, keep: true };
    } catch (err) {
      if (isDctError(err, 'ADMISSION_PULL_SECRET_INVALID')) return { value: { problem: `${err.message} [${err.code}]` }, keep: true };
      return { value: { problem: `secret ${namespace}/${name}: ${messageOf(err)}` }, keep: false };
    }
  }

  private async readAccount(namespace: string, name: string, signal?: AbortSignal): Promise<{ value: string[] | string; keep: boolean }> {
    try {
      const account = await this.api.get(path(namespace, 'serviceaccounts', name), signal);
      // a missing service account: the API server would not have admitted the Pod; nothing to add
      const list = account?.['imagePullSecrets'];
      if (!Array.isArray(list)) return { value: [], keep: true };
      const names = list.flatMap((s: unknown) => {
        const n = typeof s === 'object' && s !== null ? (s as Record<string, unknown>)['name'] : undefined;
        return typeof n === 'string' && n !== '' ? [n] : [];
      });
      return { value: names, keep: true };
    } catch (err) {
      return { value: `service account ${namespace}/${name}: ${messageOf(err)}`, keep: false };
    }
  }
}

function messageOf(err: unknown): string {
  return isDctError(err) ? `${err.message} [${err.code}]` : err instanceof Error ? err.message : String(err);
}
