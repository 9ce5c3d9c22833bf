/**
 * `dct admission`: the Kubernetes admission webhook. Serves `POST /validate` and `POST /mutate`
 * (AdmissionReview admission.k8s.io/v1) over HTTPS, judging every image of Pods and workload
 * templates by the trust policy file, which it reloads when it changes. Runs until SIGINT/SIGTERM.
 *
 * Registry credentials, first that has an entry for the image's registry: the Pod's image pull
 * secrets (read from the Kubernetes API in a cluster; `--no-pull-secrets` turns that off), then
 * the webhook's own as docker reads them (`DOCKER_AUTH_CONFIG`, then `$DOCKER_CONFIG/config.json`'s
 * helpers and `auths`), checked at start: a malformed one refuses to start (`INVALID_DOCKER_CONFIG`).
 * `--audit FILE|URL` (or `DCT_AUDIT`) records every image decision of a review that is not a dry run.
 */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_ADMISSION_SETTINGS, type AdmissionSettings } from '../../app/admission/admission-controller.js';
import { parseLabelSelector } from '../../app/admission/label-selector.js';
import { DctError } from '../../core/errors.js';
import type { ImageDecider } from '../../core/policy/decision.js';
import type { PullSecretSource } from '../../core/policy/pull-credentials.js';
import type { PolicyHandle, RunningWebhook } from '../../webhook/start-webhook.js';
import { TRUST_BUNDLE_ENV } from '../docker-trust/trust-bundle-env.js';
import { processOutput, type Output } from '../output.js';

type Env = Record<string, string | undefined>;

/** Builds the policy's decider from its file (the policy engine's CLI wiring). */
export type PolicyLoader = (policyFile: string, env: Env) => Promise<{ decider: ImageDecider; reload(): Promise<void> }>;

/**
 * The policy engine's decider over the policy file, keeping the last good policy: a reload
 * that fails (a broken file) throws, and the webhook keeps judging with the policy it had;
 * the first load failing leaves the webhook not ready (it retries when the file changes).
 */
const loadPolicyFile: PolicyLoader = async (file, env) => {
  const [{ policyDecider }, { loadPolicyFile: readPolicy }, { processIo }] = await Promise.all([
    import('../policy-decider.js'),
    import('../../adapters/policy/policy-file.js'),
    import('../docker-trust/io.js'),
  ]);
  let policy = (await readPolicy(file)).policy;
  // the registries, trust servers and credentials of the command's environment; each review looks
  // only for the formats its images' rules name (a reload gives the decider a new policy object:
  // the registry clients and trust material its decisions shared are dropped)
  const decider = policyDecider({ ...processIo(), env }, { current: () => Promise.resolve(policy) }, { formats: 'needed' });
  return {
    decider,
    reload: async () => {
      policy = (await readPolicy(file)).policy;
    },
  };
};

/** Where Kubernetes mounts the service account: the pod's namespace (the webhook exempts its own), token and CA. */
const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface AdmissionOptions {
  listen: string;
  policy: string;
  tlsCert: string;
  tlsKey: string;
  gitops?: boolean;
  failOpen?: boolean;
  timeout: string;
  exemptNamespace: string[];
  exemptLabel: string[];
  ownNamespace?: string;
  cacheTtl: string;
  cacheStale?: string;
  maxBodyBytes: string;
  logLevel: string;
  audit?: string;
  /** false with --no-pull-secrets */
  pullSecrets?: boolean;
  serviceAccountDir?: string;
  trustBundle?: string;
}

export interface AdmissionCommandDeps {
  loadPolicy?: PolicyLoader;
  /** called once the webhook listens (tests stop it); without it the command runs until SIGINT/SIGTERM */
  started?: (webhook: RunningWebhook) => Promise<void>;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function registerAdmissionCommand(
  program: Command,
  out: Output = processOutput,
  env: Env = process.env,
  deps: AdmissionCommandDeps = {},
): void {
  program
    .command('admission')
    .description(
      'run the Kubernetes admission webhook: POST /validate and /mutate (AdmissionReview v1) over HTTPS judge every image of Pods ' +
        'and workload templates by the trust policy and pin admitted ones to their verified digest; GET /healthz, /readyz, /metrics; ' +
        'runs until SIGINT/SIGTERM',
    )
    .requiredOption('--listen <host:port>', 'address to listen on (e.g. 0.0.0.0:8443)')
    .requiredOption('--policy <file>', 'the trust policy file (YAML), reloaded when it changes')
    .requiredOption('--tls-cert <file>', "the webhook's certificate (PEM, chain allowed), reloaded when it changes")
    .requiredOption('--tls-key <file>', "the webhook's private key (PEM)")
    .option('--gitops', 'mutate Pods only: workloads (Deployments, …) are validated but not rewritten, so GitOps tools see no drift')
    .option('--fail-open', 'admit (with a warning) an image whose decision timed out or failed, instead of refusing it')
    .option('--timeout <duration>', "the longest a review waits for its decisions (under the API server's webhook timeout)", '8s')
    .option('--exempt-namespace <namespace>', 'admit everything in this namespace unchecked (repeatable)', collect, [])
    .option(
      '--exempt-label <selector>',
      'admit objects whose labels match this selector unchecked, e.g. dct.dev/exempt=true (repeatable)',
      collect,
      [],
    )
    .option('--own-namespace <namespace>', "the webhook's own namespace, always exempt (default: $POD_NAMESPACE or the service account's)")
    .option('--cache-ttl <duration>', 'how long an admitted image stays verified in the cache (0 turns the cache off)', '5m')
    .option('--cache-stale <duration>', 'how long after that a cached decision is still served while it is revalidated (default: the TTL)')
    .option('--max-body-bytes <n>', 'the largest AdmissionReview accepted', String(DEFAULT_ADMISSION_SETTINGS.maxReviewBytes))
    .option('--log-level <level>', 'JSON log level on stderr: debug, info, warn, error', 'info')
    .option('--audit <file|url>', 'record every image decision of reviews that are not dry runs in this audit feed (default: $DCT_AUDIT)')
    .option('--no-pull-secrets', "do not read the Pods' image pull secrets from the Kubernetes API (only the webhook's own credentials)")
    .option('--service-account-dir <dir>', "where the service account's token, ca.crt and namespace are mounted", SERVICE_ACCOUNT_DIR)
    .option(
      '--trust-bundle <file>',
      'DCT: read trust data from this trust bundle (dct trust export), not trust servers (default: $DCT_TRUST_BUNDLE)',
    )
    .action(async (opts: AdmissionOptions) => {
      const { host, port } = parseListen(opts.listen);
      // an air-gapped cluster: DCT's trust data from a bundle (re-read when the file changes)
      const policyEnv = opts.trustBundle !== undefined ? { ...env, [TRUST_BUNDLE_ENV]: resolve(opts.trustBundle) } : env;
      const settings = admissionSettings(opts, env);
      const loadPolicy = deps.loadPolicy ?? loadPolicyFile;
      await checkRegistryCredentials(env);
      const [{ startWebhook }, { pino, destination }, { openAuditSink }, { admissionAuditRecords }] = await Promise.all([
        import('../../webhook/start-webhook.js'),
        import('pino'),
        import('../../adapters/audit/open-audit-sink.js'),
        import('../../app/admission/admission-audit.js'),
      ]);
      // the log is buffered (a review's log line is written off the request path) and flushed when the webhook stops
      const logStream = destination({ fd: 2, sync: false, minLength: 4096 });
      const log = pino({ name: 'dct-admission', level: parseLogLevel(opts.logLevel) }, logStream);
      // a dct server's URL is posted to with the webhook's own docker credentials and TLS folders for that host
      const sink = openAuditSink(opts.audit ?? env['DCT_AUDIT'], { env, onError: (m) => log.error(`admission: the audit feed: ${m}`) });
      const pullSecrets =
        opts.pullSecrets !== false ? await clusterPullSecrets(env, opts.serviceAccountDir ?? SERVICE_ACCOUNT_DIR) : undefined;
      log.info(
        { pullSecrets: pullSecrets !== undefined },
        pullSecrets
          ? "admission: Pods' image pull secrets are read from the Kubernetes API"
          : "admission: the webhook's own registry credentials only",
      );
      const webhook = await startWebhook({
        host,
        port,
        tlsCertFile: opts.tlsCert,
        tlsKeyFile: opts.tlsKey,
        policyFile: opts.policy,
        loadPolicy: (): Promise<PolicyHandle> => loadPolicy(opts.policy, policyEnv),
        settings,
        log,
        audit: (record) => {
          for (const r of admissionAuditRecords(record)) sink.record(r);
        },
        ...(pullSecrets ? { pullSecrets } : {}),
      });
      out.text(`dct admission listening on ${webhook.url}\n`);
      if (!(await webhook.policyLoaded))
        out.warn(`admission: the policy ${opts.policy} did not load: not ready (see the log); fix the file to become ready`);
      if (deps.started) await deps.started(webhook);
      else await signalled();
      await webhook.close();
      await sink.flush();
      logStream.flushSync();
      out.text('dct admission stopped\n');
    });
}

/** The webhook's own registry credentials, read as they will be: a malformed DOCKER_AUTH_CONFIG or config.json refuses to start. */
async function checkRegistryCredentials(env: Env): Promise<void> {
  const [{ parseDockerAuthConfig }, { loadDockerConfig, dockerConfigDir }] = await Promise.all([
    import('../../adapters/client-config/docker-credentials.js'),
    import('../../adapters/client-config/docker-config-file.js'),
  ]);
  const fromEnv = env['DOCKER_AUTH_CONFIG'];
  if (fromEnv) parseDockerAuthConfig(fromEnv);
  await loadDockerConfig(dockerConfigDir(env));
}

/** The cluster's pull secrets when this runs in a pod with a service account token, else undefined. */
async function clusterPullSecrets(env: Env, dir: string): Promise<PullSecretSource | undefined> {
  const [{ inClusterConfig }, { KubernetesApi }, { KubernetesPullSecrets }] = await Promise.all([
    import('../../adapters/kubernetes/in-cluster-config.js'),
    import('../../adapters/kubernetes/kubernetes-api.js'),
    import('../../adapters/kubernetes/kubernetes-pull-secrets.js'),
  ]);
  const config = inClusterConfig(env, dir);
  return config ? new KubernetesPullSecrets(new KubernetesApi(config)) : undefined;
}

function signalled(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export function admissionSettings(opts: AdmissionOptions, env: Env): AdmissionSettings {
  const timeoutMs = parseDurationMs(opts.timeout, '--timeout');
  if (timeoutMs <= 0 || timeoutMs > 30_000) {
    throw new DctError(
      'INVALID_ARGUMENT',
      `--timeout must be more than 0 and at most 30s (the API server waits 10s by default, 30s at most), not ${opts.timeout}`,
    );
  }
  const cacheTtlMs = parseDurationMs(opts.cacheTtl, '--cache-ttl');
  const staleMs = opts.cacheStale !== undefined ? parseDurationMs(opts.cacheStale, '--cache-stale') : cacheTtlMs;
  const maxReviewBytes = Number(opts.maxBodyBytes);
  if (!/^\d+$/.test(opts.maxBodyBytes) || maxReviewBytes < 1024) {
    throw new DctError(
      'INVALID_ARGUMENT',
      `--max-body-bytes must be a number of bytes, at least 1024, not ${JSON.stringify(opts.maxBodyBytes)}`,
    );
  }
  const ownNamespace =
    opts.ownNamespace ?? (env['POD_NAMESPACE'] || serviceAccountNamespace(opts.serviceAccountDir ?? SERVICE_ACCOUNT_DIR));
  return {
    gitops: opts.gitops === true,
    failOpen: opts.failOpen === true,
    timeoutMs,
    cacheTtlMs,
    staleMs,
    exemptNamespaces: opts.exemptNamespace,
    exemptLabels: opts.exemptLabel.map(parseLabelSelector),
    ...(ownNamespace ? { ownNamespace } : {}),
    maxReviewBytes,
  };
}

function serviceAccountNamespace(dir: string): string | undefined {
  try {
    return readFileSync(join(dir, 'namespace'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `500ms`, `8s`, `1.5s`, `5m`, `1h`, or `0`. */
export function parseDurationMs(text: string, flag: string): number {
  if (text === '0') return 0;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!m) throw new DctError('INVALID_ARGUMENT', `${flag} must be a duration such as 500ms, 8s, 5m or 1h, not ${JSON.stringify(text)}`);
  return Math.round(Number(m[1]) * (UNITS[m[2] as string] as number));
}

function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(listen);
  const port = Number(m?.[3]);
  if (!m || port > 65535) {
    throw new DctError('INVALID_ARGUMENT', `--listen must be HOST:PORT (e.g. 0.0.0.0:8443 or [::1]:8443), not ${JSON.stringify(listen)}`);
  }
  return { host: (m[1] ?? m[2]) as string, port };
}

function parseLogLevel(level: string): string {
  if (['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(level)) return level;
  throw new DctError('INVALID_ARGUMENT', `--log-level must be debug, info, warn or error, not ${JSON.stringify(level)}`);
}
