/**
 * How a pod reaches its cluster's API server (client-go's `rest.InClusterConfig`): the Service
 * `KUBERNETES_SERVICE_HOST`:`KUBERNETES_SERVICE_PORT` over HTTPS, trusting the cluster CA and
 * presenting the service account's token, both mounted at
 * `/var/run/secrets/kubernetes.io/serviceaccount/{ca.crt,token}`. The token is a projected,
 * rotated file: it is read again whenever it changes (its modification time), as client-go does.
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DctError } from '../../core/errors.js';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface InClusterConfig {
  /** `https://host:port` of the API server */
  url: URL;
  caFile: string;
  tokenFile: string;
}

/** The in-cluster configuration, or undefined when this is not a pod with a service account token mounted. */
export function inClusterConfig(env: Readonly<Record<string, string | undefined>>, dir = SERVICE_ACCOUNT_DIR): InClusterConfig | undefined {
  const host = env['KUBERNETES_SERVICE_HOST'];
  const port = env['KUBERNETES_SERVICE_PORT'];
  const tokenFile = join(dir, 'token');
  if (!host || !port || !existsSync(tokenFile)) return undefined;
  const url = new URL(`https://${host.includes(':') ? `[${host}]` : host}:${port}`);
  return { url, caFile: join(dir, 'ca.crt'), tokenFile };
}

/** A mounted file read again when its modification time or size changes. */
export class MountedFile {
  private cached: { mtimeMs: number; size: number; text: string } | undefined;

  constructor(readonly file: string) {}

  async read(): Promise<string> {
    try {
      const st = await stat(this.file);
      if (this.cached?.mtimeMs === st.mtimeMs && this.cached.size === st.size) return this.cached.text;
      const text = await readFile(this.file, 'utf8');
      this.cached = { mtimeMs: st.mtimeMs, size: st.size, text };
      return text;
    } catch (err) {
      throw new DctError('ADMISSION_KUBERNETES_API_FAILED', `cannot read ${this.file}: ${(err as Error).message}`, { cause: err });
    }
  }
}
