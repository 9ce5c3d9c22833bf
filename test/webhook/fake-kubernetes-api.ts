/**
 * For the pull-secret tests: a fake Kubernetes API server over HTTPS (an openssl certificate)
 * serving Secret and ServiceAccount objects at their API paths, answering only a request that
 * presents the current content of a token file (re-read at every request, so a rotated token is
 * required at once) and `Status` objects for 401 and 404 as the API server does; Secrets made
 * by the real kubectl offline (`kubectl create secret docker-registry … --dry-run=client -o json`).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { selfSignedCert } from './webhook-support.js';

export interface FakeKubernetesApi {
  host: string;
  port: number;
  /** the CA (its own certificate) to mount as ca.crt */
  ca: Buffer;
  /** the paths asked for, in order */
  requests: string[];
  /** `/api/v1/namespaces/NS/secrets/NAME` → object */
  objects: Map<string, Record<string, unknown>>;
  close(): Promise<void>;
}

const status = (code: number, reason: string, message: string) => ({
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  message,
  reason,
  code,
});

export async function startFakeKubernetesApi(dir: string, tokenFile: string): Promise<FakeKubernetesApi> {
  const tls = selfSignedCert(dir, 'kubernetes');
  const objects = new Map<string, Record<string, unknown>>();
  const requests: string[] = [];
  const server: Server = createServer({ cert: tls.cert, key: readFileSync(tls.keyFile) }, (req, res) => {
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const path = (req.url ?? '/').split('?')[0] as string;
    requests.push(path);
    if (req.headers.authorization !== `Bearer ${readFileSync(tokenFile, 'utf8').trim()}`)
      return send(401, status(401, 'Unauthorized', 'Unauthorized'));
    const object = req.method === 'GET' ? objects.get(path) : undefined;
    if (!object) return send(404, status(404, 'NotFound', `${path.split('/').slice(-2).join(' ')} not found`));
    send(200, object);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    ca: tls.cert,
    requests,
    objects,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** `kubectl create secret docker-registry` as JSON (offline). */
export function kubectlDockerRegistrySecret(
  name: string,
  namespace: string,
  registry: string,
  username: string,
  password: string,
): Record<string, unknown> {
  const out = execFileSync(
    'kubectl',
    [
      'create',
      'secret',
      'docker-registry',
      name,
      '-n',
      namespace,
      `--docker-server=${registry}`,
      `--docker-username=${username}`,
      `--docker-password=${password}`,
      '--dry-run=client',
      '-o',
      'json',
    ],
    { encoding: 'utf8' },
  );
  return JSON.parse(out) as Record<string, unknown>;
}

/** `kubectl create serviceaccount` as JSON (offline), with these image pull secrets. */
export function kubectlServiceAccount(name: string, namespace: string, pullSecrets: string[]): Record<string, unknown> {
  const sa = JSON.parse(
    execFileSync('kubectl', ['create', 'serviceaccount', name, '-n', namespace, '--dry-run=client', '-o', 'json'], { encoding: 'utf8' }),
  ) as Record<string, unknown>;
  return pullSecrets.length > 0 ? { ...sa, imagePullSecrets: pullSecrets.map((n) => ({ name: n })) } : sa;
}

export const secretPath = (ns: string, name: string): string => `/api/v1/namespaces/${ns}/secrets/${name}`;
export const serviceAccountPath = (ns: string, name: string): string => `/api/v1/namespaces/${ns}/serviceaccounts/${name}`;
